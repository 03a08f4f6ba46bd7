// What the wallboard shows, as pure data: rows sorted by who has waited longest, each with the text to put
// in its cells (cleaned like every customer string). Urgency is src/shared/urgency.ts. No DOM here.
import type { QueueItem } from '../shared/types.js'
import { excerpt, safeLine, waitingSince } from './format.js'

export interface WallboardRow {
  requestId: string
  name: string
  /** Vehicle and concern, as one short line ('' when neither is known yet). */
  what: string
  since: number
  acknowledged: boolean
}

/** Longest wait first; equal waits by request id, so the order never flickers between snapshots. */
export function wallboardRows(queue: readonly QueueItem[]): WallboardRow[] {
  return queue
    .map((item) => {
      const vehicle = safeLine(item.details.vehicle, 80)
      const concern = excerpt(item.details.concern, 90)
      return {
        requestId: item.requestId,
        name: safeLine(item.details.customerName, 60) || 'Customer (details loading…)',
        what: [vehicle, concern].filter(Boolean).join(' — '),
        since: waitingSince(item),
        acknowledged: item.acknowledged,
      }
    })
    .sort((a, b) => a.since - b.since || (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0))
}

/** "12 min", "1 h 05 min", "< 1 min": the wait, large, without the word "waiting" the column already says. */
export function waitShort(since: number, now: number): string {
  const m = Math.floor(Math.max(0, now - since) / 60_000)
  if (m < 1) return '< 1 min'
  if (m < 60) return `${m} min`
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}
