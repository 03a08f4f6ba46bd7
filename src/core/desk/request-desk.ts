// The request desk: consumes RequestFacts and QueueSnapshots, keeps the stored queue, decides what
// rings, and hands alerts to the pipeline. Rules (shared/design.md, "Store" and "Alert pipeline"):
//   - dedup key `<requestId>@<queuedAt>`: a duplicate (any source, across restarts) never rings; a
//     re-queue (newer queued_at) rings again; a fact without queued_at matches the queued entry of the
//     same request and fills in the version once one arrives; a millisecond spelling (JS Date) and a
//     microsecond one that agree to the millisecond are one version, and the key keeps the precise one;
//   - a removed key is tombstoned, so a late queued fact for it never re-adds it;
//   - flag off or paused → the queue still updates, nothing rings; what was never rung is owed one
//     ring (a summary) when alerts come back on;
//   - backlog (reconcile) rings ONE summary; live events ring individually at once, up to burstThreshold per
//     window, and only the rest of a real burst is held for one summary;
//   - unacknowledged requests repeat every repeatIntervalMs, at most repeatMaxCount times (stored);
//   - a request that rang basic ("Details are still loading") and is later enriched to full while still
//     queued and unacknowledged gets one silent update (pipeline.update): sinks that show it replace the
//     text in place; it is not a ring (alert_count unchanged, no sound). Not while silenced;
//   - a stale local queue is untrusted: a request restored from the store at start is "not confirmed"
//     and never rings (first alert, owed summary, repeat or update) until the server has confirmed it
//     since this start — a successful reconcile that contains it, or a queued fact about it from a
//     trusted source (private database broadcast, postgres_changes). A reconcile that lacks it removes it
//     without a ring. No confirmation within unconfirmedNoticeMs raises one health alert.
// Every decision and the write that records it happen in one store transaction; side effects (sinks,
// listeners) run after the commit, so a crash can only lose a ring that is then owed at next start,
// never ring the same key twice.
import type { FactSource, FeatureFlags, PauseRequest, PauseUntil, QueueItem, RequestDetails } from '../../shared/types.js'
import { DEFAULT_FLAGS } from '../../shared/types.js'
import type { QueueSnapshot, RequestFact } from '../facts.js'
import type { Alert, Clock, Logger } from '../ports.js'
import { systemClock } from '../ports.js'
import type { AlertPipeline } from '../alerts/pipeline.js'
import { plural, requestAlert, summaryAlert, toQueueItem } from '../alerts/compose.js'
import { safeDetails, safeText, validRequestId } from '../alerts/safe-text.js'
import type { HealthMonitor } from '../health/health.js'
import { canonicalTime, dedupKey, morePreciseVersion, sameVersion, timeMs } from '../store/keys.js'
import type { EventOutcome, EventRecord, QueueRow, Store, Tombstone } from '../store/store.js'
import { systemTimers, type TimerHandle, type Timers } from './timers.js'

export interface DeskOptions {
  store: Store
  pipeline: AlertPipeline
  log: Logger
  health?: HealthMonitor
  clock?: Clock
  timers?: Timers
  /** Re-alert interval for unacknowledged requests (default 2 min). */
  repeatIntervalMs?: number
  /** Maximum number of repeats after the first alert (default 10; 0 disables repeats). */
  repeatMaxCount?: number
  /** Window in which live alerts beyond `burstThreshold` are coalesced into one summary (default 1000 ms). */
  burstWindowMs?: number
  /** Live requests that still ring individually within one burst window (default 3). */
  burstThreshold?: number
  /**
   * How long restored requests may stay unconfirmed (no successful reconcile, no trusted event since
   * start) before one health alert says so (default 60 s).
   */
  unconfirmedNoticeMs?: number
}

export interface DeskEvents {
  queue: QueueItem[]
  alert: Alert
  /** A rung request's alert text changed (basic → full); not a ring. */
  update: Alert
  retract: { requestId: string }
  pause: PauseUntil
  flags: FeatureFlags
  /** The offline-start notice ("Not connected since start: …"), or null once everything is confirmed. */
  notice: string | null
}

export interface IngestResult {
  outcome: EventOutcome
  reason: string | null
  key: string | null
}

export interface ReconcileResult {
  added: string[]
  removed: string[]
  unchanged: number
  enriched: number
  rejected: number
}

const SOURCES: readonly FactSource[] = ['broadcast', 'db-broadcast', 'postgres_changes', 'reconcile']
/**
 * Sources whose word the server vouches for through RLS: the private database broadcast, postgres_changes
 * and a read (reconcile). The legacy public topic can be posted to by anyone holding the anon key.
 */
const CONFIRMING_SOURCES: readonly FactSource[] = ['db-broadcast', 'postgres_changes', 'reconcile']
const REMOVE_REASONS = ['accepted', 'cancelled', 'deleted', 'other'] as const
const META_PAUSE = 'pause_until'

/** A fact after validation: ids checked, times canonical, customer strings made safe. */
interface CleanQueued {
  source: FactSource
  eventId: string
  receivedAt: number
  commitTs: string | null
  requestId: string
  queuedAt: string | null
  sessionId: string | null
  details: Partial<RequestDetails>
  notes: string[]
}

type Validated =
  | { ok: true; kind: 'queued'; fact: CleanQueued }
  | { ok: true; kind: 'removed'; base: CleanBase; requestId: string; reason: string; status: string | null }
  | { ok: true; kind: 'details'; base: CleanBase; requestId: string; details: Partial<RequestDetails> }
  | { ok: true; kind: 'rejected'; base: CleanBase; reason: string; requestId: string | null }
  | { ok: false; base: CleanBase; kind: string; reason: string; requestId: string | null }

interface CleanBase {
  source: string
  eventId: string
  receivedAt: number
  commitTs: string | null
}

