// PostgREST subset + the shop migrations (RLS, RPCs, triggers) through the real supabase-js client (PostgREST, docs.postgrest.org).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { startBackend, type Backend } from './index.js'
import { simulateRequests, insertRequest, fakeCustomer, rng, type RequestRow } from './simulate.js'
import { anonClient, serviceClient, signedIn } from './helpers.js'
import { applyFiles, schemaFiles } from './postgres.js'

let b: Backend
let m1: SupabaseClient
let m2: SupabaseClient
let desk: SupabaseClient
let anon: SupabaseClient
let reqs: RequestRow[]

const ROW_KEYS = [
  'id', 'session_id', 'status', 'mechanic_id', 'queued_at', 'created_at', 'updated_at', 'session_type', 'intake_id',
  'customer_name', 'concern', 'vehicle_make', 'vehicle_model', 'vehicle_year',
].sort()

beforeAll(async () => {
  b = await startBackend({ port: 0, realtime: false })
  reqs = await simulateRequests({ url: b.url, sql: b.sql }, { count: 6, broadcast: false, seed: 42 })
  ;[m1, m2, desk] = await Promise.all([signedIn(b, b.demoUsers[0]), signedIn(b, b.demoUsers[1]), signedIn(b, b.frontDeskUser)])
  anon = anonClient(b)
})
afterAll(async () => {
  await b?.stop()
})

describe('reads', () => {
  it('select with eq / order / limit / offset', async () => {
    const all = await m1.from('session_assignments').select('id,status,queued_at').eq('status', 'queued').order('queued_at')
    expect(all.error).toBeNull()
    expect(all.data!.map((r) => r.id)).toEqual(reqs.map((r) => r.id))
    const page = await m1.from('session_assignments').select('id').eq('status', 'queued').order('queued_at', { ascending: false }).limit(2).range(1, 2)
    expect(page.error).toBeNull()
    expect(page.data!.map((r) => r.id)).toEqual([reqs[4].id, reqs[3].id])
  })

  it('filters: neq gt gte lt lte like ilike is in not', async () => {
    const svc = serviceClient(b)
    const ids = (r: { data: { id: string }[] | null; error: unknown }) => {
      expect(r.error).toBeNull()
      return new Set(r.data!.map((x) => x.id))
    }
    const intakes = (await svc.from('intakes').select('id,name,vehicle_year')).data!
    const years = intakes.map((i) => i.vehicle_year as number)
    const y = years.sort()[Math.floor(years.length / 2)]
    const count = (f: (i: { vehicle_year: number }) => boolean) => intakes.filter((i) => f(i as { vehicle_year: number })).length
    expect(ids(await svc.from('intakes').select('id').gt('vehicle_year', y)).size).toBe(count((i) => i.vehicle_year > y))
    expect(ids(await svc.from('intakes').select('id').gte('vehicle_year', y)).size).toBe(count((i) => i.vehicle_year >= y))
    expect(ids(await svc.from('intakes').select('id').lt('vehicle_year', y)).size).toBe(count((i) => i.vehicle_year < y))
    expect(ids(await svc.from('intakes').select('id').lte('vehicle_year', y)).size).toBe(count((i) => i.vehicle_year <= y))
    expect(ids(await svc.from('intakes').select('id').neq('vehicle_year', y)).size).toBe(count((i) => i.vehicle_year !== y))
    const name = intakes[0].name as string
    expect(ids(await svc.from('intakes').select('id').like('name', `${name.split(' ')[0]}%`)).has(intakes[0].id)).toBe(true)
    expect(ids(await svc.from('intakes').select('id').ilike('name', `%${name.slice(1, 4).toUpperCase()}%`)).has(intakes[0].id)).toBe(true)
    expect(ids(await m1.from('session_assignments').select('id').is('mechanic_id', null)).size).toBe(6)
    const two = ids(await m1.from('session_assignments').select('id').in('id', [reqs[0].id, reqs[1].id]))
    expect(two).toEqual(new Set([reqs[0].id, reqs[1].id]))
    const rest = ids(await m1.from('session_assignments').select('id').eq('status', 'queued').not('id', 'in', `(${reqs[0].id},${reqs[1].id})`))
    expect(rest.size).toBe(4)
    const either = ids(await m1.from('session_assignments').select('id').or(`id.eq.${reqs[0].id},id.eq.${reqs[5].id}`))
    expect(either).toEqual(new Set([reqs[0].id, reqs[5].id]))
  })

  it('aliases and embedded resources (many-to-one and one-to-many)', async () => {
    const r = await m1
      .from('session_assignments')
      .select('request_id:id, sessions(type, intakes(name, vehicle_make))')
      .eq('id', reqs[0].id)
      .single()
    expect(r.error).toBeNull()
    expect(r.data).toEqual({
      request_id: reqs[0].id,
      sessions: { type: reqs[0].session_type, intakes: { name: reqs[0].customer_name, vehicle_make: reqs[0].vehicle_make } },
    })
    const o2m = await m1.from('sessions').select('id, session_assignments(id)').eq('id', reqs[0].session_id).single()
    expect(o2m.data).toEqual({ id: reqs[0].session_id, session_assignments: [{ id: reqs[0].id }] })
  })

  it('.single(): one row → object; 0 or 2 rows → 406 PGRST116', async () => {
    const one = await m1.from('feature_flags').select('key,enabled').eq('key', 'mech_audio_alerts').single()
    expect(one.data).toEqual({ key: 'mech_audio_alerts', enabled: true })
    const none = await m1.from('feature_flags').select('key').eq('key', 'nope').single()
    expect(none.status).toBe(406)
    expect(none.error).toEqual({ code: 'PGRST116', details: 'The result contains 0 rows', hint: null, message: 'Cannot coerce the result to a single JSON object' })
    const many = await m1.from('feature_flags').select('key').limit(2).single()
    expect(many.status).toBe(406)
    expect(many.error?.details).toBe('The result contains 2 rows')
    const maybe = await m1.from('feature_flags').select('key').eq('key', 'nope').maybeSingle()
    expect(maybe).toMatchObject({ data: null, error: null })
  })

  it('count=exact and head', async () => {
    const r = await m1.from('session_assignments').select('*', { count: 'exact', head: true }).eq('status', 'queued')
    expect(r.error).toBeNull()
    expect(r.count).toBe(6)
  })
})

