// The shop migrations' privileges and database hygiene, through real supabase-js against the local backend as a
// NEW Supabase project (no default grants; supabase/migrations/20261130000000_bayalert_grants.sql states them all):
// as a mechanic, as another mechanic, as a signed-in non-mechanic, as anon and as the shop's service role.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { startBackend, type Backend } from './index.js'
import { insertRequest, fakeCustomer, rng, type RequestRow } from './simulate.js'
import { anonClient, serviceClient, signedIn } from './helpers.js'

let b: Backend
let m1: SupabaseClient
let m2: SupabaseClient
let desk: SupabaseClient
let anon: SupabaseClient
let svc: SupabaseClient
let seed = 100

const newRequest = (): Promise<RequestRow> => insertRequest(b.sql, fakeCustomer(rng(seed++)))
const statusOf = async (id: string) =>
  (await b.sql.query<{ status: string; mechanic_id: string | null }>('select status, mechanic_id from public.session_assignments where id = $1', [id])).rows[0]

beforeAll(async () => {
  b = await startBackend({ port: 0, realtime: false })
  ;[m1, m2, desk] = await Promise.all([signedIn(b, b.demoUsers[0]), signedIn(b, b.demoUsers[1]), signedIn(b, b.frontDeskUser)])
  anon = anonClient(b)
  svc = serviceClient(b)
}, 60_000)
afterAll(async () => {
  await b?.stop()
})

describe('accept_request', () => {
  it('claims exactly the one request for the caller, and nothing else', async () => {
    const [r, other] = [await newRequest(), await newRequest()]
    const queuedBefore = (await b.sql.query(`select count(*)::int n from public.session_assignments where status = 'queued'`)).rows[0].n
    expect((await m1.rpc('accept_request', { p_request_id: r.id })).data).toEqual({ ok: true, reason: null })
    expect(await statusOf(r.id)).toEqual({ status: 'accepted', mechanic_id: b.demoUsers[0].id })
    expect(await statusOf(other.id)).toEqual({ status: 'queued', mechanic_id: null })
    expect((await b.sql.query(`select count(*)::int n from public.session_assignments where status = 'queued'`)).rows[0].n).toBe(queuedBefore - 1)
  })

  it('a replayed claim by the same mechanic is a success ("already_yours"), and changes nothing', async () => {
    const r = await newRequest()
    expect((await m1.rpc('accept_request', { p_request_id: r.id })).data).toEqual({ ok: true, reason: null })
    const before = (await b.sql.query('select updated_at from public.session_assignments where id = $1', [r.id])).rows[0]
    expect((await m1.rpc('accept_request', { p_request_id: r.id })).data).toEqual({ ok: true, reason: 'already_yours' })
    expect((await b.sql.query('select updated_at from public.session_assignments where id = $1', [r.id])).rows[0]).toEqual(before)
  })

  it('a claim of a request someone else took answers who took it, by name', async () => {
    const r = await newRequest()
    expect((await m1.rpc('accept_request', { p_request_id: r.id })).data).toEqual({ ok: true, reason: null })
    expect((await m2.rpc('accept_request', { p_request_id: r.id })).data).toEqual({
      ok: false,
      reason: 'already_accepted',
      taken_by: b.demoUsers[0].name,
      taken_by_id: b.demoUsers[0].id,
    })
    expect(await statusOf(r.id)).toEqual({ status: 'accepted', mechanic_id: b.demoUsers[0].id })
    // A mechanic without a display name is "someone": taken_by is null, not an empty string.
    const nameless = await b.createUser({ email: 'nameless@bayalert.test', password: 'pw-123456', mechanic: true })
    await b.sql.query(`update public.mechanics set display_name = '' where user_id = $1`, [nameless.id])
    const r2 = await newRequest()
    expect((await (await signedIn(b, nameless)).rpc('accept_request', { p_request_id: r2.id })).data).toEqual({ ok: true, reason: null })
    expect((await m2.rpc('accept_request', { p_request_id: r2.id })).data).toMatchObject({ ok: false, reason: 'already_accepted', taken_by: null, taken_by_id: nameless.id })
  })

  it('a request the shop moved on (in_progress, assigned) counts as taken: by me → already_yours, by another → who', async () => {
    const mine = await newRequest()
    await b.sql.query(`update public.session_assignments set status = 'assigned', mechanic_id = $2 where id = $1`, [mine.id, b.demoUsers[0].id])
    expect((await m1.rpc('accept_request', { p_request_id: mine.id })).data).toEqual({ ok: true, reason: 'already_yours' })
    await b.sql.query(`update public.session_assignments set status = 'in_progress' where id = $1`, [mine.id])
    expect((await m2.rpc('accept_request', { p_request_id: mine.id })).data).toMatchObject({ ok: false, reason: 'already_accepted', taken_by: b.demoUsers[0].name })
    // A status that is neither waiting nor taken nor cancelled (e.g. on hold) is just "not queued".
    await b.sql.query(`update public.session_assignments set status = 'on_hold', mechanic_id = null where id = $1`, [mine.id])
    expect((await m1.rpc('accept_request', { p_request_id: mine.id })).data).toEqual({ ok: false, reason: 'not_queued' })
  })

  it('two mechanics claiming at once: exactly one wins, the other is told who', async () => {
    const r = await newRequest()
    const [a, c] = await Promise.all([m1.rpc('accept_request', { p_request_id: r.id }), m2.rpc('accept_request', { p_request_id: r.id })])
    const answers = [a.data, c.data] as Array<{ ok: boolean; reason: string | null; taken_by?: string }>
    expect(answers.filter((x) => x.ok && x.reason === null)).toHaveLength(1)
    const loser = answers.find((x) => !x.ok)!
    const winner = (await statusOf(r.id)).mechanic_id
    expect(loser).toMatchObject({ reason: 'already_accepted', taken_by: b.demoUsers.find((u) => u.id === winner)!.name })
  })

  it('refuses: cancelled, unknown, null id, a non-mechanic, anon; and has no way to name another mechanic', async () => {
    const r = await newRequest()
    await b.sql.query(`update public.session_assignments set status = 'cancelled' where id = $1`, [r.id])
    expect((await m1.rpc('accept_request', { p_request_id: r.id })).data).toEqual({ ok: false, reason: 'cancelled' })
    expect((await m1.rpc('accept_request', { p_request_id: '00000000-0000-4000-8000-000000000000' })).data).toEqual({ ok: false, reason: 'not_found' })
    expect((await m1.rpc('accept_request', { p_request_id: null })).data).toEqual({ ok: false, reason: 'not_found' })
    const q = await newRequest()
    expect((await desk.rpc('accept_request', { p_request_id: q.id })).data).toEqual({ ok: false, reason: 'not_a_mechanic' })
    const a = await anon.rpc('accept_request', { p_request_id: q.id })
    expect(a.status).toBe(401)
    expect(a.error?.code).toBe('42501')
    // The service role is no one: it cannot claim on anyone's behalf either.
    expect((await svc.rpc('accept_request', { p_request_id: q.id })).data).toEqual({ ok: false, reason: 'not_signed_in' })
    const onBehalf = await m1.rpc('accept_request', { p_request_id: q.id, p_mechanic_id: b.demoUsers[1].id })
    expect(onBehalf.error?.code).toBe('PGRST202')
    expect(await statusOf(q.id)).toEqual({ status: 'queued', mechanic_id: null })
  })
})

