// The alert pipeline: fans one Alert out to every sink whose tier flag is on. This is where the old
// dashboard died (post-mortem Issue 5: one throwing tier broke every later notification), so each sink
// call is isolated: a throw, a rejected promise or a hang past the per-sink timeout is recorded as a
// sink attempt, logged with its cause, counted in health — and never stops the other sinks (they run
// concurrently) or the next alert (nothing here awaits a previous delivery).
import type { FeatureFlags } from '../../shared/types.js'
import type { Alert, AlertSink, Clock, Logger } from '../ports.js'
import { systemClock, TIER_FLAG } from '../ports.js'
import type { HealthMonitor } from '../health/health.js'
import type { SinkAttempt, SinkResult, Store } from '../store/store.js'
import { systemTimers, type Timers } from '../desk/timers.js'

export interface PipelineOptions {
  sinks: AlertSink[]
  /** Current flags (the desk owns them; read at delivery time, never cached here). */
  flags: () => FeatureFlags
  log: Logger
  store?: Store
  health?: HealthMonitor
  clock?: Clock
  timers?: Timers
  /** Per-sink timeout for alert/update/retract/queueChanged (default 3000 ms). */
  sinkTimeoutMs?: number
}

const TIMEOUT = Symbol('timeout')

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 500)
  try {
    return String(err).slice(0, 500)
  } catch {
    return 'unprintable error'
  }
}

export class AlertPipeline {
  private readonly sinks: AlertSink[]
  private readonly flags: () => FeatureFlags
  private readonly log: Logger
  private readonly store: Store | undefined
  private readonly health: HealthMonitor | undefined
  private readonly clock: Clock
  private readonly timers: Timers
  private readonly timeoutMs: number

  constructor(opts: PipelineOptions) {
    this.sinks = [...opts.sinks]
    this.flags = opts.flags
    this.log = opts.log
    this.store = opts.store
    this.health = opts.health
    this.clock = opts.clock ?? systemClock
    this.timers = opts.timers ?? systemTimers
    this.timeoutMs = opts.sinkTimeoutMs ?? 3000
  }

  /** Later-registered sinks (a host adapter that comes up after the engine) join the fan-out. */
  addSink(sink: AlertSink): void {
    this.sinks.push(sink)
  }

  /**
   * Delivers one alert to every eligible sink concurrently. Resolves (never rejects) once every sink
   * has finished, failed or timed out, with one attempt per sink.
   */
  async deliver(alert: Alert): Promise<SinkAttempt[]> {
    if (alert.latencyMs !== null && (alert.kind === 'request' || alert.kind === 'summary')) {
      this.health?.recordLatency(alert.latencyMs)
    }
    return this.send('alert', alert)
  }

  /**
   * A request's alert text changed after it rang (details arrived): every sink that implements
   * update() replaces what it shows, silently. Same flag gating and isolation as deliver(), but it is
   * not a ring: no latency sample, and sinks without update() (sound, attention) are not called at all.
   * Attempts are recorded with alertKind 'update'. Resolves (never rejects) with one attempt per sink
   * that implements update().
   */
  async update(alert: Alert): Promise<SinkAttempt[]> {
    return this.send('update', alert)
  }

