// Keeps the History view's rows (store/history-table.ts) from what the desk says: a request entering the queue,
// its first ring (and that ring's latency), its name arriving, its acknowledgement, why it left — and, from the
// claims this workstation made, who took it. Reads come from the same table, the last day only.
import type { HistoryEntry, QueueItem } from '../../shared/types.js'
import type { Alert, Clock, Logger, RetractWhy } from '../ports.js'
import type { HistoryTable } from '../store/history-table.js'

/** The History view covers the last day; rows older than that are deleted. */
export const HISTORY_WINDOW_MS = 24 * 3600_000
/** At most this many rows per read (a very busy shop's day; the view is for reading, not export). */
export const HISTORY_MAX_ROWS = 500

export class HistoryRecorder {
  /** Request id → customer name as last written, for the requests in the queue now. */
  private readonly inQueue = new Map<string, string | null>()

  constructor(
    private readonly table: HistoryTable,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly count: (key: string) => void = () => {},
  ) {
    this.guard('prune', () => table.prune(clock.now() - HISTORY_WINDOW_MS))
  }

  /** The desk's queue changed: new requests are recorded, names that arrived are written, departures noted. */
  queue(items: readonly QueueItem[]): void {
    this.guard('queue', () => this.table.batch(() => {
      const now = this.clock.now()
      const present = new Set<string>()
      for (const item of items) {
        present.add(item.requestId)
        const name = item.details.customerName
        if (!this.inQueue.has(item.requestId)) this.table.seen(item.requestId, item.key, name, item.firstSource, item.firstSeenAt)
        else if (name !== null && this.inQueue.get(item.requestId) !== name) this.table.named(item.requestId, name)
        this.inQueue.set(item.requestId, name)
      }
      for (const id of [...this.inQueue.keys()]) {
        if (present.has(id)) continue
        this.inQueue.delete(id)
        this.table.left(id, now)
      }
    }))
  }

  alert(alert: Alert): void {
    if (alert.kind !== 'request' && alert.kind !== 'summary') return
    this.guard('alert', () => this.table.batch(() => {
      const now = this.clock.now()
      for (const item of alert.items) {
        // A ring can reach us before the queue event that lists the request (both follow one commit).
        this.table.seen(item.requestId, item.key, item.details.customerName, item.firstSource, item.firstSeenAt)
        this.table.alerted(item.requestId, now, alert.kind === 'summary' ? 'summary' : 'request', alert.latencyMs)
      }
    }))
  }

  /** `takenBy`: the taker's display name when the server's retract carried it (request_accepted's taken_by). */
  retract(requestId: string, why: RetractWhy, takenBy: string | null = null): void {
    this.guard('retract', () => {
      if (why === 'acknowledged') this.table.acknowledged(requestId, this.clock.now())
      else this.table.ended(requestId, why, this.clock.now())
      if (why === 'taken' && takenBy) this.table.takerNamed(requestId, takenBy)
    })
  }

  /**
   * This workstation's claim ended: the request is ours, or another mechanic's (takenBy: their name when the server
   * said it). Either way it was taken — also when the queue saw it leave first, with no reason.
   */
  claimed(requestId: string, mine: boolean, takenBy: string | null): void {
    this.guard('claim', () => {
      this.table.claimed(requestId, takenBy, mine)
      this.table.ended(requestId, 'taken', this.clock.now())
    })
  }

  list(): HistoryEntry[] {
    return this.table.list(this.clock.now() - HISTORY_WINDOW_MS, HISTORY_MAX_ROWS)
  }

  /** History is a record, not the queue: a failed write is logged and the alert path goes on. */
  private guard(what: string, fn: () => unknown): void {
    try {
      fn()
    } catch (e) {
      this.count('history:error')
      this.log.error(`history: could not record (${what})`, { cause: String((e as Error)?.message ?? e) })
    }
  }
}