describe('direct writes to session_assignments', () => {
  it('a mechanic cannot claim (or touch) rows with an UPDATE, one or many at once', async () => {
    const r = await newRequest()
    await newRequest()
    const queued = (await b.sql.query(`select count(*)::int n from public.session_assignments where status = 'queued'`)).rows[0].n
    const many = await m1.from('session_assignments').update({ status: 'accepted', mechanic_id: b.demoUsers[0].id }).eq('status', 'queued')
    expect(many.status).toBe(403)
    expect(many.error?.code).toBe('42501')
    const one = await m1.from('session_assignments').update({ mechanic_id: b.demoUsers[0].id }).eq('id', r.id)
    expect(one.error?.code).toBe('42501')
    for (const write of [
      m1.from('session_assignments').delete().eq('id', r.id),
      m1.from('session_assignments').insert({ session_id: r.session_id, status: 'accepted', mechanic_id: b.demoUsers[0].id }),
    ]) {
      expect((await write).error?.code).toBe('42501')
    }
    expect((await b.sql.query(`select count(*)::int n from public.session_assignments where status = 'queued'`)).rows[0].n).toBe(queued)
    expect(await statusOf(r.id)).toEqual({ status: 'queued', mechanic_id: null })
  })

  it('the shop backend (service role) still writes: cancels a request', async () => {
    const r = await newRequest()
    const res = await svc.from('session_assignments').update({ status: 'cancelled' }).eq('id', r.id).select('id,status')
    expect(res.error).toBeNull()
    expect(res.data).toEqual([{ id: r.id, status: 'cancelled' }])
  })
})

