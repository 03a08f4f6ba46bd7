// The chaos run's judgement, from what was recorded: the requests' true history in the database, what each
// workstation said (state, rings, queue lines) and when, and the faults' windows. Pure: times in, counts out.
//
// The four counts (each per workstation and request, so a pair counts once per kind):
// - lost: a request the workstation owed a ring and never rang, or one the database still queues at the end that
//   its final queue lacks. "Owed": queued while the workstation had a healthy link (said `live`, and the backend's
//   read paths were not under a REST fault) for `ringWithinMs` in one stretch.
// - rungTwice: rung more than once (across restarts of the workstation: its store must remember what it rang).
//   Repeats ("still waiting") and health alerts are not rings of a request.
// - staleRemovals: taken or cancelled, yet still in the workstation's queue `leaveWithinMs` into a healthy
//   stretch after the removal (or in its final queue).
// - silentFailures: the workstation said `live` (healthy stretch) for `ringWithinMs` while an owed request had not
//   rung — a silence it did not announce. A request rung late after the workstation said it was degraded is fine.
//   Also: a fault that takes the realtime link away (socket drop, refused reconnects, realtime restart, a half-open
//   link long enough to swallow a heartbeat) while the workstation said `live`, and no other state line within the
//   time the workstation can know (`announceWithinMs`; for a half-open link, two heartbeat periods and a margin).
// And a fifth, beside the four: exits — the workstation's process ended on its own (not killed or stopped by the run);
// the run starts it again, as a service manager would, but a notifier that quits has stopped ringing.
//
// "Healthy" is what the workstation says (`live`) minus the time a backend fault takes the link or its read paths
// away (the fault's window and a grace after it): no workstation can hear through a half-open link or read through
// a PostgREST outage; what it owes is to say so, and to catch up once it can.
import { FAULT_CLASSES, PER_WORKSTATION, type FaultClass } from './plan.js'

export interface StateMark {
  t: number
  /** The link state the workstation printed, or 'down' while its process is not running. */
  state: string
}
export interface Ring {
  t: number
  requestId: string
  /** Which run of the workstation (0 = first start, 1 = after the first kill, …). */
  run: number
}
export interface QueueMark {
  t: number
  ids: string[]
}
export interface WorkstationRecord {
  index: number
  states: StateMark[]
  rings: Ring[]
  queues: QueueMark[]
  /** Its process ended on its own: when, and its last words (exit code, last stderr line). */
  exits?: { t: number; why: string }[]
}
export interface RequestRecord {
  id: string
  /** When its queued row was committed (at the latest). */
  queuedAt: number
  /** When it left the queue (committed, at the latest); null when still queued at the end. */
  removedAt: number | null
  /** When the removal was started (its commit is at or after this). */
  removalStartedAt: number | null
}
export interface FaultWindow {
  fault: FaultClass
  start: number
  end: number
  workstation: number | null
  injected: boolean
}

export type FailureKind = 'lost' | 'rungTwice' | 'staleRemovals' | 'silentFailures' | 'exits'
export const FAILURE_KINDS: readonly FailureKind[] = ['lost', 'rungTwice', 'staleRemovals', 'silentFailures', 'exits']

export interface Failure {
  kind: FailureKind
  workstation: number
  /** The request; for an unannounced silence `<fault class>@<start>`, for an exit `exit@<t>`. */
  requestId: string
  at: number
  /** The fault classes whose window (plus the attribution tail) held `at`; ['none'] when no fault did. */
  faults: (FaultClass | 'none')[]
  why: string
}

export type ClassCounts = { injected: number } & Record<FailureKind, number>

export interface Verdict {
  counts: Record<FailureKind, number>
  byFault: Record<FaultClass | 'none', ClassCounts>
  failures: Failure[]
  queueMismatches: number
  /** What the checks covered: (workstation, request) pairs owed a ring, removals checked, silences checked. */
  coverage: { owedRings: number; removalChecks: number; silenceChecks: number }
}

export interface VerdictOptions {
  /** A healthy workstation rings a queued request within this (default 5000 ms). */
  ringWithinMs?: number
  /** …and drops a removed one within this (default 2000 ms). */
  leaveWithinMs?: number
  /** A failure this soon after a fault window ends is still that fault's (default 5000 ms). */
  attributionTailMs?: number
  /** The database's queue at the end (request ids). */
  finalDbQueue: string[]
  /** When recording stopped. */
  endAt: number
}

/** The engine's realtime heartbeat period (src/core/link: a missed reply is noticed at the next beat). */
export const HEARTBEAT_MS = 4000