/** Effects collected inside a transaction and run after it commits. */
interface Effects {
  ring: QueueRow[]
  retract: string[]
  /** Requests that rang basic and were enriched to full: one silent update each after the commit. */
  update: string[]
  /** Restored requests the server confirmed (or that this run replaced with a new version). */
  confirm: string[]
  /** Of those, the ones that never rang (owed a ring): they ring as a backlog after the commit. */
  owed: string[]
  queueChanged: boolean
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function hasAnyDetail(d: RequestDetails): boolean {
  return d.customerName !== null || d.vehicle !== null || d.concern !== null
}

function mergeDetails(old: RequestDetails, add: Partial<RequestDetails>): RequestDetails {
  // A source that lacks a field (null/absent) never erases what another source told us.
  return {
    customerName: add.customerName ?? old.customerName,
    vehicle: add.vehicle ?? old.vehicle,
    concern: add.concern ?? old.concern,
    sessionType: add.sessionType ?? old.sessionType,
  }
}

/** The row rang (and still shows) a basic alert, and its new detail level is full. */
function rangBasic(before: QueueRow, detailAfter: QueueRow['detail']): boolean {
  return before.detail === 'basic' && detailAfter === 'full' && before.alertCount > 0 && !before.acknowledged
}

const EMPTY_DETAILS: RequestDetails = { customerName: null, vehicle: null, concern: null, sessionType: null }

export class RequestDesk {
  private readonly store: Store
  private readonly pipeline: AlertPipeline
  private readonly log: Logger
  private readonly health: HealthMonitor | undefined
  private readonly clock: Clock
  private readonly timers: Timers
  readonly repeatIntervalMs: number
  readonly repeatMaxCount: number
  readonly burstWindowMs: number
  readonly burstThreshold: number
  readonly unconfirmedNoticeMs: number
  /** When the live requests of the current window rang individually (bounded by burstThreshold). */
  private recentLiveRings: number[] = []

  private currentFlags: FeatureFlags = { ...DEFAULT_FLAGS }
  private pauseUntil: PauseUntil = null
  private readonly listeners: { [E in keyof DeskEvents]: Set<(p: DeskEvents[E]) => void> } = {
    queue: new Set(),
    alert: new Set(),
    update: new Set(),
    retract: new Set(),
    pause: new Set(),
    flags: new Set(),
    notice: new Set(),
  }
  /**
   * Requests restored from the store at start that the server has not confirmed since (in memory on
   * purpose: every start begins with the whole stored queue untrusted).
   */
  private readonly unconfirmed = new Set<string>()
  private noticeTimer: TimerHandle | null = null
  private currentNotice: string | null = null
  /** Request ids held for the current burst window (not yet rung; alert_count still 0 in the store). */
  private readonly pending = new Set<string>()
  private lastRingAt = -Infinity
  private burstTimer: TimerHandle | null = null
  private repeatTimer: TimerHandle | null = null
  private repeatTimerAt: number | null = null
  private pauseTimer: TimerHandle | null = null
  private started = false
  private queueEmitScheduled = false
  private stopped = false

