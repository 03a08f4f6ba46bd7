// When the request desk tells its listeners (queue window, tray, wallboard, headless) that the queue changed, and
// what else follows a commit: one queue event per task however many rows changed, none when nothing did, one after
// every change a listener must show (a repeat's count, details filled in); no silent update for a request that
// already rang with its details; and after stop() nothing, even for a commit that lands later. Flags reach their
// listeners; a listener that unsubscribed hears nothing more.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_FLAGS, type FeatureFlags, type QueueItem } from '../../../../src/shared/types.js'
import type { RetractEvent } from '../../../../src/core/ports.js'
import { T0, details, harness, queued, rejected, removed, settle, type Harness, serverQueue } from '../helpers.js'

let h: Harness
let events: QueueItem[][]
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  h = harness()
  events = []
  h.core.desk.on('queue', (q) => events.push(q))
})
afterEach(() => {
  h.dispose()
  vi.useRealTimers()
})

const snapshot = serverQueue

describe('queue events', () => {
  it('many changes in one task: one event, with all of them', async () => {
    await settle()
    events.length = 0
    for (const id of ['a', 'b', 'c']) h.core.desk.ingest(queued(id))
    h.core.desk.acknowledge('a')
    await settle()
    expect(events).toHaveLength(1)
    expect(events[0]!.map((q) => [q.requestId, q.acknowledged])).toEqual([
      ['a', true],
      ['b', false],
      ['c', false],
    ])
  })

  it('a duplicate, a rejected event, details for an unknown request, a reconcile that changes nothing: no event', async () => {
    h.core.desk.ingest(queued('a'))
    await settle()
    events.length = 0
    h.core.desk.ingest(queued('a', { source: 'broadcast' }))
    h.core.desk.ingest(rejected('bad payload'))
    h.core.desk.ingest(details('nobody'))
    h.core.desk.reconcile(snapshot(['a']))
    await vi.advanceTimersByTimeAsync(0)
    expect(events).toEqual([])
  })

  it('with restored requests unconfirmed, an event that confirms none of them: no event', async () => {
    h.core.desk.ingest(queued('a'))
    await settle()
    h.restart()
    h.core.desk.on('queue', (q) => events.push(q))
    await settle()
    events.length = 0
    // The legacy public topic is not the server: it confirms nothing.
    expect(h.core.desk.ingest(queued('a', { source: 'broadcast' })).outcome).toBe('duplicate')
    await settle()
    expect(events).toEqual([])
  })

  it('a repeat: an event with the new count', async () => {
    h.restart({ repeatIntervalMs: 60_000 })
    h.core.desk.on('queue', (q) => events.push(q))
    h.core.desk.ingest(queued('a'))
    await settle()
    events.length = 0
    await vi.advanceTimersByTimeAsync(60_000)
    expect(h.alerts().map((a) => a.kind)).toEqual(['request', 'repeat'])
    expect(events.map((q) => q.map((i) => i.alertCount))).toEqual([[2]])
  })

  it('details filled in by a later queued event: an event with the full details', async () => {
    h.core.desk.ingest(queued('a', { details: null }))
    await settle()
    events.length = 0
    expect(h.core.desk.ingest(queued('a', { source: 'db-broadcast' })).outcome).toBe('enriched')
    await settle()
    expect(events.map((q) => q.map((i) => i.detail))).toEqual([['full']])
  })
})

describe('listeners', () => {
  it('new flags reach the flags listeners', () => {
    const flags: FeatureFlags[] = []
    h.core.desk.on('flags', (f) => flags.push(f))
    h.core.desk.setFlags({ ...DEFAULT_FLAGS, mech_audio_alerts: false })
    expect(flags).toEqual([{ ...DEFAULT_FLAGS, mech_audio_alerts: false }])
  })

  it('a listener that unsubscribed hears nothing more; the others still do', async () => {
    const first: string[] = []
    const second: string[] = []
    const off = h.core.desk.on('alert', (a) => first.push(a.requestId!))
    h.core.desk.on('alert', (a) => second.push(a.requestId!))
    h.core.desk.ingest(queued('a'))
    await settle()
    off()
    h.core.desk.ingest(queued('b'))
    await settle()
    expect(first).toEqual(['a'])
    expect(second).toEqual(['a', 'b'])
  })
})

