// Fault injection for the local backend (faults a real project shows), usable in code (`backend.faults.*`) and over HTTP
// (`POST /_control/faults/<knob>`, service-role key only). Every timed fault ends by itself; `clear()` ends all.
import type { Log } from './http.js'
import type { JwtService } from './jwt.js'
import type { MessageFault, RealtimeServer } from './realtime/index.js'

export interface RestErrorFault {
  /** HTTP status to answer with, e.g. 503, 500, 520, 401. */
  status: number
  /** Fail this many requests, then stop. */
  count?: number
  /** …or fail every request for this long. (Neither: one request.) */
  durationMs?: number
  /** PostgREST error code in the body (default by status: 503 → PGRST001, 401 → PGRST303, 504 → PGRST003, else PGRST000). */
  code?: string
  message?: string
  /** Only requests whose path (after /rest/v1) starts with this, e.g. '/rpc/queued_requests'. */
  path?: string
}

export interface AuthErrorFault {
  status: number
  count?: number
  durationMs?: number
  /** Only this grant, e.g. 'refresh_token' (GoTrue 500 on refresh). */
  grant?: string
  code?: string
  message?: string
}

export type RealtimeMessagesFault = MessageFault

interface Timed<T> {
  spec: T
  remaining: number // Infinity when duration-based
  until: number // Infinity when count-based
}

export interface FaultHooks {
  jwt: JwtService
  realtime: () => RealtimeServer | null
  restartPostgres: (downMs: number) => { down: Promise<void>; up: Promise<void> }
  restartRealtime: () => Promise<void>
  baseRealtimeLatencyMs: number
  log: Log
}

export class Faults {
  private restErrs: Timed<RestErrorFault>[] = []
  private authErrs: Timed<AuthErrorFault>[] = []
  private latency: { ms: number; until: number } | null = null
  private rtLatencyTimer: NodeJS.Timeout | null = null

  constructor(private readonly hooks: FaultHooks) {}

  private rt(what: string): RealtimeServer {
    const r = this.hooks.realtime()
    if (!r) throw new Error(`fault ${what}: the realtime server is not available in this backend (test/backend/realtime/index.ts missing or failed to load)`)
    return r
  }

  // ── realtime ──
  /** Terminate every realtime socket now (network loss). */
  dropSockets(): void {
    const r = this.rt('dropSockets')
    this.hooks.log('fault: dropSockets')
    r.faults.dropSockets()
  }
  /** Refuse new realtime connections for `ms`. */
  refuseConnections(opts: { ms: number }): void {
    const r = this.rt('refuseConnections')
    this.hooks.log(`fault: refuseConnections ${opts.ms} ms`)
    r.faults.refuseConnections(num(opts.ms, 'ms'))
  }
  /** Keep sockets open but answer nothing (heartbeats included) for `ms` — a half-open link, sleep. */
  halfOpen(opts: { ms: number }): void {
    const r = this.rt('halfOpen')
    this.hooks.log(`fault: halfOpen ${opts.ms} ms`)
    r.faults.halfOpen(num(opts.ms, 'ms'))
  }
  /** Delay, drop, duplicate or reorder (swap with the one after) the next `count` realtime messages of a kind. */
  realtimeMessages(opts: RealtimeMessagesFault): void {
    if (!['postgres_changes', 'broadcast'].includes(opts.kind)) throw new Error(`realtimeMessages: kind must be postgres_changes or broadcast`)
    if (!['delay', 'drop', 'duplicate', 'reorder'].includes(opts.action)) throw new Error(`realtimeMessages: action must be delay, drop, duplicate or reorder`)
    const r = this.rt('realtimeMessages')
    this.hooks.log(`fault: realtimeMessages ${JSON.stringify(opts)}`)
    r.faults.messages({ ...opts, count: num(opts.count ?? 1, 'count') })
  }
  /** Extra latency on every realtime delivery; ends after `durationMs` if given. */
  realtimeLatency(opts: { ms: number; durationMs?: number }): void {
    const r = this.rt('realtimeLatency')
    this.hooks.log(`fault: realtimeLatency ${opts.ms} ms${opts.durationMs ? ` for ${opts.durationMs} ms` : ''}`)
    r.faults.setLatency(num(opts.ms, 'ms'))
    if (this.rtLatencyTimer) clearTimeout(this.rtLatencyTimer)
    this.rtLatencyTimer = null
    if (opts.durationMs) {
      this.rtLatencyTimer = setTimeout(() => {
        this.rtLatencyTimer = null
        r.faults.setLatency(this.hooks.baseRealtimeLatencyMs)
        this.hooks.log('fault: realtimeLatency ended')
      }, num(opts.durationMs, 'durationMs'))
      this.rtLatencyTimer.unref()
    }
  }
  /** Realtime "allow public access" off (`enabled: true`) or on: public joins from now on are refused / accepted. */
  privateOnly(opts: { enabled: boolean }): void {
    if (typeof opts?.enabled !== 'boolean') throw new Error(`privateOnly: enabled must be true or false, got ${JSON.stringify(opts?.enabled)}`)
    const r = this.rt('privateOnly')
    this.hooks.log(`fault: privateOnly ${opts.enabled}`)
    r.faults.setPrivateOnly(opts.enabled)
  }
  async restartRealtime(): Promise<void> {
    const r = this.rt('restartRealtime')
    this.hooks.log('fault: restartRealtime')
    await r.restart()
  }

