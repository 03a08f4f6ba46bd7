// Silence: what may ring now. The server's feature flags (master switch mech_new_request_alerts) and the
// mechanic's pause, both kept across restarts in the store. While silenced the queue still updates and
// nothing rings; what was never rung is owed one ring (a summary) when alerts come back on, which the
// desk hears through `onAlertsBack`.
import type { FeatureFlags, PauseRequest, PauseUntil } from '../../shared/types.js'
import { DEFAULT_FLAGS } from '../../shared/types.js'
import type { Clock, Logger } from '../ports.js'
import type { Store } from '../store/store.js'
import { pauseEnd, restoredPause, silencedBecause } from './rules.js'
import type { TimerHandle, Timers } from './timers.js'

const META_PAUSE = 'pause_until'

export interface SilenceOptions {
  store: Store
  log: Logger
  clock: Clock
  timers: Timers
  /** Alerts came back on (pause ended, master flag on): ring what is owed, with this phrase. */
  onAlertsBack: (phrase: string) => void
  onPause: (until: PauseUntil) => void
  onFlags: (flags: FeatureFlags) => void
}

export class Silence {
  private currentFlags: FeatureFlags = { ...DEFAULT_FLAGS }
  private pauseUntil: PauseUntil = null
  private pauseTimer: TimerHandle | null = null
  private stopped = false

  constructor(private readonly o: SilenceOptions) {}

  /** Restores the cached flags (for an offline start) and the pause; a pause that ended meanwhile is cleared. */
  start(): void {
    const cached = this.o.store.loadFlags()
    if (cached) this.currentFlags = cached.flags
    const stored = this.o.store.getMeta(META_PAUSE)
    this.pauseUntil = restoredPause(stored, this.o.clock.now())
    if (stored !== null && this.pauseUntil === null) this.o.store.setMeta(META_PAUSE, null)
    this.armPauseTimer()
  }

  stop(): void {
    this.stopped = true
    if (this.pauseTimer !== null) this.o.timers.clearTimeout(this.pauseTimer)
    this.pauseTimer = null
  }

  flags(): FeatureFlags {
    return { ...this.currentFlags }
  }

  /** The pause state; an expired pause reads as null even if its timer has not fired (laptop slept). */
  paused(): PauseUntil {
    if (typeof this.pauseUntil === 'number' && this.pauseUntil <= this.o.clock.now()) this.expirePause()
    return this.pauseUntil
  }

  /** Why nothing may ring now, or null. */
  reason(): string | null {
    return silencedBecause(this.currentFlags, this.paused())
  }

  pause(request: PauseRequest): PauseUntil {
    const until = pauseEnd(request, this.o.clock.now())
    this.pauseUntil = until
    this.o.store.setMeta(META_PAUSE, String(until))
    this.o.log.info('desk: alerts paused', { until })
    this.armPauseTimer()
    this.o.onPause(until)
    return until
  }

  resume(): void {
    if (this.pauseUntil === null) return
    this.endPause('desk: alerts resumed')
    this.o.onAlertsBack('waited while alerts were paused')
  }

  /** New flags from the server (parsed and merged by the feed). Cached for an offline start. */
  setFlags(flags: FeatureFlags): void {
    const wasOff = !this.currentFlags.mech_new_request_alerts
    this.currentFlags = { ...flags }
    this.o.store.saveFlags(this.currentFlags, this.o.clock.now())
    this.o.onFlags({ ...this.currentFlags })
    if (wasOff && this.currentFlags.mech_new_request_alerts) this.o.onAlertsBack('waited while alerts were switched off')
  }

  private armPauseTimer(): void {
    if (this.pauseTimer !== null) this.o.timers.clearTimeout(this.pauseTimer)
    this.pauseTimer = null
    if (typeof this.pauseUntil !== 'number' || this.stopped) return
    this.pauseTimer = this.o.timers.setTimeout(() => {
      this.pauseTimer = null
      this.paused() // expires it if due (the clock, not the timer, is the authority)
      if (typeof this.pauseUntil === 'number') this.armPauseTimer()
    }, Math.max(0, this.pauseUntil - this.o.clock.now()))
  }

  private expirePause(): void {
    this.endPause('desk: pause ended')
    // Deferred: paused() can be called from inside a store transaction; ring after it.
    queueMicrotask(() => this.o.onAlertsBack('waited while alerts were paused'))
  }

  private endPause(logLine: string): void {
    this.o.log.info(logLine)
    this.pauseUntil = null
    this.o.store.setMeta(META_PAUSE, null)
    if (this.pauseTimer !== null) this.o.timers.clearTimeout(this.pauseTimer)
    this.pauseTimer = null
    this.o.onPause(null)
  }
}
