// The workstation watch's SQL (supabase/migrations/20261202000000_bayalert_workstation_watch.sql) through real
// supabase-js against the local backend as a new Supabase project (no default grants): what a mechanic may see of
// the other workstations (names, state, version, last seen — never their reasons or counters), what check_in now
// answers, the quiet_workstations view, and who may read each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { startBackend, type Backend } from './index.js'
import { anonClient, serviceClient, signedIn } from './helpers.js'

interface RosterRow {
  workstation_id: string
  mechanic_name: string | null
  state: string | null
  app_version: string | null
  last_seen: string
}

let b: Backend
let m1: SupabaseClient
let m2: SupabaseClient

const checkIn = (c: SupabaseClient, id: string, state = 'live') =>
  c.rpc('check_in', { p_workstation_id: id, p_app_version: '9.9.9', p_state: state, p_reason: `secret reason of ${id}`, p_counters: { 'sink:error': 7 } })

beforeAll(async () => {
  b = await startBackend({ port: 0, realtime: false })
  ;[m1, m2] = await Promise.all([signedIn(b, b.demoUsers[0]), signedIn(b, b.demoUsers[1])])
}, 60_000)
afterAll(async () => {
  await b?.stop()
})

describe('workstation_roster()', () => {
  it("shows a mechanic every workstation's name, mechanic, state, version and last check-in, and nothing else", async () => {
    expect((await checkIn(m1, 'Bay 1')).error).toBeNull()
    expect((await checkIn(m2, 'Bay 2', 'degraded')).error).toBeNull()
    const { data, error } = await m1.rpc('workstation_roster')
    expect(error).toBeNull()
    const rows = data as RosterRow[]
    const bay2 = rows.find((r) => r.workstation_id === 'Bay 2')!
    expect(Object.keys(bay2).sort()).toEqual(['app_version', 'last_seen', 'mechanic_name', 'state', 'workstation_id'])
    expect(bay2).toMatchObject({ mechanic_name: b.demoUsers[1].name, state: 'degraded', app_version: '9.9.9' })
    expect(JSON.stringify(rows)).not.toMatch(/secret reason|sink:error/)
    expect(rows.map((r) => r.workstation_id)).toContain('Bay 1')
  })

  it("the other mechanic's reasons and counters stay behind RLS on the table itself", async () => {
    const { data, error } = await m1.from('workstation_health').select('workstation_id, reason, counters')
    expect(error).toBeNull()
    const ids = (data as { workstation_id: string }[]).map((r) => r.workstation_id)
    expect(ids).toContain('Bay 1')
    expect(ids).not.toContain('Bay 2')
  })

  it('one row per workstation, the latest check-in winning when the machine changed hands', async () => {
    await checkIn(m1, 'Bay 5')
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '10 minutes' where workstation_id = 'Bay 5'`)
    await checkIn(m2, 'Bay 5', 'offline')
    const rows = ((await m1.rpc('workstation_roster')).data as RosterRow[]).filter((r) => r.workstation_id === 'Bay 5')
    expect(rows).toEqual([expect.objectContaining({ mechanic_name: b.demoUsers[1].name, state: 'offline' })])
  })

  it('leaves out workstations not seen for 12 hours (a shift), keeps one seen just inside it', async () => {
    await checkIn(m1, 'Bay old')
    await checkIn(m1, 'Bay recent')
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '12 hours 1 minute' where workstation_id = 'Bay old'`)
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '11 hours 59 minutes' where workstation_id = 'Bay recent'`)
    const ids = ((await m1.rpc('workstation_roster')).data as RosterRow[]).map((r) => r.workstation_id)
    expect(ids).toContain('Bay recent')
    expect(ids).not.toContain('Bay old')
  })

  it('anon and a signed-in non-mechanic see nothing', async () => {
    const anon = await anonClient(b).rpc('workstation_roster')
    expect(anon.status).toBe(401)
    expect(anon.data).toBeNull()
    const desk = await signedIn(b, b.frontDeskUser)
    const d = await desk.rpc('workstation_roster')
    expect(d.error).toBeNull()
    expect(d.data).toEqual([])
  })
})

describe('check_in answers the roster', () => {
  type Answer = { queue_version: string; flags: unknown[]; workstations: number; roster: (RosterRow & { live: boolean })[] | null; roster_digest: string; server_time: string }
  const call = async (c: SupabaseClient, id: string, extra: Record<string, unknown> = {}) => {
    const r = await c.rpc('check_in', { p_workstation_id: id, p_app_version: '9.9.9', p_state: 'live', p_reason: 'r', p_counters: {}, ...extra })
    expect(r.error).toBeNull()
    return r.data as Answer
  }

  it("adds roster (each row marked live), roster_digest and server_time to the earlier answer's fields", async () => {
    await checkIn(m1, 'Bay 1')
    const a = await call(m2, 'Bay 3')
    expect(a.queue_version).toMatch(/^\d+$/)
    expect(a.flags).toHaveLength(4)
    expect(a.workstations).toBeGreaterThanOrEqual(3)
    expect(a.roster_digest).toMatch(/^[0-9a-f]{32}$/)
    const db = (await b.sql.query(`select now() as now`)).rows[0].now as Date
    expect(Math.abs(Date.parse(a.server_time) - db.getTime())).toBeLessThan(5000)
    const mine = a.roster!.find((r) => r.workstation_id === 'Bay 3')!
    expect(Date.parse(mine.last_seen)).toBe(Date.parse(a.server_time)) // the same transaction's clock
    expect(mine.live).toBe(true)
    expect(a.roster!.map((r) => r.workstation_id)).toEqual(expect.arrayContaining(['Bay 1', 'Bay 2', 'Bay 3']))
    expect(JSON.stringify(a.roster)).not.toMatch(/secret reason|sink:error/)
  })

  it('sends the roster only when it differs from the digest the caller holds: live rows checking in change nothing', async () => {
    await checkIn(m2, 'Bay 2')
    const first = await call(m1, 'Bay 1', { p_silent_after_ms: 60_000 })
    await checkIn(m2, 'Bay 2') // a live workstation checks in again: its last_seen moves, the digest does not
    const again = await call(m1, 'Bay 1', { p_silent_after_ms: 60_000, p_roster_digest: first.roster_digest })
    expect(again.roster).toBeNull()
    expect(again.roster_digest).toBe(first.roster_digest)
    // Bay 2 falls silent for this caller's threshold: a new digest and the whole roster.
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '61 seconds' where workstation_id = 'Bay 2'`)
    const silent = await call(m1, 'Bay 1', { p_silent_after_ms: 60_000, p_roster_digest: first.roster_digest })
    expect(silent.roster_digest).not.toBe(first.roster_digest)
    expect(silent.roster!.find((r) => r.workstation_id === 'Bay 2')!.live).toBe(false)
    // A longer threshold still counts it live; a state change changes the digest too.
    const patient = await call(m1, 'Bay 1', { p_silent_after_ms: 120_000 })
    expect(patient.roster!.find((r) => r.workstation_id === 'Bay 2')!.live).toBe(true)
    const degraded = await call(m1, 'Bay 1', { p_silent_after_ms: 60_000, p_roster_digest: silent.roster_digest, p_state: 'degraded' })
    expect(degraded.roster_digest).not.toBe(silent.roster_digest)
    expect(degraded.roster).not.toBeNull()
  })

  it('the threshold is bounded: 0 or negative counts as 1 s, a huge one as a day; the default is 3 minutes', async () => {
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '2 seconds' where workstation_id = 'Bay 2'`)
    expect((await call(m1, 'Bay 1', { p_silent_after_ms: 0 })).roster!.find((r) => r.workstation_id === 'Bay 2')!.live).toBe(false)
    expect((await call(m1, 'Bay 1', { p_silent_after_ms: -5 })).roster!.find((r) => r.workstation_id === 'Bay 2')!.live).toBe(false)
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '11 hours' where workstation_id = 'Bay 2'`)
    expect((await call(m1, 'Bay 1', { p_silent_after_ms: 2_000_000_000 })).roster!.find((r) => r.workstation_id === 'Bay 2')!.live).toBe(true)
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '179 seconds' where workstation_id = 'Bay 2'`)
    expect((await call(m1, 'Bay 1')).roster!.find((r) => r.workstation_id === 'Bay 2')!.live).toBe(true)
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '181 seconds' where workstation_id = 'Bay 2'`)
    expect((await call(m1, 'Bay 1')).roster!.find((r) => r.workstation_id === 'Bay 2')!.live).toBe(false)
  })
})

