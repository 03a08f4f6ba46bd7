// The feed: the trusted sources → one ordered stream of RequestFacts into the desk.
//   trusted events (private shop:requests broadcast, postgres_changes) ─ parse ─┬─ rejected → desk (recorded) + a reconcile soon
//                                                                               └─ per-request chain → details (≤ firstWaitMs) → desk.ingest
//   public session_requests_feed (anyone with the anon key can post) ─ parse → a hint: at most a rate-limited reconcile (hints.ts)
//   confirmed subscription / resume / network / timer / hint → reconcile → desk.reconcile
//   feature_flags changes / reads → desk.setFlags
// Only what the server confirms through RLS rings, retracts or enriches: a read, the private database
// broadcast, postgres_changes. postgres_changes events the server refuses (`errors`, no record) are
// recorded, counted, reconciled and shown as degraded instead of dropped.
// Facts about one request are applied in arrival order (a chain per request id): a "removed" that
// arrives while a "queued" is still waiting for its details must not be applied first, or the late
// "queued" would put a taken request back on screen.
import type { SupabaseClient } from '@supabase/supabase-js'
import type { FeatureFlags, RequestDetails } from '../../shared/types.js'
import { DEFAULT_FLAGS } from '../../shared/types.js'
import type { DetailsFact, QueuedFact, RequestFact } from '../facts.js'
import type { Clock, Logger } from '../ports.js'
import type { RequestDesk } from '../desk/request-desk.js'
import type { HealthMonitor } from '../health/health.js'
import type { Store } from '../store/store.js'
import type { LinkSupervisor } from '../link/supervisor.js'
import { describeRestError, restCall } from '../link/rest.js'
import type { TimerRegistry } from '../link/timers.js'
import { DetailsFetcher, usableDetails, type DetailsOutcome } from './details.js'
import { changeErrors, completeDetails, parseBroadcast, parseFlagChange, parseFlagRows, parsePostgresChange, type ParseResult } from './parse.js'
import { Reconciler, type ReconcileTrigger } from './reconcile.js'
import { HintGate, RejectBudget } from './hints.js'

/** Which delivery paths reach the desk. All on in production; benchmarks switch all but one off to measure it alone. */
export interface DeliveryPaths {
  /** Hints from the shop backend's legacy public `session_requests_feed` broadcast (they may trigger a read, never ring). */
  broadcast: boolean
  /** The database-side broadcast (`shop:requests`). */
  dbBroadcast: boolean
  /** postgres_changes on session_assignments (feature_flags changes are always heard). */
  postgresChanges: boolean
  /** Every reconcile (startup, confirmed subscription, resume, safety timer…); off = no queue reads (flags still read once). */
  reconcile: boolean
}

export interface FeedOptions {
  link: LinkSupervisor
  client: SupabaseClient
  desk: RequestDesk
  store: Store
  health: HealthMonitor
  log: Logger
  clock: Clock
  timers: TimerRegistry
  /** How long a first alert may wait for details before it goes out basic (default 600 ms). */
  firstWaitMs?: number
  safetyReconcileMs?: number
  detailsTimeoutMs?: number
  detailsMaxAttempts?: number
  reconcileTimeoutMs?: number
  random?: () => number
  /** Default: all on. The channels are joined either way; events of a path that is off are ignored. */
  paths?: Partial<DeliveryPaths>
  /** Public-topic hints: the wait before deciding (default 300 ms) and at most one hint-triggered read per (default 10 s). */
  hintDebounceMs?: number
  hintMinIntervalMs?: number
  /** Degraded reason (null = fine): reconcile failures, postgres_changes refused by the server. */
  onProblem(reason: string | null): void
}

export class Feed {
  readonly details: DetailsFetcher
  readonly reconciler: Reconciler
  private readonly chains = new Map<string, Promise<void>>()
  /** Facts waiting for details, woken early when another source brings them. */
  private readonly waiters = new Map<string, (d: Partial<RequestDetails>) => void>()
  /** Details another source brought while a fact for the same request is queued in its chain. */
  private readonly brought = new Map<string, Partial<RequestDetails>>()
  private readonly offs: (() => void)[] = []
  private stopped = false
  private cancelSoon: (() => void) | null = null
  private readonly firstWaitMs: number
  readonly paths: DeliveryPaths
  readonly hints: HintGate
  private readonly publicRejects: RejectBudget
  readonly stats = { basicAlerts: 0, enrichedLater: 0, detailsGaveUp: 0, rejected: 0, ignored: 0, changesRefused: 0 }
  private reconcileProblem: string | null = null
  /** The check-in brings the flags: reconciles do not read them too. */
  private flagsFromCheckIn = false
  /** table → why its postgres_changes are refused; cleared by the next good event of that table. */
  private readonly refused = new Map<string, string>()

