// What a reconcile's find rings, by why the queue was read: after being away (start, resume, network back, a new
// subscription) what it finds "waited while you were offline"; on a periodic or requested read it was "found
// waiting in the queue". A request owed from the last session (never rung) is a backlog whatever the trigger: it
// waited while this workstation was not ringing, so it carries no link latency and is never called "found".
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { QueueSnapshot } from '../../../../src/core/facts.js'
import { T0, harness, queued, settle, type Harness, serverQueue } from '../helpers.js'

let h: Harness
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  h = harness()
})
afterEach(() => {
  h.dispose()
  vi.useRealTimers()
})

type Trigger = QueueSnapshot['trigger']
const snapshot = (ids: string[], trigger: Trigger) => serverQueue(ids, { trigger })

/** queued()'s version is 500 ms before T0. */
const QUEUED_MS_BEFORE_T0 = 500
const away: Trigger[] = ['startup', 'resume', 'network', 'subscribed']
const periodic: Trigger[] = ['timer', 'manual', 'hint']

/** Two requests that never rang last session (paused), restored at a restart after the pause ended. */
async function twoOwedFromLastSession(): Promise<void> {
  h.core.desk.pause({ minutes: 15 })
  h.core.desk.ingest(queued('o1'))
  h.core.desk.ingest(queued('o2'))
  await settle()
  expect(h.alerts()).toEqual([])
  h.core.close()
  vi.setSystemTime(Date.now() + 20 * 60_000)
  h.restart()
  await settle()
  expect(h.core.desk.queue().map((q) => [q.requestId, q.alertCount, q.confirmed])).toEqual([
    ['o1', 0, false],
    ['o2', 0, false],
  ])
}

describe('a reconcile that finds new requests', () => {
  it.each(away)('%s: two or more "waited while you were offline"', async (trigger) => {
    h.core.desk.reconcile(snapshot(['n1', 'n2'], trigger))
    await settle()
    expect(h.alerts()).toEqual([expect.objectContaining({ kind: 'summary', title: '2 requests waited while you were offline', summaryOf: ['n1', 'n2'], latencyMs: null })])
  })

  it.each(periodic)('%s: two or more "found waiting in the queue"', async (trigger) => {
    h.core.desk.reconcile(snapshot(['n1', 'n2'], trigger))
    await settle()
    expect(h.alerts()).toEqual([expect.objectContaining({ kind: 'summary', title: '2 requests found waiting in the queue', summaryOf: ['n1', 'n2'], latencyMs: null })])
  })

  it('startup: a single one rings on its own as a backlog, without link latency', async () => {
    vi.advanceTimersByTime(700)
    h.core.desk.reconcile(snapshot(['n1'], 'startup'))
    await settle()
    expect(h.alerts()).toEqual([expect.objectContaining({ kind: 'request', requestId: 'n1', latencyMs: null })])
    expect(h.core.health.summary().latencyMs.count).toBe(0)
  })

  it.each([...away.filter((t) => t !== 'startup'), ...periodic])('%s: a single one rings on its own with the time since it was queued', async (trigger) => {
    vi.advanceTimersByTime(700)
    h.core.desk.reconcile(snapshot(['n1'], trigger))
    await settle()
    expect(h.alerts()).toEqual([expect.objectContaining({ kind: 'request', requestId: 'n1', latencyMs: QUEUED_MS_BEFORE_T0 + 700 })])
  })
})

