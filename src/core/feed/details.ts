// Details (customer, vehicle, concern) for requests whose event carried only ids (postgres_changes).
// One round trip for any number of ids: `rpc request_details(p_ids uuid[])` (supabase/README.md).
//
// The old dashboard did two follow-up fetches and `return`ed on any error — the alert was silently
// dropped (post-mortem, Issue 2). Here a caller waits at most `firstWaitMs` for the details; whatever
// happens the alert then goes out (basic if need be) and a background job keeps trying, with jittered
// exponential backoff and a bounded lifetime, and hands the details over when they come.
import type { SupabaseClient } from '@supabase/supabase-js'
import type { RequestDetails } from '../../shared/types.js'
import type { Clock, Logger } from '../ports.js'
import { backoffDelay, type BackoffPolicy } from '../link/backoff.js'
import { describeRestError, restCall, type RestError } from '../link/rest.js'
import type { TimerRegistry } from '../link/timers.js'
import { isUuid, parseRow } from './parse.js'

export interface DetailsOptions {
  client: SupabaseClient
  log: Logger
  clock: Clock
  timers: TimerRegistry
  /** Per-call deadline (default 4 s). */
  timeoutMs?: number
  /** Calls arriving within this window share one RPC (default 5 ms). */
  batchWindowMs?: number
  retry?: BackoffPolicy
  /** Give up after this many attempts (default 10 ≈ 1.5 min with the default policy). */
  maxAttempts?: number
  random?: () => number
  /** Every RPC result, for health (fetch failure rate). */
  onFetch?(ok: boolean, ms: number, cause?: string): void
}

export type DetailsOutcome = { ok: true; details: Partial<RequestDetails> } | { ok: false; cause: string; final: boolean }

/** Usable = at least one of the fields a mechanic reads is known. */
export function usableDetails(d: Partial<RequestDetails> | null | undefined): boolean {
  return !!d && (!!d.customerName || !!d.vehicle || !!d.concern)
}

interface Job {
  requestId: string
  attempts: number
  cancelled: boolean
  lastCause: string | null
  /** Resolves once: details, or the final failure. */
  done: Promise<DetailsOutcome>
  resolve(o: DetailsOutcome): void
  /** Resolves after the first attempt: what a first alert may wait for. */
  firstTry: Promise<DetailsOutcome>
  resolveFirst(o: DetailsOutcome): void
  listeners: Set<(o: DetailsOutcome) => void>
}

export class DetailsFetcher {
  private readonly jobs = new Map<string, Job>()
  private batch: { ids: Set<string>; waiters: ((r: Map<string, Partial<RequestDetails> | string> | RestError) => void)[] } | null = null
  private stopped = false
  readonly stats = { rpcCalls: 0, rpcFailures: 0, gaveUp: 0, splitBatches: 0 }
  private readonly timeoutMs: number
  private readonly batchWindowMs: number
  private readonly retry: BackoffPolicy
  private readonly maxAttempts: number

  constructor(private readonly o: DetailsOptions) {
    this.timeoutMs = o.timeoutMs ?? 4000
    this.batchWindowMs = o.batchWindowMs ?? 5
    this.retry = o.retry ?? { baseMs: 500, maxMs: 15_000, jitter: 0.3 }
    this.maxAttempts = o.maxAttempts ?? 10
  }

  /**
   * Starts (or joins) the job for a request. `listener` hears the final outcome — details, or the
   * give-up — even when that comes long after the caller stopped waiting. With `firstTryOnly` the
   * promise settles after the first attempt instead (immediately a failure if a job was already running).
   */
  want(requestId: string, listener?: (o: DetailsOutcome) => void, firstTryOnly = false): Promise<DetailsOutcome> {
    if (!isUuid(requestId)) {
      // The parsers never hand one over; if a caller does, it must not spoil a batch (see callRpc).
      const o: DetailsOutcome = { ok: false, cause: 'not a uuid; details are never asked for it', final: true }
      listener?.(o)
      return Promise.resolve(o)
    }
    let job = this.jobs.get(requestId)
    if (!job) {
      let resolve!: (o: DetailsOutcome) => void
      let resolveFirst!: (o: DetailsOutcome) => void
      const done = new Promise<DetailsOutcome>((r) => (resolve = r))
      const firstTry = new Promise<DetailsOutcome>((r) => (resolveFirst = r))
      job = { requestId, attempts: 0, cancelled: false, lastCause: null, done, resolve, firstTry, resolveFirst, listeners: new Set() }
      this.jobs.set(requestId, job)
      void this.run(job)
    }
    if (listener) job.listeners.add(listener)
    return firstTryOnly ? job.firstTry : job.done
  }

  /** The first cause recorded for a job still running (for the basic alert's log line). */
  causeOf(requestId: string): string | null {
    return this.jobs.get(requestId)?.lastCause ?? null
  }