describe('quiet_workstations', () => {
  it('lists workstations silent for more than three minutes, with how long, for the service role', async () => {
    await checkIn(m1, 'Bay quiet')
    await checkIn(m1, 'Bay edge')
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '3 minutes 5 seconds' where workstation_id = 'Bay quiet'`)
    await b.sql.query(`update public.workstation_health set last_seen = now() - interval '2 minutes 55 seconds' where workstation_id = 'Bay edge'`)
    const { data, error } = await serviceClient(b).from('quiet_workstations').select('workstation_id, mechanic_name, state, silent_for')
    expect(error).toBeNull()
    const rows = data as { workstation_id: string; mechanic_name: string; silent_for: string }[]
    const ids = rows.map((r) => r.workstation_id)
    expect(ids).toContain('Bay quiet')
    expect(ids).not.toContain('Bay edge')
    expect(ids).not.toContain('Bay 1')
    expect(rows.find((r) => r.workstation_id === 'Bay quiet')!.mechanic_name).toBe(b.demoUsers[0].name)
  })

  it('is not readable by mechanics or anon', async () => {
    expect((await m1.from('quiet_workstations').select('*')).error?.code).toBe('42501')
    expect((await anonClient(b).from('quiet_workstations').select('*')).status).toBe(401)
  })
})
