// The workstation heartbeat row (public.workstation_health) against the real local backend: the engine upserts
// its own row on a short interval; row-level security keeps every other mechanic away from it; and a project
// without the table (dropped under a live engine) costs one log line and nothing else.
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Backend } from '../backend/index.js'
import { createRequest, engineSuite, sleep, until, waitForEvent, type TestEngine } from './helpers.js'

interface HealthRow {
  workstation_id: string
  mechanic_id: string
  last_seen: Date
  app_version: string | null
  state: string | null
  reason: string | null
  counters: Record<string, unknown>
}

const BEAT_MS = 250
let b: Backend
const { live } = engineSuite({ started: (x) => (b = x) })

/** The row of `workstationId` for `mechanicId` (default: the first demo mechanic, whom live() signs in). */
async function rowOf(workstationId: string, mechanicId = b.demoUsers[0]!.id): Promise<HealthRow | null> {
  const { rows } = await b.sql.query<HealthRow>('select * from public.workstation_health where workstation_id = $1 and mechanic_id = $2', [workstationId, mechanicId])
  return rows[0] ?? null
}

/** The next heartbeat row newer than `after` (the engine's first beat comes 2 s after sign-in, then every BEAT_MS). */
async function nextBeat(workstationId: string, after: number, ms = 6000, mechanicId?: string): Promise<HealthRow> {
  let row: HealthRow | null = null
  await until(async () => {
    row = await rowOf(workstationId, mechanicId)
    return !!row && row.last_seen.getTime() > after
  }, ms, `a heartbeat of ${workstationId} after ${new Date(after).toISOString()}`)
  return row!
}

async function signedInClient(user: { email: string; password: string }): Promise<SupabaseClient> {
  const c = createClient(b.url, b.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never }, // Node 20 has no global WebSocket; this client never opens one
  })
  const { error } = await c.auth.signInWithPassword(user)
  if (error) throw error
  return c
}

function wsId(t: TestEngine): string {
  return t.engine.config.workstationId
}

