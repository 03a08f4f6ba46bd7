// tuning.paths: each delivery path can be switched off (the bench measures each alone). Default: all on.
import { describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { Feed, type DeliveryPaths } from '../../../src/core/feed/feed.js'
import { TimerRegistry } from '../../../src/core/link/timers.js'
import type { QueueSnapshot, RequestFact } from '../../../src/core/facts.js'
import type { Logger } from '../../../src/core/ports.js'
import { DEFAULT_FLAGS } from '../../../src/shared/types.js'

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }

const R9 = '00000000-0000-4000-8000-000000000009'
/** A stable uuid per label (the parsers accept uuids only). */
const uuidOf = (label: string) => {
  const hex = Buffer.from(label).toString('hex').padEnd(12, '0').slice(0, 12)
  return `00000000-0000-4000-8000-${hex}`
}

const row = (id: string) => ({
  id,
  session_id: null,
  status: 'queued',
  queued_at: '2026-01-01T10:00:00.000001+00:00',
  customer_name: `Name ${id}`,
  concern: 'c',
  vehicle_make: 'Ford',
  vehicle_model: 'Ka',
  vehicle_year: 2001,
})

function setup(paths?: Partial<DeliveryPaths>) {
  const listeners: Record<string, (...a: unknown[]) => void> = {}
  const link = { on: (e: string, fn: (...a: unknown[]) => void) => ((listeners[e] = fn), () => {}) }
  const ingested: RequestFact[] = []
  const snapshots: QueueSnapshot[] = []
  const rpcs: string[] = []
  const tables: string[] = []
  const answer = (data: unknown) => {
    const b = { retry: () => b, abortSignal: () => b, then: (ok: (v: unknown) => unknown) => Promise.resolve({ data, error: null, status: 200 }).then(ok) }
    return b
  }
  const client = {
    rpc: (name: string, a: Record<string, unknown>) => {
      rpcs.push(name)
      if (name === 'queued_requests_page') return answer([row(R9)])
      return answer(((a.p_ids as string[]) ?? []).map(row))
    },
    from: (t: string) => ({ select: () => (tables.push(t), answer([])) }),
  } as unknown as SupabaseClient
  const desk = {
    ingest: (f: RequestFact) => (ingested.push(f), { outcome: 'alerted', reason: null, key: null }),
    reconcile: (s: QueueSnapshot) => snapshots.push(s),
    flags: () => ({ ...DEFAULT_FLAGS }),
    setFlags: () => {},
  }
  const timers = new TimerRegistry()
  const feed = new Feed({
    link: link as never,
    client,
    desk: desk as never,
    store: { getQueueRow: () => undefined } as never,
    health: { recordFetch() {}, count() {} } as never,
    log: quiet,
    clock: { now: () => Date.now() },
    timers,
    paths,
    onProblem: () => {},
  })
  const now = Date.now()
  const deliverAll = (id: string) => {
    listeners.broadcast!('broadcast', { event: 'new_request', payload: { request: row(uuidOf(`${id}-legacy`)) } }, now)
    listeners.broadcast!('db-broadcast', { event: 'new_request', payload: { request: row(uuidOf(`${id}-db`)) }, meta: { id: 'm' } }, now)
    listeners.postgresChange!('session_assignments', { table: 'session_assignments', eventType: 'INSERT', new: { id: uuidOf(`${id}-pg`), status: 'queued' }, old: {}, errors: null, commit_timestamp: null }, now)
  }
  const done = async () => {
    await feed.idle()
    feed.stop()
    timers.closeAll()
  }
  return { feed, listeners, ingested, snapshots, rpcs, tables, deliverAll, done }
}

describe('delivery paths', () => {
  it('all on by default: the trusted sources reach the desk, the public topic is a hint, and enable() reconciles', async () => {
    const t = setup()
    t.feed.enable('startup')
    t.deliverAll('a')
    await t.feed.idle()
    expect(t.ingested.map((f) => f.source).sort()).toEqual(['db-broadcast', 'postgres_changes'])
    expect(t.feed.hints.stats.hints).toBe(1)
    expect(t.snapshots.map((s) => s.trigger)).toEqual(['startup'])
    await t.done()
  })

  it('each path alone: only its facts reach the desk; the public topic alone only hints', async () => {
    const alone: [keyof DeliveryPaths, string[], number][] = [
      ['broadcast', [], 1],
      ['dbBroadcast', ['db-broadcast'], 0],
      ['postgresChanges', ['postgres_changes'], 0],
    ]
    for (const [path, sources, hints] of alone) {
      const t = setup({ broadcast: false, dbBroadcast: false, postgresChanges: false, reconcile: false, [path]: true })
      t.feed.enable('startup')
      t.deliverAll('a')
      await t.feed.idle()
      expect(t.ingested.map((f) => f.source)).toEqual(sources)
      expect(t.feed.hints.stats.hints).toBe(hints)
      expect(t.snapshots).toEqual([])
      expect(t.rpcs).not.toContain('queued_requests_page')
      await t.done()
    }
  })

  it('reconcile off: no queue reads on any trigger, but the flags are still read once', async () => {
    const t = setup({ reconcile: false })
    t.feed.enable('startup')
    t.feed.reconcile('manual')
    t.listeners.confirmed!('subscribed')
    await t.feed.idle()
    expect(t.rpcs).not.toContain('queued_requests_page')
    expect(t.snapshots).toEqual([])
    expect(t.tables).toEqual(['feature_flags'])
    await t.done()
  })

  it('reconcile alone: live events are ignored, a triggered reconcile brings the request', async () => {
    const t = setup({ broadcast: false, dbBroadcast: false, postgresChanges: false })
    t.feed.enable('startup')
    await t.feed.idle()
    t.deliverAll('a')
    t.feed.reconcile('manual')
    await t.feed.idle()
    expect(t.ingested).toEqual([])
    expect(t.snapshots.map((s) => [s.trigger, s.requests.map((r) => r.requestId)])).toEqual([
      ['startup', [R9]],
      ['manual', [R9]],
    ])
    await t.done()
  })
})
