// Which request the global shortcut takes: the one waiting longest that this workstation can take — confirmed by
// the server (a request restored from an offline start may be gone already). Acknowledged ones count: they are
// still waiting for a mechanic.
import type { QueueItem } from '../../shared/types.js'

function waitingSince(i: QueueItem): number {
  const t = i.queuedAt ? Date.parse(i.queuedAt) : NaN
  return Number.isFinite(t) ? t : i.firstSeenAt
}

export function oldestWaiting(queue: readonly QueueItem[]): QueueItem | null {
  let best: QueueItem | null = null
  for (const i of queue) {
    if (!i.confirmed) continue
    if (best === null || waitingSince(i) < waitingSince(best)) best = i
  }
  return best
}