  /** Details are known from elsewhere (broadcast, reconcile) or the request left the queue. */
  cancel(requestId: string): void {
    const job = this.jobs.get(requestId)
    if (!job) return
    job.cancelled = true
    this.jobs.delete(requestId)
    job.resolveFirst({ ok: false, cause: 'cancelled', final: true })
  }

  get activeJobs(): number {
    return this.jobs.size
  }

  stop(): void {
    this.stopped = true
    for (const j of this.jobs.values()) {
      j.cancelled = true
      j.resolveFirst({ ok: false, cause: 'stopped', final: true })
    }
    this.jobs.clear()
  }

  private async run(job: Job): Promise<void> {
    while (!job.cancelled && !this.stopped) {
      job.attempts++
      const r = await this.fetchBatched(job.requestId)
      if (job.cancelled || this.stopped) return
      let cause: string
      if (r instanceof Map) {
        const got = r.get(job.requestId)
        if (got && typeof got !== 'string' && usableDetails(got)) return this.finish(job, { ok: true, details: got })
        cause =typeof got === 'string' ? got : got ? 'the request is visible but its session/intake details are not (row-level security on sessions/intakes?)' : 'the request is not visible yet (not committed, or row-level security hides it)'
      } else {
        cause = describeRestError(r)
      }
      if (job.lastCause === null) this.o.log.warn('details: not available yet', { requestId: job.requestId, cause })
      job.lastCause = cause
      job.resolveFirst({ ok: false, cause, final: false })
      if (job.attempts >= this.maxAttempts) {
        this.stats.gaveUp++
        this.o.log.error('details: gave up', { requestId: job.requestId, attempts: job.attempts, cause })
        return this.finish(job, { ok: false, cause, final: true })
      }
      const slept = await this.o.timers.sleep(backoffDelay(job.attempts, this.retry, this.o.random))
      if (!slept) return
    }
  }

  private finish(job: Job, o: DetailsOutcome): void {
    if (this.jobs.get(job.requestId) === job) this.jobs.delete(job.requestId)
    job.resolveFirst(o)
    job.resolve(o)
    for (const l of job.listeners) {
      try {
        l(o)
      } catch (e) {
        this.o.log.error('details: listener threw', { cause: String(e) })
      }
    }
  }

  /** Joins the current micro-batch; one RPC per batch. Row-level problems are returned per id. */
  private fetchBatched(requestId: string): Promise<Map<string, Partial<RequestDetails> | string> | RestError> {
    return new Promise((resolve) => {
      if (!this.batch) {
        const batch = { ids: new Set<string>(), waiters: [] as ((r: Map<string, Partial<RequestDetails> | string> | RestError) => void)[] }
        this.batch = batch
        this.o.timers.after(this.batchWindowMs, () => {
          if (this.batch === batch) this.batch = null
          void this.callRpc([...batch.ids]).then((r) => batch.waiters.forEach((w) => w(r)))
        })
      }
      this.batch.ids.add(requestId)
      this.batch.waiters.push(resolve)
    })
  }

  private async callRpc(ids: string[]): Promise<Map<string, Partial<RequestDetails> | string> | RestError> {
    this.stats.rpcCalls++
    const res = await restCall<unknown>(this.o.client, (c) => c.rpc('request_details', { p_ids: ids }), this.timeoutMs)
    if (!res.ok) {
      this.stats.rpcFailures++
      this.o.onFetch?.(false, res.ms, `request_details: ${describeRestError(res.error)}`)
      // The server refused the request itself (e.g. 22P02 for one bad element of the uuid[]): the
      // batch fails as a whole, so ask for each id alone and let the real requests have their details.
      // Not for outages, timeouts or RLS: those would fail singly too, N times over.
      if (ids.length > 1 && res.error.kind === 'other' && res.error.status >= 400 && res.error.status < 500) return this.callSingly(ids)
      return res.error
    }
    this.o.onFetch?.(true, res.ms)
    const out = new Map<string, Partial<RequestDetails> | string>()
    if (!Array.isArray(res.data)) {
      for (const id of ids) out.set(id, 'request_details returned something that is not a list')
      return out
    }
    for (const raw of res.data) {
      const row = parseRow(raw)
      if (typeof row === 'string') {
        this.o.log.warn('details: unreadable row', { reason: row })
        continue
      }
      out.set(row.requestId, row.details)
    }
    return out
  }

  private async callSingly(ids: string[]): Promise<Map<string, Partial<RequestDetails> | string>> {
    this.stats.splitBatches++
    this.o.log.warn('details: the server refused a batch; asking for each request alone', { ids: ids.length })
    const out = new Map<string, Partial<RequestDetails> | string>()
    const results = await Promise.all(ids.map((id) => this.callRpc([id]).then((r) => [id, r] as const)))
    for (const [id, r] of results) {
      if (r instanceof Map) {
        const got = r.get(id)
        if (got !== undefined) out.set(id, got)
      } else out.set(id, describeRestError(r))
    }
    return out
  }
}