  constructor(opts: DeskOptions) {
    this.store = opts.store
    this.pipeline = opts.pipeline
    this.log = opts.log
    this.health = opts.health
    this.clock = opts.clock ?? systemClock
    this.timers = opts.timers ?? systemTimers
    this.repeatIntervalMs = opts.repeatIntervalMs ?? 120_000
    this.repeatMaxCount = opts.repeatMaxCount ?? 10
    this.burstWindowMs = opts.burstWindowMs ?? 1000
    this.burstThreshold = opts.burstThreshold ?? 3
    this.unconfirmedNoticeMs = opts.unconfirmedNoticeMs ?? 60_000
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  /**
   * Restores flags (cache, for an offline start) and pause from the store, marks every stored request
   * as not confirmed, and arms the repeat timer for stored schedules. Nothing restored rings here: what
   * is owed (queued but never rung, e.g. the app died inside a burst window) rings once the server
   * confirms it. Idempotent.
   */
  start(): void {
    if (this.started) return
    this.started = true
    const cached = this.store.loadFlags()
    if (cached) this.currentFlags = cached.flags
    const rawPause = this.store.getMeta(META_PAUSE)
    this.pauseUntil = rawPause === null ? null : rawPause === 'indefinite' ? 'indefinite' : Number(rawPause)
    if (typeof this.pauseUntil === 'number' && !Number.isFinite(this.pauseUntil)) this.pauseUntil = null
    if (typeof this.pauseUntil === 'number' && this.pauseUntil <= this.clock.now()) {
      this.pauseUntil = null
      this.store.setMeta(META_PAUSE, null)
    }
    for (const row of this.store.listQueue()) this.unconfirmed.add(row.requestId)
    if (this.unconfirmed.size > 0) {
      this.log.info('desk: restored requests wait for the server to confirm them', { count: this.unconfirmed.size })
      this.noticeTimer = this.timers.setTimeout(() => {
        this.noticeTimer = null
        this.announceUnconfirmed()
      }, this.unconfirmedNoticeMs)
    }
    this.armPauseTimer()
    this.armRepeatTimer()
    this.emitQueue()
  }

  /** Clears every timer. Pending burst alerts stay owed (alert_count 0): after the next start they ring once the server confirms them. */
  stop(): void {
    this.stopped = true
    for (const h of [this.burstTimer, this.repeatTimer, this.pauseTimer, this.noticeTimer]) if (h !== null) this.timers.clearTimeout(h)
    this.burstTimer = this.repeatTimer = this.pauseTimer = this.noticeTimer = null
    this.repeatTimerAt = null
  }

  on<E extends keyof DeskEvents>(event: E, listener: (payload: DeskEvents[E]) => void): () => void {
    const set = this.listeners[event] as Set<(p: DeskEvents[E]) => void>
    set.add(listener)
    return () => set.delete(listener)
  }

  // ---- queries -------------------------------------------------------------------------------------

  queue(): QueueItem[] {
    return this.store.listQueue().map((row) => toQueueItem(row, !this.unconfirmed.has(row.requestId)))
  }

  /** "Not connected since start: …" while restored requests stay unconfirmed past the threshold, else null. */
  notice(): string | null {
    return this.currentNotice
  }

  flags(): FeatureFlags {
    return { ...this.currentFlags }
  }

  /** The pause state; an expired pause reads as null even if its timer has not fired (laptop slept). */
  paused(): PauseUntil {
    if (typeof this.pauseUntil === 'number' && this.pauseUntil <= this.clock.now()) this.expirePause()
    return this.pauseUntil
  }

  // ---- facts ---------------------------------------------------------------------------------------

  /** Consumes one fact. Never throws: a failure is logged, counted and reported as outcome 'error'. */
  ingest(fact: RequestFact): IngestResult {
    const effects: Effects = { ring: [], retract: [], update: [], confirm: [], owed: [], queueChanged: false }
    let result: IngestResult
    // Validation touches no state, so it runs outside the transaction: the source is known even
    // when the store itself fails.
    const v = this.validate(fact)
    const source = v.ok && v.kind === 'queued' ? v.fact.source : v.base.source
    try {
      result = this.store.transaction(() => this.apply(v, effects))
    } catch (err) {
      this.health?.recordEvent(source, 'error')
      this.log.error('desk: could not process a fact', {
        source,
        cause: String((err as Error)?.stack ?? err),
      })
      return { outcome: 'error', reason: String((err as Error)?.message ?? err), key: null }
    }
    this.health?.recordEvent(source, result.outcome)
    this.afterCommit(effects, 'live')
    return result
  }

  /**
   * Makes the local queue equal to the snapshot: missing requests are added (and rung, coalesced into
   * one summary when 2+), local requests absent from the snapshot and first seen before the read
   * started are removed, tombstoned and retracted. Facts received after snapshot.startedAt win.
   */
  reconcile(snapshot: QueueSnapshot): ReconcileResult {
    const effects: Effects = { ring: [], retract: [], update: [], confirm: [], owed: [], queueChanged: false }
    const result: ReconcileResult = { added: [], removed: [], unchanged: 0, enriched: 0, rejected: 0 }
    const outcomes: string[] = []
    const now = this.clock.now()
    const startedAt = Number.isFinite(snapshot?.startedAt) ? snapshot.startedAt : now
    try {
      this.store.transaction(() => {
        const seen = new Set<string>()
        for (const raw of Array.isArray(snapshot?.requests) ? snapshot.requests : []) {
          const v = this.validate(raw as RequestFact)
          if (v.ok && v.kind === 'queued') {
            seen.add(v.fact.requestId)
            // The server has it queued now, whatever version it reports: no longer a stale local entry.
            effects.confirm.push(v.fact.requestId)
          }
          const r = this.apply(v, effects, startedAt)
          outcomes.push(r.outcome)
          if ((r.outcome === 'alerted' || r.outcome === 'enqueued-silent') && v.ok && v.kind === 'queued') result.added.push(v.fact.requestId)
          else if (r.outcome === 'enriched') result.enriched++
          else if (r.outcome === 'rejected') result.rejected++
          else result.unchanged++
        }
        for (const row of this.store.listQueue()) {
          if (seen.has(row.requestId)) continue
          // Received after the read started: the snapshot cannot know about it yet.
          if (row.firstSeenAt > startedAt) continue
          this.removeRow(row, { removedAt: now, removedCommitTs: null, reason: `reconcile (${snapshot.trigger})` }, effects)
          this.store.recordEvent({
            receivedAt: now,
            source: 'reconcile',
            eventId: `reconcile:${startedAt}:${row.requestId}`,
            kind: 'removed',
            requestId: row.requestId,
            dedupKey: row.key,
            outcome: 'retracted',
            reason: `not in the server's queue (${snapshot.trigger})`,
          })
          outcomes.push('retracted')
          result.removed.push(row.requestId)
        }
      })
    } catch (err) {
      this.health?.recordEvent('reconcile', 'error')
      this.log.error('desk: reconcile failed; the local queue is unchanged', {
        trigger: snapshot?.trigger,
        cause: String((err as Error)?.stack ?? err),
      })
      return { added: [], removed: [], unchanged: 0, enriched: 0, rejected: 0 }
    }
    for (const o of outcomes) this.health?.recordEvent('reconcile', o)
    if (result.added.length || result.removed.length) {
      this.log.info('desk: reconciled', {
        trigger: snapshot.trigger,
        added: result.added.length,
        removed: result.removed.length,
        unchanged: result.unchanged,
      })
    }
    this.afterCommit(effects, 'reconcile', snapshot.trigger)
    return result
  }

  // ---- commands ------------------------------------------------------------------------------------

  /** Stops repeats for the request and withdraws its alert; it stays in the queue. */
  acknowledge(requestId: string): boolean {
    const row = typeof requestId === 'string' ? this.store.getQueueRow(requestId) : undefined
    if (!row) return false
    this.pending.delete(requestId)
    if (!row.acknowledged) {
      this.store.putQueueRow({ ...row, acknowledged: true, nextRepeatAt: null })
      this.armRepeatTimer()
      this.emitQueue()
    }
    this.emitRetract(requestId)
    return true
  }

  pause(request: PauseRequest): PauseUntil {
    // Commands can arrive over IPC/HTTP: check the shape at runtime, not only in the types.
    const req: Record<string, unknown> | null = isObject(request) ? request : null
    let until: PauseUntil
    if (req?.indefinite === true) until = 'indefinite'
    else {
      const minutes = req?.minutes
      if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
        throw new RangeError(`pause: expected { minutes: 15 | 60 } or { indefinite: true }, got ${safeText(JSON.stringify(request), 80)}`)
      }
      until = this.clock.now() + minutes * 60_000
    }
    this.pauseUntil = until
    this.store.setMeta(META_PAUSE, String(until))
    this.log.info('desk: alerts paused', { until })
    this.armPauseTimer()
    this.emit('pause', until)
    return until
  }

