// Hints from the public topic. Anyone holding the project's anon key — which is public: it ships in the
// shop's customer app — can post to a public Realtime channel (`POST /realtime/v1/api/broadcast`, or
// `channel.send` from any supabase-js client; https://supabase.com/docs/guides/realtime/authorization:
// only private channels are authorized). So a legacy `new_request` / `request_accepted` /
// `request_cancelled` on `session_requests_feed` never rings, retracts or changes details by itself. It
// may only make the engine look sooner: a read of the server's queue through RLS, which then decides.
//
// Cost bound. A hint the trusted paths have already confirmed (a `new_request` for a request already on
// screen, a removal of one that is not) needs no read — the usual case, since the shop backend sends
// its legacy broadcast right after the commit that the private broadcast and postgres_changes carry.
// The rest wait `debounceMs` (the trusted paths usually arrive meanwhile), and at most one read starts
// per `minIntervalMs`; hints that come in between are coalesced into the next one. A flood of forged
// hints therefore costs one read per interval, whatever its rate.
import type { TimerRegistry } from '../link/timers.js'
import type { Clock } from '../ports.js'

export interface Hint {
  kind: 'new' | 'removed'
  requestId: string
}

export interface HintGateOptions {
  clock: Clock
  timers: TimerRegistry
  /** True when the local queue already agrees with the hint (nothing to look at). */
  confirmed(h: Hint): boolean
  /** Looks at the server (a reconcile). Called at most once per minIntervalMs. */
  look(): void
  /** Counters (health): `broadcast:hint`, `hint:read`, `hint:unneeded`. */
  count(key: string): void
  /** Wait after the first hint before deciding (default 300 ms). */
  debounceMs?: number
  /** At most one hint-triggered read per this many ms (default 10 s). */
  minIntervalMs?: number
  /** Most distinct hints remembered until the next decision; more only count (default 200). */
  maxPending?: number
}

export class HintGate {
  private readonly pending = new Map<string, Hint>()
  private overflow = false
  private cancel: (() => void) | null = null
  private lastLookAt = Number.NEGATIVE_INFINITY
  private stopped = false
  readonly stats = { hints: 0, reads: 0, unneeded: 0 }
  private readonly debounceMs: number
  private readonly minIntervalMs: number
  private readonly maxPending: number

  constructor(private readonly o: HintGateOptions) {
    this.debounceMs = o.debounceMs ?? 300
    this.minIntervalMs = o.minIntervalMs ?? 10_000
    this.maxPending = o.maxPending ?? 200
  }

  take(h: Hint): void {
    if (this.stopped) return
    this.stats.hints++
    this.o.count('broadcast:hint')
    const key = `${h.kind}:${h.requestId}`
    if (this.pending.has(key) || this.pending.size < this.maxPending) this.pending.set(key, h)
    else this.overflow = true // too many distinct hints to check one by one: the next decision reads
    if (this.cancel) return
    const now = this.o.clock.now()
    const at = Math.max(now + this.debounceMs, this.lastLookAt + this.minIntervalMs)
    this.cancel = this.o.timers.after(at - now, () => this.decide())
  }

  stop(): void {
    this.stopped = true
    this.cancel?.()
    this.cancel = null
    this.pending.clear()
  }

  private decide(): void {
    this.cancel = null
    if (this.stopped) return
    const hints = [...this.pending.values()]
    const overflow = this.overflow
    this.pending.clear()
    this.overflow = false
    if (!overflow && hints.every((h) => this.o.confirmed(h))) {
      this.stats.unneeded++
      this.o.count('hint:unneeded')
      return
    }
    this.stats.reads++
    this.o.count('hint:read')
    this.lastLookAt = this.o.clock.now()
    this.o.look()
  }
}

/**
 * Malformed messages on the public topic are recorded with their reason in the event log — but an
 * outsider can send thousands a second, so at most `perWindow` per `windowMs` are recorded one by one;
 * the rest are only counted, and the number skipped is logged once per window.
 */
export class RejectBudget {
  private windowStart = Number.NEGATIVE_INFINITY
  private recorded = 0
  private skipped = 0

  constructor(
    private readonly clock: Clock,
    private readonly onSkipped: (count: number) => void,
    private readonly perWindow = 20,
    private readonly windowMs = 10_000,
  ) {}

  /** True when this rejection may be recorded individually. */
  allow(): boolean {
    const now = this.clock.now()
    if (now - this.windowStart >= this.windowMs) {
      if (this.skipped > 0) this.onSkipped(this.skipped)
      this.windowStart = now
      this.recorded = 0
      this.skipped = 0
    }
    if (this.recorded < this.perWindow) {
      this.recorded++
      return true
    }
    this.skipped++
    return false
  }
}
