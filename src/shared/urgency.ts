// How long a customer may wait before their request looks urgent: one rule for every view of the queue
// (the queue window's cards, the wallboard's rows), so a card and the shop screen never disagree.
// The defaults are the issue's: amber from 2 minutes, red from 5. There is no settings field for them yet;
// a host that adds one passes its values to urgencyOf instead of changing these.

import type { QueueItem } from './types.js'

export type Urgency = 'calm' | 'amber' | 'red'

/** When a customer began waiting: the server's queued_at, or when this workstation first saw the request. */
export function waitingSince(item: Pick<QueueItem, 'queuedAt' | 'firstSeenAt'>): number {
  const t = item.queuedAt ? Date.parse(item.queuedAt) : NaN
  return Number.isFinite(t) ? t : item.firstSeenAt
}

/** The start of the longest wait in a queue, or null when nobody waits. */
export function longestWaitSince(queue: readonly Pick<QueueItem, 'queuedAt' | 'firstSeenAt'>[]): number | null {
  let oldest: number | null = null
  for (const item of queue) {
    const since = waitingSince(item)
    if (oldest === null || since < oldest) oldest = since
  }
  return oldest
}

export interface UrgencyThresholds {
  /** Waits from this many ms on are amber. */
  amberAfterMs: number
  /** Waits from this many ms on are red. */
  redAfterMs: number
}

export const AMBER_AFTER_MS = 2 * 60_000
export const RED_AFTER_MS = 5 * 60_000
export const DEFAULT_URGENCY: Readonly<UrgencyThresholds> = Object.freeze({ amberAfterMs: AMBER_AFTER_MS, redAfterMs: RED_AFTER_MS })

/** How often views re-colour waits between snapshots: a card turns amber within this long of its threshold. */
export const URGENCY_TICK_MS = 5_000

/** The urgency of a wait that began at `since` (epoch ms). A clock ahead of ours (negative wait) is calm. */
export function urgencyOf(since: number, now: number, t: UrgencyThresholds = DEFAULT_URGENCY): Urgency {
  const waited = now - since
  if (waited >= t.redAfterMs) return 'red'
  if (waited >= t.amberAfterMs) return 'amber'
  return 'calm'
}
