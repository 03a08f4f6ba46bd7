// The desk's rules as pure decisions: given what the desk knows (a stored row, tombstones, the time, the
// tuning) and a fact, what happens — ring now, hold for the burst summary, retract, update silently,
// ignore with a reason. No store, no timers, no I/O: request-desk.ts applies these with the store, the
// ringer, repeats and silence carry them out.
//
// Facts arrive validated by the parsers (src/core/feed/parse.ts): ids are id strings, times are
// canonical (store/keys.ts canonicalTime), customer strings are safe text. Nothing here checks again.
import type { FactSource, FeatureFlags, PauseRequest, PauseUntil, RequestDetails } from '../../shared/types.js'
import type { QueuedFact } from '../facts.js'
import { dedupKey, morePreciseVersion, sameVersion } from '../store/keys.js'
import type { EventOutcome, QueueRow, Tombstone } from '../store/store.js'
import { urgencyOf, waitingSince, type UrgencyThresholds } from '../../shared/urgency.js'

export interface RingTuning {
  /** Re-alert interval for unacknowledged requests (while the wait is calm). */
  repeatIntervalMs: number
  /** Repeats after the first alert (0 disables repeats). */
  repeatMaxCount: number
  /**
   * When a wait turns amber and red (the queue window's colours). Repeats come sooner as the wait grows:
   * half the interval once amber, a quarter once red, never under MIN_REPEAT_MS. null: always the interval.
   */
  urgency?: UrgencyThresholds | null
}

/** Sooner repeats stop here: closer than this, one repeat's sound lands on the last one's. */
export const MIN_REPEAT_MS = 30_000

/**
 * The delay before a row's next repeat. A customer who has waited long is heard more often (Pushover's
 * emergency priority repeats, PagerDuty's escalation: the longer nobody answers, the harder it calls) — but
 * never faster than MIN_REPEAT_MS, and an interval set below that (tests, a provisioned tight shop) stays as is.
 */
export function repeatDelay(row: Pick<QueueRow, 'queuedAt' | 'firstSeenAt'>, now: number, t: RingTuning): number {
  if (!t.urgency) return t.repeatIntervalMs
  const level = urgencyOf(waitingSince(row), now, t.urgency)
  const factor = level === 'red' ? 0.25 : level === 'amber' ? 0.5 : 1
  return Math.max(Math.min(t.repeatIntervalMs, MIN_REPEAT_MS), Math.round(t.repeatIntervalMs * factor))
}

export interface BurstTuning {
  /** Window in which live alerts beyond `burstThreshold` are held for one summary. */
  burstWindowMs: number
  /** Live requests that still ring individually within one window. */
  burstThreshold: number
}

/** A pause is for minutes, not days: beyond this an indefinite pause says what is meant. */
export const MAX_PAUSE_MINUTES = 24 * 60

/**
 * Sources whose word the server vouches for through RLS: the private database broadcast, postgres_changes
 * and a read (reconcile). The legacy public topic can be posted to by anyone holding the anon key, so it
 * never confirms a request restored from the last session.
 */
export function confirms(source: FactSource): boolean {
  return source === 'db-broadcast' || source === 'postgres_changes' || source === 'reconcile'
}

export const EMPTY_DETAILS: RequestDetails = { customerName: null, vehicle: null, concern: null, sessionType: null }

/** Name, vehicle or concern known: the alert can say who is waiting ("full"); the session type alone cannot. */
export function hasAnyDetail(d: RequestDetails): boolean {
  return d.customerName !== null || d.vehicle !== null || d.concern !== null
}

/** A source that lacks a field (null/absent) never erases what another source told us. */
export function mergeDetails(old: RequestDetails, add: Partial<RequestDetails> | null): RequestDetails {
  if (!add) return old
  return {
    customerName: add.customerName ?? old.customerName,
    vehicle: add.vehicle ?? old.vehicle,
    concern: add.concern ?? old.concern,
    sessionType: add.sessionType ?? old.sessionType,
  }
}

export function sameDetails(a: RequestDetails, b: RequestDetails): boolean {
  return a.customerName === b.customerName && a.vehicle === b.vehicle && a.concern === b.concern && a.sessionType === b.sessionType
}

/** The row rang (and still shows) a basic alert, and its new detail level is full: one silent update. */
export function rangBasic(before: QueueRow, detailAfter: QueueRow['detail']): boolean {
  return before.detail === 'basic' && detailAfter === 'full' && before.alertCount > 0 && !before.acknowledged
}

/** A request first seen now: not rung, no schedule. */
export function newRow(f: QueuedFact, key: string): QueueRow {
  const details = mergeDetails(EMPTY_DETAILS, f.details)
  return {
    requestId: f.requestId,
    key,
    sessionId: f.sessionId,
    queuedAt: f.queuedAt,
    details,
    detail: hasAnyDetail(details) ? 'full' : 'basic',
    acknowledged: false,
    alertCount: 0,
    nextRepeatAt: null,
    firstSeenAt: f.receivedAt,
    firstSource: f.source,
    lastAlertAt: null,
    commitTs: f.commitTs,
  }
}

