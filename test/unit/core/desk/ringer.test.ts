// The ringer with a real store and a real alert pipeline: live rings, the burst limiter and its window,
// backlog summaries, owed rings, silence, and stop().
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_FLAGS } from '../../../../src/shared/types.js'
import type { Alert } from '../../../../src/core/ports.js'
import { systemClock } from '../../../../src/core/ports.js'
import { AlertPipeline } from '../../../../src/core/alerts/pipeline.js'
import { Store, type QueueRow } from '../../../../src/core/store/store.js'
import { systemTimers } from '../../../../src/core/desk/timers.js'
import { Ringer } from '../../../../src/core/desk/ringer.js'
import { T0, captureLog, recordingSink, type RecordingSink } from '../helpers.js'

let store: Store
let sink: RecordingSink
let alerts: { at: number; alert: Alert }[]
let retracts: string[]
let unconfirmed: Set<string>
let silencedBy: string | null
let rang: number
let ringer: Ringer

const add = (id: string, over: Partial<QueueRow> = {}) =>
  store.putQueueRow({
    requestId: id, key: `${id}@2026-03-02T08:59:59.000000Z`, sessionId: null, queuedAt: '2026-03-02T08:59:59.000000Z',
    details: { customerName: `Customer ${id}`, vehicle: 'Civic', concern: null, sessionType: null }, detail: 'full', acknowledged: false,
    alertCount: 0, nextRepeatAt: null, firstSeenAt: Date.now(), firstSource: 'postgres_changes', lastAlertAt: null, commitTs: null, ...over,
  })
const titles = () => alerts.map((a) => a.alert.title)

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  store = Store.open({ path: ':memory:', log: captureLog() })
  sink = recordingSink('in-app', 'in-app')
  alerts = []
  retracts = []
  unconfirmed = new Set()
  silencedBy = null
  rang = 0
  ringer = new Ringer({
    store,
    pipeline: new AlertPipeline({ sinks: [sink], flags: () => DEFAULT_FLAGS, log: captureLog(), store }),
    log: captureLog(),
    health: undefined,
    clock: systemClock,
    timers: systemTimers,
    repeatIntervalMs: 120_000,
    repeatMaxCount: 10,
    burstWindowMs: 1000,
    burstThreshold: 3,
    unconfirmed,
    silenced: () => silencedBy,
    rang: () => rang++,
    onAlert: (alert) => alerts.push({ at: Date.now(), alert }),
    onUpdate: () => {},
    onRetract: ({ requestId, why }) => retracts.push(`${requestId} ${why}`),
  })
})
afterEach(() => {
  ringer.stop()
  store.close()
  vi.useRealTimers()
})

describe('live rings and the burst limiter', () => {
  it('up to three ring one by one at once; the rest of the burst rings as one summary when the window ends', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) add(id)
    ringer.ringLive(['a', 'b', 'c'])
    ringer.ringLive(['d'])
    ringer.ringLive(['e'])
    expect(titles()).toEqual(['New request: Customer a', 'New request: Customer b', 'New request: Customer c'])
    await vi.advanceTimersByTimeAsync(999)
    expect(alerts).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1)
    expect(alerts.at(-1)).toMatchObject({ at: T0 + 1000, alert: { kind: 'summary', title: '2 new requests' } })
    expect(store.getQueueRow('e')).toMatchObject({ alertCount: 1, nextRepeatAt: T0 + 1000 + 120_000 })
    await vi.advanceTimersByTimeAsync(0)
    expect(sink.alerts).toHaveLength(4)
  })

  it('the burst window expires: a request after it rings at once again', async () => {
    for (const id of ['a', 'b', 'c', 'd']) add(id)
    ringer.ringLive(['a', 'b', 'c'])
    await vi.advanceTimersByTimeAsync(1000)
    ringer.ringLive(['d'])
    expect(alerts.map((a) => a.at - T0)).toEqual([0, 0, 0, 1000])
    expect(alerts.at(-1)!.alert.kind).toBe('request')
  })

  it('stop() prevents the held burst from ringing', async () => {
    for (const id of ['a', 'b', 'c', 'd']) add(id)
    ringer.ringLive(['a', 'b', 'c', 'd'])
    ringer.stop()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(alerts).toHaveLength(0)
    // Still owed: never marked as rung.
    expect(store.getQueueRow('d')!.alertCount).toBe(0)
  })

  it('a held request that left the queue meanwhile is forgotten, not rung', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) add(id)
    ringer.ringLive(['a', 'b', 'c', 'd', 'e'])
    ringer.forget('e')
    await vi.advanceTimersByTimeAsync(1000)
    expect(alerts).toHaveLength(1)
    expect(alerts[0]!.alert.summaryOf).toEqual(['a', 'b', 'c', 'd'])
  })
})

describe('what never rings', () => {
  it('silenced: nothing rings and nothing is marked, so it stays owed', () => {
    add('a')
    silencedBy = 'paused'
    ringer.ringLive(['a'])
    expect(alerts).toHaveLength(0)
    expect(store.getQueueRow('a')!.alertCount).toBe(0)
    expect(rang).toBe(0)
  })

  it('unconfirmed, acknowledged, already rung or gone: not rung', () => {
    add('u')
    unconfirmed.add('u')
    add('k', { acknowledged: true })
    add('r', { alertCount: 1 })
    ringer.ringTogether(['u', 'k', 'r', 'gone'], 'found waiting in the queue', 'found')
    expect(alerts).toHaveLength(0)
  })
})

describe('backlog and owed rings', () => {
  it('a backlog rings as one summary with its phrase and no link latency', () => {
    add('a')
    add('b')
    ringer.ringTogether(['a', 'b'], 'waited while you were offline', 'backlog')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]!.alert).toMatchObject({ kind: 'summary', title: '2 requests waited while you were offline', latencyMs: null })
    expect(rang).toBe(1)
  })

  it('owed rings: every confirmed, unacknowledged request that never rang, once; nothing while silenced', () => {
    add('owed1')
    add('owed2')
    add('rung', { alertCount: 1 })
    add('ack', { acknowledged: true })
    add('restored')
    unconfirmed.add('restored')
    silencedBy = 'mech_new_request_alerts off'
    ringer.ringOwed('waited while alerts were switched off')
    expect(alerts).toHaveLength(0)
    silencedBy = null
    ringer.ringOwed('waited while alerts were switched off')
    ringer.ringOwed('waited while alerts were switched off')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]!.alert).toMatchObject({ title: '2 requests waited while alerts were switched off', summaryOf: ['owed1', 'owed2'] })
  })

  it('retract reaches the listeners, with why, and the sinks', async () => {
    ringer.retract('a', 'cancelled')
    await vi.advanceTimersByTimeAsync(0)
    expect(retracts).toEqual(['a cancelled'])
    expect(sink.retracts).toEqual(['a'])
  })
})