/**
 * How a fault keeps a link from being healthy: `link` faults take the realtime link itself away for their window and
 * `graceMs` after it; `catchUp` faults (REST errors and latency) only break the catch-up read a workstation does when
 * it comes back, so they only delay a healthy stretch that begins within their window and grace — a link that stays
 * up hears everything on realtime, REST or not. Null for faults a workstation must ride through without losing
 * anything (duplicated or reordered events, denied detail reads, token expiry, its own store locked) and for its own
 * kill (it is down, which is not live).
 */
export function disturbance(fault: FaultClass): { scope: 'link' | 'catchUp'; graceMs: number } | null {
  switch (fault) {
    case 'halfOpen':
      // The missed heartbeat reply can be noticed up to two periods after the link went deaf, so after it came back.
      return { scope: 'link', graceMs: 2 * HEARTBEAT_MS + 1000 }
    case 'socketDrop':
    case 'refusedConnections':
    case 'realtimeRestart':
    case 'postgresRestart':
      // A rejoin begun in the fault's last moment finishes within this.
      return { scope: 'link', graceMs: 1000 }
    case 'rest5xx':
    case 'restLatency':
      // …and a read begun in the fault's last moment.
      return { scope: 'catchUp', graceMs: 1000 }
    default:
      return null
  }
}

/** The workstation's healthy stretches: said `live`, minus what the faults took away (see `disturbance`). */
export function healthyIntervals(states: StateMark[], faults: FaultWindow[], endAt: number): Interval[] {
  const cuts = faults.flatMap((f) => {
    const d = f.injected ? disturbance(f.fault) : null
    return d ? [{ scope: d.scope, from: f.start, to: f.end + d.graceMs }] : []
  })
  let live = subtract(liveIntervals(states, endAt), cuts.filter((c) => c.scope === 'link').map((c): Interval => [c.from, c.to]))
  // A stretch that begins inside a catch-up fault is healthy only once that fault (and its grace) is over.
  for (const c of cuts.filter((x) => x.scope === 'catchUp')) {
    live = live.flatMap(([a, b]): Interval[] => (a >= c.from && a < c.to ? (c.to < b ? [[c.to, b]] : []) : [[a, b]]))
  }
  return live
}

/** Within how long of a fault's start a workstation that said `live` must say otherwise, or null when not asked to. */
export function announceWithinMs(f: FaultWindow): number | null {
  switch (f.fault) {
    case 'halfOpen':
      // Too short to swallow a heartbeat: nothing to notice; else the next beat finds the reply missing.
      return f.end - f.start >= HEARTBEAT_MS ? 2 * HEARTBEAT_MS + 2000 : null
    case 'socketDrop':
    case 'refusedConnections':
    case 'realtimeRestart':
      // The socket closes: the state changes at once.
      return 3000
    default:
      return null
  }
}

type Interval = [number, number]

