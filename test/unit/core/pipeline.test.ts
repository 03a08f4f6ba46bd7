// The alert pipeline: tier flags, master flag, isolation of throwing and hanging sinks (post-mortem
// Issue 5), retract/queueChanged fan-out, and the record of every attempt.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_FLAGS, type FeatureFlags } from '../../../src/shared/types.js'
import type { Alert, AlertSink, SinkTier } from '../../../src/core/ports.js'
import { AlertPipeline } from '../../../src/core/alerts/pipeline.js'
import { HealthMonitor } from '../../../src/core/health/health.js'
import { Store } from '../../../src/core/store/store.js'
import { T0, allTierSinks, captureLog, harness, queued, recordingSink, settle } from './helpers.js'

const alert = (over: Partial<Alert> = {}): Alert => ({
  kind: 'request',
  requestId: 'r1',
  key: 'r1@x',
  title: 'New request',
  body: 'b',
  detail: 'full',
  items: [],
  latencyMs: 12,
  ...over,
})

let flags: FeatureFlags
let log: ReturnType<typeof captureLog>
let store: Store
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  flags = { ...DEFAULT_FLAGS }
  log = captureLog()
  store = Store.open({ path: ':memory:', log })
})
afterEach(() => {
  store.close()
  vi.useRealTimers()
})

describe('flags', () => {
  it.each<[keyof FeatureFlags, SinkTier]>([
    ['mech_browser_notifications', 'notification'],
    ['mech_audio_alerts', 'sound'],
    ['mech_visual_indicators', 'attention'],
  ])('%s off skips only the %s sinks (recorded as skipped-flag)', async (flag, tier) => {
    const sinks = allTierSinks()
    const p = new AlertPipeline({ sinks: Object.values(sinks), flags: () => flags, log, store })
    flags[flag] = false
    const attempts = await p.deliver(alert())
    for (const [t, s] of Object.entries(sinks)) expect(s.alerts).toHaveLength(t === tier ? 0 : 1)
    expect(attempts.find((a) => a.tier === tier)).toMatchObject({ result: 'skipped-flag', error: `${flag} off` })
    expect(store.recentSinkAttempts().filter((a) => a.result === 'skipped-flag')).toHaveLength(1)
  })

  it('master flag off: no sink is called for request, summary or repeat alerts, not even in-app', async () => {
    const sinks = allTierSinks()
    const p = new AlertPipeline({ sinks: Object.values(sinks), flags: () => flags, log, store })
    flags.mech_new_request_alerts = false
    for (const kind of ['request', 'summary', 'repeat'] as const) await p.deliver(alert({ kind }))
    for (const s of Object.values(sinks)) expect(s.alerts).toHaveLength(0)
    expect(store.recentSinkAttempts().every((a) => a.result === 'skipped-flag')).toBe(true)
  })

  it('health alerts are not new-request alerts: the master flag does not gate them, tier flags do', async () => {
    const sinks = allTierSinks()
    const p = new AlertPipeline({ sinks: Object.values(sinks), flags: () => flags, log, store })
    flags.mech_new_request_alerts = false
    flags.mech_audio_alerts = false
    await p.deliver(alert({ kind: 'health', latencyMs: null }))
    expect(sinks['in-app'].alerts).toHaveLength(1)
    expect(sinks.notification.alerts).toHaveLength(1)
    expect(sinks.sound.alerts).toHaveLength(0)
  })

  it('reads flags at delivery time (a flag change applies to the very next alert)', async () => {
    const s = recordingSink('n', 'notification')
    const p = new AlertPipeline({ sinks: [s], flags: () => flags, log })
    await p.deliver(alert())
    flags.mech_browser_notifications = false
    await p.deliver(alert())
    expect(s.alerts).toHaveLength(1)
  })
})