describe('RPCs', () => {
  it('queued_requests: keyset pages in (queued_at, id) order with details', async () => {
    const seen: RequestRow[] = []
    let after: RequestRow | null = null
    for (let i = 0; i < 10; i++) {
      const r: { data: RequestRow[] | null; error: unknown } = await m1.rpc('queued_requests', {
        p_after_queued_at: after?.queued_at ?? null,
        p_after_id: after?.id ?? null,
        p_limit: 4,
      })
      expect(r.error).toBeNull()
      if (!r.data!.length) break
      seen.push(...r.data!)
      after = r.data![r.data!.length - 1]
    }
    expect(seen.map((r) => r.id)).toEqual(reqs.map((r) => r.id))
    expect(Object.keys(seen[0]).sort()).toEqual(ROW_KEYS)
    expect(seen[0]).toMatchObject({ customer_name: reqs[0].customer_name, concern: reqs[0].concern, vehicle_year: reqs[0].vehicle_year, status: 'queued' })
    const sorted = [...seen].sort((a, b) => (a.queued_at! < b.queued_at! ? -1 : a.queued_at! > b.queued_at! ? 1 : a.id < b.id ? -1 : 1))
    expect(seen).toEqual(sorted)
  })

  it('request_details takes a uuid[] and returns the same row shape', async () => {
    const r = await m1.rpc('request_details', { p_ids: [reqs[1].id, reqs[2].id] })
    expect(r.error).toBeNull()
    expect((r.data as RequestRow[]).map((x) => x.id).sort()).toEqual([reqs[1].id, reqs[2].id].sort())
    expect(Object.keys((r.data as RequestRow[])[0]).sort()).toEqual(ROW_KEYS)
  })

  it('accept_request is atomic: exactly one of two racing mechanics wins', async () => {
    const id = reqs[5].id
    const [a, c] = await Promise.all([m1.rpc('accept_request', { p_request_id: id }), m2.rpc('accept_request', { p_request_id: id })])
    const results = [a.data, c.data] as { ok: boolean; reason: string | null }[]
    expect(results.filter((x) => x.ok)).toHaveLength(1)
    expect(results.find((x) => !x.ok)!.reason).toBe('already_accepted')
    const winner = results[0].ok ? m1 : m2
    const loser = results[0].ok ? m2 : m1
    // The winner still sees it (own); the loser no longer does (not queued, not theirs).
    expect((await winner.from('session_assignments').select('id,status').eq('id', id)).data).toEqual([{ id, status: 'accepted' }])
    expect((await loser.from('session_assignments').select('id').eq('id', id)).data).toEqual([])
    expect((await winner.rpc('accept_request', { p_request_id: id })).data).toEqual({ ok: true, reason: 'already_yours' })
    expect((await m1.rpc('accept_request', { p_request_id: '00000000-0000-4000-8000-000000000000' })).data).toEqual({ ok: false, reason: 'not_found' })
  })

  it('a void function answers 204 and data null', async () => {
    await b.sql.query(`create or replace function public.bayalert_test_void() returns void language sql as 'select'`)
    const r = await m1.rpc('bayalert_test_void')
    expect(r.status).toBe(204)
    expect(r.error).toBeNull()
    expect(r.data).toBeNull()
  })
})