describe('customer fields a mechanic may read', () => {
  it('name, vehicle and concern — not e-mail or phone, not even through an embed', async () => {
    const r = await newRequest()
    const shown = await m1.from('intakes').select('id,name,concern,vehicle_make,vehicle_model,vehicle_year').eq('id', r.intake_id!).single()
    expect(shown.error).toBeNull()
    expect(shown.data).toMatchObject({ id: r.intake_id, name: r.customer_name, concern: r.concern })
    for (const sel of ['email', 'phone', '*', 'id,email']) {
      const hidden = await m1.from('intakes').select(sel).eq('id', r.intake_id!)
      expect(hidden.status, sel).toBe(403)
      expect(hidden.error?.code, sel).toBe('42501')
    }
    const embed = await m1.from('session_assignments').select('id, sessions(intakes(phone))').eq('id', r.id)
    expect(embed.error?.code).toBe('42501')
    // The shop's backend has them.
    const full = await svc.from('intakes').select('email,phone').eq('id', r.intake_id!).single()
    expect(full.error).toBeNull()
    expect(full.data!.email).toEqual(expect.any(String))
  })

  it('the read RPCs and the feed view keep working and carry no contact details', async () => {
    const r = await newRequest()
    const details = await m1.rpc('request_details', { p_ids: [r.id] })
    expect(details.error).toBeNull()
    expect(details.data).toEqual([expect.objectContaining({ id: r.id, customer_name: r.customer_name, vehicle_make: r.vehicle_make, concern: r.concern })])
    const page = await m1.rpc('queued_requests', { p_limit: 1000 })
    expect(page.error).toBeNull()
    expect((page.data as Array<{ id: string }>).some((x) => x.id === r.id)).toBe(true)
    const feed = await m1.from('request_feed').select('*').eq('id', r.id)
    expect(feed.error).toBeNull()
    expect(feed.data).toHaveLength(1)
    for (const row of [...(details.data as object[]), ...(page.data as object[]), ...(feed.data as object[])]) {
      expect(Object.keys(row)).not.toContain('email')
      expect(Object.keys(row)).not.toContain('phone')
    }
  })
})

describe('workstation_health', () => {
  const row = (over: Record<string, unknown> = {}) => ({
    workstation_id: `ws-${seed++}`,
    mechanic_id: b.demoUsers[0].id,
    app_version: '1.2.3',
    state: 'live',
    reason: 'ok',
    counters: { alerts: 1 },
    ...over,
  })

  it('a mechanic writes and reads only their own row; never deletes it', async () => {
    const mine = row()
    expect((await m1.from('workstation_health').upsert(mine)).error).toBeNull()
    expect((await m2.from('workstation_health').select('workstation_id').eq('workstation_id', mine.workstation_id)).data).toEqual([])
    const forged = await m2.from('workstation_health').upsert({ ...mine, state: 'offline' })
    expect(forged.error?.code).toBe('42501')
    const del = await m1.from('workstation_health').delete().eq('workstation_id', mine.workstation_id)
    expect(del.error?.code).toBe('42501')
    expect((await b.sql.query('select state from public.workstation_health where workstation_id = $1', [mine.workstation_id])).rows).toEqual([{ state: 'live' }])
  })

  it('a signed-in non-mechanic and anon cannot write at all', async () => {
    const d = await desk.from('workstation_health').insert(row({ mechanic_id: b.frontDeskUser.id }))
    expect(d.status).toBe(403)
    expect(d.error?.message).toMatch(/row-level security/)
    const a = await anon.from('workstation_health').insert(row())
    expect(a.status).toBe(401)
    expect(a.error?.code).toBe('42501')
  })

  it('size limits: at the limit accepted, one over refused (23514), counters must be a small object', async () => {
    const ok = [
      { workstation_id: 'w'.repeat(300) },
      { app_version: 'v'.repeat(64) },
      { state: 's'.repeat(32) },
      { reason: 'r'.repeat(500) },
      { counters: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`counter_${String(i).padStart(3, '0')}`, 123456])) },
    ]
    for (const over of ok) {
      const r = await m1.from('workstation_health').upsert(row(over))
      expect(r.error, JSON.stringify(over).slice(0, 60)).toBeNull()
    }
    const bad = [
      { workstation_id: '' },
      { workstation_id: 'w'.repeat(301) },
      { app_version: 'v'.repeat(65) },
      { state: 's'.repeat(33) },
      { reason: 'r'.repeat(501) },
      { counters: [1, 2, 3] },
      { counters: 'text' },
      { counters: { blob: 'x'.repeat(16_400) } },
    ]
    for (const over of bad) {
      const r = await m1.from('workstation_health').upsert(row(over))
      expect(r.error?.code, JSON.stringify(over).slice(0, 60)).toBe('23514')
    }
    // An update cannot grow a row past the limits either.
    const kept = row()
    expect((await m1.from('workstation_health').upsert(kept)).error).toBeNull()
    const grow = await m1.from('workstation_health').update({ reason: 'r'.repeat(501) }).eq('workstation_id', kept.workstation_id)
    expect(grow.error?.code).toBe('23514')
  })
})

