// "Maria Gonzalez — taken by Ana": when a request leaves the queue because a mechanic took it, every
// workstation says so for a few seconds (the card just vanishing reads as a glitch, and a mechanic walking to
// the car wants to know someone is already on it). The notices ride on the engine's snapshot, so the queue
// window, the headless queue UI and the wallboard all get them through the path they already have.
// The customer's name comes from the last queue this workstation listed: by the time the retract is announced
// the row has left the store.
import type { QueueItem, TakenNotice } from '../shared/types.js'
import type { RetractEvent } from './ports.js'

/** How long a "taken by" notice stays (a few seconds: long enough to read across a bay). */
export const TAKEN_NOTICE_MS = 8000
/** More than this many at once is a burst; the oldest go first. */
export const TAKEN_NOTICE_MAX = 5

export class TakenNotices {
  private names = new Map<string, string | null>()
  private notices: TakenNotice[] = []

  constructor(private readonly ttlMs = TAKEN_NOTICE_MS) {}

  /** The queue as last listed: where a retracted request's customer name is found. */
  rememberQueue(items: readonly QueueItem[]): void {
    const next = new Map<string, string | null>()
    for (const i of items) next.set(i.requestId, i.details.customerName)
    // A request retracted in this same group is still named (its retract may come after the new listing).
    for (const n of this.notices) if (!next.has(n.requestId)) next.set(n.requestId, n.customerName)
    this.names = next
  }

  /** A retract: a notice when it was taken; returns whether one was added. */
  retracted(e: RetractEvent, now: number): boolean {
    if (e.why !== 'taken') return false
    const notice: TakenNotice = { requestId: e.requestId, customerName: this.names.get(e.requestId) ?? null, takenBy: e.takenBy ?? null, at: now }
    this.notices = [...this.notices.filter((n) => n.requestId !== e.requestId), notice].slice(-TAKEN_NOTICE_MAX)
    return true
  }

  /** The notices still showing at `now`, oldest first. */
  current(now: number): TakenNotice[] {
    this.notices = this.notices.filter((n) => now - n.at < this.ttlMs)
    return [...this.notices]
  }

  /** Epoch ms when the next notice expires, or null when none shows. */
  nextExpiry(): number | null {
    return this.notices.length ? Math.min(...this.notices.map((n) => n.at + this.ttlMs)) : null
  }
}