describe('RLS', () => {
  it('a signed-in non-mechanic sees no requests, sessions or intakes, and cannot accept', async () => {
    for (const t of ['session_assignments', 'sessions', 'mechanics']) {
      const r = await desk.from(t).select('*')
      expect(r.error).toBeNull()
      expect(r.data).toEqual([])
    }
    // intakes: only the columns a workstation shows are granted, so `*` is refused outright (see 'column privileges').
    const i = await desk.from('intakes').select('id,name,concern')
    expect(i.error).toBeNull()
    expect(i.data).toEqual([])
    expect((await desk.rpc('queued_requests')).data).toEqual([])
    expect((await desk.rpc('accept_request', { p_request_id: reqs[0].id })).data).toEqual({ ok: false, reason: 'not_a_mechanic' })
    // Flags are for every signed-in user.
    expect((await desk.from('feature_flags').select('key')).data).toHaveLength(4)
  })

  it('anon may read no table and call no RPC (42501 → 401)', async () => {
    for (const t of ['session_assignments', 'sessions', 'intakes', 'mechanics', 'feature_flags', 'workstation_health', 'request_feed']) {
      const r = await anon.from(t).select('*')
      expect(r.status, t).toBe(401)
      expect(r.error?.code, t).toBe('42501')
      expect(r.data, t).toBeNull()
    }
    const r = await anon.rpc('queued_requests')
    expect(r.status).toBe(401)
    expect(r.error?.code).toBe('42501')
    expect(r.error?.message).toMatch(/permission denied for function queued_requests/)
  })

  it('createUser: a new mechanic sees the queue, a new non-mechanic does not', async () => {
    const mech = await b.createUser({ email: 'New.Mech@bayalert.test', password: 'pw-123456', mechanic: true })
    const other = await b.createUser({ email: 'visitor@bayalert.test', password: 'pw-123456' })
    expect(mech.email).toBe('new.mech@bayalert.test')
    const cm = await signedIn(b, mech)
    const co = await signedIn(b, other)
    expect(((await cm.rpc('queued_requests')).data as unknown[]).length).toBeGreaterThan(0)
    expect((await co.rpc('queued_requests')).data).toEqual([])
  })

  it('only the public schema is exposed (406 PGRST106)', async () => {
    const r = await m1.schema('auth').from('users').select('*')
    expect(r.status).toBe(406)
    expect(r.error?.code).toBe('PGRST106')
  })

  it('mechanics see sessions/intakes only behind queued or own assignments', async () => {
    const hidden = await insertRequest(b.sql, fakeCustomer(rng(7)))
    await b.sql.query(`update public.session_assignments set status = 'accepted', mechanic_id = $1 where id = $2`, [b.demoUsers[2].id, hidden.id])
    expect((await m1.from('intakes').select('id').eq('id', hidden.intake_id!)).data).toEqual([])
    expect((await m1.from('sessions').select('id').eq('id', hidden.session_id)).data).toEqual([])
    expect((await m1.from('intakes').select('id').eq('id', reqs[0].intake_id!)).data).toHaveLength(1)
    // A direct write that is not a claim is refused by RLS (403 for a signed-in user).
    const w = await m1.from('session_assignments').update({ status: 'cancelled' }).eq('id', reqs[0].id).select()
    expect(w.status).toBe(403)
    expect(w.error?.code).toBe('42501')
  })

  it('workstation_health: upsert own row with merge-duplicates; not someone else’s', async () => {
    const row = { workstation_id: 'ws-test-1', mechanic_id: b.demoUsers[0].id, app_version: '0.1.0', state: 'live', reason: 'ok', counters: { alerts: 1 } }
    const r1 = await m1.from('workstation_health').upsert(row)
    expect(r1.error).toBeNull()
    expect(r1.status).toBe(201)
    const r2 = await m1.from('workstation_health').upsert({ ...row, state: 'degraded', counters: { alerts: 2 } }).select().single()
    expect(r2.error).toBeNull()
    expect(r2.data).toMatchObject({ workstation_id: 'ws-test-1', state: 'degraded', counters: { alerts: 2 } })
    expect((await b.sql.query(`select count(*)::int n from public.workstation_health`)).rows[0].n).toBe(1)
    const bad = await m2.from('workstation_health').insert({ workstation_id: 'ws-x', mechanic_id: b.demoUsers[0].id })
    expect(bad.status).toBe(403)
    expect(bad.error?.code).toBe('42501')
    expect(bad.error?.message).toMatch(/row-level security/)
  })
})