  resume(): void {
    if (this.pauseUntil === null) return
    this.endPause('desk: alerts resumed')
    this.ringOwed('waited while alerts were paused')
  }

  /** New flags from the server (or the cache). Cached for an offline start. */
  setFlags(flags: FeatureFlags): void {
    const next = { ...this.currentFlags }
    for (const name of Object.keys(DEFAULT_FLAGS) as (keyof FeatureFlags)[]) {
      const v = (flags as unknown as Record<string, unknown>)?.[name]
      if (typeof v === 'boolean') next[name] = v
      else this.log.warn('desk: ignoring a flag that is not a boolean', { name, value: safeText(String(v), 40) })
    }
    const wasOff = !this.currentFlags.mech_new_request_alerts
    this.currentFlags = next
    this.store.saveFlags(next, this.clock.now())
    this.emit('flags', { ...next })
    if (wasOff && next.mech_new_request_alerts) this.ringOwed('waited while alerts were switched off')
  }

  // ---- validation ----------------------------------------------------------------------------------

  private validate(fact: RequestFact): Validated {
    const f: Record<string, unknown> = isObject(fact) ? fact : {}
    const receivedAt = typeof f.receivedAt === 'number' && Number.isFinite(f.receivedAt) ? f.receivedAt : this.clock.now()
    const source = typeof f.source === 'string' && (SOURCES as readonly string[]).includes(f.source) ? f.source : null
    const eventId = safeText(f.eventId, 200) ?? `local:${receivedAt}`
    const base: CleanBase = {
      source: source ?? (safeText(f.source, 40) ?? 'unknown'),
      eventId,
      receivedAt,
      commitTs: canonicalTime(f.commitTs),
    }
    const kind = typeof f.kind === 'string' ? f.kind : null
    const rid = validRequestId(f.requestId) ? f.requestId : null
    const bad = (reason: string): Validated => ({ ok: false, base, kind: safeText(kind, 20) ?? 'invalid', reason, requestId: rid })
    if (!isObject(fact)) return bad('fact is not an object')
    if (source === null) return bad(`unknown source ${safeText(JSON.stringify(f.source) ?? 'undefined', 40)}`)
    if (kind === 'rejected') {
      return { ok: true, kind: 'rejected', base, reason: safeText(f.reason, 500) ?? 'no reason given', requestId: rid }
    }
    if (kind !== 'queued' && kind !== 'removed' && kind !== 'details') {
      return bad(`unknown kind ${safeText(JSON.stringify(kind) ?? 'undefined', 40)}`)
    }
    if (rid === null) {
      const got = f.requestId === undefined ? 'missing' : `${typeof f.requestId} ${safeText(JSON.stringify(f.requestId) ?? '', 60)}`
      return bad(`requestId must be a non-empty id string (got ${got})`)
    }
    if (kind === 'removed') {
      const reason = (REMOVE_REASONS as readonly unknown[]).includes(f.reason) ? (f.reason as string) : 'other'
      return { ok: true, kind, base, requestId: rid, reason, status: safeText(f.status, 40) }
    }
    if (kind === 'details') {
      if (!isObject(f.details)) return bad(`details must be an object (got ${f.details === null ? 'null' : typeof f.details})`)
      return { ok: true, kind, base, requestId: rid, details: safeDetails(f.details) }
    }
    // queued: a wrong-typed optional field is dropped with a note, not a rejection — the request id is
    // good, and dropping the request would be exactly the silent miss the old dashboard had.
    const notes: string[] = []
    let queuedAt: string | null = null
    if (f.queuedAt !== null && f.queuedAt !== undefined) {
      queuedAt = canonicalTime(f.queuedAt)
      if (queuedAt === null) notes.push(`queuedAt ignored (not a timestamp: ${safeText(JSON.stringify(f.queuedAt), 40)})`)
    }
    let sessionId: string | null = null
    if (f.sessionId !== null && f.sessionId !== undefined) {
      sessionId = validRequestId(f.sessionId) ? f.sessionId : null
      if (sessionId === null) notes.push('sessionId ignored (not an id string)')
    }
    if (f.details !== null && f.details !== undefined && !isObject(f.details)) notes.push('details ignored (not an object)')
    const details = safeDetails(f.details)
    for (const k of Object.keys(details) as (keyof RequestDetails)[]) {
      const rawV = (f.details as Record<string, unknown>)[k]
      if (rawV !== null && rawV !== undefined && details[k] === null) notes.push(`${k} dropped (${typeof rawV})`)
      else if (typeof rawV === 'string' && details[k] !== rawV) notes.push(`${k} made safe`)
    }
    return {
      ok: true,
      kind: 'queued',
      fact: { source: source as FactSource, eventId, receivedAt, commitTs: base.commitTs, requestId: rid, queuedAt, sessionId, details, notes },
    }
  }

  // ---- the rules -----------------------------------------------------------------------------------

