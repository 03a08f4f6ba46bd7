// Opening the store at start, again and again with backoff while the file cannot be opened for a reason that
// can pass (another program holds it locked, no permission yet, a full or read-only disk), instead of leaving
// the engine "Starting…" forever. A driver that cannot load is not such a reason: retrying cannot fix it.
import { backoffDelay, type BackoffPolicy, type TimerHost } from '../link/backoff.js'
import { isStoreUnavailable, unavailableReason } from './held-state.js'

/** Open retries at start: 1 s doubling to 30 s, ±30 %. */
export const STORE_OPEN_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000, jitter: 0.3 }

/** File-system errors (from creating the directory or the file) that may pass: permissions, space, a busy or read-only mount. */
const PASSING_ERRNOS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EBUSY', 'EIO', 'EAGAIN'])

export function mayOpenLater(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  return isStoreUnavailable(err) || (typeof code === 'string' && PASSING_ERRNOS.has(code))
}

export interface OpenRetryOptions<T> {
  open: () => T
  timers: Pick<TimerHost, 'sleep'>
  policy: BackoffPolicy
  random?: () => number
  /** A failed open that will be tried again: SQLite's (or the OS's) words, the attempt (1-based), and the wait before the next. */
  failed: (reason: string, attempt: number, retryInMs: number) => void
}

/**
 * Resolves with what `open` returned once it succeeds; null if the timers were closed while waiting (the
 * engine stopped). An error that retrying cannot fix (mayOpenLater false) is thrown at once.
 */
export async function openWithRetry<T>(o: OpenRetryOptions<T>): Promise<T | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return o.open()
    } catch (err) {
      if (!mayOpenLater(err)) throw err
      const delay = backoffDelay(attempt, o.policy, o.random)
      o.failed(unavailableReason(err), attempt, delay)
      if (!(await o.timers.sleep(delay))) return null
    }
  }
}
