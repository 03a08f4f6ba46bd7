// The ringer with a real store and a real alert pipeline: live rings, the burst limiter and its window,
// backlog summaries, owed rings, silence, and stop().
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_FLAGS } from '../../../../src/shared/types.js'
import type { Alert } from '../../../../src/core/ports.js'
import { systemClock } from '../../../../src/core/ports.js'
import { AlertPipeline } from '../../../../src/core/alerts/pipeline.js'
import { HealthMonitor } from '../../../../src/core/health/health.js'
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
let pipeline: AlertPipeline
let health: HealthMonitor
let log: ReturnType<typeof captureLog>
let updates: Alert[]

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
  updates = []
  log = captureLog()
  health = new HealthMonitor({ log: captureLog() })
  pipeline = new AlertPipeline({ sinks: [sink], flags: () => DEFAULT_FLAGS, log: captureLog(), store })
  ringer = new Ringer({
    store,
    pipeline,
    log,
    health,
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
    onUpdate: (alert) => updates.push(alert),
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

describe('latency: how long the link took, only where the link is the cause', () => {
  const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z')

  it('a live ring measures from the commit (or, without one, the queued time); a backlog ring has none; a found one does', () => {
    add('c', { commitTs: iso(T0 - 250) })
    add('q', { queuedAt: iso(T0 - 2000), key: `q@${iso(T0 - 2000)}` })
    add('b', { commitTs: iso(T0 - 250) })
    add('f', { commitTs: iso(T0 - 700) })
    ringer.ringLive(['c'])
    ringer.ringLive(['q'])
    ringer.ringTogether(['b'], 'waited while you were offline', 'backlog')
    ringer.ringTogether(['f'], 'found waiting in the queue', 'found')
    expect(alerts.map((a) => [a.alert.kind, a.alert.latencyMs])).toEqual([
      ['request', 250],
      ['request', 2000],
      ['request', null],
      ['request', 700],
    ])
  })

  it("a live burst's summary carries its slowest member's latency; a summary found by a read carries none", async () => {
    for (const [id, ago] of [['a', 100], ['b', 100], ['c', 100], ['d', 300], ['e', 900]] as const) add(id, { commitTs: iso(T0 - ago) })
    ringer.ringLive(['a', 'b', 'c', 'd', 'e'].slice(0, 3))
    ringer.ringLive(['d', 'e'])
    await vi.advanceTimersByTimeAsync(1000)
    expect(alerts.at(-1)!.alert).toMatchObject({ kind: 'summary', summaryOf: ['d', 'e'], latencyMs: 1900 })
    add('x', { commitTs: iso(T0) })
    add('y', { commitTs: iso(T0) })
    ringer.ringTogether(['x', 'y'], 'found waiting in the queue', 'found')
    expect(alerts.at(-1)!.alert).toMatchObject({ kind: 'summary', latencyMs: null })
  })

  it('a live burst whose members carry no time at all has no latency (not minus infinity)', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) add(id, { queuedAt: null, key: `${id}@` })
    ringer.ringLive(['a', 'b', 'c', 'd', 'e'])
    await vi.advanceTimersByTimeAsync(1000)
    expect(alerts.at(-1)!.alert).toMatchObject({ kind: 'summary', latencyMs: null })
  })
})