/** What a queued fact does to the request already in the queue. */
export type KnownDecision =
  /** The same version: nothing to write (`next` null) or the row filled in; never a ring. */
  | {
      kind: 'same'
      next: QueueRow | null
      outcome: Extract<EventOutcome, 'duplicate' | 'enriched'>
      reason: string | null
      /** A restored request the server just vouched for. */
      confirm: boolean
      /** Of a confirmed one: it never rang, so it is owed one ring. */
      owed: boolean
      /** It rang basic and is full now: one silent update. */
      update: boolean
    }
  | { kind: 'stale'; reason: string }
  /** A newer version: the request left the queue and came back (the removal was missed). */
  | { kind: 'requeue'; tombstone: Tombstone }

/**
 * Versions: a fact without queued_at matches the queued entry of the same request and fills in the version
 * once one arrives; a millisecond spelling (JS Date) and a microsecond one that agree to the millisecond
 * are one version, and the key keeps the precise one; a newer queued_at is a re-queue.
 */
export function decideKnown(f: QueuedFact, row: QueueRow, unconfirmed: boolean): KnownDecision {
  const same = f.queuedAt === null || row.queuedAt === null || sameVersion(row.queuedAt, f.queuedAt)
  if (!same) {
    if (f.queuedAt! < row.queuedAt!) return { kind: 'stale', reason: `older than the queued version ${row.queuedAt}` }
    return {
      kind: 'requeue',
      tombstone: { key: row.key, requestId: row.requestId, queuedAt: row.queuedAt, removedAt: f.receivedAt, removedCommitTs: null, reason: 're-queued' },
    }
  }
  const confirm = unconfirmed && confirms(f.source)
  const owed = confirm && row.alertCount === 0 && !row.acknowledged
  const details = mergeDetails(row.details, f.details)
  const detail = row.detail === 'full' || hasAnyDetail(details) ? 'full' : 'basic'
  const version = f.queuedAt === null ? row.queuedAt : row.queuedAt === null ? f.queuedAt : morePreciseVersion(row.queuedAt, f.queuedAt)
  const fillVersion = row.queuedAt === null && version !== null
  // A millisecond spelling seen first is replaced by the exact one, so the key (and its tombstone later)
  // carries the version as Postgres has it and exact-match checks keep working.
  const refineVersion = row.queuedAt !== null && version !== row.queuedAt
  const enriched = !sameDetails(details, row.details)
  if (!fillVersion && !refineVersion && !enriched && (row.sessionId !== null || f.sessionId === null)) {
    return { kind: 'same', next: null, outcome: 'duplicate', reason: null, confirm, owed, update: false }
  }
  const next: QueueRow = {
    ...row,
    key: fillVersion || refineVersion ? dedupKey(f.requestId, version) : row.key,
    queuedAt: version,
    sessionId: row.sessionId ?? f.sessionId,
    details,
    detail,
    commitTs: row.commitTs ?? f.commitTs,
  }
  const reason = [fillVersion ? 'version filled in' : null, refineVersion ? 'version made precise' : null, enriched ? 'details added' : null]
    .filter(Boolean)
    .join(', ')
  return { kind: 'same', next, outcome: enriched ? 'enriched' : 'duplicate', reason: reason || null, confirm, owed, update: rangBasic(row, detail) }
}

/**
 * Whether a queued fact for a request NOT in the queue may add it, given its tombstones. A tombstone blocks
 * its own version and older ones only: a newer queued_at is a re-queue and rings. When reconciling
 * (`snapshotAt` set) the server's current queue is the authority over removals heard before the read
 * began (missing a waiting request is worse than ringing once more): those tombstones expire; removals
 * heard after the read began are newer than the snapshot and still block.
 */
export function decideUnknown(
  f: QueuedFact,
  key: string,
  tombstones: readonly Tombstone[],
  snapshotAt?: number,
): { blockedBecause: string | null; expired: string[] } {
  let tombs = tombstones
  const expired: string[] = []
  if (snapshotAt !== undefined) {
    for (const t of tombs) if (t.removedAt < snapshotAt) expired.push(t.key)
    tombs = tombs.filter((t) => t.removedAt >= snapshotAt)
  }
  if (tombs.length === 0) return { blockedBecause: null, expired }
  if (f.queuedAt === null) return { blockedBecause: 'request was removed and this event carries no version', expired }
  for (const t of tombs) {
    if (t.key === key || (t.queuedAt !== null && sameVersion(t.queuedAt, f.queuedAt))) {
      return { blockedBecause: `version already removed (${t.reason ?? 'removed'})`, expired }
    }
    if (t.queuedAt !== null && f.queuedAt <= t.queuedAt) return { blockedBecause: 'older than a removed version', expired }
    if (t.removedCommitTs !== null && f.queuedAt <= t.removedCommitTs) return { blockedBecause: 'queued before its removal was committed', expired }
  }
  return { blockedBecause: null, expired }
}