describe('triggers', () => {
  it('queued_at changes only when a row (re)enters the queue; updated_at on every update', async () => {
    const r = await insertRequest(b.sql, fakeCustomer(rng(9)))
    const get = async () => (await b.sql.query(`select status, queued_at, updated_at from public.session_assignments where id = $1`, [r.id])).rows[0]
    const q0 = await get()
    await b.sql.query(`update public.session_assignments set mechanic_id = null, queued_at = now() - interval '1 day' where id = $1`, [r.id])
    const q1 = await get()
    expect(q1.queued_at).toEqual(q0.queued_at)
    expect(q1.updated_at.getTime()).toBeGreaterThanOrEqual(q0.updated_at.getTime())
    await b.sql.query(`update public.session_assignments set status = 'cancelled' where id = $1`, [r.id])
    await b.sql.query(`update public.session_assignments set status = 'queued' where id = $1`, [r.id])
    const q2 = await get()
    expect(q2.queued_at.getTime()).toBeGreaterThan(q0.queued_at.getTime())
  })

  it('the shop:requests broadcast gets new_request / request_accepted / request_cancelled / request_removed', async () => {
    const r = await insertRequest(b.sql, fakeCustomer(rng(11)))
    const c = await insertRequest(b.sql, fakeCustomer(rng(12)))
    const d = await insertRequest(b.sql, fakeCustomer(rng(13)))
    expect((await m2.rpc('accept_request', { p_request_id: r.id })).data).toEqual({ ok: true, reason: null })
    await b.sql.query(`update public.session_assignments set status = 'cancelled' where id = $1`, [c.id])
    await b.sql.query(`delete from public.session_assignments where id = $1`, [d.id])
    const msgs = (
      await b.sql.query(
        `select event, payload from realtime.messages where topic = 'shop:requests' and private and payload->'request'->>'id' = any($1) order by inserted_at, event`,
        [[r.id, c.id, d.id]],
      )
    ).rows as { event: string; payload: { request: RequestRow } }[]
    const byId = (id: string) => msgs.filter((m) => m.payload.request.id === id).map((m) => m.event)
    expect(byId(r.id)).toEqual(['new_request', 'request_accepted'])
    expect(byId(c.id)).toEqual(['new_request', 'request_cancelled'])
    expect(byId(d.id)).toEqual(['new_request', 'request_removed'])
    // new_request carries the complete row the engine rings from; every removal only which version left and how.
    const added = msgs.find((m) => m.event === 'new_request' && m.payload.request.id === r.id)!.payload.request
    expect(Object.keys(added).sort()).toEqual(ROW_KEYS)
    expect(added).toMatchObject({ status: 'queued', customer_name: r.customer_name, concern: r.concern, vehicle_make: r.vehicle_make })
    const removal = (event: string) => msgs.find((m) => m.event === event)!.payload.request
    // request_accepted also names the taker by display name (never e-mail or id): "taken by Sam Okafor".
    expect(removal('request_accepted')).toEqual({ id: r.id, status: 'accepted', queued_at: added.queued_at, updated_at: expect.any(String), taken_by: b.demoUsers[1].name })
    expect(removal('request_cancelled')).toMatchObject({ id: c.id, status: 'cancelled' })
    expect(removal('request_removed')).toMatchObject({ id: d.id, status: 'queued' })
    for (const e of ['request_cancelled', 'request_removed']) {
      expect(Object.keys(removal(e)).sort(), e).toEqual(['id', 'queued_at', 'status', 'updated_at'])
    }
  })
})

