// The ringer: turns the desk's decisions into alert pipeline calls. Live requests ring one by one, up to the
// burst threshold per window; the rest of a real burst is held and rung as one summary when the window
// ends; a backlog (reconcile, owed rings) rings as one summary at once. Each ring is recorded (count,
// repeat schedule) in one store transaction before the alert is delivered, so a crash can lose a ring
// (owed at next start) but never ring the same key twice.
import type { Alert, RetractEvent, RetractWhy } from '../ports.js'
import type { AlertPipeline } from '../alerts/pipeline.js'
import { plural, requestAlert, summaryAlert } from '../alerts/compose.js'
import { timeMs } from '../store/keys.js'
import type { QueueRow } from '../store/store.js'
import { burstFlushDelay, firstRing, liveBurst, type BurstTuning } from './rules.js'
import type { TimerHandle } from './timers.js'
import type { RingDeps } from './ring-deps.js'

/** Where a ring's latency comes from: a live event (link latency), or a backlog found later (none). */
export type LatencyFrom = 'live' | 'found' | 'backlog'

export interface RingerOptions extends RingDeps, BurstTuning {
  pipeline: AlertPipeline
  /** Rows changed (counts, schedules): the repeat timer and the queue listeners follow. */
  rang: () => void
  onAlert: (alert: Alert) => void
  onUpdate: (alert: Alert) => void
  onRetract: (e: RetractEvent) => void
}

export class Ringer {
  /** When the live requests of the current window rang individually (bounded by burstThreshold). */
  private recentLiveRings: number[] = []
  /** Request ids held for the current burst window (not yet rung; alert_count still 0 in the store). */
  private readonly held = new Set<string>()
  private lastRingAt = -Infinity
  private burstTimer: TimerHandle | null = null
  private stopped = false

  constructor(private readonly o: RingerOptions) {}

  /** Clears the burst timer. Held requests stay owed (alert_count 0): they ring after the next start. */
  stop(): void {
    this.stopped = true
    if (this.burstTimer !== null) this.o.timers.clearTimeout(this.burstTimer)
    this.burstTimer = null
  }

  get heldCount(): number {
    return this.held.size
  }

  /** A held request left the queue or was acknowledged: it must not ring with the summary. */
  forget(requestId: string): void {
    this.held.delete(requestId)
  }

  /** New live requests: each rings at once, unless this is a real burst (then held for one summary). */
  ringLive(ids: readonly string[]): void {
    const now = this.o.clock.now()
    const d = liveBurst(this.recentLiveRings, now, this.held.size, ids.length, this.o)
    this.recentLiveRings = d.recent
    if (d.ringEach) {
      for (const id of ids) this.ringNow([id], null, 'live')
      return
    }
    for (const id of ids) this.held.add(id)
    this.armBurstTimer(now)
  }

  /** Rings these (plus anything held) as one alert now; `phrase` names a summary ("… waited while …"). */
  ringTogether(ids: readonly string[], phrase: string | null, latencyFrom: LatencyFrom): void {
    for (const id of ids) this.held.add(id)
    this.flush(phrase, latencyFrom)
  }

  /** Requests queued but never rung (silenced, or held when the app stopped) ring once as a summary. */
  ringOwed(phrase: string): void {
    if (this.o.silenced() !== null || this.stopped) return
    for (const r of this.o.store.listQueue()) {
      if (!r.acknowledged && r.alertCount === 0 && !this.o.unconfirmed.has(r.requestId)) this.held.add(r.requestId)
    }
    if (this.held.size > 0) this.flush(phrase, 'backlog')
  }

  /**
   * One silent update for a request that rang basic and now has its details. Re-read after the commit:
   * only a request still queued, rung and unacknowledged is updated. Silenced (flag off, paused) → no
   * update: a replaced notification still pops up on most platforms, and the next repeat after the
   * silence carries the full text anyway.
   */
  sendUpdate(requestId: string): void {
    let alert: Alert
    try {
      if (this.o.silenced() !== null) return
      const row = this.o.store.getQueueRow(requestId)
      if (!row || row.acknowledged || row.alertCount === 0 || row.detail !== 'full' || this.o.unconfirmed.has(requestId)) return
      // The kind the sinks show now: the first ring, or a repeat ("Still waiting …") after one.
      alert = requestAlert(row, row.alertCount > 1 ? 'repeat' : 'request', this.o.clock.now(), null)
    } catch (err) {
      // ingest/reconcile never throw; a lost update only leaves the basic text on screen.
      this.o.health?.count('store:error')
      this.o.log.error('desk: could not prepare an alert update', { cause: String((err as Error)?.message ?? err) })
      return
    }
    this.o.onUpdate(alert)
    this.o.pipeline.update(alert).catch((err) => {
      this.o.health?.count('alert:pipeline-error')
      this.o.log.error('desk: alert pipeline rejected an update', { cause: String((err as Error)?.stack ?? err) })
    })
  }

