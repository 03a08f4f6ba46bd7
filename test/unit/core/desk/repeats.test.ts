// Repeat until acknowledged, with a real store and fake timers: spacing, the maximum, silence, stop().
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Alert } from '../../../../src/core/ports.js'
import { systemClock } from '../../../../src/core/ports.js'
import { HealthMonitor } from '../../../../src/core/health/health.js'
import { Store, type QueueRow } from '../../../../src/core/store/store.js'
import { systemTimers } from '../../../../src/core/desk/timers.js'
import { REPEAT_RETRY_MS, Repeats } from '../../../../src/core/desk/repeats.js'
import { T0, captureLog } from '../helpers.js'

const MIN = 60_000
let store: Store
let alerts: { at: number; alert: Alert }[]
let unconfirmed: Set<string>
let silencedBy: string | null
let repeats: Repeats
let health: HealthMonitor
let log: ReturnType<typeof captureLog>
let queueChanges: number

const row = (id: string, over: Partial<QueueRow> = {}): QueueRow => ({
  requestId: id, key: `${id}@2026-03-02T08:00:00.000000Z`, sessionId: null, queuedAt: '2026-03-02T08:00:00.000000Z',
  details: { customerName: `Customer ${id}`, vehicle: null, concern: null, sessionType: null }, detail: 'full', acknowledged: false,
  alertCount: 1, nextRepeatAt: T0 + 2 * MIN, firstSeenAt: T0, firstSource: 'postgres_changes', lastAlertAt: T0, commitTs: null, ...over,
})

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  store = Store.open({ path: ':memory:', log: captureLog() })
  alerts = []
  unconfirmed = new Set()
  silencedBy = null
  queueChanges = 0
  log = captureLog()
  health = new HealthMonitor({ log: captureLog() })
  repeats = new Repeats({
    store,
    log,
    health,
    clock: systemClock,
    timers: systemTimers,
    repeatIntervalMs: 2 * MIN,
    repeatMaxCount: 10,
    unconfirmed,
    silenced: () => silencedBy,
    queueChanged: () => queueChanges++,
    deliver: (alert) => alerts.push({ at: Date.now(), alert }),
  })
})
afterEach(() => {
  repeats.stop()
  store.close()
  vi.useRealTimers()
})

describe('repeat until acknowledged', () => {
  it('repeats are spaced by the interval, ten at most, then stop', async () => {
    store.putQueueRow(row('r1'))
    repeats.arm()
    await vi.advanceTimersByTimeAsync(60 * MIN)
    expect(alerts.map((a) => a.at - T0)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 2 * MIN))
    expect(alerts.every((a) => a.alert.kind === 'repeat' && a.alert.requestId === 'r1')).toBe(true)
    expect(store.getQueueRow('r1')).toMatchObject({ alertCount: 11, nextRepeatAt: null })
  })

  it('stop() prevents every later repeat', async () => {
    store.putQueueRow(row('r1'))
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(alerts).toHaveLength(1)
    repeats.stop()
    repeats.arm() // arming after stop does nothing either
    await vi.advanceTimersByTimeAsync(60 * MIN)
    expect(alerts).toHaveLength(1)
  })

  it('several due at once ring one summary', async () => {
    store.putQueueRow(row('r1'))
    store.putQueueRow(row('r2'))
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(alerts).toHaveLength(1)
    expect(alerts[0]!.alert).toMatchObject({ kind: 'repeat', title: '2 requests are still waiting' })
  })

  it('silenced: a due repeat is deferred an interval, not spent', async () => {
    store.putQueueRow(row('r1'))
    silencedBy = 'paused'
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(alerts).toHaveLength(0)
    expect(store.getQueueRow('r1')).toMatchObject({ alertCount: 1, nextRepeatAt: T0 + 4 * MIN })
    silencedBy = null
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(alerts.map((a) => a.at - T0)).toEqual([4 * MIN])
  })

  it('an unconfirmed restored request keeps its schedule untouched; confirmed, an overdue repeat rings at once', async () => {
    store.putQueueRow(row('r1'))
    unconfirmed.add('r1')
    repeats.arm()
    await vi.advanceTimersByTimeAsync(10 * MIN)
    expect(alerts).toHaveLength(0)
    expect(store.getQueueRow('r1')!.nextRepeatAt).toBe(T0 + 2 * MIN)
    unconfirmed.delete('r1')
    repeats.arm()
    await vi.advanceTimersByTimeAsync(0)
    expect(alerts.map((a) => a.at - T0)).toEqual([10 * MIN])
  })

  it('acknowledged requests never repeat', async () => {
    store.putQueueRow(row('r1', { acknowledged: true }))
    repeats.arm()
    await vi.advanceTimersByTimeAsync(60 * MIN)
    expect(alerts).toHaveLength(0)
  })
})