export function judge(workstations: WorkstationRecord[], requests: RequestRecord[], faults: FaultWindow[], o: VerdictOptions): Verdict {
  const ringWithin = o.ringWithinMs ?? 5000
  const leaveWithin = o.leaveWithinMs ?? 2000
  const tail = o.attributionTailMs ?? 5000
  const failures: Failure[] = []
  const seen = new Set<string>()
  const fail = (kind: FailureKind, w: number, requestId: string, at: number, why: string) => {
    const key = `${kind}|${w}|${requestId}`
    if (seen.has(key)) return
    seen.add(key)
    failures.push({ kind, workstation: w, requestId, at, faults: attribute(faults, w, at, tail), why })
  }
  let queueMismatches = 0
  const coverage = { owedRings: 0, removalChecks: 0, silenceChecks: 0 }
  const finalDb = new Set(o.finalDbQueue)

  for (const w of workstations) {
    const healthy = healthyIntervals(w.states, faults, o.endAt)
    const ringsOf = new Map<string, Ring[]>()
    for (const r of w.rings) ringsOf.set(r.requestId, [...(ringsOf.get(r.requestId) ?? []), r])

    for (const req of requests) {
      const rings = (ringsOf.get(req.id) ?? []).sort((a, b) => a.t - b.t)
      if (rings.length > 1) fail('rungTwice', w.index, req.id, rings[1]!.t, `rung ${rings.length} times (runs ${rings.map((r) => r.run).join(', ')})`)

      // Owed: a healthy stretch of at least ringWithin while the request was surely queued.
      const queuedUntil = req.removalStartedAt ?? o.endAt
      const owed = healthy.map(([a, b]): Interval => [Math.max(a, req.queuedAt), Math.min(b, queuedUntil)]).find(([a, b]) => b - a >= ringWithin)
      if (owed) {
        coverage.owedRings++
        const due = owed[0] + ringWithin
        const first = rings[0]
        if (!first) fail('lost', w.index, req.id, due, 'owed a ring (queued while healthy) and never rung')
        if (!first || first.t > due) fail('silentFailures', w.index, req.id, due, first ? `said live for ${ringWithin} ms before ringing it (rang ${first.t - owed[0]} ms in)` : `said live for ${ringWithin} ms and never rang it`)
      }

      if (req.removedAt !== null) {
        for (const [a, b] of healthy) {
          if (b <= req.removedAt) continue
          const check = Math.max(a, req.removedAt) + leaveWithin
          if (check > b) continue
          coverage.removalChecks++
          const at = presentDuring(w.queues, req.id, check, b)
          if (at !== null) fail('staleRemovals', w.index, req.id, at, `still in the queue ${at - Math.max(a, req.removedAt)} ms into a healthy link after it left the database's queue`)
        }
      }
    }

    // Silences: a fault took the link away while the workstation said live, and it never said otherwise.
    for (const f of faults) {
      const within = f.injected ? announceWithinMs(f) : null
      if (within === null || stateAt(w.states, f.start) !== 'live') continue
      coverage.silenceChecks++
      const until = Math.min(f.start + within, o.endAt)
      const said = w.states.some((x) => x.t > f.start && x.t <= until && x.state !== 'live')
      if (!said) fail('silentFailures', w.index, `${f.fault}@${f.start}`, f.start, `said live through ${f.fault} for ${within} ms without another state line`)
    }

    for (const e of w.exits ?? []) fail('exits', w.index, `exit@${e.t}`, e.t, `the workstation's process ended on its own: ${e.why}`)

    // The final queue against the database's.
    const last = w.queues.filter((q) => q.t <= o.endAt).at(-1)
    const mine = new Set(last?.ids ?? [])
    let mismatched = false
    for (const id of finalDb) {
      if (mine.has(id)) continue
      mismatched = true
      fail('lost', w.index, id, o.endAt, 'queued in the database at the end, missing from the final queue')
    }
    for (const id of mine) {
      if (finalDb.has(id)) continue
      mismatched = true
      fail('staleRemovals', w.index, id, o.endAt, 'in the final queue, no longer queued in the database')
    }
    if (mismatched) queueMismatches++
  }

  const counts = { lost: 0, rungTwice: 0, staleRemovals: 0, silentFailures: 0, exits: 0 }
  const byFault = {} as Record<FaultClass | 'none', ClassCounts>
  for (const c of [...FAULT_CLASSES, 'none' as const]) byFault[c] = { injected: 0, lost: 0, rungTwice: 0, staleRemovals: 0, silentFailures: 0, exits: 0 }
  for (const f of faults) if (f.injected) byFault[f.fault].injected++
  for (const f of failures) {
    counts[f.kind]++
    for (const c of f.faults) byFault[c][f.kind]++
  }
  return { counts, byFault, failures, queueMismatches, coverage }
}

/** The stretches in which the workstation said `live` (its process running), up to `endAt`. */
export function liveIntervals(states: StateMark[], endAt: number): Interval[] {
  const out: Interval[] = []
  let since: number | null = null
  for (const s of [...states].sort((a, b) => a.t - b.t)) {
    if (s.state === 'live') since ??= s.t
    else if (since !== null) {
      out.push([since, s.t])
      since = null
    }
  }
  if (since !== null && since < endAt) out.push([since, endAt])
  return out
}

/** The state the workstation showed at `t` ('down' before its first line). */
export function stateAt(states: StateMark[], t: number): string {
  return [...states].sort((a, b) => a.t - b.t).filter((x) => x.t <= t).at(-1)?.state ?? 'down'
}

/** `base` minus every interval of `cut`. */
export function subtract(base: Interval[], cut: Interval[]): Interval[] {
  let parts = base
  for (const [c0, c1] of cut) {
    parts = parts.flatMap(([a, b]): Interval[] => {
      if (c1 <= a || c0 >= b) return [[a, b]]
      const keep: Interval[] = []
      if (c0 > a) keep.push([a, c0])
      if (c1 < b) keep.push([c1, b])
      return keep
    })
  }
  return parts
}

/** The first moment in [from, to] at which the queue shown held `id`, or null. */
export function presentDuring(queues: QueueMark[], id: string, from: number, to: number): number | null {
  const sorted = [...queues].sort((a, b) => a.t - b.t)
  const before = sorted.filter((q) => q.t <= from).at(-1)
  if (before?.ids.includes(id)) return from
  const later = sorted.find((q) => q.t > from && q.t <= to && q.ids.includes(id))
  return later ? later.t : null
}

/** The classes of the faults that could explain a failure of workstation `w` at `at`. */
export function attribute(faults: FaultWindow[], w: number, at: number, tailMs: number): (FaultClass | 'none')[] {
  const hit = new Set<FaultClass>()
  for (const f of faults) {
    if (!f.injected) continue
    if (PER_WORKSTATION.has(f.fault) && f.workstation !== w) continue
    if (at >= f.start && at <= f.end + tailMs) hit.add(f.fault)
  }
  return hit.size ? [...hit] : ['none']
}
