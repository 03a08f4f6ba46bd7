// Escalation as pure rules. A request that waits unclaimed past a threshold while fewer than N of the shop's
// workstations are live is in danger of being missed: the few workstations left must be harder to ignore. Every live
// workstation decides this for itself from the same facts (its queue, the watch from its last check-in), so no
// workstation has to coordinate with another — and a workstation that cannot tell how many are live (no check-in
// answer yet, a project without the watch) does not escalate on a guess.
// Acknowledged requests do not escalate: the mechanic at this screen has said they saw it, and ringing louder at
// them is noise; the other live workstations still escalate it.

export interface EscalationTuning {
  /** A request waiting at least this long (ms since it was queued) escalates (default 3 min). */
  afterMs: number
  /** …while fewer than this many workstations are live (default 2). */
  belowLive: number
  /** An escalated request rings again this often (ms, default 30 s; the ordinary repeat is 2 min). */
  repeatMs: number
}

export const DEFAULT_ESCALATION: Readonly<EscalationTuning> = Object.freeze({ afterMs: 3 * 60_000, belowLive: 2, repeatMs: 30_000 })

export interface WaitingRequest {
  requestId: string
  /** Epoch ms it began to wait. */
  since: number
  acknowledged: boolean
  /** false: restored from the store and not confirmed by the server since start (never rings). */
  confirmed: boolean
}

/** Whether the shop is short-handed: the watch knows how many are live, and that is fewer than `belowLive`. */
export function shortHanded(live: number | null, t: EscalationTuning): boolean {
  return live !== null && live < t.belowLive
}

/** The requests that escalate now, oldest first. */
export function escalating(waiting: readonly WaitingRequest[], now: number, live: number | null, t: EscalationTuning): WaitingRequest[] {
  if (!shortHanded(live, t)) return []
  return waiting.filter((w) => w.confirmed && !w.acknowledged && now - w.since >= t.afterMs).sort((a, b) => a.since - b.since)
}

/** Of the escalating requests, those whose escalated ring is due: never rung escalated, or `repeatMs` since the last. */
export function dueRings(escalated: readonly WaitingRequest[], now: number, lastRung: ReadonlyMap<string, number>, t: EscalationTuning): WaitingRequest[] {
  return escalated.filter((w) => {
    const last = lastRung.get(w.requestId)
    return last === undefined || now - last >= t.repeatMs
  })
}

/**
 * When to look again (epoch ms), or null when nothing can escalate without a new fact (queue or watch change):
 * the next escalated ring due, or the next request to cross the threshold.
 */
export function nextCheckAt(waiting: readonly WaitingRequest[], now: number, live: number | null, lastRung: ReadonlyMap<string, number>, t: EscalationTuning): number | null {
  if (!shortHanded(live, t)) return null
  let at: number | null = null
  for (const w of waiting) {
    if (!w.confirmed || w.acknowledged) continue
    const crosses = w.since + t.afterMs
    const last = lastRung.get(w.requestId)
    const next = crosses > now ? crosses : last === undefined ? now : Math.max(now, last + t.repeatMs)
    if (at === null || next < at) at = next
  }
  return at
}
