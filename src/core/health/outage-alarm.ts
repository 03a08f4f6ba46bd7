// The loud side of "never silent": a workstation that has not been receiving requests for longer than a
// threshold (signed out, offline, connecting, degraded without a working path) says so with a health alert —
// which every sink delivers, the sound sink with its own health sound — and says it again at the request repeat
// interval, at most as many times as a request repeats, until the link is back or the mechanic acknowledges it.
// A changed tray icon alone is what let the old dashboard go quiet for a morning. Degraded while requests still
// arrive (e.g. on the postgres_changes fallback) is news, not silence: one alert, no repeats.
//
// Pure of I/O: the engine feeds it every displayed state and gives it a timer registry and a way to ring.
import type { LinkState, OutageView } from '../../shared/types.js'
import type { TimerRegistry } from '../link/timers.js'
import type { Clock, Logger } from '../ports.js'


export interface OutageAlarmOptions {
  clock: Clock
  timers: TimerRegistry
  log: Logger
  /** Rings one health alert (title, body). */
  ring(text: { title: string; body: string }): void
  /** The alarm started, was acknowledged or ended: the snapshot shows it. */
  changed(): void
  /** Not receiving for this long before the first alert (default 60 s). */
  afterMs?: number
  /** Between repeats (default the request repeat interval, 2 min). */
  repeatMs?: number
  /** Repeats after the first alert (default 10, like a request). */
  maxRepeats?: number
}


/** Whether requests can reach this workstation in a state: live, or degraded while a path still delivers. */
export function receiving(state: LinkState, pathWorks: boolean): boolean {
  return state.state === 'live' || (state.state === 'degraded' && pathWorks)
}

export class OutageAlarm {
  private down: { since: number; reason: string; silent: boolean } | null = null
  private alerted = false
  private acknowledged = false
  private repeats = 0
  private cancel: (() => void) | null = null
  private stopped = false
  private readonly afterMs: number
  private readonly repeatMs: number
  private readonly maxRepeats: number

  constructor(private readonly o: OutageAlarmOptions) {
    this.afterMs = o.afterMs ?? 60_000
    this.repeatMs = o.repeatMs ?? 120_000
    this.maxRepeats = o.maxRepeats ?? 10
  }

  /** Every displayed state, with whether a path still delivers requests (degraded on the fallback). */
  update(state: LinkState, pathWorks: boolean): void {
    if (this.stopped) return
    if (state.state === 'live') return this.end()
    const silent = !receiving(state, pathWorks)
    if (this.down === null) {
      this.down = { since: state.since, reason: state.reason, silent }
      this.arm(Math.max(0, state.since + this.afterMs - this.o.clock.now()))
      return
    }
    const wasSilent = this.down.silent
    this.down = { ...this.down, reason: state.reason, silent }
    // Degraded-but-receiving turning into real silence after its one alert: repeats start now.
    if (silent && !wasSilent && this.alerted && !this.acknowledged && this.cancel === null) this.arm(this.repeatMs)
  }

  /** The mechanic has seen it: no more repeats for this outage (a new outage alarms again). */
  acknowledge(): void {
    if (!this.down || this.acknowledged) return
    this.acknowledged = true
    this.cancel?.()
    this.cancel = null
    this.o.log.info('outage alarm acknowledged', { since: new Date(this.down.since).toISOString() })
    this.o.changed()
  }

  view(): OutageView | null {
    return this.down ? { since: this.down.since, reason: this.down.reason, alerted: this.alerted, acknowledged: this.acknowledged } : null
  }

  stop(): void {
    this.stopped = true
    this.cancel?.()
    this.cancel = null
  }

  private end(): void {
    if (!this.down) return
    const wasAlerted = this.alerted
    this.cancel?.()
    this.cancel = null
    if (wasAlerted) this.o.log.info('receiving requests again; outage alarm ended', { downForMs: this.o.clock.now() - this.down.since })
    this.down = null
    this.alerted = false
    this.acknowledged = false
    this.repeats = 0
    if (wasAlerted) this.o.changed()
  }

  private arm(ms: number): void {
    this.cancel?.()
    this.cancel = this.o.timers.after(ms, () => {
      this.cancel = null
      this.fire()
    })
  }

  private fire(): void {
    const down = this.down
    if (this.stopped || !down || this.acknowledged) return
    const first = !this.alerted
    if (!first && this.repeats >= this.maxRepeats) return
    if (!first) this.repeats++
    this.alerted = true
    const mins = Math.max(1, Math.round((this.o.clock.now() - down.since) / 60_000))
    const title = down.silent ? 'BayAlert is not receiving requests' : 'BayAlert is degraded'
    const body = down.silent
      ? `For ${mins} min: ${down.reason}. New requests will not ring on this workstation until it is back. Acknowledge to stop this reminder.`
      : `For ${mins} min: ${down.reason}. Requests still arrive; this is said once.`
    this.o.log.warn(first ? 'outage alarm: not receiving for longer than the threshold' : 'outage alarm: repeat', { since: new Date(down.since).toISOString(), reason: down.reason, repeat: this.repeats })
    this.o.ring({ title, body })
    if (first) this.o.changed()
    if (down.silent && this.repeats < this.maxRepeats) this.arm(this.repeatMs)
  }
}
