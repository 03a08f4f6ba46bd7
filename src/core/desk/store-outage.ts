// The store's outages as the mechanic sees them: while the database file cannot be written and the store
// holds its writes in memory (store.ts, holdInMemory), the engine is degraded with the reason, one health
// alert says so, and the write back is tried again with backoff until the file takes it.
import type { Clock, Logger } from '../ports.js'
import type { HealthMonitor } from '../health/health.js'
import { RetryTimer, type BackoffPolicy } from '../link/backoff.js'
import type { HeldInMemory, Store } from '../store/store.js'
import type { HeldJournal } from '../store/held-journal.js'
import type { TimerHandle, Timers } from './timers.js'

/** Write-back retries: 1 s doubling to 30 s, ±30 %. A lock held by another program is usually short; a full disk is not. */
export const STORE_RETRY_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000, jitter: 0.3 }

export interface StoreOutageOptions {
  store: Store
  /** The store's held journal (StoreOptions.heldJournal): a journal that cannot be written is counted and shown with the reason. */
  journal?: HeldJournal | null
  health: HealthMonitor
  log: Logger
  clock: Clock
  timers: Timers
  retry?: BackoffPolicy
  /** An outage starting this soon after the last one ended is the same incident: no second health alert (default 15 min). */
  sameIncidentMs?: number
  random?: () => number
}

export function storeUnavailableText(reason: string): string {
  return `Local store unavailable: ${reason}`
}

/** The degraded reason: the store's, and that a crash now would ring again when the journal cannot be written. */
function outageCondition(reason: string, journalProblem: string | null): string {
  const text = storeUnavailableText(reason)
  return journalProblem === null ? text : `${text}; rings not journaled (a crash now would ring them again): ${journalProblem}`
}

export class StoreOutage {
  private readonly retry: RetryTimer
  private readonly off: () => void
  private readonly offJournal: () => void
  private endedAt: number | null = null
  private stopped = false

  constructor(private readonly o: StoreOutageOptions) {
    this.retry = new RetryTimer(timerHost(o.timers), o.retry ?? STORE_RETRY_BACKOFF, o.random)
    this.off = o.store.onAvailability((held) => (held ? this.began(held) : this.ended()))
    this.offJournal = o.journal?.onProblem((problem) => this.journalFailed(problem)) ?? (() => undefined)
    if (o.store.held) this.began(o.store.held)
  }

  stop(): void {
    this.stopped = true
    this.off()
    this.offJournal()
    this.retry.cancel()
  }

  private began(held: HeldInMemory): void {
    const text = storeUnavailableText(held.reason)
    this.o.health.count('store:unavailable')
    this.o.health.setCondition('store', outageCondition(held.reason, this.o.journal?.problem ?? null))
    const sameIncident = this.endedAt !== null && this.o.clock.now() - this.endedAt < (this.o.sameIncidentMs ?? 15 * 60_000)
    if (sameIncident) this.o.log.warn('store: unavailable again soon after it came back (same incident, no new alert)', { reason: held.reason })
    else {
      this.o.health.announce('store-unavailable', {
        title: text,
        body: 'New requests still ring. BayAlert keeps them in memory and saves them once it can write its database again.',
      })
    }
    this.scheduleRetry()
  }

  private journalFailed(problem: string): void {
    this.o.health.count('store:journal-failed')
    const held = this.o.store.held
    if (held !== null) this.o.health.setCondition('store', outageCondition(held.reason, problem))
  }

  private ended(): void {
    this.retry.reset()
    this.endedAt = this.o.clock.now()
    this.o.health.setCondition('store', null)
  }

  private scheduleRetry(): void {
    if (this.stopped) return
    const delay = this.retry.fail(() => this.attempt())
    this.o.log.debug('store: write back scheduled', { inMs: delay, attempt: this.retry.failures })
  }

  private attempt(): void {
    if (this.stopped || this.o.store.held === null) return
    const failed = this.o.store.writeBackHeld()
    if (failed === null) return // ended() ran through the availability listener
    this.o.health.count('store:write-back-failed')
    this.o.log.warn('store: the database file still cannot be written; trying again', { cause: failed, attempt: this.retry.failures })
    this.scheduleRetry()
  }
}

/** The desk's injectable timers as the RetryTimer's host (only `after` is used). */
function timerHost(timers: Timers): ConstructorParameters<typeof RetryTimer>[0] {
  const after = (ms: number, fn: () => void): (() => void) => {
    const h: TimerHandle = timers.setTimeout(fn, ms)
    return () => timers.clearTimeout(h)
  }
  return { after, sleep: (ms) => new Promise((resolve) => after(ms, () => resolve(true))) }
}