  /** why: what the hosts say about it ("… taken", "… acknowledged"); the sinks only withdraw. takenBy: who, when known. */
  retract(requestId: string, why: RetractWhy, takenBy?: string | null): void {
    this.o.onRetract(takenBy === undefined ? { requestId, why } : { requestId, why, takenBy })
    // Failures are recorded inside: fanOut() logs, counts (sink:retract-error) and stores each failed sink call.
    this.o.pipeline.retract(requestId).catch(() => undefined)
  }

  deliver(alert: Alert): void {
    this.o.onAlert(alert)
    this.o.pipeline.deliver(alert).catch((err) => {
      // deliver() never rejects by contract; this is the belt to its braces.
      this.o.health?.count('alert:pipeline-error')
      this.o.log.error('desk: alert pipeline rejected', { cause: String((err as Error)?.stack ?? err) })
    })
  }

  private armBurstTimer(now: number): void {
    if (this.burstTimer !== null || this.stopped) return
    this.burstTimer = this.o.timers.setTimeout(() => {
      this.burstTimer = null
      this.flush(null, 'live')
    }, burstFlushDelay(now, this.lastRingAt, this.o.burstWindowMs))
  }

  /** Rings everything held as one alert (individual if only one). */
  private flush(phrase: string | null, latencyFrom: LatencyFrom): void {
    if (this.burstTimer !== null) {
      this.o.timers.clearTimeout(this.burstTimer)
      this.burstTimer = null
    }
    const ids = [...this.held]
    this.held.clear()
    if (ids.length === 0) return
    this.ringNow(ids, (n) => (phrase ? `${plural(n, 'request', 'requests')} ${phrase}` : plural(n, 'new request', 'new requests')), latencyFrom)
  }

  /**
   * Marks the requests as rung (count, schedule) in one transaction, then delivers one alert. A backlog
   * found at startup is not link latency and is left out of the latency histogram.
   */
  private ringNow(ids: string[], summaryTitle: ((n: number) => string) | null, latencyFrom: LatencyFrom): void {
    // Silenced or stopped: stays owed (alert_count 0) and rings on resume / flag on / after the next start.
    if (this.stopped || this.o.silenced() !== null) return
    const now = this.o.clock.now()
    let rows: QueueRow[]
    try {
      rows = this.o.store.transaction(() => {
        const out: QueueRow[] = []
        for (const id of ids) {
          const row = this.o.store.getQueueRow(id)
          // Not confirmed since start: never rings (it rings, if still owed, once confirmed).
          const next = row && !this.o.unconfirmed.has(id) ? firstRing(row, now, this.o) : null
          if (!next) continue
          this.o.store.putQueueRow(next)
          out.push(next)
        }
        return out
      })
    } catch (err) {
      this.o.health?.count('store:error')
      this.o.log.error('desk: could not mark requests as alerted; alerting anyway', { cause: String((err as Error)?.message ?? err) })
      rows = ids.map((id) => this.o.store.getQueueRow(id)).filter((r): r is QueueRow => !!r)
    }
    if (rows.length === 0) return
    this.lastRingAt = now
    const latencies = rows.map((r) => {
      const t = timeMs(r.commitTs ?? r.queuedAt)
      return t === null ? null : now - t
    })
    let alert: Alert
    if (rows.length === 1) {
      alert = requestAlert(rows[0]!, 'request', now, latencyFrom === 'backlog' ? null : latencies[0]!)
    } else {
      const known = latencies.filter((l): l is number => l !== null)
      // A live burst's latency is its slowest member's; a backlog summary has no link latency.
      const lat = latencyFrom === 'live' && known.length ? Math.max(...known) : null
      alert = summaryAlert(rows, 'summary', (summaryTitle ?? ((n) => plural(n, 'new request', 'new requests')))(rows.length), lat)
    }
    this.o.rang()
    this.deliver(alert)
  }
}