  /** Applies one validated fact inside the caller's transaction. snapshotAt: set when reconciling. */
  private apply(v: Validated, effects: Effects, snapshotAt?: number): IngestResult {
    const record = (
      base: { source: string; eventId: string; receivedAt: number },
      kind: string,
      requestId: string | null,
      key: string | null,
      outcome: EventOutcome,
      reason: string | null,
    ): IngestResult => {
      const e: EventRecord = { receivedAt: base.receivedAt, source: base.source, eventId: base.eventId, kind, requestId, dedupKey: key, outcome, reason }
      this.store.recordEvent(e)
      if (outcome === 'rejected') this.log.warn('desk: rejected an event', { source: base.source, eventId: base.eventId, reason })
      return { outcome, reason, key }
    }
    if (!v.ok) return record(v.base, v.kind, v.requestId, null, 'rejected', v.reason)
    switch (v.kind) {
      case 'rejected':
        return record(v.base, 'rejected', v.requestId, null, 'rejected', v.reason)
      case 'removed': {
        const row = this.store.getQueueRow(v.requestId)
        if (row) {
          this.removeRow(row, { removedAt: v.base.receivedAt, removedCommitTs: v.base.commitTs, reason: v.reason }, effects)
          return record(v.base, 'removed', v.requestId, row.key, 'removed', v.reason)
        }
        if (this.store.tombstonesFor(v.requestId).length > 0) {
          return record(v.base, 'removed', v.requestId, null, 'duplicate', 'already removed')
        }
        // Out of order (the removal overtook the queued event): tombstone the unknown version so the
        // late queued event does not ring for a request that is already gone.
        const key = dedupKey(v.requestId, null)
        this.store.putTombstone({ key, requestId: v.requestId, queuedAt: null, removedAt: v.base.receivedAt, removedCommitTs: v.base.commitTs, reason: v.reason })
        return record(v.base, 'removed', v.requestId, key, 'removed', `${v.reason}; was not in the local queue (tombstoned)`)
      }
      case 'details': {
        const row = this.store.getQueueRow(v.requestId)
        if (!row) return record(v.base, 'details', v.requestId, null, 'stale', 'request is not in the queue')
        const details = mergeDetails(row.details, v.details)
        const detail = hasAnyDetail(details) ? 'full' : row.detail
        if (JSON.stringify(details) === JSON.stringify(row.details) && detail === row.detail) {
          return record(v.base, 'details', v.requestId, row.key, 'duplicate', 'details unchanged')
        }
        this.store.putQueueRow({ ...row, details, detail })
        effects.queueChanged = true
        if (rangBasic(row, detail)) effects.update.push(row.requestId)
        return record(v.base, 'details', v.requestId, row.key, 'enriched', row.detail === 'basic' ? 'basic → full' : 'details updated')
      }
      case 'queued':
        return this.applyQueued(v.fact, effects, record, snapshotAt)
    }
  }

