// The outbox: a Take it made while the link is down is written to SQLite (one idempotency key per intent) and
// replayed when the link is back, oldest first, one at a time. Each ends as done, as a conflict the mechanic sees
// ("Taken by Ana while you were offline"), as gone (cancelled meanwhile) or as failed (refused for good). A
// temporary failure stops the replay where it is — a later claim never overtakes an earlier one — and the same
// entry is tried again after the RetryTimer's backoff, or at once when the link comes back.
import { randomUUID } from 'node:crypto'
import type { OutboxEntry } from '../../shared/types.js'
import type { Clock, Logger } from '../ports.js'
import { RetryTimer, type BackoffPolicy, type TimerHost } from '../link/backoff.js'
import type { OutboxRow, OutboxTable } from '../store/outbox-table.js'
import type { AcceptOutcome } from './accept-call.js'

/** Replay retries: 2 s doubling to 1 min, ±30 %. A claim is worth little once the customer has waited minutes. */
export const OUTBOX_BACKOFF: BackoffPolicy = { baseMs: 2000, maxMs: 60_000, jitter: 0.3 }

/** How long a settled entry stays in the window (and in snapshots) after it ended. */
export const OUTBOX_SHOW_SETTLED_MS = 15 * 60_000

/** Settled entries are deleted after a day; pending ones are intents and stay until replayed. */
export const OUTBOX_KEEP_SETTLED_MS = 24 * 3600_000

export interface OutboxDeps {
  table: OutboxTable
  /** Sends one claim; never throws for a network problem (that is a 'temporary' outcome). */
  send: (requestId: string) => Promise<AcceptOutcome>
  /** Whether a claim can be sent now (signed in and the link up). */
  canSend: () => boolean
  timers: TimerHost
  clock: Clock
  log: Logger
  count: (key: string) => void
  /** Something in the outbox changed (a snapshot is due). */
  changed: () => void
  /** A replayed claim ended (the queue should be read again: it left it, or someone else has it). */
  settled?: (entry: OutboxEntry) => void
  random?: () => number
}

export function conflictMessage(takenBy: string | null): string {
  return `Taken by ${takenBy ?? 'another mechanic'} while you were offline`
}

function entry(row: OutboxRow): OutboxEntry {
  const { id: _id, attempts: _a, lastError: _e, ...rest } = row
  return rest
}

export class Outbox {
  private readonly retry: RetryTimer
  private draining: Promise<void> | null = null
  private stopped = false
  private lastEntries: OutboxEntry[] = []

  constructor(private readonly deps: OutboxDeps) {
    this.retry = new RetryTimer(deps.timers, OUTBOX_BACKOFF, deps.random)
    const pruned = deps.table.prune(deps.clock.now() - OUTBOX_KEEP_SETTLED_MS)
    if (pruned > 0) deps.log.info('outbox: deleted entries settled over a day ago', { pruned })
  }

  /**
   * Records the intent to take `requestId`. A second Take it of a request whose claim is still pending is the
   * same intent: its entry is returned, nothing is added. `failedWith`: the claim was just sent and got no answer
   * (that counts as its first attempt: the next one waits the backoff instead of going out at once).
   */
  enqueue(requestId: string, customerName: string | null, failedWith?: string): OutboxEntry {
    const { table, clock, log } = this.deps
    const existing = table.pendingFor(requestId)
    if (existing) return entry(existing)
    const row = table.insert(randomUUID(), requestId, customerName, clock.now())
    this.deps.count('outbox:queued')
    log.info('outbox: claim saved until the link is back', { requestId, key: row.key })
    if (failedWith !== undefined) this.failed(row, failedWith)
    this.deps.changed()
    return entry(row)
  }

  /** One more temporary failure of `row`: recorded, and the replay tried again after the backoff. */
  private failed(row: OutboxRow, why: string): void {
    this.deps.table.recordAttempt(row.id, why)
    this.deps.count('outbox:retry')
    const delay = this.retry.fail(() => void this.drain())
    this.deps.log.warn('outbox: sending a claim failed; trying again later', { requestId: row.requestId, key: row.key, attempt: row.attempts + 1, retryInMs: delay, cause: why })
  }

  get pendingCount(): number {
    return this.deps.table.pendingCount()
  }

  /**
   * Pending entries and those settled in the last OUTBOX_SHOW_SETTLED_MS, oldest first. Once stopped (the store may be
   * closed), the last list read: a host may still ask for a snapshot while it shuts down.
   */
  entries(): OutboxEntry[] {
    if (!this.stopped) this.lastEntries = this.deps.table.visible(this.deps.clock.now() - OUTBOX_SHOW_SETTLED_MS).map(entry)
    return this.lastEntries
  }

  /** Replays the pending entries in order, if they can be sent now. Resolves when this replay stopped. */
  drain(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    this.draining ??= this.replay().finally(() => {
      this.draining = null
    })
    return this.draining
  }

  /** A new claim was saved: replay now, unless a failed one is waiting out its backoff (it goes first, then). */
  kick(): void {
    if (!this.retry.pending) void this.drain()
  }

  /** The link came back (or the user signed in): a waiting backoff is skipped. */
  linkUp(): void {
    if (this.deps.table.pendingCount() === 0) return
    this.retry.cancel()
    void this.drain()
  }

  stop(): void {
    this.stopped = true
    this.retry.cancel()
  }

  private async replay(): Promise<void> {
    const { table, send, canSend, log, clock } = this.deps
    for (;;) {
      if (this.stopped || !canSend()) return
      const row = table.oldestPending()
      if (!row) {
        this.retry.reset()
        return
      }
      let outcome: AcceptOutcome
      try {
        outcome = await send(row.requestId)
      } catch (e) {
        outcome = { kind: 'temporary', why: String((e as Error)?.message ?? e) }
      }
      if (this.stopped) return
      if (outcome.kind === 'temporary') {
        this.failed(row, outcome.why)
        this.deps.changed()
        return
      }
      this.retry.reset()
      const [state, takenBy, message] =
        outcome.kind === 'done'
          ? (['done', null, null] as const)
          : outcome.kind === 'taken'
            ? (['conflict', outcome.takenBy, conflictMessage(outcome.takenBy)] as const)
            : outcome.kind === 'gone'
              ? (['gone', null, outcome.message] as const)
              : (['failed', null, outcome.message] as const)
      table.settle(row.id, state, takenBy, message, clock.now())
      this.deps.count(`outbox:${state}`)
      const level = state === 'done' ? 'info' : 'warn'
      log[level](`outbox: replayed claim ended ${state}`, { requestId: row.requestId, key: row.key, ...(message ? { message } : {}) })
      const settled = table.byKey(row.key)
      this.deps.changed()
      if (settled) this.deps.settled?.(entry(settled))
    }
  }
}