describe('silent updates', () => {
  it('a request that rang with its details gets no update when a later event only fills in its version', async () => {
    h.core.desk.ingest(queued('a', { queuedAt: null }))
    await settle()
    expect(h.alerts()).toEqual([expect.objectContaining({ requestId: 'a', detail: 'full' })])
    h.core.desk.ingest(queued('a'))
    await settle()
    expect(h.core.desk.queue()[0]!.key).toBe('a@2026-03-02T08:59:59.500000Z')
    for (const s of Object.values(h.sinks)) expect(s.updates).toEqual([])
  })
})

describe('a commit that lands after stop()', () => {
  it('retracts, lists and rings nothing', async () => {
    h.core.desk.ingest(queued('a'))
    await settle()
    events.length = 0
    const retracts: RetractEvent[] = []
    h.core.desk.on('retract', (e) => retracts.push(e))
    h.core.desk.ingest(removed('a'))
    h.core.desk.ingest(queued('b'))
    h.core.desk.stop()
    h.core.store.commitGroup()
    await settle()
    expect(retracts).toEqual([])
    expect(events).toEqual([])
    expect(h.sinks.notification.retracts).toEqual([])
    expect(h.alerts().map((a) => a.requestId)).toEqual(['a'])
  })
})

describe('held burst alerts', () => {
  /** Five live requests at once: three ring, two are held for the window's summary. */
  async function burstWithTwoHeld(): Promise<void> {
    for (const id of ['a', 'b', 'c', 'd', 'e']) h.core.desk.ingest(queued(id, { commitTs: new Date(T0 - 200).toISOString() }))
    await settle()
    expect(h.alerts().map((a) => a.requestId)).toEqual(['a', 'b', 'c'])
  }

  it('rung early by a reconcile keep their link latency (the slowest of them)', async () => {
    await burstWithTwoHeld()
    vi.advanceTimersByTime(100)
    h.core.desk.reconcile(snapshot(['a', 'b', 'c', 'd', 'e']))
    await settle()
    expect(h.alerts().slice(3)).toEqual([expect.objectContaining({ kind: 'summary', summaryOf: ['d', 'e'], latencyMs: 300 })])
  })

  it('keep their window when a live event confirms a restored request that already rang', async () => {
    h.core.desk.ingest(queued('rung'))
    await settle()
    h.core.close()
    vi.setSystemTime(Date.now() + 5000)
    h.restart()
    await burstWithTwoHeld()
    h.core.desk.ingest(queued('rung', { source: 'db-broadcast' }))
    await settle()
    expect(h.alerts()).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1000)
    expect(h.alerts().slice(3)).toEqual([expect.objectContaining({ kind: 'summary', title: '2 new requests', summaryOf: ['d', 'e'] })])
  })

  it('ring with a request owed from the last session when a live event confirms it', async () => {
    h.core.desk.pause({ minutes: 15 })
    h.core.desk.ingest(queued('owed'))
    await settle()
    h.core.close()
    vi.setSystemTime(Date.now() + 20 * 60_000)
    h.restart()
    await burstWithTwoHeld()
    h.core.desk.ingest(queued('owed', { source: 'db-broadcast' }))
    await settle()
    expect(h.alerts().slice(3)).toEqual([expect.objectContaining({ kind: 'summary', title: '3 requests waited while BayAlert was not ringing', latencyMs: null })])
    expect(h.alerts()[3]!.summaryOf!.slice().sort()).toEqual(['d', 'e', 'owed'])
  })
})
