// Reconcile: read the server's whole current queue and hand it to the desk as one QueueSnapshot, so the
// local queue becomes equal to it. postgres_changes has no replay (the server reads a temporary
// replication slot; supabase/realtime#570) and SUBSCRIBED comes before the database subscription is ready
// (supabase/realtime-js#525): this is what recovers everything missed while disconnected or
// rejoining. Runs after every confirmed subscription, on resume, on network return, on a safety timer
// and whenever an event could not be understood.
//
// Cost: keyset pages of `rpc queued_requests_page` (`queued_requests` on an older project) by (queued_at, id),
// one round trip per page — a shop's queue is usually one page, so the 60 s safety timer costs each workstation one request a minute
// (500 workstations ≈ 500 requests/min against a 5,000/min quota). Pages are as large as the function
// serves (1,000 rows): a backlog after an outage is read in as few round trips as the server allows; a page
// shorter than asked, or one whose rows say no more are left (isLastPage), is the last one.
import type { SupabaseClient } from '@supabase/supabase-js'
import type { QueueSnapshot, QueuedFact } from '../facts.js'
import type { Clock, Logger } from '../ports.js'
import { RECONNECT_BACKOFF, RetryTimer, type BackoffPolicy } from '../link/backoff.js'
import { describeRestError, restCall } from '../link/rest.js'
import type { TimerRegistry } from '../link/timers.js'
import { parseRow } from './parse.js'

export type ReconcileTrigger = QueueSnapshot['trigger']

/**
 * The most rows one `rpc queued_requests` / `queued_requests_page` call returns: both clamp p_limit to 1..1000
 * (supabase/migrations/20250601000000_bayalert_schema.sql, 20261206000000_bayalert_queue_read.sql). A page size
 * above it would read a full page of 1,000 as "shorter than asked", i.e. the last one, and silently drop the rest of
 * the queue.
 */
export const QUEUED_REQUESTS_MAX_PAGE = 1000

/**
 * Whether this page of `rpc queued_requests_page` / `queued_requests` ends the queue. Every row of a
 * queued_requests_page carries `rows_left` — the waiting requests from this page's start on — so a page of exactly
 * `pageSize` rows that holds the last of them needs no second, empty read
 * (supabase/migrations/20261206000000_bayalert_queue_read.sql). Without it (queued_requests, on a project without
 * that migration) only a page shorter than asked is the last.
 */
export function isLastPage(rows: readonly unknown[], pageSize: number): boolean {
  if (rows.length < pageSize) return true
  const first = rows[0]
  const left = first !== null && typeof first === 'object' ? (first as Record<string, unknown>).rows_left : undefined
  return typeof left === 'number' && Number.isInteger(left) && left <= rows.length
}

export interface ReconcilerOptions {
  client: SupabaseClient
  log: Logger
  clock: Clock
  timers: TimerRegistry
  /** Hands the complete snapshot over (desk.reconcile). */
  apply(snapshot: QueueSnapshot): void
  /** Called with a reason when reads fail (shown as degraded), and with null once one succeeds. */
  onHealth(reason: string | null): void
  /** Every page fetch result, for health. */
  onFetch?(ok: boolean, ms: number, cause?: string): void
  /** Runs alongside each reconcile (flags are re-read too). Its failure is its own business. */
  alsoRun?(): Promise<void>
  /** Rows per page (default and maximum QUEUED_REQUESTS_MAX_PAGE; below 1 or not a number: the default). */
  pageSize?: number
  timeoutMs?: number
  safetyIntervalMs?: number
  retry?: BackoffPolicy
  random?: () => number
  maxPages?: number
}

export class Reconciler {
  private running = false
  private pending: ReconcileTrigger | null = null
  private readonly retryTimer: RetryTimer
  private cancelSafety: (() => void) | null = null
  private stopped = false
  private enabled = false
  /** Off while the check-in stands in for it (it reconciles when the server's queue version moves). */
  private safetyOn = true
  readonly stats = { runs: 0, ok: 0, failed: 0, pages: 0, lastMs: 0, lastCount: 0 }
  private readonly pageSize: number
  private readonly timeoutMs: number
  private readonly safetyMs: number
  private readonly maxPages: number
  private waiters: (() => void)[] = []
  /**
   * The page read: queued_requests_page (rows carry rows_left), or queued_requests on a project that has not run
   * 20261206000000_bayalert_queue_read.sql (found out by the first read, kept until restart).
   */
  private pageFunction: 'queued_requests_page' | 'queued_requests' = 'queued_requests_page'

  constructor(private readonly o: ReconcilerOptions) {
    const asked = o.pageSize ?? QUEUED_REQUESTS_MAX_PAGE
    this.pageSize = Number.isFinite(asked) && asked >= 1 ? Math.min(Math.floor(asked), QUEUED_REQUESTS_MAX_PAGE) : QUEUED_REQUESTS_MAX_PAGE
    this.timeoutMs = o.timeoutMs ?? 8000
    this.safetyMs = o.safetyIntervalMs ?? 60_000
    this.retryTimer = new RetryTimer(o.timers, o.retry ?? RECONNECT_BACKOFF, o.random)
    this.maxPages = o.maxPages ?? 200
  }

  /** Allows runs (after sign-in) and starts the safety timer. */
  enable(): void {
    if (this.stopped) return
    this.enabled = true
    this.armSafety()
  }

  /** No runs while signed out: reads would fail with RLS and flap the state. */
  disable(): void {
    this.enabled = false
    this.pending = null
    this.retryTimer.reset()
    this.cancelSafety?.()
    this.cancelSafety = null
  }