describe('which repeat comes next', () => {
  it('with restored requests still unconfirmed, the earliest among the confirmed, unacknowledged ones rings first', async () => {
    store.putQueueRow(row('later', { nextRepeatAt: T0 + 4 * MIN }))
    store.putQueueRow(row('first', { nextRepeatAt: T0 + 2 * MIN }))
    store.putQueueRow(row('restored', { nextRepeatAt: T0 + MIN }))
    store.putQueueRow(row('acked', { nextRepeatAt: T0 + MIN / 2, acknowledged: true }))
    store.putQueueRow(row('done', { nextRepeatAt: null, alertCount: 11 }))
    unconfirmed.add('restored')
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN - 1)
    expect(alerts).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(alerts.map((a) => [a.at - T0, a.alert.requestId])).toEqual([[2 * MIN, 'first']])
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(alerts.map((a) => [a.at - T0, a.alert.requestId ?? a.alert.summaryOf])).toEqual([
      [2 * MIN, 'first'],
      [4 * MIN, ['later', 'first']],
    ])
  })

  it('a repeat rings as "still waiting" and tells the queue its count changed', async () => {
    store.putQueueRow(row('r1'))
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(alerts[0]!.alert).toMatchObject({ kind: 'repeat', title: 'Still waiting (2 min): Customer r1', latencyMs: null })
    expect(queueChanges).toBe(1)
  })

  it('a due repeat that is only deferred (silenced) is no queue change worth a ring', async () => {
    store.putQueueRow(row('r1'))
    silencedBy = 'paused'
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(queueChanges).toBe(0)
  })

  it('an overdue schedule (the app was closed past it) rings at once, not never', async () => {
    store.putQueueRow(row('r1', { nextRepeatAt: T0 - 10 * MIN }))
    repeats.arm()
    await vi.advanceTimersByTimeAsync(0)
    expect(alerts.map((a) => a.at - T0)).toEqual([0])
  })
})

