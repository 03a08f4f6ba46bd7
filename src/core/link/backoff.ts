// Jittered, capped exponential backoff. Hundreds of workstations share one Supabase project with
// per-project quotas (Pro: 500 connections, 500 joins/s — https://supabase.com/docs/guides/realtime/limits):
// after a server restart they all lose the socket in the same instant, so the retry times must spread out
// (±jitter) and stop growing at a cap instead of hammering or going silent.

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseMs: number
  /** Cap of the un-jittered delay. */
  maxMs: number
  /** Fraction either side, e.g. 0.3 → ×[0.7, 1.3]. */
  jitter: number
}

/** Link reconnects: 1 s doubling to 30 s, ±30 %. */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000, jitter: 0.3 }

/**
 * A refused private channel, tried again while the fallback carries requests: 30 s doubling to 5 min,
 * ±30 %. A refusal is a configuration fact (no realtime.messages policy for this mechanic) that a shop
 * fixes by running a migration, not a blip: each try is one join billed per workstation.
 */
export const PRIVATE_PROBE_BACKOFF: BackoffPolicy = { baseMs: 30_000, maxMs: 300_000, jitter: 0.3 }

/**
 * Delay for retry number `attempt` (1-based). `random` returns [0, 1) and is injectable for tests.
 * attempt 1 → base, 2 → 2×base, … capped at maxMs, then ×(1 ± jitter).
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(Number.isFinite(attempt) ? attempt : 1))
  // 2^(n-1) overflows to Infinity for huge n; Math.min keeps it at the cap.
  const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 60))
  const r = Math.min(Math.max(random(), 0), 1)
  const factor = 1 - policy.jitter + 2 * policy.jitter * r
  return Math.max(0, Math.round(raw * factor))
}

/** What a RetryTimer needs from a timer registry (TimerRegistry in timers.ts). */
export interface TimerHost {
  after(ms: number, fn: () => void): () => void
  sleep(ms: number): Promise<boolean>
}

/**
 * The one backoff timer: counts consecutive failures, waits the jittered, capped delay for the next one,
 * and can be cancelled. At most one retry is pending: scheduling again replaces it. Used by the reconcile
 * and details retries; the link's state machine uses backoffDelay directly (it is pure and owns its timers
 * by name).
 */
export class RetryTimer {
  private cancelPending: (() => void) | null = null
  /** Consecutive failures since the last reset(). */
  failures = 0

  constructor(
    private readonly timers: TimerHost,
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** One more failure: `fn` runs after that failure's delay (a pending retry is replaced). Returns the delay. */
  fail(fn: () => void): number {
    this.failures++
    const delay = backoffDelay(this.failures, this.policy, this.random)
    this.cancel()
    const cancel = this.timers.after(delay, () => {
      if (this.cancelPending === cancel) this.cancelPending = null
      fn()
    })
    this.cancelPending = cancel
    return delay
  }

  /** Waits the delay for failure number `attempt`; false when the timers were closed meanwhile. */
  sleep(attempt: number): Promise<boolean> {
    return this.timers.sleep(backoffDelay(attempt, this.policy, this.random))
  }

  get pending(): boolean {
    return this.cancelPending !== null
  }

  cancel(): void {
    this.cancelPending?.()
    this.cancelPending = null
  }

  /** Success: the count starts over and nothing is pending. */
  reset(): void {
    this.cancel()
    this.failures = 0
  }
}