  /** The periodic safety run on (the default) or off (a check-in decides when to read instead). */
  setSafetyTimer(on: boolean): void {
    this.safetyOn = on
    if (on) this.armSafety()
    else {
      this.cancelSafety?.()
      this.cancelSafety = null
    }
  }

  /** Requests a run. Coalesces: a request during a run causes exactly one more run after it. */
  request(trigger: ReconcileTrigger): void {
    if (this.stopped || !this.enabled) return
    if (this.running) {
      this.pending = trigger
      return
    }
    this.retryTimer.cancel()
    void this.loop(trigger)
  }

  /** Resolves when no run is in progress or pending (tests, shutdown). */
  idle(): Promise<void> {
    if (!this.running && !this.pending) return Promise.resolve()
    return new Promise((r) => this.waiters.push(r))
  }

  stop(): void {
    this.stopped = true
    this.disable()
    for (const w of this.waiters.splice(0)) w()
  }

  private armSafety(): void {
    this.cancelSafety?.()
    this.cancelSafety = null
    if (this.stopped || !this.enabled || !this.safetyOn) return
    this.cancelSafety = this.o.timers.after(this.safetyMs, () => {
      this.cancelSafety = null
      this.request('timer')
      this.armSafety()
    })
  }

  private async loop(first: ReconcileTrigger): Promise<void> {
    this.running = true
    let trigger: ReconcileTrigger | null = first
    try {
      while (trigger && !this.stopped && this.enabled) {
        this.pending = null
        await this.runOnce(trigger)
        trigger = this.pending
      }
    } finally {
      this.running = false
      if (!this.pending) for (const w of this.waiters.splice(0)) w()
    }
  }

  private async runOnce(trigger: ReconcileTrigger): Promise<void> {
    this.stats.runs++
    const startedAt = this.o.clock.now()
    const extra = this.o.alsoRun?.().catch((e) => this.o.log.warn('reconcile: side read failed', { cause: String(e) }))
    const requests: QueuedFact[] = []
    let afterQueuedAt: string | null = null
    let afterId: string | null = null
    let bad = 0
    for (let page = 0; ; page++) {
      if (page >= this.maxPages) return this.failed(trigger, `the queue has more than ${this.maxPages * this.pageSize} requests; stopped reading`)
      const fn = this.pageFunction
      const res = await restCall<unknown>(
        this.o.client,
        (c) => c.rpc(fn, { p_after_queued_at: afterQueuedAt, p_after_id: afterId, p_limit: this.pageSize }),
        this.timeoutMs,
      )
      this.stats.pages++
      if (this.stopped || !this.enabled) return
      if (!res.ok && res.error.kind === 'missing' && fn === 'queued_requests_page') {
        // PGRST202: a project without the queue-read migration. Page through queued_requests from now on.
        this.pageFunction = 'queued_requests'
        this.o.log.info('reconcile: this project has no queued_requests_page; reading the queue through queued_requests', { cause: describeRestError(res.error) })
        page--
        continue
      }
      if (!res.ok) {
        const cause = `${fn}: ${describeRestError(res.error)}`
        this.o.onFetch?.(false, res.ms, cause)
        return this.failed(trigger, cause)
      }
      this.o.onFetch?.(true, res.ms)
      if (!Array.isArray(res.data)) return this.failed(trigger, `${fn} returned something that is not a list`)
      for (const raw of res.data) {
        const row = parseRow(raw)
        if (typeof row === 'string') {
          bad++
          this.o.log.warn('reconcile: unreadable row skipped', { reason: row })
          continue
        }
        if (row.status !== null && row.status !== 'queued') continue
        requests.push({
          kind: 'queued',
          source: 'reconcile',
          eventId: `reconcile:${startedAt}:${row.requestId}`,
          commitTs: row.commitTs,
          receivedAt: this.o.clock.now(),
          requestId: row.requestId,
          queuedAt: row.queuedAt,
          sessionId: row.sessionId,
          details: row.details,
        })
      }
      if (isLastPage(res.data, this.pageSize)) break
      // Keyset: continue after the last row of this page, using the server's own spelling of the time.
      const last = res.data[res.data.length - 1] as Record<string, unknown>
      afterQueuedAt = typeof last?.queued_at === 'string' ? last.queued_at : null
      afterId = typeof last?.id === 'string' ? last.id : null
      if (!afterQueuedAt || !afterId) return this.failed(trigger, `${fn} rows lack queued_at/id; cannot page`)
    }
    await extra
    if (this.stopped || !this.enabled) return
    this.o.apply({ trigger, requests, startedAt })
    this.stats.ok++
    this.stats.lastMs = this.o.clock.now() - startedAt
    this.stats.lastCount = requests.length
    if (bad) this.o.log.warn('reconcile: some rows could not be read', { bad })
    if (this.retryTimer.failures > 0) this.o.log.info('reconcile: recovered', { after: this.retryTimer.failures })
    this.retryTimer.reset()
    this.o.onHealth(null)
  }

  private failed(trigger: ReconcileTrigger, cause: string): void {
    this.stats.failed++
    const delay = this.retryTimer.fail(() => this.request(trigger))
    this.o.log.error('reconcile: failed; will retry', { trigger, cause, retryInMs: delay, failures: this.retryTimer.failures })
    this.o.onHealth(`Cannot read the queue from the server (${cause}); retrying in ${Math.ceil(delay / 1000)} s`)
  }
}
