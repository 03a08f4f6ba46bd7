// rpc check_in (supabase/migrations/20261201000000_bayalert_check_in.sql) through real supabase-js against the local
// backend as a new Supabase project: the heartbeat row, a queue version that counts the private broadcasts, the
// flags, the fleet size — and who may call it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { startBackend, type Backend } from './index.js'
import { fakeCustomer, insertRequest, rng } from './simulate.js'
import { anonClient, serviceClient, signedIn } from './helpers.js'

interface CheckIn {
  queue_version: string
  flags: { key: string; enabled: boolean }[]
  workstations: number
}

let b: Backend
let m1: SupabaseClient
let m2: SupabaseClient
let seed = 900

const checkIn = async (c: SupabaseClient, id = 'bay-1', extra: Record<string, unknown> = {}) => {
  const r = await c.rpc('check_in', { p_workstation_id: id, p_app_version: '1.2.3', p_state: 'live', p_reason: 'Live', p_counters: { a: 1 }, ...extra })
  return { data: r.data as CheckIn | null, error: r.error, status: r.status }
}
const version = async () => BigInt((await checkIn(m1)).data!.queue_version)

beforeAll(async () => {
  b = await startBackend({ port: 0, realtime: false })
  ;[m1, m2] = await Promise.all([signedIn(b, b.demoUsers[0]), signedIn(b, b.demoUsers[1])])
}, 60_000)
afterAll(async () => {
  await b?.stop()
})

describe('rpc check_in', () => {
  it("upserts the caller's own heartbeat row with the server's time, and answers version, flags and fleet", async () => {
    const first = await checkIn(m1, 'bay-1')
    expect(first.error).toBeNull()
    expect(first.data!.queue_version).toMatch(/^\d+$/)
    expect(first.data!.flags).toEqual([
      { key: 'mech_audio_alerts', enabled: true },
      { key: 'mech_browser_notifications', enabled: true },
      { key: 'mech_new_request_alerts', enabled: true },
      { key: 'mech_visual_indicators', enabled: true },
    ])
    const rows = await b.sql.query(`select workstation_id, mechanic_id, app_version, state, reason, counters, now() - last_seen < interval '5 s' as fresh
                                      from public.workstation_health where workstation_id = 'bay-1'`)
    expect(rows.rows).toEqual([{ workstation_id: 'bay-1', mechanic_id: b.demoUsers[0].id, app_version: '1.2.3', state: 'live', reason: 'Live', counters: { a: 1 }, fresh: true }])
    await checkIn(m1, 'bay-1', { p_state: 'degraded', p_reason: 'x'.repeat(900) })
    const again = await b.sql.query(`select state, char_length(reason) as n from public.workstation_health where workstation_id = 'bay-1'`)
    expect(again.rows).toEqual([{ state: 'degraded', n: 500 }]) // one row, updated; the reason cut to the table's limit
  })

  it('the flags are the current rows', async () => {
    await b.sql.query(`update public.feature_flags set enabled = false where key = 'mech_audio_alerts'`)
    try {
      expect((await checkIn(m1)).data!.flags).toContainEqual({ key: 'mech_audio_alerts', enabled: false })
    } finally {
      await b.sql.query(`update public.feature_flags set enabled = true where key = 'mech_audio_alerts'`)
    }
  })

  it('workstations: the distinct workstations seen in the last 5 minutes, whoever is signed in on them', async () => {
    const base = (await checkIn(m1, 'count-a')).data!.workstations
    expect((await checkIn(m2, 'count-a')).data!.workstations).toBe(base) // same machine, another mechanic
    expect((await checkIn(m2, 'count-b')).data!.workstations).toBe(base + 1)
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '6 minutes' where workstation_id = 'count-b'`)
    expect((await checkIn(m1, 'count-a')).data!.workstations).toBe(base)
  })

  it('the queue version moves once per private broadcast: a row entering or leaving the queue, nothing else', async () => {
    const v0 = await version()
    const r = await insertRequest(b.sql, fakeCustomer(rng(seed++)))
    expect(await version()).toBe(v0 + 1n) // new_request
    expect((await m1.rpc('accept_request', { p_request_id: r.id })).data).toMatchObject({ ok: true })
    expect(await version()).toBe(v0 + 2n) // request_accepted
    await b.sql.query(`update public.session_assignments set status = 'completed' where id = $1`, [r.id])
    await b.sql.query(`delete from public.session_assignments where id = $1`, [r.id])
    expect(await version()).toBe(v0 + 2n) // no broadcast for a request nobody shows
    const q = await insertRequest(b.sql, fakeCustomer(rng(seed++)))
    await b.sql.query(`update public.session_assignments set updated_at = now() where id = $1`, [q.id]) // still queued
    expect(await version()).toBe(v0 + 3n)
    await b.sql.query(`delete from public.session_assignments where id = $1`, [q.id])
    expect(await version()).toBe(v0 + 4n) // request_removed
  })

  it('a rolled-back change does not move the version', async () => {
    const v0 = await version()
    const c = await b.sql.connect()
    try {
      await c.query('begin')
      const s = await c.query<{ id: string }>('insert into public.sessions default values returning id')
      await c.query(`insert into public.session_assignments (session_id, status) values ($1, 'queued')`, [s.rows[0]!.id])
      await c.query('rollback')
    } finally {
      c.release()
    }
    expect(await version()).toBe(v0)
  })

  it('only a signed-in mechanic checks in; the row keeps the table limits', async () => {
    const desk = await signedIn(b, b.frontDeskUser)
    const refused = await checkIn(desk, 'desk-1')
    expect(refused.status).toBe(403)
    expect(refused.error?.code).toBe('42501')
    const anon = await checkIn(anonClient(b), 'anon-1')
    expect(anon.status).toBe(401)
    // The shop's backend has no use for it (it reads workstation_health directly).
    expect((await checkIn(serviceClient(b), 'svc-1')).error?.code).toBe('42501')
    expect((await b.sql.query(`select count(*)::int n from public.workstation_health where workstation_id in ('desk-1', 'anon-1', 'svc-1')`)).rows[0].n).toBe(0)
    expect((await checkIn(m1, '')).error?.code).toBe('23514') // workstation_id 1–300 characters
    expect((await checkIn(m1, 'bay-1', { p_counters: [] })).error?.code).toBe('23514') // counters must be an object
  })

  it('queue_version is nobody’s to read or write directly', async () => {
    expect((await m1.from('queue_version').select('*')).error?.code).toBe('42501')
    expect((await serviceClient(b).from('queue_version').update({ version: 0 }).eq('id', true)).error?.code).toBe('42501')
  })
})
