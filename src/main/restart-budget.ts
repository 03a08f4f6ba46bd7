// How many times a crashed renderer (queue window, sound window) is brought back. A renderer that dies
// again as soon as it loads (a bad GPU driver, a page that crashes on a bad snapshot) must not be
// reloaded in a tight loop that eats the CPU the alert path needs: at most `max` restarts within
// `windowMs`; after that the budget is spent until the oldest restart leaves the window, and the caller
// says so (log + health) instead of trying again.
export interface RestartBudgetOptions {
  /** Restarts allowed within windowMs (default 3). */
  max?: number
  /** Default 60 s. */
  windowMs?: number
  now?: () => number
}

export class RestartBudget {
  private readonly times: number[] = []
  private readonly max: number
  private readonly windowMs: number
  private readonly now: () => number

  constructor(o: RestartBudgetOptions = {}) {
    this.max = o.max ?? 3
    this.windowMs = o.windowMs ?? 60_000
    this.now = o.now ?? Date.now
  }

  /** True (and counted) when one more restart is allowed now; false when the budget is spent. */
  take(): boolean {
    const now = this.now()
    while (this.times.length > 0 && now - this.times[0]! >= this.windowMs) this.times.shift()
    if (this.times.length >= this.max) return false
    this.times.push(now)
    return true
  }

  /** Restarts counted in the current window. */
  used(): number {
    const now = this.now()
    return this.times.filter((t) => now - t < this.windowMs).length
  }
}
