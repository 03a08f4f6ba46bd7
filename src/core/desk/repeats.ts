// Repeat until acknowledged: an unacknowledged request that rang rings again every repeatIntervalMs, at most
// repeatMaxCount times. The schedule lives in the store (queue.next_repeat_at), so it survives a restart;
// one timer is armed for the earliest due repeat among the requests the server has confirmed since start.
import type { Alert } from '../ports.js'
import { plural, requestAlert, summaryAlert } from '../alerts/compose.js'
import type { QueueRow } from '../store/store.js'
import { repeatStep } from './rules.js'
import type { TimerHandle } from './timers.js'
import type { RingDeps } from './ring-deps.js'

/**
 * After a repeat the store refused, the next try waits this long: the schedule is not spent, so it is overdue,
 * and arming for an overdue time alone would re-fire at once — a loop logging one error per millisecond for as
 * long as the store fails.
 */
export const REPEAT_RETRY_MS = 5_000

export interface RepeatsOptions extends RingDeps {
  /** Rows changed (counts, schedules). */
  queueChanged: () => void
  deliver: (alert: Alert) => void
}

export class Repeats {
  private timer: TimerHandle | null = null
  private timerAt: number | null = null
  private stopped = false

  constructor(private readonly o: RepeatsOptions) {}

  stop(): void {
    this.stopped = true
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer)
    this.timer = null
    this.timerAt = null
  }

  /** (Re)arms the one timer for the earliest due repeat (not before `notBefore`); a no-op when that time did not move. */
  arm(notBefore?: number): void {
    if (this.stopped) return
    const due = this.nextConfirmedRepeatAt()
    const at = due !== null && notBefore !== undefined ? Math.max(due, notBefore) : due
    if (at === this.timerAt && this.timer !== null) return
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer)
    this.timer = null
    this.timerAt = at
    if (at === null) return
    this.timer = this.o.timers.setTimeout(() => {
      this.timer = null
      this.timerAt = null
      this.fire()
    }, Math.max(0, at - this.o.clock.now()))
  }

  /**
   * The next repeat among confirmed requests. Unconfirmed ones keep their stored schedule untouched (a
   * repeat that came due while unconfirmed rings as soon as the server confirms the request).
   */
  private nextConfirmedRepeatAt(): number | null {
    if (this.o.unconfirmed.size === 0) return this.o.store.nextRepeatAt()
    let at: number | null = null
    for (const r of this.o.store.listQueue()) {
      if (r.acknowledged || r.nextRepeatAt === null || this.o.unconfirmed.has(r.requestId)) continue
      if (at === null || r.nextRepeatAt < at) at = r.nextRepeatAt
    }
    return at
  }

  /** Rings every due repeat as one alert (a summary when several are due). */
  private fire(): void {
    if (this.stopped) return
    const now = this.o.clock.now()
    const silenced = this.o.silenced() !== null
    let rung: QueueRow[] = []
    let failed = false
    try {
      rung = this.o.store.transaction(() => {
        const out: QueueRow[] = []
        for (const row of this.o.store.dueRepeats(now)) {
          if (this.o.unconfirmed.has(row.requestId)) continue
          const step = repeatStep(row, now, this.o, silenced)
          this.o.store.putQueueRow(step.next)
          if (step.rings) out.push(step.next)
        }
        return out
      })
    } catch (err) {
      failed = true
      this.o.health?.count('store:error')
      this.o.log.error('desk: repeat failed', { cause: String((err as Error)?.message ?? err) })
    }
    this.arm(failed ? now + REPEAT_RETRY_MS : undefined)
    if (rung.length === 0) return
    this.o.queueChanged()
    const alert =
      rung.length === 1
        ? requestAlert(rung[0]!, 'repeat', now, null)
        : summaryAlert(rung, 'repeat', `${plural(rung.length, 'request is', 'requests are')} still waiting`, null)
    this.o.deliver(alert)
  }
}