describe('workstation heartbeat row', () => {
  it('upserts its own row: workstation, signed-in mechanic, advancing last_seen, version, live, counters', async () => {
    const t = await live({ tuning: { workstationHeartbeatMs: BEAT_MS } })
    const me = b.demoUsers[0]!
    const first = await nextBeat(wsId(t), 0)
    const second = await nextBeat(wsId(t), first.last_seen.getTime())
    const third = await nextBeat(wsId(t), second.last_seen.getTime())
    expect(third).toMatchObject({ workstation_id: wsId(t), mechanic_id: me.id, app_version: 'test', state: 'live' })
    expect(third.last_seen.getTime()).toBeGreaterThan(second.last_seen.getTime())
    expect(third.last_seen.getTime() - first.last_seen.getTime()).toBeGreaterThanOrEqual(2 * BEAT_MS - 50)
    expect(Math.abs(third.last_seen.getTime() - Date.now())).toBeLessThan(5000)
    expect(third.counters).toBeTypeOf('object')
    expect(Array.isArray(third.counters)).toBe(false)
    // One row per workstation, upserted, not appended.
    const { rows } = await b.sql.query('select count(*)::int as n from public.workstation_health where workstation_id = $1', [wsId(t)])
    expect(rows[0].n).toBe(1)

    // The counters are the engine's own: a request rung shows up in the next beat.
    const r = await createRequest(b, { name: 'Heartbeat Counter' })
    await until(() => t.sink.rung().includes(r.id), 5000, 'the request to ring')
    const local = t.engine.snapshot().health.counters
    expect(Object.keys(local).length).toBeGreaterThan(0)
    const after = await nextBeat(wsId(t), Date.now())
    for (const [k, v] of Object.entries(local)) if (typeof v === 'number') expect(Number(after.counters[k] ?? 0), k).toBeGreaterThanOrEqual(v)
    expect(t.log.has(/workstation heartbeat failed/)).toBe(false)
  })

  it('row-level security: another mechanic can neither read, overwrite, take over, update nor delete it', async () => {
    const t = await live({ tuning: { workstationHeartbeatMs: BEAT_MS } })
    const owner = b.demoUsers[0]!
    const before = await nextBeat(wsId(t), 0)
    const other = await signedInClient(b.demoUsers[1]!)
    try {
      // Read: not visible, whether asked for by key or listed.
      const byKey = await other.from('workstation_health').select('*').eq('workstation_id', wsId(t))
      expect(byKey.error).toBeNull()
      expect(byKey.data).toEqual([])
      const all = await other.from('workstation_health').select('workstation_id,mechanic_id')
      expect(all.error).toBeNull()
      expect((all.data ?? []).filter((r) => r.mechanic_id !== b.demoUsers[1]!.id)).toEqual([])

      const forged = { workstation_id: wsId(t), last_seen: new Date(Date.now() + 3_600_000).toISOString(), app_version: 'forged', state: 'offline', reason: 'forged', counters: { forged: 1 } }
      // Overwrite by upsert under the owner's key (the existing row is someone else's: ON CONFLICT DO UPDATE is refused).
      const asOwner = await other.from('workstation_health').upsert({ ...forged, mechanic_id: owner.id }, { onConflict: 'workstation_id,mechanic_id' })
      expect(asOwner.error?.code).toBe('42501')
      // Upserting the same workstation as itself writes its own row beside the owner's, never the owner's.
      const asSelf = await other.from('workstation_health').upsert({ ...forged, mechanic_id: b.demoUsers[1]!.id }, { onConflict: 'workstation_id,mechanic_id' })
      expect(asSelf.error).toBeNull()
      // A plain insert of a row for the owner is refused too.
      const planted = await other.from('workstation_health').insert({ ...forged, workstation_id: `${wsId(t)}-planted`, mechanic_id: owner.id })
      expect(planted.error?.code).toBe('42501')
      // Update sees no row of the owner's to touch (only the other mechanic's own row is there for them).
      const upd = await other.from('workstation_health').update({ state: 'offline', reason: 'forged' }).eq('workstation_id', wsId(t)).select('mechanic_id')
      expect(upd.error).toBeNull()
      expect(upd.data).toEqual([{ mechanic_id: b.demoUsers[1]!.id }])
      // Delete is not granted to mechanics at all (a heartbeat only ever upserts).
      const del = await other.from('workstation_health').delete().eq('workstation_id', wsId(t)).eq('mechanic_id', owner.id).select()
      expect(del.error?.code).toBe('42501')
      // Moving one's own row onto the owner is refused by WITH CHECK.
      await other.from('workstation_health').insert({ workstation_id: 'ws-other-own', mechanic_id: b.demoUsers[1]!.id, state: 'live', counters: {} })
      const handOver = await other.from('workstation_health').update({ mechanic_id: owner.id }).eq('workstation_id', 'ws-other-own').select()
      expect(handOver.error?.code).toBe('42501')
    } finally {
      await other.auth.signOut().catch(() => {})
    }

    // Nothing of that reached the owner's row, and the owner's engine keeps beating into it.
    const { rows: beside } = await b.sql.query<HealthRow>('select * from public.workstation_health where workstation_id = $1 order by mechanic_id', [wsId(t)])
    expect(beside.map((r) => [r.mechanic_id, r.app_version])).toEqual([
      [owner.id, 'test'],
      [b.demoUsers[1]!.id, 'forged'],
    ])
    const now = await rowOf(wsId(t))
    expect(now).toMatchObject({ workstation_id: wsId(t), mechanic_id: owner.id, app_version: 'test' })
    expect(now!.app_version).not.toBe('forged')
    expect(now!.last_seen.getTime()).toBeLessThan(Date.now() + 60_000)
    expect(await rowOf(`${wsId(t)}-planted`)).toBeNull()
    const { rows } = await b.sql.query<HealthRow>('select * from public.workstation_health where workstation_id = $1', ['ws-other-own'])
    expect(rows[0]?.mechanic_id).toBe(b.demoUsers[1]!.id)
    const later = await nextBeat(wsId(t), Math.max(before.last_seen.getTime(), now!.last_seen.getTime()))
    expect(later).toMatchObject({ mechanic_id: owner.id, state: 'live', app_version: 'test' })
    expect(t.log.has(/workstation heartbeat failed/)).toBe(false)
  })

  it('a shop workstation changes hands: the next mechanic signed in there keeps heartbeating', async () => {
    const workstationId = `ws-shared-${Date.now()}`
    const first = await live({ tuning: { workstationHeartbeatMs: BEAT_MS }, config: { workstationId } })
    await nextBeat(workstationId, 0)
    await first.stop()
    const second = await live({ user: 1, tuning: { workstationHeartbeatMs: BEAT_MS }, config: { workstationId } })
    const mine = await nextBeat(workstationId, 0, 6000, b.demoUsers[1]!.id)
    await nextBeat(workstationId, mine.last_seen.getTime(), 6000, b.demoUsers[1]!.id)
    expect(mine).toMatchObject({ workstation_id: workstationId, mechanic_id: b.demoUsers[1]!.id, state: 'live' })
    expect(second.log.lines.filter((l) => /workstation heartbeat failed/.test(l)), 'heartbeats refused').toEqual([])
    // The first mechanic's row stays theirs, last seen when they left.
    expect(await rowOf(workstationId)).toMatchObject({ mechanic_id: b.demoUsers[0]!.id })
  })

  // Last in the file: it drops the table from this file's own database.
  it('table dropped under a live engine: one log line, heartbeats off, the engine stays live and keeps ringing', async () => {
    const t = await live({ tuning: { workstationHeartbeatMs: BEAT_MS } })
    await nextBeat(wsId(t), 0)
    const before = await createRequest(b, { name: 'Before Drop' })
    await until(() => t.sink.rung().includes(before.id), 5000, 'the request before the drop to ring')

    await b.sql.query('drop table public.workstation_health cascade')
    const missing = /no workstation_health table on this project; workstation heartbeats are off/
    await until(() => t.log.has(missing), 5000, 'the engine to notice the missing table')
    // Several more intervals: still exactly one line, no per-beat warnings.
    await sleep(BEAT_MS * 6)
    expect(t.log.lines.filter((l) => missing.test(l))).toHaveLength(1)
    expect(t.log.lines.filter((l) => /workstation heartbeat failed/.test(l))).toHaveLength(0)
    expect(t.engine.snapshot().link.state).toBe('live')

    const after = await createRequest(b, { name: 'After Drop' })
    await waitForEvent(t.engine, 'alert', (a) => a.requestId === after.id, 5000, 'the request after the drop to ring', () => t.sink.rung().includes(after.id))
    await until(() => t.sink.rung().includes(after.id), 2000, 'the sink to get it')
    await sleep(BEAT_MS * 2) // every path has delivered it by now: still one ring
    expect(t.sink.rung().filter((id) => id === after.id)).toHaveLength(1)
    expect(t.engine.snapshot().link.state).toBe('live')
    expect(t.engine.snapshot().queue.map((q) => q.requestId)).toEqual(expect.arrayContaining([before.id, after.id]))
    expect(await t.engine.sendHeartbeat()).toBe(false) // off for good: no request is even sent
    expect(t.log.lines.filter((l) => missing.test(l))).toHaveLength(1)
  })
})