describe('the burst window, precisely', () => {
  it('held requests ring one window after the LAST individual ring, not the first', async () => {
    for (const id of ['a', 'b', 'c', 'd']) add(id)
    ringer.ringLive(['a'])
    await vi.advanceTimersByTimeAsync(600)
    ringer.ringLive(['b', 'c'])
    ringer.ringLive(['d'])
    await vi.advanceTimersByTimeAsync(999)
    expect(alerts).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1)
    expect(alerts.map((a) => a.at - T0)).toEqual([0, 600, 600, 1600])
  })

  it('one held request rings as its own alert, not as a summary of one', async () => {
    for (const id of ['a', 'b', 'c', 'd']) add(id)
    ringer.ringLive(['a', 'b', 'c'])
    ringer.ringLive(['d'])
    await vi.advanceTimersByTimeAsync(1000)
    expect(alerts.at(-1)!.alert).toMatchObject({ kind: 'request', requestId: 'd', title: 'New request: Customer d' })
  })

  it('more requests held while the window runs ring with the same summary, at the same time', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) add(id)
    ringer.ringLive(['a', 'b', 'c'])
    ringer.ringLive(['d'])
    await vi.advanceTimersByTimeAsync(500)
    ringer.ringLive(['e'])
    await vi.advanceTimersByTimeAsync(400)
    ringer.ringLive(['f'])
    await vi.advanceTimersByTimeAsync(100)
    expect(alerts.map((a) => [a.at - T0, a.alert.summaryOf ?? a.alert.requestId])).toEqual([
      [0, 'a'],
      [0, 'b'],
      [0, 'c'],
      [1000, ['d', 'e', 'f']],
    ])
    expect(ringer.heldCount).toBe(0)
  })

  it('a backlog ring takes the held requests with it at once and the window timer rings nothing later', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) add(id)
    ringer.ringLive(['a', 'b', 'c'])
    ringer.ringLive(['d'])
    ringer.ringTogether(['e'], 'found waiting in the queue', 'found')
    expect(alerts.at(-1)!.alert).toMatchObject({ title: '2 requests found waiting in the queue', summaryOf: ['d', 'e'] })
    await vi.advanceTimersByTimeAsync(5000)
    expect(alerts).toHaveLength(4)
  })

  it('after stop() live requests are neither rung nor held for later (no timer is left armed), and owed rings stay owed', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) add(id)
    ringer.stop()
    ringer.ringLive(['a'])
    ringer.ringLive(['b', 'c', 'd', 'e'])
    expect(vi.getTimerCount()).toBe(0)
    ringer.ringOwed('waited while alerts were paused')
    await vi.advanceTimersByTimeAsync(5000)
    expect(alerts).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
    expect(store.getQueueRow('a')!.alertCount).toBe(0)
  })
})

describe('one silent update after a basic ring', () => {
  it('reads as the first ring after one alert and as a repeat after more; only for a rung, full, unacknowledged, confirmed request', async () => {
    add('one', { alertCount: 1 })
    add('two', { alertCount: 2 })
    add('unrung', { alertCount: 0 })
    add('basic', { alertCount: 1, detail: 'basic' })
    add('ack', { alertCount: 1, acknowledged: true })
    add('restored', { alertCount: 1 })
    unconfirmed.add('restored')
    for (const id of ['one', 'two', 'unrung', 'basic', 'ack', 'restored', 'gone']) ringer.sendUpdate(id)
    expect(updates.map((u) => [u.requestId, u.kind])).toEqual([
      ['one', 'request'],
      ['two', 'repeat'],
    ])
    await vi.advanceTimersByTimeAsync(0)
    expect(sink.updates.map((u) => u.requestId)).toEqual(['one', 'two'])
  })

  it('none while silenced', () => {
    add('one', { alertCount: 1 })
    silencedBy = 'paused'
    ringer.sendUpdate('one')
    expect(updates).toEqual([])
  })
})

describe('failures are said, counted, and never stop a ring', () => {
  it('a ring that cannot be recorded still rings, and says so', () => {
    add('a')
    vi.spyOn(store, 'transaction').mockImplementationOnce(() => {
      throw new Error('SQLITE_BUSY: database is locked')
    })
    ringer.ringLive(['a'])
    expect(alerts.map((a) => a.alert.requestId)).toEqual(['a'])
    expect(log.errors()).toEqual([
      { level: 'error', msg: 'desk: could not mark requests as alerted; alerting anyway', fields: { cause: 'SQLITE_BUSY: database is locked' } },
    ])
    expect(health.summary().counters['store:error']).toBe(1)
  })

  it('an update that cannot be prepared is logged and counted, and nothing is sent', () => {
    add('a', { alertCount: 1 })
    vi.spyOn(store, 'getQueueRow').mockImplementationOnce(() => {
      throw new Error('SQLITE_IOERR: disk I/O error')
    })
    ringer.sendUpdate('a')
    expect(updates).toEqual([])
    expect(log.errors()).toEqual([{ level: 'error', msg: 'desk: could not prepare an alert update', fields: { cause: 'SQLITE_IOERR: disk I/O error' } }])
    expect(health.summary().counters['store:error']).toBe(1)
  })

  it('a pipeline that rejects a ring or an update is logged and counted', async () => {
    add('a')
    add('b', { alertCount: 1 })
    vi.spyOn(pipeline, 'deliver').mockRejectedValueOnce(new Error('pipeline down'))
    vi.spyOn(pipeline, 'update').mockRejectedValueOnce(new Error('pipeline down'))
    ringer.ringLive(['a'])
    ringer.sendUpdate('b')
    await vi.advanceTimersByTimeAsync(0)
    expect(log.errors().map((l) => l.msg)).toEqual(['desk: alert pipeline rejected', 'desk: alert pipeline rejected an update'])
    expect(log.errors().every((l) => String(l.fields?.cause).includes('pipeline down'))).toBe(true)
    expect(health.summary().counters['alert:pipeline-error']).toBe(2)
  })
})

