// Health: counters, percentiles with bounded memory, failure-rate windows, one alert per breach.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Alert } from '../../../src/core/ports.js'
import { HealthMonitor, type HealthOptions } from '../../../src/core/health/health.js'
import { T0, captureLog, harness, queued, recordingSink } from './helpers.js'

beforeEach(() => void vi.useFakeTimers({ now: T0 }))
afterEach(() => void vi.useRealTimers())

function monitor(opts: Omit<HealthOptions, 'log'> = {}) {
  const log = captureLog()
  const h = new HealthMonitor({ log, ...opts })
  const alerts: Alert[] = []
  const changes: (string | null)[] = []
  h.on((e) => (e.type === 'alert' ? alerts.push(e.alert) : changes.push(e.summary.degradedReason)))
  return { h, log, alerts, changes }
}

describe('counters and latency', () => {
  it('counts per source:outcome', () => {
    const { h } = monitor()
    h.recordEvent('broadcast', 'alerted')
    h.recordEvent('broadcast', 'alerted')
    h.recordEvent('reconcile', 'duplicate')
    expect(h.summary().counters).toEqual({ 'broadcast:alerted': 2, 'reconcile:duplicate': 1 })
  })

  it('p50/p95/p99 within 5 % on 100k samples, in fixed memory', () => {
    const { h } = monitor()
    expect(h.summary().latencyMs).toEqual({ p50: null, p95: null, p99: null, count: 0 })
    for (let i = 1; i <= 100_000; i++) h.recordLatency(i % 1000) // uniform 0..999 ms
    const l = h.summary().latencyMs
    expect(l.count).toBe(100_000)
    expect(l.p50! / 500).toBeGreaterThan(0.95)
    expect(l.p50! / 500).toBeLessThan(1.06)
    expect(l.p95! / 950).toBeGreaterThan(0.95)
    expect(l.p95! / 950).toBeLessThan(1.06)
    expect(l.p99! / 990).toBeLessThan(1.06)
    h.recordLatency(-40) // clock skew
    h.recordLatency(Number.NaN)
    expect(h.summary().latencyMs.count).toBe(100_001)
  })
})

describe('failure-rate thresholds', () => {
  it('≥ 50 % of the last 10 fetches failing raises exactly one health alert, then clears on recovery', () => {
    // The rate path alone (the success-streak path has its own tests below).
    const { h, alerts, changes, log } = monitor({ recoverAfterSuccesses: 0 })
    for (let i = 0; i < 6; i++) h.recordFetch(true, 40)
    for (let i = 0; i < 4; i++) h.recordFetch(false, 5000, 'timeout after 5000 ms')
    expect(h.summary().degradedReason).toBeNull()
    h.recordFetch(false, 5000, 'HTTP 401: JWT expired') // 5 of the last 10
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ kind: 'health', title: 'BayAlert may miss request details' })
    expect(h.summary().degradedReason).toBe('5 of the last 10 reads from the shop server failed (last: HTTP 401: JWT expired)')
    for (let i = 0; i < 20; i++) h.recordFetch(false, 5000, 'timeout')
    expect(alerts).toHaveLength(1) // one per breach, not one per failure
    expect(h.summary().fetchFailureRate).toBe(1)
    for (let i = 0; i < 7; i++) h.recordFetch(true, 30)
    expect(h.summary().degradedReason).not.toBeNull() // 3/10 still failing: hysteresis
    h.recordFetch(true, 30)
    expect(h.summary().degradedReason).toBeNull()
    expect(changes).toEqual([expect.stringMatching(/^5 of the last 10/), null])
    expect(log.errors().filter((l) => /health: degraded/.test(l.msg))).toHaveLength(1)
    // A new breach is a new alert.
    for (let i = 0; i < 10; i++) h.recordFetch(false, 1, 'refused')
    expect(alerts).toHaveLength(2)
  })

  it('no verdict on too few samples; old samples age out', () => {
    const { h, alerts } = monitor()
    h.recordFetch(false, 1, 'x')
    h.recordFetch(false, 1, 'x')
    expect(alerts).toHaveLength(0)
    vi.advanceTimersByTime(16 * 60_000)
    h.recordFetch(false, 1, 'x')
    h.recordFetch(true, 1)
    expect(h.summary().fetchFailureRate).toBe(0.5)
    expect(alerts).toHaveLength(0)
  })

  it('sink failures breach separately; reasons combine with an external one', () => {
    const { h, alerts } = monitor()
    h.setExternalReason('realtime channel errored')
    for (let i = 0; i < 4; i++) h.recordSink('sound', false, 'Error: no audio device')
    expect(alerts[0]).toMatchObject({ kind: 'health', title: 'BayAlert alerts are failing' })
    expect(h.degradedReason()).toBe('realtime channel errored; 4 of the last 4 alert deliveries failed (last: sound: Error: no audio device)')
  })

  it('end to end: a sink that always fails raises one health alert to the other sinks', async () => {
    const broken = recordingSink('notify', 'notification', () => {
      throw new Error('DBus not available')
    })
    const h = harness({ sinks: [] })
    try {
      h.core.pipeline.addSink(broken)
      h.core.pipeline.addSink(h.sinks.terminal)
      const healthAlerts: Alert[] = []
      h.core.health.on((e) => e.type === 'alert' && healthAlerts.push(e.alert))
      for (let i = 0; i < 12; i++) {
        h.core.desk.ingest(queued(`r${i}`))
        await vi.advanceTimersByTimeAsync(1500)
      }
      expect(healthAlerts).toHaveLength(1)
      const term = h.sinks.terminal.alerts
      expect(term.filter((a) => a.kind === 'health')).toHaveLength(1)
      expect(term.filter((a) => a.kind === 'request')).toHaveLength(12)
      expect(h.core.health.summary().degradedReason).toMatch(/alert deliveries failed \(last: notify: Error: DBus not available\)/)
    } finally {
      h.dispose()
    }
  })

  it('a throwing health listener is contained', () => {
    const { h, log } = monitor()
    h.on(() => {
      throw new Error('bad listener')
    })
    for (let i = 0; i < 5; i++) h.recordFetch(false, 1, 'x')
    expect(h.summary().counters['health:listener-error']).toBeGreaterThan(0)
    expect(log.errors().some((l) => l.msg === 'health: listener threw')).toBe(true)
  })
})

