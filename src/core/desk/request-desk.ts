// The request desk: consumes RequestFacts and QueueSnapshots, keeps the stored queue, decides what
// rings, and hands alerts to the pipeline. It composes four parts with the store:
//   - rules.ts    the rules as pure decisions (versions, tombstones, details, ring/repeat/burst/pause);
//   - ringer.ts   decisions → alert pipeline calls: live rings, the burst limiter, backlog summaries;
//   - repeats.ts  repeat until acknowledged (the stored schedule and its one timer);
//   - silence.ts  flags + pause: what may ring now.
// The rules, end to end:
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
// Facts arrive validated by the parsers (src/core/feed/parse.ts); the desk does not check them again.
// Every decision and the write that records it happen in one store transaction; side effects (sinks,
// listeners) run after the commit, so a crash can only lose a ring that is then owed at next start,
// never ring the same key twice.
import type { UrgencyThresholds } from '../../shared/urgency.js'
import type { FeatureFlags, PauseRequest, PauseUntil, QueueItem } from '../../shared/types.js'
import type { DetailsFact, QueuedFact, QueueSnapshot, RemovedFact, RequestFact } from '../facts.js'
import type { Alert, Clock, Logger, RetractEvent, RetractWhy } from '../ports.js'
import { systemClock } from '../ports.js'
import type { AlertPipeline } from '../alerts/pipeline.js'
import { plural, toQueueItem } from '../alerts/compose.js'
import { safeText } from '../alerts/safe-text.js'
import type { HealthMonitor } from '../health/health.js'
import { dedupKey } from '../store/keys.js'
import type { EventOutcome, QueueRow, Store } from '../store/store.js'
import { Repeats } from './repeats.js'
import { Ringer } from './ringer.js'
import { decideDetails, decideKnown, decideUnknown, newRow } from './rules.js'
import { Silence } from './silence.js'
import { systemTimers, type TimerHandle, type Timers } from './timers.js'
import { retractWhy } from './retract-why.js'

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
  /**
   * Amber/red thresholds: repeats come sooner as a wait grows (rules.ts repeatDelay). Default off (every
   * repeat one interval apart); the tray app passes the mechanic's thresholds (Alerts panel).
   */
  urgency?: UrgencyThresholds | null
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
  /** why: taken, cancelled, removed (deleted, or gone at a reconcile) or acknowledged here (still queued). */
  retract: RetractEvent
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
}

/** Effects collected inside a transaction and run after it commits. */
interface Effects {
  /** New requests that may ring (not silenced). */
  ring: string[]
  retract: string[]
  /** Why each request in `retract` left the queue (its removal's reason, in the hosts' words). */
  retractWhy: Map<string, RetractWhy>
  /** Who took a request in `retract`, where its removal named them. */
  takenBy: Map<string, string | null>
  /** Requests that rang basic and were enriched to full: one silent update each after the commit. */
  update: string[]
  /** Restored requests the server confirmed (or that this run replaced with a new version). */
  confirm: string[]
  /** Of those, the ones that never rang (owed a ring): they ring as a backlog after the commit. */
  owed: string[]
  queueChanged: boolean
}

