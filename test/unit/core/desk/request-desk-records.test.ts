// What the request desk writes down for doctor, the logs and the health counters: each fact's outcome and reason in
// the event log, a reconcile's removals (event and tombstone), the counters of a reconcile, and the cause of a
// failure — with the stack, and whatever was thrown.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { T0, details, harness, queued, removed, settle, type Harness, serverQueue } from '../helpers.js'

let h: Harness
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  h = harness()
})
afterEach(() => {
  vi.restoreAllMocks()
  h.dispose()
  vi.useRealTimers()
})

const snapshot = serverQueue
const lastEvent = () => h.core.store.recentEvents(1)[0]!
const counters = (prefix: string) => Object.fromEntries(Object.entries(h.core.health.summary().counters).filter(([k]) => k.startsWith(prefix)))

describe('the event log', () => {
  it('details for a request not in the queue: stale, and why', () => {
    expect(h.core.desk.ingest(details('nobody'))).toEqual({ outcome: 'stale', reason: 'request is not in the queue', key: null })
    expect(lastEvent()).toMatchObject({ kind: 'details', requestId: 'nobody', outcome: 'stale', reason: 'request is not in the queue' })
  })

  it('a removal of a request never seen: tombstoned under an unknown version, and said so; a second one is a duplicate', () => {
    expect(h.core.desk.ingest(removed('r1', { reason: 'cancelled' }))).toEqual({ outcome: 'removed', reason: 'cancelled; was not in the local queue (tombstoned)', key: 'r1@' })
    expect(h.core.store.tombstonesFor('r1')).toEqual([expect.objectContaining({ key: 'r1@', queuedAt: null, reason: 'cancelled' })])
    expect(h.core.desk.ingest(removed('r1'))).toMatchObject({ outcome: 'duplicate', reason: 'already removed' })
  })

  it('a re-queue (a newer version after a removal) is recorded as such', async () => {
    h.core.desk.ingest(queued('r1'))
    h.core.desk.ingest(queued('r1', { queuedAt: '2026-03-02T09:00:05Z' }))
    expect(lastEvent()).toMatchObject({ outcome: 'alerted', reason: 're-queued' })
    await settle()
  })

  it('a re-queue while paused is recorded silent, with why and that it was a re-queue', async () => {
    h.core.desk.ingest(queued('r1'))
    await settle()
    h.core.desk.pause({ indefinite: true })
    expect(h.core.desk.ingest(queued('r1', { queuedAt: '2026-03-02T09:00:05Z' }))).toMatchObject({ outcome: 'enqueued-silent', reason: 'paused; re-queued' })
  })

  it("a reconcile's removal: a 'retracted' event of source reconcile naming the trigger, and a tombstone with it", async () => {
    h.core.desk.ingest(queued('gone'))
    await settle()
    vi.advanceTimersByTime(10)
    const startedAt = Date.now()
    h.core.desk.reconcile(snapshot([], { trigger: 'resume', startedAt }))
    expect(lastEvent()).toEqual({
      receivedAt: startedAt,
      source: 'reconcile',
      eventId: `reconcile:${startedAt}:gone`,
      kind: 'removed',
      requestId: 'gone',
      dedupKey: 'gone@2026-03-02T08:59:59.500000Z',
      outcome: 'retracted',
      reason: "not in the server's queue (resume)",
    })
    expect(h.core.store.tombstonesFor('gone')).toEqual([expect.objectContaining({ key: 'gone@2026-03-02T08:59:59.500000Z', reason: 'reconcile (resume)', removedAt: startedAt })])
  })
})

describe("a reconcile's counters", () => {
  it("one per request read, by outcome, and one per removal — nothing else", async () => {
    h.core.desk.ingest(queued('known'))
    h.core.desk.ingest(queued('basic', { details: null }))
    h.core.desk.ingest(queued('gone'))
    await settle()
    const before = counters('reconcile:')
    expect(before).toEqual({})
    const r = h.core.desk.reconcile(snapshot(['known', 'basic', 'new']))
    expect(r).toEqual({ added: ['new'], removed: ['gone'], unchanged: 1, enriched: 1 })
    expect(counters('reconcile:')).toEqual({ 'reconcile:duplicate': 1, 'reconcile:enriched': 1, 'reconcile:alerted': 1, 'reconcile:retracted': 1 })
  })

  it('a paused reconcile adds silently and counts it so', () => {
    h.core.desk.pause({ minutes: 15 })
    expect(h.core.desk.reconcile(snapshot(['n1'])).added).toEqual(['n1'])
    expect(counters('reconcile:')).toEqual({ 'reconcile:enqueued-silent': 1 })
  })
})