describe('a reconcile that confirms requests owed from the last session', () => {
  it.each(periodic)('%s: a single owed one rings as a backlog, without link latency', async (trigger) => {
    await twoOwedFromLastSession()
    h.core.desk.reconcile(snapshot(['o1'], trigger)) // o2 is gone from the server: removed without a ring
    await settle()
    expect(h.alerts()).toEqual([expect.objectContaining({ kind: 'request', requestId: 'o1', latencyMs: null })])
    expect(h.core.health.summary().latencyMs.count).toBe(0)
  })

  it.each(periodic)('%s: owed ones, with a new one, "waited while you were offline"', async (trigger) => {
    await twoOwedFromLastSession()
    h.core.desk.reconcile(snapshot(['o1', 'o2', 'n1'], trigger))
    await settle()
    expect(h.alerts()).toEqual([expect.objectContaining({ kind: 'summary', title: '3 requests waited while you were offline', latencyMs: null })])
    expect(h.alerts()[0]!.summaryOf!.slice().sort()).toEqual(['n1', 'o1', 'o2'])
  })

  it('an owed one the same reconcile finds gone is not rung', async () => {
    await twoOwedFromLastSession()
    h.core.desk.reconcile(snapshot([], 'timer'))
    await settle()
    expect(h.alerts()).toEqual([])
    expect(h.core.desk.queue()).toEqual([])
  })
})

describe('live events that confirm requests owed from the last session', () => {
  it('each confirmed by its own event rings once, as a backlog without link latency', async () => {
    await twoOwedFromLastSession()
    vi.advanceTimersByTime(300)
    expect(h.core.desk.ingest(queued('o1', { source: 'db-broadcast' })).outcome).toBe('duplicate')
    expect(h.core.desk.ingest(queued('o2', { source: 'postgres_changes' })).outcome).toBe('duplicate')
    await settle()
    expect(h.alerts().map((a) => [a.kind, a.requestId, a.latencyMs])).toEqual([
      ['request', 'o1', null],
      ['request', 'o2', null],
    ])
    expect(h.core.health.summary().latencyMs.count).toBe(0)
  })

  it('an owed one confirmed together with a new live one: the owed one as a backlog, the new one live', async () => {
    await twoOwedFromLastSession()
    vi.advanceTimersByTime(300)
    h.core.desk.ingest(queued('o1', { source: 'db-broadcast' }))
    h.core.desk.ingest(queued('n1', { source: 'db-broadcast', commitTs: new Date(Date.now() - 40).toISOString() }))
    await settle()
    expect(h.alerts().map((a) => [a.kind, a.requestId, a.latencyMs])).toEqual([
      ['request', 'o1', null],
      ['request', 'n1', 40],
    ])
  })
})

describe('a reconcile while live requests are held in the burst window', () => {
  /** Five live requests at once: three ring, two are held for the window's summary. */
  async function burstWithTwoHeld(): Promise<void> {
    for (const id of ['a', 'b', 'c', 'd', 'e']) h.core.desk.ingest(queued(id))
    await settle()
    expect(h.alerts().map((a) => a.requestId)).toEqual(['a', 'b', 'c'])
  }

  it('that finds nothing new rings the held ones at once, as the live summary they would have been', async () => {
    await burstWithTwoHeld()
    h.core.desk.reconcile(snapshot(['a', 'b', 'c', 'd', 'e'], 'timer'))
    await settle()
    expect(h.alerts().slice(3)).toEqual([expect.objectContaining({ kind: 'summary', title: '2 new requests', summaryOf: ['d', 'e'] })])
    await vi.advanceTimersByTimeAsync(5000)
    expect(h.alerts()).toHaveLength(4)
  })

  it('that finds a new one rings it in one summary with the held ones', async () => {
    await burstWithTwoHeld()
    h.core.desk.reconcile(snapshot(['a', 'b', 'c', 'd', 'e', 'n1'], 'timer'))
    await settle()
    expect(h.alerts().slice(3)).toEqual([expect.objectContaining({ kind: 'summary', title: '3 requests found waiting in the queue' })])
    expect(h.alerts()[3]!.summaryOf!.slice().sort()).toEqual(['d', 'e', 'n1'])
    await vi.advanceTimersByTimeAsync(5000)
    expect(h.alerts()).toHaveLength(4)
  })

  it('that finds nothing new and holds nothing rings nothing', async () => {
    h.core.desk.ingest(queued('a'))
    await settle()
    h.core.desk.reconcile(snapshot(['a'], 'timer'))
    await vi.advanceTimersByTimeAsync(5000)
    expect(h.alerts().map((a) => a.requestId)).toEqual(['a'])
  })
})