  constructor(private readonly o: FeedOptions) {
    this.firstWaitMs = o.firstWaitMs ?? 600
    this.paths = { broadcast: true, dbBroadcast: true, postgresChanges: true, reconcile: true, ...o.paths }
    const onFetch = (ok: boolean, ms: number, cause?: string) => o.health.recordFetch(ok, ms, cause)
    this.details = new DetailsFetcher({
      client: o.client,
      log: o.log,
      clock: o.clock,
      timers: o.timers,
      timeoutMs: o.detailsTimeoutMs,
      maxAttempts: o.detailsMaxAttempts,
      random: o.random,
      onFetch,
    })
    this.reconciler = new Reconciler({
      client: o.client,
      log: o.log,
      clock: o.clock,
      timers: o.timers,
      apply: (snap) => this.applySnapshot(snap),
      onHealth: (reason) => {
        this.reconcileProblem = reason
        this.reportProblem()
      },
      onFetch,
      alsoRun: () => (this.flagsFromCheckIn ? Promise.resolve() : this.readFlags()),
      safetyIntervalMs: o.safetyReconcileMs,
      timeoutMs: o.reconcileTimeoutMs,
      random: o.random,
    })
    this.hints = new HintGate({
      clock: o.clock,
      timers: o.timers,
      confirmed: (h) => {
        try {
          return (this.o.store.getQueueRow(h.requestId) !== undefined) === (h.kind === 'new')
        } catch (e) {
          // The local store cannot say: the server can. Look.
          o.log.warn('feed: could not check a hint against the local queue; reading the queue', { cause: String((e as Error)?.message ?? e) })
          return false
        }
      },
      look: () => this.reconciler.request('hint'),
      count: (key) => o.health.count(key),
      debounceMs: o.hintDebounceMs,
      minIntervalMs: o.hintMinIntervalMs,
    })
    this.publicRejects = new RejectBudget(o.clock, (count) =>
      o.log.warn('feed: malformed messages on the public topic were counted but not recorded one by one', { count }),
    )
    this.offs.push(
      o.link.on('broadcast', (source, msg, at) => {
        if (source === 'broadcast') {
          if (this.paths.broadcast) this.takeHint(parseBroadcast(source, msg, at))
        } else if (this.paths.dbBroadcast) this.take(parseBroadcast(source, msg, at))
      }),
      o.link.on('postgresChange', (table, msg, at) => {
        if (table === 'feature_flags') this.onFlagChange(msg)
        else if (this.paths.postgresChanges) {
          const errors = changeErrors(msg)
          if (errors) this.changesRefused(table, errors)
          else this.changesAccepted(table)
          this.take(parsePostgresChange(msg, at))
        }
      }),
      o.link.on('confirmed', (why) => this.reconciler.request(why === 'subscribed' ? 'subscribed' : 'manual')),
    )
  }

  /** Signed in: reads are allowed; read the queue and the flags now (does not wait for realtime). */
  enable(trigger: ReconcileTrigger = 'startup'): void {
    if (!this.paths.reconcile) {
      // The reconciler stays disabled, so every request() is a no-op; flags are normally read with each reconcile.
      void this.readFlags()
      return
    }
    this.reconciler.enable()
    this.reconciler.request(trigger)
  }

  disable(): void {
    this.reconciler.disable()
    this.reconcileProblem = null
    this.refused.clear()
    this.o.onProblem(null)
  }

  reconcile(trigger: ReconcileTrigger): void {
    this.reconciler.request(trigger)
  }

  /**
   * true: a periodic check-in reports the server's queue version and the flags, so the safety timer's reads and the
   * flags read alongside each reconcile are left out; false (a project without check_in): both as before.
   */
  useCheckIn(on: boolean): void {
    this.flagsFromCheckIn = on
    this.reconciler.setSafetyTimer(!on)
  }

  /** Flag rows from the check-in: the same rules as a feature_flags read. */
  applyFlagRows(rows: unknown[]): void {
    if (this.stopped) return
    const { flags, problems } = parseFlagRows(rows)
    for (const p of problems) this.o.log.warn('feed: feature flag row ignored', { problem: p })
    this.setFlags({ ...DEFAULT_FLAGS, ...flags })
  }

