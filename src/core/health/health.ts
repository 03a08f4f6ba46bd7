// Health: counters, a bounded commit→alert latency histogram, and failure-rate windows for fetches
// (the link's REST reads) and sink calls. A breach turns `degradedReason` on and raises exactly one
// health alert; it clears with hysteresis so a rate hovering at the threshold does not flap and ring
// again on every other fetch. Fetches also clear after a few successes in a row: once the database is
// back, waiting for the failures to drain out of the window kept "degraded" up for minutes after the
// link was live again.
import type { HealthSummary } from '../../shared/types.js'
import type { Alert, Clock, Logger } from '../ports.js'
import { systemClock } from '../ports.js'
import { serverText } from '../server-text.js'

export interface HealthOptions {
  log: Logger
  clock?: Clock
  /** How many recent fetch results count (default 10). */
  fetchWindow?: number
  /** How many recent sink calls count (default 20: about five alerts over four sinks). */
  sinkWindow?: number
  /** Breach when failures/samples ≥ this (default 0.5). */
  threshold?: number
  /** Recover when failures/samples ≤ this (default 0.2). */
  clearBelow?: number
  /** No verdict on fewer samples than this (default 4): one failed fetch of one is not 100 %. */
  minSamples?: number
  /** Samples older than this no longer count (default 15 min): an old failure must not pin the rate. */
  maxAgeMs?: number
  /**
   * Fetch window only: this many successful reads in a row end a breach (default 3; 0 turns it off).
   * All reads go to the same server, so a run of successes means it is back. Sink calls are not
   * cleared this way: they go to different sinks, and three working sinks say nothing about the
   * broken fourth. A breach that comes back within maxAgeMs of such a recovery is the same incident
   * (its failures would still have been in the window) and raises no second health alert.
   */
  recoverAfterSuccesses?: number
}

type WindowName = 'fetch' | 'sink'

interface Sample {
  at: number
  ok: boolean
  cause: string | null
}

/**
 * Log-spaced buckets from 1 ms to ~10 h at 5 % resolution: fixed memory (≈ 350 numbers) whatever the
 * run length, percentiles within 5 %.
 */
class LatencyHistogram {
  private static readonly RATIO = 1.05
  private static readonly BUCKETS = 350
  private readonly counts = new Float64Array(LatencyHistogram.BUCKETS + 1)
  count = 0

  record(ms: number): void {
    if (!Number.isFinite(ms)) return
    const v = Math.max(0, ms) // clock skew can make commit→alert negative; count it as instant
    const i = v < 1 ? 0 : Math.min(LatencyHistogram.BUCKETS, 1 + Math.floor(Math.log(v) / Math.log(LatencyHistogram.RATIO)))
    this.counts[i]! += 1
    this.count += 1
  }

  quantile(q: number): number | null {
    if (this.count === 0) return null
    const target = Math.ceil(q * this.count)
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!
      if (seen >= target) {
        if (i === 0) return 0
        // Upper edge of the bucket: the honest (pessimistic) reading.
        return Math.round(Math.pow(LatencyHistogram.RATIO, i))
      }
    }
    return null
  }
}

export type HealthEvent = { type: 'change'; summary: HealthSummary } | { type: 'alert'; alert: Alert }

export class HealthMonitor {
  private readonly log: Logger
  private readonly clock: Clock
  private readonly opts: Required<Omit<HealthOptions, 'log' | 'clock'>>
  private readonly counters = new Map<string, number>()
  private readonly latency = new LatencyHistogram()
  private readonly windows: Record<WindowName, Sample[]> = { fetch: [], sink: [] }
  private readonly breached: Record<WindowName, string | null> = { fetch: null, sink: null }
  /** Successes since the last failure, per window. */
  private readonly okStreak: Record<WindowName, number> = { fetch: 0, sink: 0 }
  /** After a streak recovery: until when a new breach is the same incident (no second alert). */
  private readonly relapseUntil: Record<WindowName, number | null> = { fetch: null, sink: null }
  private external: string | null = null
  /** Named conditions other parts report (e.g. the store holding writes in memory), in the order first set. */
  private readonly conditions = new Map<string, string>()
  private readonly listeners = new Set<(e: HealthEvent) => void>()