describe('a reconcile whose group commit fails after it was decided', () => {
  it('rings and retracts nothing, logs that the next reconcile restores the queue, and counts an error', async () => {
    h.core.desk.ingest(queued('gone'))
    await settle()
    const rung = h.alerts().length
    vi.spyOn(h.core.store, 'transactionInGroup').mockImplementationOnce((fn, after) => {
      const r = fn()
      after(false)
      return r
    })
    h.core.desk.reconcile(snapshot(['n1', 'n2']))
    await vi.advanceTimersByTimeAsync(5000)
    expect(h.alerts()).toHaveLength(rung)
    expect(h.sinks.notification.retracts).toEqual([])
    expect(h.log.errors().map((l) => [l.msg, l.fields])).toContainEqual([
      'desk: a reconcile was decided but its transaction did not commit; the next reconcile restores the queue',
      { source: 'reconcile' },
    ])
    expect(h.core.health.summary().counters['reconcile:error']).toBe(1)
  })
})

describe('causes of failures', () => {
  it("a fact the store fails on: the error's message as the reason, its stack and source in the log", () => {
    vi.spyOn(h.core.store, 'transactionInGroup').mockImplementationOnce(() => {
      throw new Error('SQLITE_IOERR: disk I/O error')
    })
    expect(h.core.desk.ingest(queued('r1'))).toEqual({ outcome: 'error', reason: 'SQLITE_IOERR: disk I/O error', key: null })
    const line = h.log.errors().find((l) => l.msg === 'desk: could not process a fact')!
    expect(line.fields).toEqual({ source: 'postgres_changes', cause: expect.stringMatching(/^Error: SQLITE_IOERR: disk I\/O error\n\s+at /) })
  })

  it('a reconcile the store fails on: the stack in the log', () => {
    vi.spyOn(h.core.store, 'transactionInGroup').mockImplementationOnce(() => {
      throw new Error('SQLITE_FULL: database or disk is full')
    })
    h.core.desk.reconcile(snapshot(['r1']))
    const line = h.log.errors().find((l) => l.msg === 'desk: reconcile failed; the local queue is unchanged')!
    expect(line.fields!.cause).toMatch(/^Error: SQLITE_FULL: database or disk is full\n\s+at /)
  })

  it('a listener that throws: the stack in the log', async () => {
    h.core.desk.on('alert', () => {
      throw new Error('renderer gone')
    })
    h.core.desk.ingest(queued('r1'))
    await settle()
    const line = h.log.errors().find((l) => l.msg === 'desk: a alert listener threw')!
    expect(line.fields).toEqual({ cause: expect.stringMatching(/^Error: renderer gone\n\s+at /) })
    expect(h.core.health.summary().counters['desk:listener-error']).toBe(1)
  })

  it('something thrown that is not an Error (null, a string) is still reported, never rethrown', async () => {
    const store = vi.spyOn(h.core.store, 'transactionInGroup').mockImplementation(() => {
      throw null
    })
    expect(h.core.desk.ingest(queued('r1'))).toEqual({ outcome: 'error', reason: 'null', key: null })
    expect(h.core.desk.reconcile(snapshot(['r1']))).toEqual({ added: [], removed: [], unchanged: 0, enriched: 0 })
    store.mockImplementation(() => {
      throw 'disk gone'
    })
    expect(h.core.desk.ingest(queued('r1'))).toEqual({ outcome: 'error', reason: 'disk gone', key: null })
    expect(h.log.errors().map((l) => l.fields!.cause)).toEqual(['null', 'null', 'disk gone'])
    store.mockRestore()
    h.core.desk.on('queue', () => {
      throw undefined
    })
    h.core.desk.ingest(queued('r2'))
    await settle()
    expect(h.log.errors().at(-1)).toMatchObject({ msg: 'desk: a queue listener threw', fields: { cause: 'undefined' } })
  })
})

describe('the offline-start health alert', () => {
  it('says where the unconfirmed requests show and when they ring', async () => {
    h.core.desk.ingest(queued('r1'))
    h.restart({ unconfirmedNoticeMs: 1000 })
    await vi.advanceTimersByTimeAsync(1000)
    expect(h.alerts().filter((a) => a.kind === 'health').map((a) => [a.title, a.body])).toEqual([
      [
        'Not connected since start: 1 request from the last session is not confirmed',
        'They show in the queue as "not confirmed yet" and ring only once the server confirms they are still waiting.',
      ],
    ])
  })
})