describe('privileges in the catalog', () => {
  it('anon holds no privilege on any table, view, sequence or function in public', async () => {
    const r = await b.sql.query(`
      select c.relname as name from pg_class c
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'm', 'S', 'p')
         and (has_table_privilege('anon', c.oid, 'select, insert, update, delete, truncate, references, trigger')
              or (c.relkind = 'S' and has_sequence_privilege('anon', c.oid, 'usage, select, update')))
      union all
      select p.oid::regprocedure::text from pg_proc p
       where p.pronamespace = 'public'::regnamespace and has_function_privilege('anon', p.oid, 'execute')
      union all
      select c.relname || '.' || a.attname from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0
       where c.relnamespace = 'public'::regnamespace and has_column_privilege('anon', c.oid, a.attnum, 'select, insert, update, references')`)
    expect(r.rows).toEqual([])
  })

  it('authenticated may write only workstation_health, and run only the app RPCs (no trigger functions)', async () => {
    const writes = await b.sql.query(`
      select c.relname, string_agg(pr.p, ',' order by pr.p) as privs from pg_class c
       cross join (values ('insert'), ('update'), ('delete'), ('truncate')) pr(p)
       where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'p')
         and (has_table_privilege('authenticated', c.oid, pr.p)
              or exists (select from pg_attribute a where a.attrelid = c.oid and a.attnum > 0
                          and pr.p in ('insert', 'update') and has_column_privilege('authenticated', c.oid, a.attnum, pr.p)))
       group by c.relname order by 1`)
    expect(writes.rows).toEqual([{ relname: 'workstation_health', privs: 'insert,update' }])
    const fns = await b.sql.query(`
      select p.proname from pg_proc p
       where p.pronamespace = 'public'::regnamespace and has_function_privilege('authenticated', p.oid, 'execute') order by 1`)
    expect(fns.rows.map((x) => x.proname)).toEqual(['accept_request', 'check_in', 'is_mechanic', 'queued_requests', 'queued_requests_page', 'request_details', 'workstation_roster'])
  })

  it('a project created before 2026-05-30 (default grants to the API roles) ends with exactly the same privileges', async () => {
    const legacy = await startBackend({ port: 0, realtime: false, seedDemo: false, legacyDefaultGrants: true })
    try {
      const snapshot = async (db: Backend) =>
        (
          await db.sql.query(`
            select r.rolname, c.relname, a.attname,
                   array(select p from unnest(array['select','insert','update','delete','truncate','references','trigger']) p
                          where case when a.attname is null then has_table_privilege(r.rolname, c.oid, p)
                                     when p in ('select','insert','update','references') then has_column_privilege(r.rolname, c.oid, a.attnum, p)
                                     else false end) as privs
              from pg_roles r cross join pg_class c
              left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
             where r.rolname in ('anon', 'authenticated', 'service_role') and c.relnamespace = 'public'::regnamespace
               and c.relkind in ('r', 'v', 'S')
            union all
            select r.rolname, p.oid::regprocedure::text, null, array[has_function_privilege(r.rolname, p.oid, 'execute')::text]
              from pg_roles r cross join pg_proc p
             where r.rolname in ('anon', 'authenticated', 'service_role') and p.pronamespace = 'public'::regnamespace
             order by 1, 2, 3`)
        ).rows
      const [fresh, old] = await Promise.all([snapshot(b), snapshot(legacy)])
      expect(fresh.length).toBeGreaterThan(50)
      expect(old).toEqual(fresh)
      // …and the legacy variant really is the old world: its default privileges grant to anon.
      const acl = await legacy.sql.query(`select count(*)::int n from pg_default_acl where defaclnamespace = 'public'::regnamespace and defaclacl::text like '%anon=%'`)
      expect(acl.rows[0].n).toBeGreaterThan(0)
      const none = await b.sql.query(`select count(*)::int n from pg_default_acl where defaclnamespace = 'public'::regnamespace and defaclacl::text like '%anon=%'`)
      expect(none.rows[0].n).toBe(0)
    } finally {
      await legacy.stop()
    }
  }, 60_000)

  it('a persistent data dir follows the grant variant: switching it rebuilds the database and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bayalert-grants-dir-'))
    const anonDefaults = async (db: Backend) =>
      (await db.sql.query(`select count(*)::int n from pg_default_acl where defaclnamespace = 'public'::regnamespace and defaclacl::text like '%anon=%'`)).rows[0].n
    try {
      const logs: string[] = []
      const start = (legacyDefaultGrants: boolean) =>
        startBackend({ port: 0, realtime: false, seedDemo: false, dataDir: dir, legacyDefaultGrants, log: (m) => logs.push(m) })
      const legacy = await start(true)
      expect(await anonDefaults(legacy)).toBeGreaterThan(0)
      await legacy.stop()
      const fresh = await start(false)
      try {
        expect(await anonDefaults(fresh)).toBe(0)
        expect(logs.filter((l) => /legacy-grants setting\) changed .*rebuilding database/.test(l))).toHaveLength(1)
      } finally {
        await fresh.stop()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 90_000)
})
