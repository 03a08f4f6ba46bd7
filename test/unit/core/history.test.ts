// The History view's record, through the real desk and a real SQLite file: each request seen is kept with the path
// that brought it, its first ring and that ring's latency, what every sink did with its rings, its acknowledgement,
// how it ended and who took it — for a day, across a restart, and a ring inside a burst is matched to the summary.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { HistoryRecorder, HISTORY_WINDOW_MS } from '../../../src/core/history/history-recorder.js'
import { HistoryTable } from '../../../src/core/store/history-table.js'
import { makeItem } from '../../mocks/fake-engine.js'
import { T0, harness, queued, removed, type Harness } from './helpers.js'

const U = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`
const MIN = 60_000

let h: Harness
let rec: HistoryRecorder
let counts: Record<string, number>

function wire(): HistoryRecorder {
  counts = {}
  const { store, desk } = h.core
  const r = new HistoryRecorder(store.prepareTable((connection) => new HistoryTable(connection)), { now: () => Date.now() }, h.log, (k) => (counts[k] = (counts[k] ?? 0) + 1))
  desk.on('queue', (items) => r.queue(items))
  desk.on('alert', (a) => r.alert(a))
  desk.on('retract', (x) => r.retract(x.requestId, x.why, x.takenBy ?? null))
  return r
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  h = harness({ burstWindowMs: 1000 })
  rec = wire()
})
afterEach(() => {
  h.dispose()
  vi.useRealTimers()
})

const byId = (id: string) => rec.list().find((e) => e.requestId === id)

describe('history', () => {
  it('a request that rang: its source, first ring, latency from the server commit, and each sink that showed it', async () => {
    const commitTs = new Date(T0 - 250).toISOString()
    h.core.desk.ingest(queued(U(1), { source: 'db-broadcast', commitTs, details: { customerName: 'Maria Gonzalez', vehicle: null, concern: null, sessionType: null } }))
    await vi.advanceTimersByTimeAsync(10)
    const e = byId(U(1))!
    expect(e).toMatchObject({ customerName: 'Maria Gonzalez', source: 'db-broadcast', alertedAt: T0, alertKind: 'request', latencyMs: 250, ended: null, takenBy: null, takenByMe: false })
    expect(e.sinks.map((s) => s.sink).sort()).toEqual(['attention', 'in-app', 'notify', 'sound', 'terminal'])
    expect(e.sinks.every((s) => s.ok === 1 && s.failed === 0 && s.skipped === 0)).toBe(true)
  })

  it('repeats count as more rings for each sink; a failing sink is counted as failed', async () => {
    h.restart({ repeatIntervalMs: MIN, repeatMaxCount: 2 })
    h.sinks.notification.alert = () => {
      throw new Error('no notification server')
    }
    rec = wire()
    h.core.desk.ingest(queued(U(2)))
    await vi.advanceTimersByTimeAsync(3 * MIN)
    const sinks = Object.fromEntries(byId(U(2))!.sinks.map((s) => [s.sink, s]))
    expect(sinks['in-app']).toMatchObject({ ok: 3, failed: 0 })
    expect(sinks.notify).toMatchObject({ ok: 0, failed: 3 })
  })

  it('a request that arrived while alerts were paused is kept, with no ring and no latency', async () => {
    h.core.desk.pause({ minutes: 15 })
    h.core.desk.ingest(queued(U(3), { source: 'reconcile' }))
    await vi.advanceTimersByTimeAsync(10)
    expect(byId(U(3))).toMatchObject({ source: 'reconcile', alertedAt: null, latencyMs: null, sinks: [] })
  })

  it('requests in one burst are each recorded as part of the summary ring, with its sink results', async () => {
    for (const n of [10, 11, 12, 13, 14]) h.core.desk.ingest(queued(U(n)))
    await vi.advanceTimersByTimeAsync(2000)
    const summaries = [10, 11, 12, 13, 14].map((n) => byId(U(n))!).filter((e) => e.alertKind === 'summary')
    expect(summaries.length).toBeGreaterThan(0)
    for (const e of summaries) expect(e.sinks.find((s) => s.sink === 'in-app')).toMatchObject({ ok: 1 })
  })

  it('how it ended: taken, cancelled, or removed when no reason came; acknowledged is noted but not an end', async () => {
    for (const n of [20, 21, 22]) h.core.desk.ingest(queued(U(n)))
    await vi.advanceTimersByTimeAsync(2000)
    h.core.desk.acknowledge(U(22))
    h.core.desk.ingest(removed(U(20), { reason: 'accepted', status: 'accepted' }))
    h.core.desk.ingest(removed(U(21), { reason: 'cancelled', status: 'cancelled' }))
    await vi.advanceTimersByTimeAsync(10)
    expect(byId(U(20))).toMatchObject({ ended: 'taken' })
    expect(byId(U(21))).toMatchObject({ ended: 'cancelled' })
    expect(byId(U(22))).toMatchObject({ ended: null, acknowledgedAt: T0 + 2000 })
    // Gone at a reconcile that did not list it.
    h.core.desk.reconcile({ trigger: 'manual', requests: [], startedAt: Date.now() })
    await vi.advanceTimersByTimeAsync(10)
    expect(byId(U(22))!.ended).toBe('removed')
    expect(byId(U(22))!.endedAt).not.toBeNull()
  })

  it('who took it: this workstation ("mine"), or the mechanic a claim lost to', async () => {
    for (const n of [30, 31]) h.core.desk.ingest(queued(U(n)))
    await vi.advanceTimersByTimeAsync(2000)
    rec.claimed(U(30), true, null)
    rec.claimed(U(31), false, 'Ana')
    expect(byId(U(30))).toMatchObject({ takenByMe: true, takenBy: null, ended: 'taken' })
    expect(byId(U(31))).toMatchObject({ takenByMe: false, takenBy: 'Ana', ended: 'taken' })
  })

  it('a claim lost to another mechanic after the queue saw the request leave with no reason: taken, not removed', async () => {
    h.core.desk.ingest(queued(U(32)))
    await vi.advanceTimersByTimeAsync(2000)
    h.core.desk.reconcile({ trigger: 'manual', requests: [], startedAt: Date.now() })
    await vi.advanceTimersByTimeAsync(10)
    expect(byId(U(32))!.ended).toBe('removed')
    rec.claimed(U(32), false, null)
    expect(byId(U(32))).toMatchObject({ ended: 'taken', takenBy: null, takenByMe: false })
    // The desk's own word for it, arriving later, says less and does not replace it.
    rec.retract(U(32), 'removed')
    expect(byId(U(32))!.ended).toBe('taken')
    rec.retract(U(32), 'cancelled')
    expect(byId(U(32))!.ended).toBe('cancelled')
  })

  it("another mechanic's take named by the server's retract: history says who, never over this workstation's own claim", async () => {
    h.core.desk.ingest(queued(U(50)))
    h.core.desk.ingest(queued(U(51)))
    await vi.advanceTimersByTimeAsync(2000)
    rec.retract(U(50), 'taken', 'Sam Okafor')
    expect(byId(U(50))).toMatchObject({ ended: 'taken', takenBy: 'Sam Okafor', takenByMe: false })
    rec.claimed(U(51), true, null)
    rec.retract(U(51), 'taken', 'Somebody Else')
    expect(byId(U(51))).toMatchObject({ ended: 'taken', takenBy: null, takenByMe: true })
    rec.retract(U(50), 'taken', 'A Later Name')
    expect(byId(U(50))!.takenBy).toBe('Sam Okafor')
  })

  it('a name that arrives after the first ring is written', async () => {
    h.core.desk.ingest(queued(U(40), { details: null }))
    await vi.advanceTimersByTimeAsync(10)
    expect(byId(U(40))!.customerName).toBeNull()
    h.core.desk.ingest({ kind: 'details', source: 'postgres_changes', eventId: 'd-40', commitTs: null, receivedAt: Date.now(), requestId: U(40), details: { customerName: 'Late Name', vehicle: null, concern: null, sessionType: null } })
    await vi.advanceTimersByTimeAsync(10)
    expect(byId(U(40))!.customerName).toBe('Late Name')
  })

  it('newest first; survives a restart; older than a day is gone', async () => {
    h.core.desk.ingest(queued(U(50)))
    await vi.advanceTimersByTimeAsync(MIN)
    h.core.desk.ingest(queued(U(51)))
    await vi.advanceTimersByTimeAsync(10)
    expect(rec.list().map((e) => e.requestId)).toEqual([U(51), U(50)])
    h.restart()
    rec = wire()
    expect(rec.list().map((e) => e.requestId)).toEqual([U(51), U(50)])
    vi.setSystemTime(T0 + HISTORY_WINDOW_MS + 1)
    expect(rec.list().map((e) => e.requestId)).toEqual([U(51)]) // U(50) was seen at T0, now a day and 1 ms ago
  })

  it('the queue alone tells it: a request that leaves with no reason given ended as removed', () => {
    const item = makeItem({ requestId: U(70), details: { customerName: 'Omar Haddad', vehicle: null, concern: null, sessionType: null } })
    rec.queue([item])
    rec.queue([item])
    expect(byId(U(70))).toMatchObject({ ended: null, endedAt: null, customerName: 'Omar Haddad' })
    rec.queue([])
    expect(byId(U(70))).toMatchObject({ ended: 'removed', endedAt: T0 })
  })

  it('a later queue listing without the name does not erase it, and one still listed keeps a known end', () => {
    const named = makeItem({ requestId: U(71), details: { customerName: 'Omar Haddad', vehicle: null, concern: null, sessionType: null } })
    rec.queue([named])
    rec.queue([{ ...named, details: { ...named.details, customerName: null } }])
    expect(byId(U(71))!.customerName).toBe('Omar Haddad')
    // Taken by someone else while the queue has not caught up yet: the next listing does not make it waiting again.
    rec.claimed(U(71), false, 'Ana')
    rec.queue([named])
    expect(byId(U(71))).toMatchObject({ ended: 'taken', takenBy: 'Ana' })
  })

  it('rows older than a day are deleted when the store opens, not only hidden', async () => {
    h.core.desk.ingest(queued(U(72)))
    await vi.advanceTimersByTimeAsync(10)
    const count = () => h.core.store.prepareTable((db) => (db().prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n)
    expect(count()).toBe(1)
    vi.setSystemTime(T0 + HISTORY_WINDOW_MS - 1000)
    wire()
    expect(count()).toBe(1)
    vi.setSystemTime(T0 + HISTORY_WINDOW_MS + 1000)
    wire()
    expect(count()).toBe(0)
  })

  it('a write that fails is logged and counted, and nothing is thrown into the desk', async () => {
    const broken = new HistoryRecorder(
      { seen: () => { throw new Error('disk I/O error') }, prune: () => 0, batch: (fn: () => void) => fn() } as unknown as HistoryTable,
      { now: () => Date.now() },
      h.log,
      (k) => (counts[k] = (counts[k] ?? 0) + 1),
    )
    expect(() => broken.queue([makeItem({ requestId: U(60) })])).not.toThrow()
    expect(counts['history:error']).toBe(1)
    expect(h.log.errors().some((l) => /history: could not record \(queue\)/.test(l.msg) && l.fields?.cause === 'disk I/O error')).toBe(true)
  })

  it('a summary ring records its requests in one transaction: a write failing part-way leaves none half-recorded', () => {
    const table = h.core.store.prepareTable((connection) => new HistoryTable(connection))
    let writes = 0
    const alerted = table.alerted.bind(table)
    table.alerted = (...a: Parameters<HistoryTable['alerted']>) => {
      if (++writes === 3) throw new Error('disk I/O error')
      alerted(...a)
    }
    const failures: string[] = []
    const r = new HistoryRecorder(table, { now: () => T0 }, h.log, (k) => failures.push(k))
    const items = [1, 2, 3, 4].map((n) => makeItem({ requestId: U(100 + n), key: `k${n}` }))
    r.alert({ kind: 'summary', title: '4 requests', body: '', detail: 'basic', items, latencyMs: null })
    expect(failures).toEqual(['history:error'])
    expect(items.map((i) => r.list().find((e) => e.requestId === i.requestId))).toEqual([undefined, undefined, undefined, undefined])
  })
})