const noEffects = (): Effects => ({ ring: [], retract: [], retractWhy: new Map(), takenBy: new Map(), update: [], confirm: [], owed: [], queueChanged: false })

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
  private readonly silence: Silence
  private readonly repeats: Repeats
  private readonly ringer: Ringer

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
  private started = false
  private queueEmitScheduled = false
  /** The last listed queue, valid while neither the store's queue nor the unconfirmed set changed. */
  private queueCache: { version: number; confirmations: number; items: QueueItem[] } | null = null
  /** Bumped whenever the unconfirmed set changes (a QueueItem's `confirmed` follows it). */
  private confirmations = 0
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
    const common = { store: this.store, log: this.log, health: this.health, clock: this.clock, timers: this.timers, unconfirmed: this.unconfirmed }
    const tuning = { repeatIntervalMs: this.repeatIntervalMs, repeatMaxCount: this.repeatMaxCount, urgency: opts.urgency ?? null }
    this.silence = new Silence({
      ...common,
      onAlertsBack: (phrase) => this.ringer.ringOwed(phrase),
      onPause: (until) => this.emit('pause', until),
      onFlags: (flags) => this.emit('flags', flags),
    })
    const silenced = () => this.silence.reason()
    this.repeats = new Repeats({ ...common, ...tuning, silenced, queueChanged: () => this.emitQueue(), deliver: (a) => this.ringer.deliver(a) })
    this.ringer = new Ringer({
      ...common,
      ...tuning,
      burstWindowMs: this.burstWindowMs,
      burstThreshold: this.burstThreshold,
      pipeline: opts.pipeline,
      silenced,
      rang: () => {
        this.repeats.arm()
        this.emitQueue()
      },
      onAlert: (a) => this.emit('alert', a),
      onUpdate: (a) => this.emit('update', a),
      onRetract: (e) => this.emit('retract', e),
    })
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
    this.silence.start()
    for (const row of this.store.listQueue()) this.unconfirmed.add(row.requestId)
    this.confirmations++
    if (this.unconfirmed.size > 0) {
      this.log.info('desk: restored requests wait for the server to confirm them', { count: this.unconfirmed.size })
      this.noticeTimer = this.timers.setTimeout(() => {
        this.noticeTimer = null
        this.announceUnconfirmed()
      }, this.unconfirmedNoticeMs)
    }
    this.repeats.arm()
    this.emitQueue()
  }

  /** Clears every timer. Held burst alerts stay owed (alert_count 0): after the next start they ring once the server confirms them. */
  stop(): void {
    this.stopped = true
    this.ringer.stop()
    this.repeats.stop()
    this.silence.stop()
    if (this.noticeTimer !== null) this.timers.clearTimeout(this.noticeTimer)
    this.noticeTimer = null
  }

  on<E extends keyof DeskEvents>(event: E, listener: (payload: DeskEvents[E]) => void): () => void {
    const set = this.listeners[event] as Set<(p: DeskEvents[E]) => void>
    set.add(listener)
    return () => set.delete(listener)
  }

  // ---- queries -------------------------------------------------------------------------------------

  /**
   * The queue as the UIs show it. Computed once per change and shared: the `queue` event, the engine's
   * snapshot and every host read the same list, so a change costs one store read, not one per reader.
   * Callers must not mutate it.
   */
  queue(): QueueItem[] {
    const version = this.store.queueVersion
    if (this.queueCache === null || this.queueCache.version !== version || this.queueCache.confirmations !== this.confirmations) {
      const items = this.store.listQueue().map((row) => toQueueItem(row, !this.unconfirmed.has(row.requestId)))
      this.queueCache = { version, confirmations: this.confirmations, items }
    }
    return this.queueCache.items
  }

  /** "Not connected since start: …" while restored requests stay unconfirmed past the threshold, else null. */
  notice(): string | null {
    return this.currentNotice
  }

  flags(): FeatureFlags {
    return this.silence.flags()
  }

  /** The pause state; an expired pause reads as null even if its timer has not fired (laptop slept). */
  paused(): PauseUntil {
    return this.silence.paused()
  }

  // ---- facts ---------------------------------------------------------------------------------------

  /** Consumes one fact. Never throws: a failure is logged, counted and reported as outcome 'error'. */
  ingest(fact: RequestFact): IngestResult {
    let effects = noEffects()
    let result: IngestResult
    try {
      // Facts of one task share one commit (a burst pays one WAL commit, not one per fact); the effects
      // run once it committed. The store may decide a group again (on its in-memory copy when the file is
      // unavailable), so the effects are collected afresh by each run.
      result = this.store.transactionInGroup(
        () => {
          effects = noEffects()
          return this.apply(fact, effects)
        },
        (committed) => {
          if (committed) this.afterCommit(effects, 'live')
          else this.lost(fact.source, 'a fact')
        },
      )
    } catch (err) {
      this.health?.recordEvent(fact.source, 'error')
      this.log.error('desk: could not process a fact', { source: fact.source, cause: String((err as Error)?.stack ?? err) })
      return { outcome: 'error', reason: String((err as Error)?.message ?? err), key: null }
    }
    this.health?.recordEvent(fact.source, result.outcome)
    return result
  }

  /**
   * Makes the local queue equal to the snapshot: missing requests are added (and rung, coalesced into
   * one summary when 2+), local requests absent from the snapshot and first seen before the read
   * started are removed, tombstoned and retracted. Facts received after snapshot.startedAt win.
   */
  reconcile(snapshot: QueueSnapshot): ReconcileResult {
    let effects = noEffects()
    let result: ReconcileResult = { added: [], removed: [], unchanged: 0, enriched: 0 }
    let outcomes: string[] = []
    const now = this.clock.now()
    const startedAt = snapshot.startedAt
    try {
      this.store.transactionInGroup(() => {
        // Afresh on every run (see ingest).
        effects = noEffects()
        result = { added: [], removed: [], unchanged: 0, enriched: 0 }
        outcomes = []
        const seen = new Set<string>()
        for (const fact of snapshot.requests) {
          seen.add(fact.requestId)
          // The server has it queued now, whatever version it reports: no longer a stale local entry.
          effects.confirm.push(fact.requestId)
          const r = this.applyQueued(fact, effects, startedAt)
          outcomes.push(r.outcome)
          if (r.outcome === 'alerted' || r.outcome === 'enqueued-silent') result.added.push(fact.requestId)
          else if (r.outcome === 'enriched') result.enriched++
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
      }, (ok) => {
        if (ok) this.afterCommit(effects, 'reconcile', snapshot.trigger)
        else this.lost('reconcile', 'a reconcile')
      })
    } catch (err) {
      this.health?.recordEvent('reconcile', 'error')
      this.log.error('desk: reconcile failed; the local queue is unchanged', { trigger: snapshot.trigger, cause: String((err as Error)?.stack ?? err) })
      return { added: [], removed: [], unchanged: 0, enriched: 0 }
    }
    for (const o of outcomes) this.health?.recordEvent('reconcile', o)
    if (result.added.length || result.removed.length) {
      this.log.info('desk: reconciled', { trigger: snapshot.trigger, added: result.added.length, removed: result.removed.length, unchanged: result.unchanged })
    }
    return result
  }

  /** A group commit failed after the facts were decided: their writes are gone, and nothing of them rang. */
  private lost(source: string, what: string): void {
    this.health?.recordEvent(source, 'error')
    this.log.error(`desk: ${what} was decided but its transaction did not commit; the next reconcile restores the queue`, { source })
  }

  // ---- commands ------------------------------------------------------------------------------------

  /** An escalated ring (escalator.ts), delivered like any ring; false (nothing rung) while silenced. */
  ringEscalated(alert: Alert): boolean {
    if (this.stopped || this.silence.reason() !== null) return false
    this.ringer.deliver(alert)
    return true
  }

  /** Stops repeats for the request and withdraws its alert; it stays in the queue. */
  acknowledge(requestId: string): boolean {
    const row = this.store.getQueueRow(requestId)
    if (!row) return false
    this.ringer.forget(requestId)
    if (!row.acknowledged) {
      this.store.putQueueRow({ ...row, acknowledged: true, nextRepeatAt: null })
      this.repeats.arm()
      this.emitQueue()
    }
    this.ringer.retract(requestId, 'acknowledged')
    return true
  }

  /** Pauses alerts for 15 or 60 minutes or until resumed; anything else is a RangeError. */
  pause(request: PauseRequest): PauseUntil {
    return this.silence.pause(request)
  }

  resume(): void {
    this.silence.resume()
  }

  /** New flags from the server (or the cache). Cached for an offline start. */
  setFlags(flags: FeatureFlags): void {
    this.silence.setFlags(flags)
  }

  // ---- applying decisions --------------------------------------------------------------------------

  /** Applies one fact inside the caller's transaction and records it in the event log. */
  private apply(fact: RequestFact, effects: Effects): IngestResult {
    switch (fact.kind) {
      case 'rejected': {
        const r = this.record(fact, null, null, 'rejected', fact.reason)
        this.log.warn('desk: rejected an event', { source: fact.source, reason: r.reason })
        return r
      }
      case 'removed':
        return this.applyRemoved(fact, effects)
      case 'details':
        return this.applyDetails(fact, effects)
      case 'queued':
        return this.applyQueued(fact, effects)
    }
  }

  private record(fact: RequestFact, requestId: string | null, key: string | null, outcome: EventOutcome, reason: string | null): IngestResult {
    // The event id and a rejection's reason are not validated input but the parser's words about it, and
    // they quote it (a broadcast's meta.id, an unknown event name): made safe text here, where they are
    // written to the event log that doctor and the logs show.
    const eventId = safeText(fact.eventId, 200) ?? `local:${fact.receivedAt}`
    const why = fact.kind === 'rejected' ? (safeText(reason, 500) ?? 'no reason given') : reason
    this.store.recordEvent({ receivedAt: fact.receivedAt, source: fact.source, eventId, kind: fact.kind, requestId, dedupKey: key, outcome, reason: why })
    return { outcome, reason: why, key }
  }

  private applyRemoved(f: RemovedFact, effects: Effects): IngestResult {
    const row = this.store.getQueueRow(f.requestId)
    if (row) {
      this.removeRow(row, { removedAt: f.receivedAt, removedCommitTs: f.commitTs, reason: f.reason }, effects)
      if (f.takenBy !== undefined) effects.takenBy.set(f.requestId, f.takenBy)
      return this.record(f, f.requestId, row.key, 'removed', f.reason)
    }
    if (this.store.tombstonesFor(f.requestId).length > 0) return this.record(f, f.requestId, null, 'duplicate', 'already removed')
    // Out of order (the removal overtook the queued event): tombstone the unknown version so the late
    // queued event does not ring for a request that is already gone.
    const key = dedupKey(f.requestId, null)
    this.store.putTombstone({ key, requestId: f.requestId, queuedAt: null, removedAt: f.receivedAt, removedCommitTs: f.commitTs, reason: f.reason })
    return this.record(f, f.requestId, key, 'removed', `${f.reason}; was not in the local queue (tombstoned)`)
  }

  private applyDetails(f: DetailsFact, effects: Effects): IngestResult {
    const row = this.store.getQueueRow(f.requestId)
    if (!row) return this.record(f, f.requestId, null, 'stale', 'request is not in the queue')
    const d = decideDetails(row, f.details)
    if (!d.next) return this.record(f, f.requestId, row.key, 'duplicate', d.reason)
    this.store.putQueueRow(d.next)
    effects.queueChanged = true
    if (d.update) effects.update.push(row.requestId)
    return this.record(f, f.requestId, row.key, 'enriched', d.reason)
  }

  /** snapshotAt: set when reconciling (see decideUnknown). */
  private applyQueued(f: QueuedFact, effects: Effects, snapshotAt?: number): IngestResult {
    const key = dedupKey(f.requestId, f.queuedAt)
    const row = this.store.getQueueRow(f.requestId)
    if (row) {
      const d = decideKnown(f, row, this.unconfirmed.has(f.requestId))
      if (d.kind === 'stale') return this.record(f, f.requestId, key, 'stale', d.reason)
      if (d.kind === 'requeue') {
        this.store.putTombstone(d.tombstone)
        return this.enqueue(f, key, effects, 're-queued')
      }
      if (d.confirm) {
        effects.confirm.push(f.requestId)
        effects.queueChanged = true
        if (d.owed) effects.owed.push(f.requestId)
      }
      if (!d.next) return this.record(f, f.requestId, row.key, d.outcome, d.reason)
      this.store.putQueueRow(d.next)
      effects.queueChanged = true
      if (d.update) effects.update.push(f.requestId)
      return this.record(f, f.requestId, d.next.key, d.outcome, d.reason)
    }
    const tombs = this.store.tombstonesFor(f.requestId)
    if (tombs.length > 0) {
      const d = decideUnknown(f, key, tombs, snapshotAt)
      for (const k of d.expired) this.store.deleteTombstone(k)
      if (d.blockedBecause) return this.record(f, f.requestId, key, 'stale', d.blockedBecause)
    }
    return this.enqueue(f, key, effects, null)
  }

  private enqueue(f: QueuedFact, key: string, effects: Effects, reason: string | null): IngestResult {
    this.store.putQueueRow(newRow(f, key))
    effects.queueChanged = true
    // A version first seen in this run is not a stale local entry (it replaces a restored one, if any).
    effects.confirm.push(f.requestId)
    const silenced = this.silence.reason()
    if (silenced) return this.record(f, f.requestId, key, 'enqueued-silent', reason ? `${silenced}; ${reason}` : silenced)
    effects.ring.push(f.requestId)
    return this.record(f, f.requestId, key, 'alerted', reason)
  }

  private removeRow(row: QueueRow, t: { removedAt: number; removedCommitTs: string | null; reason: string }, effects: Effects): void {
    this.store.deleteQueueRow(row.requestId)
    this.store.putTombstone({ key: row.key, requestId: row.requestId, queuedAt: row.queuedAt, removedAt: t.removedAt, removedCommitTs: t.removedCommitTs, reason: t.reason })
    this.ringer.forget(row.requestId)
    effects.retract.push(row.requestId)
    effects.retractWhy.set(row.requestId, retractWhy(t.reason))
    effects.queueChanged = true
  }

  // ---- after the commit ----------------------------------------------------------------------------

  private afterCommit(effects: Effects, context: 'live' | 'reconcile', trigger?: QueueSnapshot['trigger']): void {
    // Committed after stop() (the store closing commits the last group): nothing rings any more; what was
    // decided is stored, and a ring it owes rings after the next start.
    if (this.stopped) return
    this.settleConfirmations(effects)
    for (const id of effects.retract) this.ringer.retract(id, effects.retractWhy.get(id) ?? 'removed', effects.takenBy.get(id))
    if (effects.queueChanged) this.emitQueue()
    for (const id of new Set(effects.update)) this.ringer.sendUpdate(id)
    // Confirmed restored requests that never rang are owed one ring: a backlog (no link latency).
    const owed = effects.owed.filter((id) => !effects.retract.includes(id))
    if (context === 'live') {
      if (owed.length > 0) this.ringer.ringTogether(owed, 'waited while BayAlert was not ringing', 'backlog')
      if (effects.ring.length > 0) this.ringer.ringLive(effects.ring)
      return
    }
    if (effects.ring.length === 0 && owed.length === 0) {
      if (this.ringer.heldCount > 0) this.ringer.ringTogether([], null, 'live')
      return
    }
    // Reconcile: everything new and owed (plus anything held in the burst window) rings as one alert now.
    const offline = owed.length > 0 || trigger === 'startup' || trigger === 'resume' || trigger === 'network' || trigger === 'subscribed'
    this.ringer.ringTogether(
      [...effects.ring, ...owed],
      offline ? 'waited while you were offline' : 'found waiting in the queue',
      trigger === 'startup' || owed.length > 0 ? 'backlog' : 'found',
    )
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
    this.confirmations++
    effects.queueChanged = true
    this.repeats.arm()
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
