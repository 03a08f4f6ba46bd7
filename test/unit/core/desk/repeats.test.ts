// Repeat until acknowledged, with a real store and fake timers: spacing, the maximum, silence, stop().
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Alert } from '../../../../src/core/ports.js'
import { systemClock } from '../../../../src/core/ports.js'
import { Store, type QueueRow } from '../../../../src/core/store/store.js'
import { systemTimers } from '../../../../src/core/desk/timers.js'
import { Repeats } from '../../../../src/core/desk/repeats.js'
import { T0, captureLog } from '../helpers.js'

const MIN = 60_000
let store: Store
let alerts: { at: number; alert: Alert }[]
let unconfirmed: Set<string>
let silencedBy: string | null
let repeats: Repeats

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
  repeats = new Repeats({
    store,
    log: captureLog(),
    health: undefined,
    clock: systemClock,
    timers: systemTimers,
    repeatIntervalMs: 2 * MIN,
    repeatMaxCount: 10,
    unconfirmed,
    silenced: () => silencedBy,
    queueChanged: () => {},
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