describe('isolation (post-mortem Issue 5)', () => {
  it('a throwing, a rejecting and a hanging sink are recorded; the others and the next alert still run', async () => {
    const health = new HealthMonitor({ log })
    const good = recordingSink('good', 'in-app')
    const thrower = recordingSink('thrower', 'sound', () => {
      throw new Error('AudioContext was not allowed to start')
    })
    const rejecter = recordingSink('rejecter', 'notification', () => Promise.reject(new Error('permission denied')))
    const hanger = recordingSink('hanger', 'attention', () => new Promise<void>(() => {}))
    const p = new AlertPipeline({ sinks: [thrower, rejecter, hanger, good], flags: () => flags, log, store, health })
    const first = p.deliver(alert({ key: 'k1' }))
    await settle()
    expect(good.alerts).toHaveLength(1) // did not wait for the hanging sink
    const second = p.deliver(alert({ key: 'k2' }))
    await settle()
    expect(good.alerts).toHaveLength(2) // the next alert is not blocked either
    await vi.advanceTimersByTimeAsync(3000)
    const [a1, a2] = await Promise.all([first, second])
    for (const attempts of [a1, a2]) {
      const by = Object.fromEntries(attempts.map((a) => [a.sink, a]))
      expect(by.good!.result).toBe('ok')
      expect(by.thrower).toMatchObject({ result: 'error', error: 'Error: AudioContext was not allowed to start' })
      expect(by.rejecter).toMatchObject({ result: 'error', error: 'Error: permission denied' })
      expect(by.hanger).toMatchObject({ result: 'timeout', error: 'no answer within 3000 ms' })
      expect(by.hanger!.durationMs).toBe(3000)
    }
    const rows = store.recentSinkAttempts()
    expect(rows).toHaveLength(8)
    expect(rows.filter((r) => r.result === 'timeout').map((r) => r.key).sort()).toEqual(['k1', 'k2'])
    expect(log.errors().filter((l) => /alert: sink/.test(l.msg))).toHaveLength(6)
    expect(log.errors().find((l) => l.fields?.sink === 'hanger')!.msg).toBe('alert: sink hanger timed out')
    expect(health.summary().sinkFailureRate).toBeCloseTo(0.75)
  })

  it('per-sink timeout is configurable', async () => {
    const hanger = recordingSink('hanger', 'terminal', () => new Promise<void>(() => {}))
    const p = new AlertPipeline({ sinks: [hanger], flags: () => flags, log, sinkTimeoutMs: 50 })
    const d = p.deliver(alert())
    await vi.advanceTimersByTimeAsync(50)
    expect((await d)[0]!.result).toBe('timeout')
  })

  it('non-Error throws are described, not crashed on', async () => {
    const weird = recordingSink('weird', 'terminal', () => {
      throw { toString: () => { throw new Error('nope') } }
    })
    const p = new AlertPipeline({ sinks: [weird], flags: () => flags, log, store })
    expect((await p.deliver(alert()))[0]).toMatchObject({ result: 'error', error: 'unprintable error' })
  })

  it('retract and queueChanged fan out to every sink, isolated; only failures are recorded', async () => {
    const ok = recordingSink('ok', 'notification')
    const bad = recordingSink('bad', 'sound')
    bad.retract = () => {
      throw new Error('no such notification')
    }
    bad.queueChanged = () => new Promise<void>(() => {})
    const p = new AlertPipeline({ sinks: [bad, ok, { name: 'bare', tier: 'terminal', alert() {} }], flags: () => flags, log, store })
    await p.retract('r1')
    const q = p.queueChanged(3)
    await vi.advanceTimersByTimeAsync(3000)
    await q
    expect(ok.retracts).toEqual(['r1'])
    expect(ok.counts).toEqual([3])
    const rows = store.recentSinkAttempts()
    expect(rows.map((r) => `${r.sink}:${r.alertKind}:${r.result}`).sort()).toEqual(['bad:queue:timeout', 'bad:retract:error'])
  })

  it('withdraw reaches every sink that has it, whatever its tier flag; a failing one is recorded with the key, the others still hear', async () => {
    flags = { ...flags, mech_browser_notifications: false }
    const heard: string[] = []
    const ok: AlertSink = { name: 'ok', tier: 'notification', alert() {}, withdraw: (k) => void heard.push(k) }
    const bad: AlertSink = { name: 'bad', tier: 'in-app', alert() {}, withdraw: () => Promise.reject(new Error('window gone')) }
    const p = new AlertPipeline({ sinks: [bad, ok, { name: 'bare', tier: 'terminal', alert() {} }], flags: () => flags, log, store })
    await p.withdraw('bayalert:alert-path')
    expect(heard).toEqual(['bayalert:alert-path'])
    expect(store.recentSinkAttempts().map((r) => `${r.sink}:${r.alertKind}:${r.key}:${r.result}`)).toEqual(['bad:withdraw:bayalert:alert-path:error'])
    expect(log.errors().map((l) => l.msg)).toEqual(['alert: sink bad withdraw failed'])
  })

  it('through the desk: a failing sink never stops later requests from ringing the healthy sinks', async () => {
    vi.useRealTimers()
    vi.useFakeTimers({ now: T0 })
    const boom = recordingSink('boom', 'notification', () => {
      throw new TypeError("Cannot read properties of undefined (reading 'show')")
    })
    const h = harness({ sinks: [] })
    try {
      h.core.pipeline.addSink(boom)
      h.core.pipeline.addSink(h.sinks.sound)
      for (let i = 0; i < 5; i++) {
        h.core.desk.ingest(queued(`r${i}`))
        await vi.advanceTimersByTimeAsync(2000)
      }
      expect(boom.alerts.filter((a) => a.kind === 'request')).toHaveLength(5)
      expect(h.sinks.sound.alerts.filter((a) => a.kind === 'request')).toHaveLength(5)
      // Half of all sink calls failing is also a health breach: one health alert, to the healthy sink too.
      expect(h.sinks.sound.alerts.filter((a) => a.kind === 'health')).toHaveLength(1)
      expect(h.core.store.recentSinkAttempts().filter((a) => a.sink === 'boom' && a.alertKind === 'request' && a.result === 'error')).toHaveLength(5)
    } finally {
      h.dispose()
    }
  })
})