describe('recovery after an outage', () => {
  const outage = (h: HealthMonitor, n = 10) => {
    for (let i = 0; i < n; i++) h.recordFetch(false, 5000, 'HTTP 503: database unavailable')
  }

  it('3 successful reads in a row clear degraded within seconds, not after the window drains', () => {
    const { h, alerts, changes, log } = monitor()
    for (let i = 0; i < 10; i++) h.recordFetch(true, 40)
    outage(h)
    expect(alerts).toHaveLength(1)
    vi.advanceTimersByTime(2000) // the link is live again
    h.recordFetch(true, 30)
    h.recordFetch(true, 30)
    expect(h.degradedReason()).not.toBeNull() // two in a row is not yet a verdict
    h.recordFetch(true, 30)
    expect(h.degradedReason()).toBeNull()
    expect(changes).toEqual([expect.stringMatching(/^5 of the last 10 reads/), null])
    // The outage's failures left the window with the breach: the rate shows the recovered link.
    expect(h.summary().fetchFailureRate).toBe(0)
    expect(log.lines.some((l) => l.msg === 'health: recovered — 3 reads in a row succeeded')).toBe(true)
    // One stray failure afterwards is not a new breach (1 of 4).
    h.recordFetch(false, 5000, 'timeout')
    expect(h.degradedReason()).toBeNull()
    expect(alerts).toHaveLength(1)
  })

  it('successes must be consecutive: interleaved failures keep the breach', () => {
    const { h } = monitor()
    outage(h)
    for (let i = 0; i < 4; i++) {
      h.recordFetch(true, 30)
      h.recordFetch(true, 30)
      h.recordFetch(false, 5000, 'timeout')
    }
    expect(h.degradedReason()).toMatch(/reads from the shop server failed/)
  })

  it('a relapse soon after a streak recovery is the same incident: degraded again, no second alert', () => {
    const { h, alerts, changes, log } = monitor()
    outage(h)
    for (let i = 0; i < 3; i++) h.recordFetch(true, 30)
    expect(h.degradedReason()).toBeNull()
    vi.advanceTimersByTime(60_000)
    outage(h, 3) // 3 of the 6 fresh reads
    expect(h.degradedReason()).toMatch(/^3 of the last 6 reads/)
    expect(alerts).toHaveLength(1)
    expect(h.summary().counters['health:fetch-relapsed']).toBe(1)
    expect(h.summary().counters['health:fetch-degraded']).toBe(1)
    expect(log.errors().filter((l) => /health: degraded/.test(l.msg))).toHaveLength(1)
    for (let i = 0; i < 3; i++) h.recordFetch(true, 30)
    expect(h.degradedReason()).toBeNull()
    expect(changes).toEqual([expect.any(String), null, expect.any(String), null])
    // Long after the last recovery, a new outage is a new incident with its own alert.
    vi.advanceTimersByTime(16 * 60_000)
    outage(h)
    expect(alerts).toHaveLength(2)
  })

  it('the rate path still clears (failures ageing out) and ends the incident: a new breach alerts', () => {
    const { h, alerts, changes } = monitor()
    outage(h)
    vi.advanceTimersByTime(16 * 60_000) // e.g. no reads at all while the laptop slept
    h.recordFetch(true, 30) // one read: the outage's failures have aged out, rate 0
    expect(h.degradedReason()).toBeNull()
    expect(changes).toEqual([expect.any(String), null])
    outage(h)
    expect(alerts).toHaveLength(2)
  })

  it('sink breaches do not clear on a streak: other sinks succeeding says nothing about the broken one', () => {
    const { h } = monitor()
    for (let i = 0; i < 4; i++) h.recordSink('sound', false, 'Error: no audio device')
    for (let i = 0; i < 3; i++) h.recordSink('notify', true)
    expect(h.degradedReason()).toMatch(/alert deliveries failed/)
  })
})
