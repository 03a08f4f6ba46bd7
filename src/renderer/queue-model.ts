// What the queue window says about its cards, as pure data: the name a card and its buttons carry, and the
// sentence the one live region announces when requests come and go. No DOM here.
import type { QueueItem } from '../shared/types.js'
import { safeLine } from './format.js'

/** A name for speech and buttons even before the details arrive (a screen reader must not say "Take it: "). */
export const UNNAMED = 'a customer (name loading)'

export function customerName(item: QueueItem): string {
  return safeLine(item.details.customerName, 80)
}

export function spokenName(item: QueueItem): string {
  return customerName(item) || UNNAMED
}

export function takeLabel(item: QueueItem): string {
  return `Take it: ${spokenName(item)}`
}

export function acknowledgeLabel(item: QueueItem): string {
  return `Acknowledge: ${spokenName(item)}`
}

export interface QueueChange {
  added: QueueItem[]
  removed: QueueItem[]
}

/** Requests that appeared and disappeared between two queues (by request id, in queue order). */
export function queueChange(before: readonly QueueItem[], after: readonly QueueItem[]): QueueChange {
  const beforeIds = new Set(before.map((i) => i.requestId))
  const afterIds = new Set(after.map((i) => i.requestId))
  return {
    added: after.filter((i) => !beforeIds.has(i.requestId)),
    removed: before.filter((i) => !afterIds.has(i.requestId)),
  }
}

/** One sentence for the live region ('' when nothing changed). Many arrivals at once are counted, not listed. */
export function announcement(change: QueueChange, waiting: number): string {
  const parts: string[] = []
  const { added, removed } = change
  if (added.length === 1) parts.push(`New request: ${spokenName(added[0]!)}.`)
  else if (added.length > 1) parts.push(`${added.length} new requests.`)
  if (removed.length === 1) parts.push(`${spokenName(removed[0]!)} is no longer waiting.`)
  else if (removed.length > 1) parts.push(`${removed.length} requests are no longer waiting.`)
  if (parts.length === 0) return ''
  parts.push(waiting === 0 ? 'No one is waiting.' : waiting === 1 ? '1 waiting.' : `${waiting} waiting.`)
  return parts.join(' ')
}