describe('update (details arrived after a basic ring)', () => {
  const updateKind = (a: { alertKind: string }) => a.alertKind === 'update'

  it('fans out only to sinks that implement update; never calls alert(); no latency sample', async () => {
    const health = new HealthMonitor({ log })
    const sinks = allTierSinks()
    const p = new AlertPipeline({ sinks: Object.values(sinks), flags: () => flags, log, store, health })
    const attempts = await p.update(alert({ latencyMs: 40 }))
    expect(attempts.map((a) => a.sink).sort()).toEqual(['in-app', 'notify', 'terminal'])
    for (const t of ['notification', 'in-app', 'terminal'] as const) expect(sinks[t].updates).toHaveLength(1)
    for (const s of Object.values(sinks)) expect(s.alerts).toHaveLength(0)
    expect(health.summary().latencyMs.count).toBe(0)
    expect(store.recentSinkAttempts().filter(updateKind).map((a) => a.result)).toEqual(['ok', 'ok', 'ok'])
  })

  it('tier flags gate update like alert (recorded as skipped-flag)', async () => {
    const sinks = allTierSinks()
    const p = new AlertPipeline({ sinks: Object.values(sinks), flags: () => flags, log, store })
    flags.mech_browser_notifications = false
    const attempts = await p.update(alert())
    expect(sinks.notification.updates).toHaveLength(0)
    expect(sinks['in-app'].updates).toHaveLength(1)
    expect(attempts.find((a) => a.sink === 'notify')).toMatchObject({ result: 'skipped-flag', error: 'mech_browser_notifications off' })
  })

  it('the master flag gates update: no sink is called', async () => {
    const sinks = allTierSinks()
    const p = new AlertPipeline({ sinks: Object.values(sinks), flags: () => flags, log, store })
    flags.mech_new_request_alerts = false
    const attempts = await p.update(alert())
    for (const s of Object.values(sinks)) expect(s.updates).toHaveLength(0)
    expect(attempts.every((a) => a.result === 'skipped-flag' && a.error === 'mech_new_request_alerts off')).toBe(true)
  })

  it('a throwing, a rejecting and a hanging update are recorded; the others and the next alert still run', async () => {
    const health = new HealthMonitor({ log })
    const good = recordingSink('good', 'in-app')
    const thrower = recordingSink('thrower', 'terminal', undefined, () => {
      throw new Error('stdout closed')
    })
    const rejecter = recordingSink('rejecter', 'notification', undefined, () => Promise.reject(new Error('toast gone')))
    const hanger = recordingSink('hanger', 'in-app', undefined, () => new Promise<void>(() => {}))
    const p = new AlertPipeline({ sinks: [thrower, rejecter, hanger, good], flags: () => flags, log, store, health })
    const u = p.update(alert({ key: 'k1' }))
    await settle()
    expect(good.updates).toHaveLength(1) // did not wait for the hanging sink
    const next = p.deliver(alert({ key: 'k2' }))
    await settle()
    expect(good.alerts).toHaveLength(1) // the next alert is not blocked either
    await vi.advanceTimersByTimeAsync(3000)
    const by = Object.fromEntries((await u).map((a) => [a.sink, a]))
    expect(by.good!.result).toBe('ok')
    expect(by.thrower).toMatchObject({ result: 'error', error: 'Error: stdout closed' })
    expect(by.rejecter).toMatchObject({ result: 'error', error: 'Error: toast gone' })
    expect(by.hanger).toMatchObject({ result: 'timeout', error: 'no answer within 3000 ms', durationMs: 3000 })
    expect((await next).every((a) => a.result === 'ok')).toBe(true)
    const rows = store.recentSinkAttempts().filter(updateKind)
    expect(rows.map((r) => `${r.sink}:${r.key}:${r.result}`).sort()).toEqual(['good:k1:ok', 'hanger:k1:timeout', 'rejecter:k1:error', 'thrower:k1:error'])
    expect(log.errors().find((l) => l.fields?.sink === 'hanger')!.msg).toBe('alert: sink hanger update timed out')
  })
})

describe('latency', () => {
  it('records commit→alert latency of request alerts in the health histogram', async () => {
    const health = new HealthMonitor({ log })
    const p = new AlertPipeline({ sinks: [], flags: () => flags, log, health })
    await p.deliver(alert({ latencyMs: 120 }))
    await p.deliver(alert({ kind: 'repeat', latencyMs: 99999 }))
    await p.deliver(alert({ latencyMs: null }))
    expect(health.summary().latencyMs.count).toBe(1)
  })
})
