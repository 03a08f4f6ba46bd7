// Joins per second, as Supabase's "channel joins per second" quota counts them (docs: guides/realtime/limits):
// the most joins in any 1-second window. Sliding, not aligned to clock seconds: 100 joins straddling a second
// boundary are 100 joins in one second, not 50 + 50.

/** Join times (ms) of the last `keepMs`, at most `cap` of them, for peaks over a later part of the run. */
export class JoinTimes {
  private times: number[] = []
  /** Joins in (t − 1000, t] for the latest t, kept as the index of the oldest join still in that window. */
  private windowStart = 0

  constructor(
    private readonly keepMs = 10 * 60_000,
    private readonly cap = 200_000,
  ) {}

  /** Records a join at `at` (non-decreasing) and returns the joins in the 1-second window that ends with it. */
  add(at: number): number {
    this.times.push(at)
    while (this.times[this.windowStart]! <= at - 1000) this.windowStart++
    const inWindow = this.times.length - this.windowStart
    this.prune(at)
    return inWindow
  }

  /** The most joins in any 1-second window among the joins at or after `since`. */
  peakSince(since: number): number {
    let peak = 0
    let lo = 0
    const t = this.times.filter((x) => x >= since)
    for (let hi = 0; hi < t.length; hi++) {
      while (t[lo]! <= t[hi]! - 1000) lo++
      peak = Math.max(peak, hi - lo + 1)
    }
    return peak
  }

  private prune(now: number): void {
    let drop = 0
    while (drop < this.windowStart && (this.times[drop]! < now - this.keepMs || this.times.length - drop > this.cap)) drop++
    if (drop > 1024 || (drop > 0 && drop === this.times.length)) {
      this.times = this.times.slice(drop)
      this.windowStart -= drop
    }
  }
}