describe('errors', () => {
  it('unknown table 404 PGRST205, unknown function 404 PGRST202', async () => {
    const t = await m1.from('session_assignment').select('*')
    expect(t.status).toBe(404)
    expect(t.error).toEqual({
      code: 'PGRST205',
      details: null,
      hint: "Perhaps you meant the table 'public.session_assignments'",
      message: "Could not find the table 'public.session_assignment' in the schema cache",
    })
    const f = await m1.rpc('no_such_fn', { a: 1 })
    expect(f.status).toBe(404)
    expect(f.error).toMatchObject({ code: 'PGRST202', message: 'Could not find the function public.no_such_fn(a) in the schema cache' })
    const wrongArgs = await m1.rpc('accept_request', { id: reqs[0].id })
    expect(wrongArgs.error?.code).toBe('PGRST202')
  })

  it('unknown column 42703, bad operator PGRST100, bad uuid 22P02 — all 400', async () => {
    const c = await m1.from('session_assignments').select('nope')
    expect(c.status).toBe(400)
    expect(c.error).toMatchObject({ code: '42703', message: 'column session_assignments.nope does not exist' })
    const f = await m1.from('session_assignments').select('id').filter('id', 'zz', 'x')
    expect(f.status).toBe(400)
    expect(f.error?.code).toBe('PGRST100')
    const u = await m1.from('session_assignments').select('id').eq('id', 'not-a-uuid')
    expect(u.status).toBe(400)
    expect(u.error?.code).toBe('22P02')
  })

  it('hostile identifiers and values are rejected or inert (no SQL injection)', async () => {
    const svc = serviceClient(b)
    const before = (await b.sql.query(`select count(*)::int n from public.intakes`)).rows[0].n
    const v = await svc.from('intakes').select('id').eq('name', `x'; delete from public.intakes; --`)
    expect(v.error).toBeNull()
    expect(v.data).toEqual([])
    const col = await svc.from('intakes').select('id').eq('name"; delete from public.intakes; --', 'x')
    expect(col.status).toBe(400)
    const sel = await svc.from('intakes').select('id, (select 1)')
    expect(sel.status).toBe(400)
    const cast = await svc.from('intakes').select('id::text from public.intakes; delete from public.intakes; --')
    expect(cast.status).toBe(400)
    // supabase-js strips spaces from select; a raw request keeps them.
    const raw = await fetch(`${b.url}/rest/v1/intakes?select=${encodeURIComponent('id::text from public.intakes; delete from public.intakes; --')}`, {
      headers: { apikey: b.serviceRoleKey, Authorization: `Bearer ${b.serviceRoleKey}` },
    })
    expect(raw.status).toBe(400)
    const ok = await svc.from('intakes').select('id::text').limit(1)
    expect(ok.error).toBeNull()
    const ord = await svc.from('intakes').select('id').order('id; delete from public.intakes')
    expect(ord.status).toBe(400)
    const tbl = await svc.from('intakes"; delete from public.intakes; --').select('*')
    expect(tbl.status).toBe(404)
    expect((await b.sql.query(`select count(*)::int n from public.intakes`)).rows[0].n).toBe(before)
  })
})

describe('migrations', () => {
  it('re-apply cleanly over themselves (idempotent) and keep working', async () => {
    const files = schemaFiles().filter((f) => f.includes('/supabase/migrations/'))
    expect(files.length).toBeGreaterThanOrEqual(2)
    await applyFiles(b.databaseUrl, files, () => undefined)
    const flags = await b.sql.query(`select count(*)::int n from public.feature_flags`)
    expect(flags.rows[0].n).toBe(4)
    const r = await m1.rpc('queued_requests', { p_limit: 1 })
    expect(r.error).toBeNull()
  })
})