  // ── auth ──
  /** Every user access token issued before now is expired from now on (REST 401 PGRST303, Realtime "Token has expired"). */
  expireTokens(): void {
    this.hooks.log('fault: expireTokens')
    this.hooks.jwt.expireAllNow()
    // Realtime re-checks tokens on a timer (realtime_channel.ex token checks); make it look now.
    const r = this.hooks.realtime()
    if (r) {
      Promise.resolve()
        .then(() => r.faults.recheckTokens())
        .catch((e) => this.hooks.log(`fault: expireTokens: realtime token re-check failed: ${(e as Error).message}`))
    }
  }
  /** GoTrue answers `status` (e.g. 500 on refresh, 400 refresh_token_already_used). */
  authErrors(spec: AuthErrorFault): void {
    num(spec.status, 'status')
    this.hooks.log(`fault: authErrors ${JSON.stringify(spec)}`)
    this.authErrs.push(timed(spec))
  }

  // ── REST ──
  restErrors(spec: RestErrorFault): void {
    num(spec.status, 'status')
    this.hooks.log(`fault: restErrors ${JSON.stringify(spec)}`)
    this.restErrs.push(timed(spec))
  }
  restLatency(opts: { ms: number; durationMs?: number }): void {
    this.hooks.log(`fault: restLatency ${opts.ms} ms${opts.durationMs ? ` for ${opts.durationMs} ms` : ''}`)
    this.latency = { ms: num(opts.ms, 'ms'), until: opts.durationMs ? Date.now() + num(opts.durationMs, 'durationMs') : Infinity }
  }

  // ── database ──
  /** Stop PostgreSQL (connections terminated), keep it down `downMs`, start it again. Resolves when it is back. */
  async restartPostgres(opts: { downMs?: number } = {}): Promise<void> {
    await this.beginRestartPostgres(opts).up
  }
  /** Like restartPostgres, with separate promises for "is down" and "is back". */
  beginRestartPostgres(opts: { downMs?: number } = {}): { down: Promise<void>; up: Promise<void> } {
    const downMs = opts.downMs ?? 1000
    this.hooks.log(`fault: restartPostgres (down for ${downMs} ms)`)
    const r = this.hooks.restartPostgres(num(downMs, 'downMs'))
    // Callers usually await only one of the two; the other must not become an unhandled rejection.
    r.down.catch(() => undefined)
    r.up.catch(() => undefined)
    return r
  }

  /** End every fault now. */
  clear(opts: { quiet?: boolean } = {}): void {
    if (!opts.quiet) this.hooks.log('fault: clear')
    this.restErrs = []
    this.authErrs = []
    this.latency = null
    this.hooks.jwt.clearExpiry()
    if (this.rtLatencyTimer) clearTimeout(this.rtLatencyTimer)
    this.rtLatencyTimer = null
    const r = this.hooks.realtime()
    if (r) {
      r.faults.clear()
      r.faults.setLatency(this.hooks.baseRealtimeLatencyMs)
    }
  }