  constructor(opts: HealthOptions) {
    this.log = opts.log
    this.clock = opts.clock ?? systemClock
    this.opts = {
      fetchWindow: opts.fetchWindow ?? 10,
      sinkWindow: opts.sinkWindow ?? 20,
      threshold: opts.threshold ?? 0.5,
      clearBelow: opts.clearBelow ?? 0.2,
      minSamples: opts.minSamples ?? 4,
      maxAgeMs: opts.maxAgeMs ?? 15 * 60_000,
      recoverAfterSuccesses: opts.recoverAfterSuccesses ?? 3,
    }
  }

  /** Subscribes to changes of the degraded state and to health alerts. Returns an unsubscribe. */
  on(listener: (e: HealthEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  count(key: string, n = 1): void {
    this.counters.set(key, (this.counters.get(key) ?? 0) + n)
  }

  /** One processed event: counter "<source>:<outcome>". */
  recordEvent(source: string, outcome: string): void {
    this.count(`${source}:${outcome}`)
  }

  recordLatency(ms: number): void {
    this.latency.record(ms)
  }

  /** A REST read by the link/feed (details, reconcile, flags): its result, duration and cause. */
  recordFetch(ok: boolean, ms: number, cause?: string): void {
    this.count(ok ? 'fetch:ok' : 'fetch:error')
    // A fetch's cause quotes the server; it ends up in the degraded reason and a health alert's body.
    const clean = cause === undefined ? null : serverText(cause) || null
    if (!ok) this.log.warn('health: fetch failed', { ms, cause: clean ?? 'unknown' })
    this.push('fetch', ok, clean)
  }

  /** One sink call (alert fan-out). Skipped sinks are not calls and are not recorded here. */
  recordSink(sink: string, ok: boolean, cause?: string): void {
    this.count(ok ? 'sink:ok' : 'sink:error')
    this.push('sink', ok, serverText(cause ? `${sink}: ${cause}` : sink))
  }

  /**
   * Raises one health alert for a condition noticed outside the failure windows (e.g. restored requests
   * still unconfirmed long after start), through the same path as a breach: counted as
   * `health:<name>`, logged, and delivered to every listener as a health alert. `key` names the alert for a
   * later withdrawal (AlertSink.withdraw) when its condition is over.
   */
  announce(name: string, text: { title: string; body: string }, key?: string): void {
    this.count(`health:${name}`)
    this.log.warn(`health: ${text.title}`, { condition: name })
    this.emit({ type: 'alert', alert: { kind: 'health', ...(key ? { key } : {}), title: text.title, body: text.body, detail: 'basic', items: [], latencyMs: null } })
  }

  /** Lets the link supervisor add its own reason (e.g. "realtime channel errored"). null clears. */
  setExternalReason(reason: string | null): void {
    if (reason === this.external) return
    this.external = reason
    this.emit({ type: 'change', summary: this.summary() })
  }

  /** Sets (or with null clears) a named degraded reason, e.g. 'store' → "Local store unavailable: database is locked". */
  setCondition(name: string, reason: string | null): void {
    if ((this.conditions.get(name) ?? null) === reason) return
    if (reason === null) this.conditions.delete(name)
    else this.conditions.set(name, reason)
    this.emit({ type: 'change', summary: this.summary() })
  }

  failureRate(name: WindowName): number {
    const w = this.live(name)
    if (w.length === 0) return 0
    return w.filter((s) => !s.ok).length / w.length
  }

  degradedReason(): string | null {
    const parts = [...this.conditions.values(), this.external, this.breached.fetch, this.breached.sink].filter((p): p is string => p !== null)
    return parts.length ? parts.join('; ') : null
  }

  summary(): HealthSummary {
    return {
      counters: Object.fromEntries(this.counters),
      latencyMs: {
        p50: this.latency.quantile(0.5),
        p95: this.latency.quantile(0.95),
        p99: this.latency.quantile(0.99),
        count: this.latency.count,
      },
      fetchFailureRate: this.failureRate('fetch'),
      sinkFailureRate: this.failureRate('sink'),
      degradedReason: this.degradedReason(),
    }
  }

  private live(name: WindowName): Sample[] {
    const cutoff = this.clock.now() - this.opts.maxAgeMs
    const w = this.windows[name]
    while (w.length > 0 && w[0]!.at < cutoff) w.shift()
    return w
  }

  private push(name: WindowName, ok: boolean, cause: string | null): void {
    const w = this.windows[name]
    w.push({ at: this.clock.now(), ok, cause })
    const cap = name === 'fetch' ? this.opts.fetchWindow : this.opts.sinkWindow
    while (w.length > cap) w.shift()
    this.okStreak[name] = ok ? this.okStreak[name] + 1 : 0
    this.evaluate(name)
  }

  private evaluate(name: WindowName): void {
    const w = this.live(name)
    const failures = w.filter((s) => !s.ok)
    const rate = w.length ? failures.length / w.length : 0
    if (this.breached[name] === null) {
      if (w.length < this.opts.minSamples || rate < this.opts.threshold) return
      const last = [...failures].reverse().find((s) => s.cause)?.cause ?? 'unknown cause'
      const what = name === 'fetch' ? 'reads from the shop server' : 'alert deliveries'
      const reason = `${failures.length} of the last ${w.length} ${what} failed (last: ${last})`
      this.breached[name] = reason
      const relapseUntil = this.relapseUntil[name]
      this.relapseUntil[name] = null
      if (relapseUntil !== null && this.clock.now() < relapseUntil) {
        // Cleared early by a success streak and failing again soon after: the same incident, which
        // already had its alert. Show it as degraded again without ringing a second time.
        this.count(`health:${name}-relapsed`)
        this.log.warn(`health: degraded again (same incident, no new alert) — ${reason}`, { window: name, rate })
        this.emit({ type: 'change', summary: this.summary() })
        return
      }
      this.count(`health:${name}-degraded`)
      this.log.error(`health: degraded — ${reason}`, { window: name, rate })
      const title = name === 'fetch' ? 'BayAlert may miss request details' : 'BayAlert alerts are failing'
      const alert: Alert = {
        kind: 'health',
        title,
        body: `${reason}. New requests still show in the queue window.`,
        detail: 'basic',
        items: [],
        latencyMs: null,
      }
      this.emit({ type: 'change', summary: this.summary() })
      this.emit({ type: 'alert', alert })
    } else if (rate <= this.opts.clearBelow) {
      this.log.info(`health: recovered — ${name} failure rate ${(rate * 100).toFixed(0)} %`, { window: name })
      this.breached[name] = null
      this.relapseUntil[name] = null
      this.emit({ type: 'change', summary: this.summary() })
    } else if (name === 'fetch' && this.opts.recoverAfterSuccesses > 0 && this.okStreak[name] >= this.opts.recoverAfterSuccesses) {
      // The failures before the streak describe an outage that is over; left in the window they would
      // re-breach on the next single failure. Drop them so a new verdict needs minSamples fresh reads.
      let lastFailure = -1
      for (let i = w.length - 1; i >= 0; i--) {
        if (!w[i]!.ok) {
          lastFailure = i
          break
        }
      }
      w.splice(0, lastFailure + 1)
      this.log.info(`health: recovered — ${this.okStreak[name]} reads in a row succeeded`, { window: name })
      this.breached[name] = null
      this.relapseUntil[name] = this.clock.now() + this.opts.maxAgeMs
      this.emit({ type: 'change', summary: this.summary() })
    }
  }

  private emit(e: HealthEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e)
      } catch (err) {
        // A listener's bug must not stop health accounting or the other listeners.
        this.count('health:listener-error')
        this.log.error('health: listener threw', { cause: String((err as Error)?.stack ?? err) })
      }
    }
  }
}