  private applyQueued(
    f: CleanQueued,
    effects: Effects,
    record: (base: CleanQueued, kind: string, requestId: string | null, key: string | null, outcome: EventOutcome, reason: string | null) => IngestResult,
    snapshotAt: number | undefined,
  ): IngestResult {
    const key = dedupKey(f.requestId, f.queuedAt)
    const note = f.notes.length ? f.notes.join('; ') : null
    const withNote = (r: string | null) => (note ? (r ? `${r}; ${note}` : note) : r)
    const row = this.store.getQueueRow(f.requestId)
    if (row) {
      // Same version when either side does not know it yet, or when the two agree (to the millisecond
      // if one of them may have been truncated by a JS Date — see sameVersion).
      const same = f.queuedAt === null || row.queuedAt === null || sameVersion(row.queuedAt, f.queuedAt)
      if (same) {
        const confirming = this.unconfirmed.has(f.requestId) && CONFIRMING_SOURCES.includes(f.source)
        if (confirming) {
          effects.confirm.push(f.requestId)
          effects.queueChanged = true
          if (row.alertCount === 0 && !row.acknowledged) effects.owed.push(f.requestId)
        }
        const details = mergeDetails(row.details, f.details)
        const detail = row.detail === 'full' || hasAnyDetail(details) ? 'full' : 'basic'
        const version =
          f.queuedAt === null ? row.queuedAt : row.queuedAt === null ? f.queuedAt : morePreciseVersion(row.queuedAt, f.queuedAt)
        const fillVersion = row.queuedAt === null && version !== null
        // A millisecond spelling seen first is replaced by the exact one, so the key (and its tombstone
        // later) carries the version as Postgres has it and exact-match checks keep working.
        const refineVersion = row.queuedAt !== null && version !== row.queuedAt
        const enriched = JSON.stringify(details) !== JSON.stringify(row.details)
        if (!fillVersion && !refineVersion && !enriched && (row.sessionId !== null || f.sessionId === null)) {
          return record(f, 'queued', f.requestId, row.key, 'duplicate', withNote(null))
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
        this.store.putQueueRow(next)
        effects.queueChanged = true
        if (rangBasic(row, detail)) effects.update.push(row.requestId)
        const reason = [fillVersion ? 'version filled in' : null, refineVersion ? 'version made precise' : null, enriched ? 'details added' : null].filter(Boolean).join(', ')
        return record(f, 'queued', f.requestId, next.key, enriched ? 'enriched' : 'duplicate', withNote(reason || null))
      }
      if (f.queuedAt! < row.queuedAt!) {
        return record(f, 'queued', f.requestId, key, 'stale', withNote(`older than the queued version ${row.queuedAt}`))
      }
      // A newer queued_at: the request left the queue and came back (we missed the removal). The old
      // version is tombstoned and the new one rings.
      this.store.putTombstone({ key: row.key, requestId: row.requestId, queuedAt: row.queuedAt, removedAt: f.receivedAt, removedCommitTs: null, reason: 're-queued' })
      return this.enqueue(f, key, effects, record, withNote('re-queued'))
    }
    const blocking = this.blockingTombstone(f, key, snapshotAt)
    if (blocking) return record(f, 'queued', f.requestId, key, 'stale', withNote(blocking))
    return this.enqueue(f, key, effects, record, note)
  }

  /** Why a queued fact for a request not in the queue must not re-add it, or null. */
  private blockingTombstone(f: CleanQueued, key: string, snapshotAt: number | undefined): string | null {
    let tombs: Tombstone[] = this.store.tombstonesFor(f.requestId)
    if (tombs.length === 0) return null
    if (snapshotAt !== undefined) {
      // Reconcile: the server's current queue is the authority over removals we heard about before
      // the read started (missing a waiting request is worse than ringing once more). Removals heard
      // after the read started are newer than the snapshot and win.
      const older = tombs.filter((t) => t.removedAt < snapshotAt)
      for (const t of older) this.store.deleteTombstone(t.key)
      tombs = tombs.filter((t) => t.removedAt >= snapshotAt)
      if (tombs.length === 0) return null
    }
    if (f.queuedAt === null) return 'request was removed and this event carries no version'
    for (const t of tombs) {
      if (t.key === key || (t.queuedAt !== null && sameVersion(t.queuedAt, f.queuedAt))) {
        return `version already removed (${t.reason ?? 'removed'})`
      }
      if (t.queuedAt !== null && f.queuedAt <= t.queuedAt) return 'older than a removed version'
      if (t.removedCommitTs !== null && f.queuedAt <= t.removedCommitTs) return 'queued before its removal was committed'
    }
    return null
  }

  private enqueue(
    f: CleanQueued,
    key: string,
    effects: Effects,
    record: (base: CleanQueued, kind: string, requestId: string | null, key: string | null, outcome: EventOutcome, reason: string | null) => IngestResult,
    reason: string | null,
  ): IngestResult {
    const details = mergeDetails(EMPTY_DETAILS, f.details)
    const row: QueueRow = {
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
    this.store.putQueueRow(row)
    effects.queueChanged = true
    // A version first seen in this run is not a stale local entry (it replaces a restored one, if any).
    effects.confirm.push(f.requestId)
    const silenced = this.silencedBecause()
    if (silenced) return record(f, 'queued', f.requestId, key, 'enqueued-silent', reason ? `${silenced}; ${reason}` : silenced)
    effects.ring.push(row)
    return record(f, 'queued', f.requestId, key, 'alerted', reason)
  }

  private removeRow(row: QueueRow, t: { removedAt: number; removedCommitTs: string | null; reason: string }, effects: Effects): void {
    this.store.deleteQueueRow(row.requestId)
    this.store.putTombstone({ key: row.key, requestId: row.requestId, queuedAt: row.queuedAt, removedAt: t.removedAt, removedCommitTs: t.removedCommitTs, reason: t.reason })
    this.pending.delete(row.requestId)
    effects.retract.push(row.requestId)
    effects.queueChanged = true
  }

  private silencedBecause(): string | null {
    if (!this.currentFlags.mech_new_request_alerts) return 'mech_new_request_alerts off'
    const p = this.paused()
    if (p !== null) return p === 'indefinite' ? 'paused' : `paused until ${new Date(p).toISOString()}`
    return null
  }

  // ---- ringing -------------------------------------------------------------------------------------

  private afterCommit(effects: Effects, context: 'live' | 'reconcile', trigger?: QueueSnapshot['trigger']): void {
    this.settleConfirmations(effects)
    for (const id of effects.retract) this.emitRetract(id)
    if (effects.queueChanged) this.emitQueue()
    for (const id of new Set(effects.update)) this.sendUpdate(id)
    // Confirmed restored requests that never rang are owed one ring: a backlog (no link latency).
    const owed = effects.owed.filter((id) => !effects.retract.includes(id))
    if (owed.length > 0 && context === 'live') {
      for (const id of owed) this.pending.add(id)
      this.flushBurst('waited while BayAlert was not ringing', 'backlog')
    }
    if (effects.ring.length === 0 && (context === 'live' || owed.length === 0)) {
      if (context === 'reconcile' && this.pending.size > 0) this.flushBurst(null, 'live')
      return
    }
    const now = this.clock.now()
    if (context === 'live') {
      // Each new customer must be heard within a second, so two or three requests arriving together
      // still ring one by one; only a real burst beyond burstThreshold in one window is held and rung
      // as one summary (the stale-toast storm users of other notifiers complain about).
      this.recentLiveRings = this.recentLiveRings.filter((t) => now - t < this.burstWindowMs)
      if (this.pending.size === 0 && this.recentLiveRings.length + effects.ring.length <= this.burstThreshold) {
        for (const r of effects.ring) {
          this.recentLiveRings.push(now)
          this.ringNow([r.requestId], null, 'live')
        }
        return
      }
      for (const r of effects.ring) this.pending.add(r.requestId)
      this.armBurstTimer(now)
      return
    }
    // Reconcile: everything new and owed (plus anything held in the burst window) rings as one alert now.
    for (const r of effects.ring) this.pending.add(r.requestId)
    for (const id of owed) this.pending.add(id)
    const offline = owed.length > 0 || trigger === 'startup' || trigger === 'resume' || trigger === 'network' || trigger === 'subscribed'
    this.flushBurst(offline ? 'waited while you were offline' : 'found waiting in the queue', trigger === 'startup' || owed.length > 0 ? 'backlog' : 'found')
  }

  /**
   * Applies the confirmations of a committed transaction: confirmed and removed requests leave the
   * unconfirmed set; repeats of confirmed requests are scheduled again (an overdue one rings now); the
   * offline-start notice follows the count and clears once nothing is unconfirmed.
   */
  private settleConfirmations(effects: Effects): void {
    if (this.unconfirmed.size === 0) return
    let changed = false
    for (const id of [...effects.confirm, ...effects.retract]) if (this.unconfirmed.delete(id)) changed = true
    if (!changed) return
    effects.queueChanged = true
    this.armRepeatTimer()
    if (this.unconfirmed.size > 0) {
      if (this.currentNotice !== null) this.setNotice(this.noticeText())
      return
    }
    if (this.noticeTimer !== null) this.timers.clearTimeout(this.noticeTimer)
    this.noticeTimer = null
    this.log.info('desk: every restored request is confirmed or removed')
    if (this.currentNotice !== null) this.setNotice(null)
  }

  private noticeText(): string {
    const n = this.unconfirmed.size
    return `Not connected since start: ${plural(n, 'request', 'requests')} from the last session ${n === 1 ? 'is' : 'are'} not confirmed`
  }

  /** The threshold passed with restored requests still unconfirmed: one health alert, and the notice. */
  private announceUnconfirmed(): void {
    if (this.stopped || this.unconfirmed.size === 0 || this.currentNotice !== null) return
    const notice = this.noticeText()
    this.setNotice(notice)
    if (!this.health) return
    this.health.announce('unconfirmed-start', {
      title: notice,
      body: 'They show in the queue as "not confirmed yet" and ring only once the server confirms they are still waiting.',
    })
  }

  private setNotice(notice: string | null): void {
    if (notice === this.currentNotice) return
    this.currentNotice = notice
    this.emit('notice', notice)
  }

  private armBurstTimer(now: number): void {
    if (this.burstTimer !== null || this.stopped) return
    const at = Math.max(now, this.lastRingAt + this.burstWindowMs)
    this.burstTimer = this.timers.setTimeout(() => {
      this.burstTimer = null
      this.flushBurst(null, 'live')
    }, Math.max(0, at - now))
  }

  /** Rings everything pending as one alert (individual if only one). */
  private flushBurst(phrase: string | null, latencyFrom: 'live' | 'found' | 'backlog'): void {
    if (this.burstTimer !== null) {
      this.timers.clearTimeout(this.burstTimer)
      this.burstTimer = null
    }
    const ids = [...this.pending]
    this.pending.clear()
    if (ids.length === 0) return
    const summaryTitle = (n: number) =>
      phrase ? `${plural(n, 'request', 'requests')} ${phrase}` : plural(n, 'new request', 'new requests')
    this.ringNow(ids, summaryTitle, latencyFrom)
  }

  /** Requests queued but never rung (silenced, or held when the app stopped) ring once as a summary. */
  private ringOwed(phrase: string): void {
    if (this.silencedBecause() !== null || this.stopped) return
    for (const r of this.store.listQueue()) {
      if (!r.acknowledged && r.alertCount === 0 && !this.unconfirmed.has(r.requestId)) this.pending.add(r.requestId)
    }
    if (this.pending.size > 0) this.flushBurst(phrase, 'backlog')
  }

  /**
   * Marks the requests as rung (count, schedule) in one transaction, then delivers one alert.
   * latencyFrom: 'live' → commit→alert latency is measured; a backlog found at startup is not link
   * latency and is left out of the histogram.
   */
  private ringNow(ids: string[], summaryTitle: ((n: number) => string) | null, latencyFrom: 'live' | 'found' | 'backlog'): void {
    const silenced = this.silencedBecause()
    if (silenced) return // stays owed (alert_count 0) and rings on resume / flag on
    const now = this.clock.now()
    let rows: QueueRow[]
    try {
      rows = this.store.transaction(() => {
        const out: QueueRow[] = []
        for (const id of ids) {
          const row = this.store.getQueueRow(id)
          // Not confirmed since start: never rings (it rings, if still owed, once confirmed).
          if (!row || row.acknowledged || row.alertCount > 0 || this.unconfirmed.has(id)) continue
          const next: QueueRow = {
            ...row,
            alertCount: 1,
            lastAlertAt: now,
            nextRepeatAt: this.repeatMaxCount > 0 ? now + this.repeatIntervalMs : null,
          }
          this.store.putQueueRow(next)
          out.push(next)
        }
        return out
      })
    } catch (err) {
      this.health?.count('store:error')
      this.log.error('desk: could not mark requests as alerted; alerting anyway', { cause: String((err as Error)?.message ?? err) })
      rows = ids.map((id) => this.store.getQueueRow(id)).filter((r): r is QueueRow => !!r)
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
    this.armRepeatTimer()
    this.emitQueue()
    this.deliver(alert)
  }

  /**
   * One silent update for a request that rang basic and now has its details. Re-read after the commit:
   * only a request still queued, rung and unacknowledged is updated. Silenced (flag off, paused) → no
   * update: a replaced notification still pops up on most platforms, and the next repeat after the
   * silence carries the full text anyway.
   */
  private sendUpdate(requestId: string): void {
    let alert: Alert
    try {
      if (this.silencedBecause() !== null) return
      const row = this.store.getQueueRow(requestId)
      if (!row || row.acknowledged || row.alertCount === 0 || row.detail !== 'full' || this.unconfirmed.has(requestId)) return
      // The kind the sinks show now: the first ring, or a repeat ("Still waiting …") after one.
      alert = requestAlert(row, row.alertCount > 1 ? 'repeat' : 'request', this.clock.now(), null)
    } catch (err) {
      // ingest/reconcile never throw; a lost update only leaves the basic text on screen.
      this.health?.count('store:error')
      this.log.error('desk: could not prepare an alert update', { cause: String((err as Error)?.message ?? err) })
      return
    }
    this.emit('update', alert)
    this.pipeline.update(alert).catch((err) => {
      this.health?.count('alert:pipeline-error')
      this.log.error('desk: alert pipeline rejected an update', { cause: String((err as Error)?.stack ?? err) })
    })
  }

  private deliver(alert: Alert): void {
    this.emit('alert', alert)
    this.pipeline.deliver(alert).catch((err) => {
      // deliver() never rejects by contract; this is the belt to its braces.
      this.health?.count('alert:pipeline-error')
      this.log.error('desk: alert pipeline rejected', { cause: String((err as Error)?.stack ?? err) })
    })
  }

  // ---- repeats -------------------------------------------------------------------------------------

  private armRepeatTimer(): void {
    if (this.stopped) return
    const at = this.nextConfirmedRepeatAt()
    if (at === this.repeatTimerAt && this.repeatTimer !== null) return
    if (this.repeatTimer !== null) this.timers.clearTimeout(this.repeatTimer)
    this.repeatTimer = null
    this.repeatTimerAt = at
    if (at === null) return
    this.repeatTimer = this.timers.setTimeout(() => {
      this.repeatTimer = null
      this.repeatTimerAt = null
      this.fireRepeats()
    }, Math.max(0, at - this.clock.now()))
  }

  /**
   * The next repeat among confirmed requests. Unconfirmed ones keep their stored schedule untouched
   * (a repeat that came due while unconfirmed rings as soon as the server confirms the request).
   */
  private nextConfirmedRepeatAt(): number | null {
    if (this.unconfirmed.size === 0) return this.store.nextRepeatAt()
    let at: number | null = null
    for (const r of this.store.listQueue()) {
      if (r.acknowledged || r.nextRepeatAt === null || this.unconfirmed.has(r.requestId)) continue
      if (at === null || r.nextRepeatAt < at) at = r.nextRepeatAt
    }
    return at
  }

  private fireRepeats(): void {
    if (this.stopped) return
    const now = this.clock.now()
    const silenced = this.silencedBecause()
    let rung: QueueRow[] = []
    try {
      rung = this.store.transaction(() => {
        const out: QueueRow[] = []
        for (const row of this.store.dueRepeats(now)) {
          if (this.unconfirmed.has(row.requestId)) continue
          if (silenced) {
            // A pause/flag-off defers repeats without spending them.
            this.store.putQueueRow({ ...row, nextRepeatAt: now + this.repeatIntervalMs })
            continue
          }
          const repeatsDone = Math.max(0, row.alertCount - 1)
          if (repeatsDone >= this.repeatMaxCount) {
            this.store.putQueueRow({ ...row, nextRepeatAt: null })
            continue
          }
          const alertCount = row.alertCount + 1
          const next: QueueRow = {
            ...row,
            alertCount,
            lastAlertAt: now,
            nextRepeatAt: alertCount - 1 >= this.repeatMaxCount ? null : now + this.repeatIntervalMs,
          }
          this.store.putQueueRow(next)
          out.push(next)
        }
        return out
      })
    } catch (err) {
      this.health?.count('store:error')
      this.log.error('desk: repeat failed', { cause: String((err as Error)?.message ?? err) })
    }
    this.armRepeatTimer()
    if (rung.length === 0) return
    this.emitQueue()
    const alert =
      rung.length === 1
        ? requestAlert(rung[0]!, 'repeat', now, null)
        : summaryAlert(rung, 'repeat', `${plural(rung.length, 'request is', 'requests are')} still waiting`, null)
    this.deliver(alert)
  }

  // ---- pause ---------------------------------------------------------------------------------------

  private armPauseTimer(): void {
    if (this.pauseTimer !== null) this.timers.clearTimeout(this.pauseTimer)
    this.pauseTimer = null
    if (typeof this.pauseUntil !== 'number' || this.stopped) return
    this.pauseTimer = this.timers.setTimeout(() => {
      this.pauseTimer = null
      this.paused() // expires it if due (the clock, not the timer, is the authority)
      if (typeof this.pauseUntil === 'number') this.armPauseTimer()
    }, Math.max(0, this.pauseUntil - this.clock.now()))
  }

  private expirePause(): void {
    this.endPause('desk: pause ended')
    // Deferred: paused() can be called from inside a transaction; ring after it.
    queueMicrotask(() => this.ringOwed('waited while alerts were paused'))
  }

  /** Clears the pause (memory, store, timer) and tells listeners; the caller rings what is owed. */
  private endPause(logLine: string): void {
    this.log.info(logLine)
    this.pauseUntil = null
    this.store.setMeta(META_PAUSE, null)
    if (this.pauseTimer !== null) this.timers.clearTimeout(this.pauseTimer)
    this.pauseTimer = null
    this.emit('pause', null)
  }

  // ---- events --------------------------------------------------------------------------------------

  /**
   * Queue-changed notifications are coalesced to one per tick: a reconcile or a burst changes many
   * rows, and listing the whole queue per change would make ingest O(queue length).
   */
  private emitQueue(): void {
    if (this.queueEmitScheduled) return
    this.queueEmitScheduled = true
    queueMicrotask(() => {
      this.queueEmitScheduled = false
      if (!this.store.isOpen) return
      const items = this.queue()
      this.emit('queue', items)
      // Failures are recorded inside: fanOut() logs, counts (sink:queue-error) and stores each failed sink call.
      this.pipeline.queueChanged(items.length).catch(() => undefined)
    })
  }

  private emitRetract(requestId: string): void {
    this.emit('retract', { requestId })
    // Failures are recorded inside: fanOut() logs, counts (sink:retract-error) and stores each failed sink call.
    this.pipeline.retract(requestId).catch(() => undefined)
  }

  private emit<E extends keyof DeskEvents>(event: E, payload: DeskEvents[E]): void {
    for (const l of [...this.listeners[event]] as ((p: DeskEvents[E]) => void)[]) {
      try {
        l(payload)
      } catch (err) {
        this.health?.count('desk:listener-error')
        this.log.error(`desk: a ${event} listener threw`, { cause: String((err as Error)?.stack ?? err) })
      }
    }
  }
}

