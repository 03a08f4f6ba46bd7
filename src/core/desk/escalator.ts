// Escalation in time: applies the rules of escalation.ts to the desk's queue and the watch of the last check-in,
// rings what is due (one alert, a summary when several are due together) and keeps one timer for the next moment
// something can change without a new fact — a request crossing the threshold, or an escalated ring coming due.
// When the time of the ring is recorded is in memory on purpose: after a restart an escalating request rings escalated
// at once, which is what a short-handed shop needs.
import type { QueueItem } from '../../shared/types.js'
import type { Alert, Clock, Logger } from '../ports.js'
import { escalatedAlert } from '../alerts/escalated-alert.js'
import { dueRings, escalating, nextCheckAt, type EscalationTuning, type WaitingRequest } from './escalation.js'
import type { TimerHandle, Timers } from './timers.js'

export interface EscalatorOptions {
  clock: Clock
  timers: Timers
  log: Logger
  tuning: EscalationTuning
  queue(): readonly QueueItem[]
  /** Rings an escalated alert; false when nothing may ring now (paused, alerts switched off). */
  ring(alert: Alert): boolean
  count(key: string): void
}

/** When a request began to wait: its queued time (server clock) where known, else when this workstation first saw it. */
export function waitingSince(item: QueueItem): number {
  const t = item.queuedAt ? Date.parse(item.queuedAt) : NaN
  return Number.isFinite(t) ? t : item.firstSeenAt
}

function toWaiting(items: readonly QueueItem[]): WaitingRequest[] {
  return items.map((i) => ({ requestId: i.requestId, since: waitingSince(i), acknowledged: i.acknowledged, confirmed: i.confirmed }))
}

export class Escalator {
  private live: number | null = null
  private total = 0
  private readonly lastRung = new Map<string, number>()
  private timer: TimerHandle | null = null
  private stopped = false

  constructor(private readonly o: EscalatorOptions) {}

  /** The watch of the last check-in (null: not known — nothing escalates). */
  setWatch(watch: { live: number; total: number } | null): void {
    this.live = watch?.live ?? null
    this.total = watch?.total ?? 0
    this.evaluate()
  }

  /** Request ids escalating now (for the snapshot and tests). */
  escalatingNow(): string[] {
    return escalating(toWaiting(this.o.queue()), this.o.clock.now(), this.live, this.o.tuning).map((w) => w.requestId)
  }

  stop(): void {
    this.stopped = true
    this.disarm()
  }

  /** Rings what is due now and arms the timer for the next check. Called on every queue or watch change. */
  evaluate(): void {
    if (this.stopped) return
    this.disarm()
    const now = this.o.clock.now()
    const items = this.o.queue()
    const waiting = toWaiting(items)
    // Forget requests that left the queue: a re-queued one starts again.
    const present = new Set(waiting.map((w) => w.requestId))
    for (const id of this.lastRung.keys()) if (!present.has(id)) this.lastRung.delete(id)
    const due = dueRings(escalating(waiting, now, this.live, this.o.tuning), now, this.lastRung, this.o.tuning)
    let silenced = false
    if (due.length > 0 && this.live !== null) {
      const byId = new Map(items.map((i) => [i.requestId, i]))
      const alert = escalatedAlert(due.map((d) => byId.get(d.requestId)!), due.map((d) => now - d.since), this.live, this.total)
      if (this.o.ring(alert)) {
        for (const d of due) this.lastRung.set(d.requestId, now)
        this.o.count('escalation:rung')
        this.o.log.warn('escalation: requests waiting while the shop is short-handed', { requests: due.length, live: this.live, total: this.total })
      } else silenced = true
    }
    // Silenced: look again one repeat later (pause and flag changes also bring a queue change that re-evaluates).
    const at = silenced ? now + this.o.tuning.repeatMs : nextCheckAt(waiting, now, this.live, this.lastRung, this.o.tuning)
    if (at !== null) {
      this.timer = this.o.timers.setTimeout(() => {
        this.timer = null
        this.evaluate()
      }, Math.max(0, at - now))
    }
  }

  private disarm(): void {
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer)
    this.timer = null
  }
}