  /** What is active right now (for /_control/health and logs). */
  snapshot() {
    const now = Date.now()
    const live = <T>(l: Timed<T>[]) => l.filter((f) => f.remaining > 0 && f.until > now).map((f) => ({ ...f.spec, remaining: f.remaining === Infinity ? null : f.remaining, endsInMs: f.until === Infinity ? null : f.until - now }))
    return {
      restErrors: live(this.restErrs),
      authErrors: live(this.authErrs),
      restLatency: this.latency && this.latency.until > now ? { ms: this.latency.ms, endsInMs: this.latency.until === Infinity ? null : this.latency.until - now } : null,
    }
  }

  // ── used by the HTTP layer ──
  /** The REST error to inject for this request, if any (consumes one count). */
  takeRestError(path: string): RestErrorFault | null {
    return take(this.restErrs, (s) => !s.path || path.startsWith(s.path))
  }
  takeAuthError(grant: string | null): AuthErrorFault | null {
    return take(this.authErrs, (s) => !s.grant || s.grant === grant)
  }
  restLatencyMs(): number {
    if (!this.latency) return 0
    if (this.latency.until <= Date.now()) {
      this.latency = null
      this.hooks.log('fault: restLatency ended')
      return 0
    }
    return this.latency.ms
  }

  /** Dispatch `POST /_control/faults/<knob>` with a JSON body. */
  async control(knob: string, body: Record<string, unknown>): Promise<unknown> {
    const b = body as never
    switch (knob) {
      case 'dropSockets':
        return this.dropSockets()
      case 'refuseConnections':
        return this.refuseConnections(b)
      case 'halfOpen':
        return this.halfOpen(b)
      case 'realtimeMessages':
        return this.realtimeMessages(b)
      case 'realtimeLatency':
        return this.realtimeLatency(b)
      case 'restartRealtime':
        return this.restartRealtime()
      case 'privateOnly':
        return this.privateOnly(b)
      case 'expireTokens':
        return this.expireTokens()
      case 'authErrors':
        return this.authErrors(b)
      case 'restErrors':
        return this.restErrors(b)
      case 'restLatency':
        return this.restLatency(b)
      case 'restartPostgres': {
        // Answer once the server is down; it comes back by itself after downMs.
        const r = this.beginRestartPostgres(b)
        r.up.catch((e) => this.hooks.log(`fault: restartPostgres failed to bring PostgreSQL back: ${(e as Error).message}`))
        await r.down
        return { down: true, upInMs: (body.downMs as number | undefined) ?? 1000 }
      }
      case 'clear':
        return this.clear()
      default:
        throw new UnknownKnob(knob)
    }
  }
}

export class UnknownKnob extends Error {
  constructor(knob: string) {
    super(`unknown fault knob '${knob}'; known: dropSockets refuseConnections halfOpen realtimeMessages realtimeLatency restartRealtime privateOnly expireTokens authErrors restErrors restLatency restartPostgres clear`)
  }
}

function num(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`fault option ${name} must be a non-negative number, got ${JSON.stringify(v)}`)
  return v
}

function timed<T extends { count?: number; durationMs?: number }>(spec: T): Timed<T> {
  if (spec.durationMs !== undefined) return { spec, remaining: Infinity, until: Date.now() + num(spec.durationMs, 'durationMs') }
  return { spec, remaining: spec.count !== undefined ? num(spec.count, 'count') : 1, until: Infinity }
}

function take<T>(list: Timed<T>[], match: (s: T) => boolean): T | null {
  const now = Date.now()
  for (let i = 0; i < list.length; i++) {
    const f = list[i]
    if (f.remaining <= 0 || f.until <= now) {
      list.splice(i--, 1)
      continue
    }
    if (!match(f.spec)) continue
    f.remaining--
    return f.spec
  }
  return null
}
