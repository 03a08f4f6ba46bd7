// The self-test scheduler: runs the AlertPathProbe at start, on resume, every hour and on demand (Test alert),
// caches the verdict and tells listeners when it changes. Nothing on the alert path ever waits for it:
// current() is synchronous and returns the last verdict (null before the first run finishes), and every
// run is fire-and-forget for the caller that triggers it. Runs never overlap — a trigger during a run
// shares that run — and a probe that rejects despite its contract is logged and counted, not thrown.
import type { Logger } from '../ports.js'
import type { AlertPathProbe, AlertPathVerdict } from './types.js'

export const HOURLY_MS = 60 * 60_000

export interface MonitorTimers {
  every(ms: number, fn: () => void): () => void
}

export const realTimers: MonitorTimers = {
  every(ms, fn) {
    const t = setInterval(fn, ms)
    t.unref?.()
    return () => clearInterval(t)
  },
}

export interface AlertPathMonitorOptions {
  probe: AlertPathProbe
  log: Logger
  timers?: MonitorTimers
  intervalMs?: number
}

export class AlertPathMonitor {
  private verdict: AlertPathVerdict | null = null
  private running: Promise<AlertPathVerdict | null> | null = null
  private stopTimer: (() => void) | null = null
  private stopped = false
  private readonly listeners = new Set<(v: AlertPathVerdict) => void>()
  /** Runs that failed outright (the probe rejected); each is logged with its cause. */
  failures = 0
  runs = 0

  constructor(private readonly o: AlertPathMonitorOptions) {}

  /** Starts the hourly timer and the first run; returns at once. */
  start(): void {
    if (this.stopTimer || this.stopped) return
    this.stopTimer = (this.o.timers ?? realTimers).every(this.o.intervalMs ?? HOURLY_MS, () => void this.run('hourly'))
    void this.run('start')
  }

  /** OS resume: outputs, DND and daemons may all have changed while asleep. */
  onResume(): void {
    if (!this.stopped) void this.run('resume')
  }

  /** The last verdict, synchronously; null until the first run has finished. */
  current(): AlertPathVerdict | null {
    return this.verdict
  }

  onChange(listener: (v: AlertPathVerdict) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** One run now (shared with one in flight). Resolves null only when the probe failed outright. */
  run(trigger: string): Promise<AlertPathVerdict | null> {
    if (this.running) return this.running
    const run = (async () => {
      try {
        const v = await this.o.probe.check(trigger)
        this.runs++
        if (this.stopped) return v
        const changed = !this.verdict || key(this.verdict) !== key(v)
        this.verdict = v
        if (changed) {
          // What could not be told is logged with its cause here, once per change, not on every hourly run.
          const unknown = v.unknown.map((u) => `${u.detector}: ${u.why}`)
          if (v.findings.length) this.o.log.warn('alert path: something swallows alerts', { trigger, findings: v.findings.map((f) => f.id), unknown })
          else this.o.log.info('alert path: ok', { trigger, unknown })
        }
        // Every run reaches listeners (a Test alert wants its answer even when nothing changed); they compare.
        for (const l of this.listeners) {
          try {
            l(v)
          } catch (e) {
            this.o.log.warn('alert path: a listener failed', { cause: String((e as Error)?.message ?? e) })
          }
        }
        return v
      } catch (e) {
        this.failures++
        this.o.log.error('alert path: the self-test failed', { trigger, cause: String((e as Error)?.message ?? e), failures: this.failures })
        return null
      } finally {
        this.running = null
      }
    })()
    this.running = run
    return run
  }

  stop(): void {
    this.stopped = true
    this.stopTimer?.()
    this.stopTimer = null
    this.listeners.clear()
  }
}

function key(v: AlertPathVerdict): string {
  return JSON.stringify([v.findings, v.unknown])
}