  /** Resolves once queued facts and reconciles have been applied (tests, orderly shutdown). */
  async idle(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      await Promise.all([...this.chains.values()])
      await this.reconciler.idle()
      if (this.chains.size === 0) return
    }
  }

  stop(): void {
    this.stopped = true
    for (const off of this.offs.splice(0)) off()
    this.cancelSoon?.()
    this.details.stop()
    this.hints.stop()
    this.reconciler.stop()
    for (const wake of this.waiters.values()) wake({})
    this.waiters.clear()
  }

  // --- events -------------------------------------------------------------------------------------

  private take(r: ParseResult): void {
    if (this.stopped) return
    if ('ignored' in r) {
      this.stats.ignored++
      this.o.health.count('feed:ignored')
      this.o.log.debug('feed: event ignored', { reason: r.ignored })
      return
    }
    const fact = r.fact
    if (fact.kind === 'rejected') {
      this.stats.rejected++
      this.ingest(fact)
      // Something happened that we could not read: the server's queue is the authority.
      this.reconcileSoon()
      return
    }
    // A full-detail fact wakes a same-request fact that is waiting (or about to wait) for its details.
    if (fact.kind === 'queued' && usableDetails(fact.details) && this.chains.has(fact.requestId)) {
      this.brought.set(fact.requestId, fact.details!)
      this.waiters.get(fact.requestId)?.(fact.details!)
    }
    if (fact.kind === 'removed') this.details.cancel(fact.requestId)
    this.chain(fact.requestId, () => this.handle(fact))
  }

  /**
   * A message on the public topic: validated like any input (garbage is recorded as rejected), then at
   * most a hint. It never reaches the desk as a fact, and a rejected one does not trigger a read either:
   * an outsider's garbage must not cost the shop reads.
   */
  private takeHint(r: ParseResult): void {
    if (this.stopped) return
    if ('ignored' in r) {
      this.stats.ignored++
      this.o.health.count('feed:ignored')
      return
    }
    const fact = r.fact
    if (fact.kind === 'rejected') {
      this.stats.rejected++
      if (this.publicRejects.allow()) this.ingest(fact)
      else this.o.health.count('broadcast:rejected') // what the desk counts for a recorded one
      return
    }
    if (fact.kind === 'queued' || fact.kind === 'removed') {
      this.o.log.debug('feed: hint from the public topic', { kind: fact.kind, requestId: fact.requestId })
      this.hints.take({ kind: fact.kind === 'queued' ? 'new' : 'removed', requestId: fact.requestId })
    }
  }

  /** The server refused to send a table's changes (no record): the queue must come from reads until it is fixed. */
  private changesRefused(table: string, errors: string[]): void {
    this.stats.changesRefused++
    this.o.health.count('postgres_changes:refused')
    const grants = errors.some((e) => /\b401\b/.test(e)) ? " — the table's grants are missing?" : ''
    const reason = `postgres_changes refused by the server: ${errors.join('; ')}${grants} (public.${table.slice(0, 64)})`
    if (this.refused.get(table) !== reason) {
      this.o.log.error('feed: postgres_changes refused by the server; reading the queue instead', { table, errors })
      this.refused.set(table, reason)
      this.reportProblem()
    }
  }

  private changesAccepted(table: string): void {
    if (!this.refused.delete(table)) return
    this.o.log.info('feed: postgres_changes delivered again', { table })
    this.reportProblem()
  }

  private reportProblem(): void {
    const parts = [...this.refused.values()]
    if (this.reconcileProblem) parts.push(this.reconcileProblem)
    this.o.onProblem(parts.length ? parts.join('; ') : null)
  }

  private chain(requestId: string, fn: () => Promise<void> | void): void {
    const prev = this.chains.get(requestId) ?? Promise.resolve()
    const next = prev
      .then(fn)
      .catch((e) => this.o.log.error('feed: handling a fact failed', { requestId, cause: String((e as Error)?.stack ?? e) }))
    this.chains.set(requestId, next)
    void next.then(() => {
      if (this.chains.get(requestId) !== next) return
      this.chains.delete(requestId)
      this.brought.delete(requestId)
    })
  }

  private async handle(fact: Exclude<RequestFact, { kind: 'rejected' }>): Promise<void> {
    if (this.stopped) return
    if (fact.kind !== 'queued') {
      this.ingest(fact)
      return
    }
    if (usableDetails(fact.details)) {
      this.details.cancel(fact.requestId)
      this.ingest(fact)
      return
    }
    const known = this.o.store.getQueueRow(fact.requestId)
    if (known) {
      // Already on screen (another source was first): nothing to wait for.
      this.ingest(fact)
      if (known.detail === 'basic') this.details.want(fact.requestId, (o) => this.lateDetails(fact, o))
      return
    }
    const got = await this.firstDetails(fact)
    if (this.stopped) return
    if (got.details) {
      this.ingest({ ...fact, details: { ...(fact.details ?? {}), ...got.details } })
      return
    }
    // The alert goes out now, basic, with the cause on record; the job keeps trying in the background.
    this.stats.basicAlerts++
    this.o.health.count('details:basic-alert')
    this.o.log.warn('feed: alerting without details', { requestId: fact.requestId, source: fact.source, cause: got.cause })
    this.ingest(fact)
  }

  /** Waits at most firstWaitMs for details: the RPC's first answer, or another source bringing them. */
  private async firstDetails(fact: QueuedFact): Promise<{ details: Partial<RequestDetails> | null; cause: string }> {
    const id = fact.requestId
    const early = this.brought.get(id)
    if (early) return { details: early, cause: 'another source brought them' }
    const firstTry = this.details.want(id, (o) => this.lateDetails(fact, o), true)
    let cancelTimer: () => void = () => {}
    const timeout = new Promise<{ details: null; cause: string }>((resolve) => {
      cancelTimer = this.o.timers.after(this.firstWaitMs, () =>
        resolve({ details: null, cause: this.details.causeOf(id) ?? `details did not arrive within ${this.firstWaitMs} ms; still trying` }),
      )
    })
    const arrived = new Promise<{ details: Partial<RequestDetails>; cause: string }>((resolve) => {
      this.waiters.set(id, (d) => resolve({ details: d, cause: 'another source brought them' }))
    })
    const tried = firstTry.then((o) => (o.ok ? { details: o.details, cause: '' } : { details: null, cause: o.cause }))
    try {
      return await Promise.race([tried, arrived, timeout])
    } finally {
      cancelTimer()
      this.waiters.delete(id)
    }
  }

  /** The background job finished after the basic alert: enrich, or record the give-up. */
  private lateDetails(fact: QueuedFact, o: DetailsOutcome): void {
    if (this.stopped) return
    if (!o.ok) {
      if (o.final) {
        this.stats.detailsGaveUp++
        this.o.health.count('details:gave-up')
      }
      return
    }
    const row = this.o.store.getQueueRow(fact.requestId)
    if (!row || row.detail === 'full') return // gone, or someone else already enriched it
    this.stats.enrichedLater++
    const now = this.o.clock.now()
    const df: DetailsFact = {
      kind: 'details',
      source: fact.source,
      eventId: `details:${fact.requestId}:${now}`,
      commitTs: null,
      receivedAt: now,
      requestId: fact.requestId,
      details: completeDetails(o.details),
    }
    this.chain(fact.requestId, () => this.ingest(df))
  }

  private ingest(fact: RequestFact): void {
    if (this.stopped) return
    const r = this.o.desk.ingest(fact)
    if (r.outcome === 'error') this.o.log.error('feed: the desk could not take a fact', { source: fact.source, reason: r.reason })
  }

  private applySnapshot(snap: Parameters<RequestDesk['reconcile']>[0]): void {
    if (this.stopped) return
    this.o.desk.reconcile(snap)
    // Whatever the snapshot enriched needs no background job any more.
    for (const f of snap.requests) if (usableDetails(f.details)) this.details.cancel(f.requestId)
  }

  private reconcileSoon(): void {
    if (this.cancelSoon) return
    this.cancelSoon = this.o.timers.after(1000, () => {
      this.cancelSoon = null
      this.reconciler.request('manual')
    })
  }

  // --- flags --------------------------------------------------------------------------------------

  private onFlagChange(msg: unknown): void {
    if (this.stopped) return
    const r = parseFlagChange(msg)
    if ('reread' in r && r.refused) this.changesRefused('feature_flags', r.refused)
    else this.changesAccepted('feature_flags')
    if ('ignored' in r) return
    if ('reread' in r) {
      this.o.log.info('feed: re-reading feature flags', { why: r.reread })
      void this.readFlags()
      return
    }
    this.setFlags({ ...this.o.desk.flags(), ...r.flags })
  }

  /** Reads public.feature_flags; a flag without a row has its default. The desk caches them offline. */
  async readFlags(): Promise<void> {
    const res = await restCall<unknown>(this.o.client, (c) => c.from('feature_flags').select('key,enabled'), 5000)
    if (this.stopped) return
    if (!res.ok) {
      this.o.health.recordFetch(false, res.ms, `feature_flags: ${describeRestError(res.error)}`)
      this.o.log.warn('feed: could not read feature flags; keeping the cached ones', { cause: describeRestError(res.error) })
      return
    }
    this.o.health.recordFetch(true, res.ms)
    const { flags, problems } = parseFlagRows(res.data)
    for (const p of problems) this.o.log.warn('feed: feature flag row ignored', { problem: p })
    this.setFlags({ ...DEFAULT_FLAGS, ...flags })
  }

  private setFlags(next: FeatureFlags): void {
    const cur = this.o.desk.flags()
    if ((Object.keys(DEFAULT_FLAGS) as (keyof FeatureFlags)[]).every((k) => cur[k] === next[k])) return
    this.o.log.info('feed: feature flags changed', { ...next })
    this.o.desk.setFlags(next)
  }
}