/** Details for a queued request: the row after enrichment (null: unchanged) and whether that is a silent update. */
export function decideDetails(row: QueueRow, add: RequestDetails): { next: QueueRow | null; update: boolean; reason: string } {
  const details = mergeDetails(row.details, add)
  const detail = hasAnyDetail(details) ? 'full' : row.detail
  if (sameDetails(details, row.details) && detail === row.detail) return { next: null, update: false, reason: 'details unchanged' }
  return { next: { ...row, details, detail }, update: rangBasic(row, detail), reason: row.detail === 'basic' ? 'basic → full' : 'details updated' }
}

// ---- ringing -------------------------------------------------------------------------------------------

/** The row after its first ring, or null when it must not ring (acknowledged, or it rang already). */
export function firstRing(row: QueueRow, now: number, t: RingTuning): QueueRow | null {
  if (row.acknowledged || row.alertCount > 0) return null
  return { ...row, alertCount: 1, lastAlertAt: now, nextRepeatAt: t.repeatMaxCount > 0 ? now + repeatDelay(row, now, t) : null }
}

/**
 * A due repeat: rings (count + 1, next one an interval later, none after the last) unless silenced, which
 * defers it an interval without spending it; one past the maximum only clears the schedule.
 */
export function repeatStep(row: QueueRow, now: number, t: RingTuning, silenced: boolean): { next: QueueRow; rings: boolean } {
  if (silenced) return { next: { ...row, nextRepeatAt: now + repeatDelay(row, now, t) }, rings: false }
  const repeatsDone = Math.max(0, row.alertCount - 1)
  if (repeatsDone >= t.repeatMaxCount) return { next: { ...row, nextRepeatAt: null }, rings: false }
  const alertCount = row.alertCount + 1
  return {
    next: { ...row, alertCount, lastAlertAt: now, nextRepeatAt: alertCount - 1 >= t.repeatMaxCount ? null : now + repeatDelay(row, now, t) },
    rings: true,
  }
}

/**
 * The burst limiter. Each new customer must be heard within a second, so a few requests arriving together
 * still ring one by one; only a real burst — more than `burstThreshold` live rings inside one window, or
 * anything while some are already held — is held and rung as one summary.
 * `recent`: when the live rings of the current window happened; returns the window's rings after this one.
 */
export function liveBurst(recent: readonly number[], now: number, held: number, arriving: number, t: BurstTuning): { ringEach: boolean; recent: number[] } {
  const inWindow = recent.filter((at) => now - at < t.burstWindowMs)
  if (held === 0 && inWindow.length + arriving <= t.burstThreshold) {
    for (let i = 0; i < arriving; i++) inWindow.push(now)
    return { ringEach: true, recent: inWindow }
  }
  return { ringEach: false, recent: inWindow }
}

/** How long held requests wait: until one window after the last ring (at once if that has passed). */
export function burstFlushDelay(now: number, lastRingAt: number, windowMs: number): number {
  return Math.max(0, lastRingAt + windowMs - now)
}

// ---- silence -------------------------------------------------------------------------------------------

/** Why nothing may ring now (the queue still updates), or null. */
export function silencedBecause(flags: FeatureFlags, paused: PauseUntil): string | null {
  if (!flags.mech_new_request_alerts) return 'mech_new_request_alerts off'
  if (paused !== null) return paused === 'indefinite' ? 'paused' : `paused until ${new Date(paused).toISOString()}`
  return null
}

/** When a pause asked for now ends. More than a day, zero or negative minutes are refused (RangeError). */
export function pauseEnd(request: PauseRequest, now: number): Exclude<PauseUntil, null> {
  if ((request as { indefinite?: unknown } | null)?.indefinite === true) return 'indefinite'
  const minutes = (request as { minutes?: unknown } | null)?.minutes
  if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_PAUSE_MINUTES) {
    throw new RangeError(`pause: expected { minutes: 15 | 60 } or { indefinite: true }, got ${JSON.stringify(request)?.slice(0, 80)}`)
  }
  return now + minutes * 60_000
}

/** The pause stored by the last run: still in force, or null (absent, unreadable, or it ended meanwhile). */
export function restoredPause(stored: string | null, now: number): PauseUntil {
  if (stored === null) return null
  if (stored === 'indefinite') return 'indefinite'
  const until = Number(stored)
  return Number.isFinite(until) && until > now ? until : null
}