describe('a repeat that cannot be recorded', () => {
  it('is logged with its cause and counted, rings nothing, and is tried again a few seconds later', async () => {
    store.putQueueRow(row('r1'))
    const refuse = vi.spyOn(store, 'transaction').mockImplementationOnce(() => {
      throw new Error('SQLITE_BUSY: database is locked')
    })
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(alerts).toEqual([])
    expect(log.errors()).toEqual([{ level: 'error', msg: 'desk: repeat failed', fields: { cause: 'SQLITE_BUSY: database is locked' } }])
    expect(health.summary().counters['store:error']).toBe(1)
    expect(refuse).toHaveBeenCalledTimes(1)
    // The schedule was not spent: the repeat rings at the next try, once the store works again.
    await vi.advanceTimersByTimeAsync(REPEAT_RETRY_MS)
    expect(alerts.map((a) => a.at - T0)).toEqual([2 * MIN + REPEAT_RETRY_MS])
  })

  it('a store that keeps failing is tried every few seconds, not in a loop that floods the log', async () => {
    store.putQueueRow(row('r1'))
    const refuse = vi.spyOn(store, 'transaction').mockImplementation(() => {
      throw new Error('SQLITE_IOERR: disk I/O error')
    })
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(log.errors()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(REPEAT_RETRY_MS - 1)
    expect(log.errors()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(log.errors()).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(60_000 - REPEAT_RETRY_MS)
    expect(log.errors()).toHaveLength(1 + 60_000 / REPEAT_RETRY_MS)
    refuse.mockRestore()
    await vi.advanceTimersByTimeAsync(REPEAT_RETRY_MS)
    expect(alerts.map((a) => a.at - T0)).toEqual([3 * MIN + REPEAT_RETRY_MS])
  })
})

describe('the one repeat timer', () => {
  it('stop() leaves no timer armed, and arming after stop arms none', () => {
    store.putQueueRow(row('r1'))
    repeats.arm()
    expect(vi.getTimerCount()).toBe(1)
    repeats.stop()
    expect(vi.getTimerCount()).toBe(0)
    repeats.arm()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('arming again keeps exactly one timer, whether the time moved or not', () => {
    store.putQueueRow(row('r1', { nextRepeatAt: T0 + 4 * MIN }))
    repeats.arm()
    repeats.arm()
    expect(vi.getTimerCount()).toBe(1)
    store.putQueueRow(row('r2', { nextRepeatAt: T0 + 2 * MIN }))
    repeats.arm()
    expect(vi.getTimerCount()).toBe(1)
  })

  it('a sooner repeat scheduled later moves the timer forward', async () => {
    store.putQueueRow(row('r1', { nextRepeatAt: T0 + 4 * MIN }))
    repeats.arm()
    store.putQueueRow(row('r2', { nextRepeatAt: T0 + 2 * MIN }))
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(alerts.map((a) => [a.at - T0, a.alert.requestId])).toEqual([[2 * MIN, 'r2']])
  })

  it('the earliest repeat wins whatever order the queue lists them in (some restored ones unconfirmed)', async () => {
    unconfirmed.add('restored')
    store.putQueueRow(row('restored', { nextRepeatAt: T0 + MIN }))
    for (const [id, at] of [['a', 5], ['b', 2], ['c', 3]] as const) store.putQueueRow(row(id, { nextRepeatAt: T0 + at * MIN }))
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN)
    expect(alerts.map((a) => [a.at - T0, a.alert.requestId])).toEqual([[2 * MIN, 'b']])
  })

  it('an acknowledged request with a stale schedule, or one without a schedule, arms nothing', () => {
    unconfirmed.add('restored')
    store.putQueueRow(row('restored', { nextRepeatAt: T0 + MIN }))
    store.putQueueRow(row('acked', { nextRepeatAt: T0 + MIN, acknowledged: true }))
    repeats.arm()
    expect(vi.getTimerCount()).toBe(0)
    store.deleteQueueRow('acked')
    store.putQueueRow(row('done', { nextRepeatAt: null, alertCount: 11 }))
    repeats.arm()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('two requests due a second apart ring a second apart', async () => {
    store.putQueueRow(row('r1', { nextRepeatAt: T0 + 2 * MIN }))
    store.putQueueRow(row('r2', { nextRepeatAt: T0 + 2 * MIN + 1000 }))
    repeats.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN + 1000)
    expect(alerts.map((a) => [a.at - T0, a.alert.requestId])).toEqual([
      [2 * MIN, 'r1'],
      [2 * MIN + 1000, 'r2'],
    ])
  })

  it('without a health monitor, a store failure of any shape is still only logged', async () => {
    const quiet = new Repeats({
      store,
      log,
      health: undefined,
      clock: systemClock,
      timers: systemTimers,
      repeatIntervalMs: 2 * MIN,
      repeatMaxCount: 10,
      unconfirmed,
      silenced: () => null,
      queueChanged: () => {},
      deliver: () => {},
    })
    store.putQueueRow(row('r1'))
    vi.spyOn(store, 'transaction').mockImplementationOnce(() => {
      throw undefined
    })
    quiet.arm()
    await vi.advanceTimersByTimeAsync(2 * MIN)
    quiet.stop()
    expect(log.errors()).toEqual([{ level: 'error', msg: 'desk: repeat failed', fields: { cause: 'undefined' } }])
  })
})