describe('the burst timer', () => {
  it('a burst that arrives all at once, before anything rang, rings one summary at once', async () => {
    for (const id of ['a', 'b', 'c', 'd']) add(id)
    ringer.ringLive(['a', 'b', 'c', 'd'])
    await vi.advanceTimersByTimeAsync(0)
    expect(alerts.map((a) => [a.at - T0, a.alert.summaryOf])).toEqual([[0, ['a', 'b', 'c', 'd']]])
  })

  it('one timer however many are held; stop() and a backlog ring each leave none', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']) add(id)
    ringer.ringLive(['a', 'b', 'c'])
    await vi.advanceTimersByTimeAsync(0) // the sinks' calls finish (and their timeouts with them)
    ringer.ringLive(['d'])
    ringer.ringLive(['e'])
    expect(vi.getTimerCount()).toBe(1)
    ringer.ringTogether(['f'], 'found waiting in the queue', 'found')
    await vi.advanceTimersByTimeAsync(0)
    expect(vi.getTimerCount()).toBe(0)
    ringer.ringLive(['g', 'h', 'i', 'j'])
    expect(vi.getTimerCount()).toBe(1)
    ringer.stop()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a single owed request rings as a backlog: no link latency', () => {
    add('a', { commitTs: '2026-03-02T08:59:59.000000Z' })
    ringer.ringOwed('waited while alerts were paused')
    expect(alerts.map((a) => [a.alert.kind, a.alert.latencyMs])).toEqual([['request', null]])
  })
})

describe('failures without a health monitor, of any shape', () => {
  let bare: Ringer
  beforeEach(() => {
    bare = new Ringer({
      store, pipeline, log, health: undefined, clock: systemClock, timers: systemTimers, repeatIntervalMs: 120_000, repeatMaxCount: 10,
      burstWindowMs: 1000, burstThreshold: 3, unconfirmed, silenced: () => null, rang: () => {}, onAlert: (alert) => alerts.push({ at: Date.now(), alert }),
      onUpdate: (alert) => updates.push(alert), onRetract: () => {},
    })
  })
  afterEach(() => bare.stop())

  it('a ring that cannot be recorded still rings what is still queued', () => {
    add('a')
    vi.spyOn(store, 'transaction').mockImplementationOnce(() => {
      throw undefined
    })
    bare.ringTogether(['a', 'gone'], 'found waiting in the queue', 'found')
    expect(alerts.map((a) => a.alert.requestId)).toEqual(['a'])
    expect(log.errors()).toEqual([{ level: 'error', msg: 'desk: could not mark requests as alerted; alerting anyway', fields: { cause: 'undefined' } }])
  })

  it('an update that cannot be prepared is only logged', () => {
    add('a', { alertCount: 1 })
    vi.spyOn(store, 'getQueueRow').mockImplementationOnce(() => {
      throw undefined
    })
    bare.sendUpdate('a')
    expect(updates).toEqual([])
    expect(log.errors()).toEqual([{ level: 'error', msg: 'desk: could not prepare an alert update', fields: { cause: 'undefined' } }])
  })

  it('a pipeline that rejects is logged with the stack of its error, or with what it rejected with', async () => {
    add('a')
    add('b', { alertCount: 1 })
    const err = new Error('pipeline down')
    vi.spyOn(pipeline, 'deliver').mockRejectedValueOnce(err)
    vi.spyOn(pipeline, 'update').mockRejectedValueOnce(undefined)
    bare.ringLive(['a'])
    bare.sendUpdate('b')
    await vi.advanceTimersByTimeAsync(0)
    expect(log.errors()).toEqual([
      { level: 'error', msg: 'desk: alert pipeline rejected', fields: { cause: err.stack } },
      { level: 'error', msg: 'desk: alert pipeline rejected an update', fields: { cause: 'undefined' } },
    ])
  })

  it('an update rejected with an error is logged with its stack; a ring rejected with nothing, as such', async () => {
    add('a')
    add('b', { alertCount: 1 })
    const err = new Error('update down')
    vi.spyOn(pipeline, 'deliver').mockRejectedValueOnce(undefined)
    vi.spyOn(pipeline, 'update').mockRejectedValueOnce(err)
    bare.ringLive(['a'])
    bare.sendUpdate('b')
    await vi.advanceTimersByTimeAsync(0)
    expect(log.errors()).toEqual([
      { level: 'error', msg: 'desk: alert pipeline rejected', fields: { cause: 'undefined' } },
      { level: 'error', msg: 'desk: alert pipeline rejected an update', fields: { cause: err.stack } },
    ])
  })
})