  private async send(op: 'alert' | 'update', alert: Alert): Promise<SinkAttempt[]> {
    const flags = this.flags()
    // The master switch gates request alerts, with no bypass (post-mortem Issue 3). Health alerts are
    // about BayAlert itself, not new requests, so only the tier flags apply to them.
    const masterOff = alert.kind !== 'health' && !flags.mech_new_request_alerts
    const alertKind: SinkAttempt['alertKind'] = op === 'update' ? 'update' : alert.kind
    const sinks = op === 'update' ? this.sinks.filter((s) => typeof s.update === 'function') : this.sinks
    const attempts = await Promise.all(
      sinks.map(async (sink): Promise<SinkAttempt> => {
        const tierFlag = TIER_FLAG[sink.tier]
        const at = this.clock.now()
        const base = { at, sink: sink.name, tier: sink.tier, alertKind, key: alert.key ?? null }
        if (masterOff || (tierFlag !== null && !flags[tierFlag])) {
          return { ...base, result: 'skipped-flag', durationMs: 0, error: masterOff ? 'mech_new_request_alerts off' : `${tierFlag} off` }
        }
        const { result, error } = await this.call(() => (op === 'update' ? sink.update!(alert) : sink.alert(alert)))
        const attempt: SinkAttempt = { ...base, result, durationMs: this.clock.now() - at, error }
        this.health?.recordSink(sink.name, result === 'ok', error ?? undefined)
        if (result !== 'ok') {
          this.log.error(`alert: sink ${sink.name}${op === 'update' ? ' update' : ''} ${result === 'timeout' ? 'timed out' : 'failed'}`, {
            sink: sink.name,
            tier: sink.tier,
            kind: alert.kind,
            key: alert.key ?? null,
            cause: error,
          })
        }
        return attempt
      }),
    )
    this.record(attempts)
    return attempts
  }

  /** Withdraws a request's alert from every sink that supports it (all tiers: withdrawing is never noisy). */
  async retract(requestId: string): Promise<void> {
    await this.fanOut('retract', requestId, (s) => s.retract?.(requestId))
  }

  async queueChanged(count: number): Promise<void> {
    await this.fanOut('queue', null, (s) => s.queueChanged?.(count))
  }

  /** Withdraws a health alert by its key from every sink that supports it (all tiers, like retract). */
  async withdraw(key: string): Promise<void> {
    await this.fanOut('withdraw', key, (s) => s.withdraw?.(key))
  }

  private async fanOut(kind: 'retract' | 'queue' | 'withdraw', key: string | null, fn: (s: AlertSink) => unknown): Promise<void> {
    const failed: SinkAttempt[] = []
    const has = { retract: (s: AlertSink) => !!s.retract, queue: (s: AlertSink) => !!s.queueChanged, withdraw: (s: AlertSink) => !!s.withdraw }[kind]
    await Promise.all(
      this.sinks.map(async (sink) => {
        if (!has(sink)) return
        const at = this.clock.now()
        const { result, error } = await this.call(() => fn(sink))
        if (result === 'ok') return
        // Only failures are recorded: queueChanged fires on every queue change and would flood the log.
        failed.push({ at, sink: sink.name, tier: sink.tier, alertKind: kind, key, result, durationMs: this.clock.now() - at, error })
        this.health?.count(`sink:${kind}-error`)
        this.log.error(`alert: sink ${sink.name} ${kind} ${result === 'timeout' ? 'timed out' : 'failed'}`, {
          sink: sink.name,
          cause: error,
        })
      }),
    )
    this.record(failed)
  }

  /** Runs one sink call with isolation and a timeout. Never throws. */
  private async call(fn: () => unknown): Promise<{ result: SinkResult; error: string | null }> {
    let handle: unknown
    try {
      const timeout = new Promise<typeof TIMEOUT>((resolve) => {
        handle = this.timers.setTimeout(() => resolve(TIMEOUT), this.timeoutMs)
      })
      // Promise.resolve().then(fn): a synchronous throw becomes a rejection, handled below.
      const outcome = await Promise.race([Promise.resolve().then(fn), timeout])
      if (outcome === TIMEOUT) return { result: 'timeout', error: `no answer within ${this.timeoutMs} ms` }
      return { result: 'ok', error: null }
    } catch (err) {
      return { result: 'error', error: describe(err) }
    } finally {
      this.timers.clearTimeout(handle)
    }
  }

  private record(attempts: SinkAttempt[]): void {
    if (!this.store || attempts.length === 0 || !this.store.isOpen) return
    try {
      this.store.transaction(() => {
        for (const a of attempts) this.store!.recordSinkAttempt(a)
      })
    } catch (err) {
      // The alert already went out; losing its audit row is bad but must not throw into the caller.
      this.health?.count('store:error')
      this.log.error('alert: could not record sink attempts', { cause: describe(err) })
    }
  }
}
