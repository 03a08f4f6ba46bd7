// The link supervisor: the interpreter of the link state machine (machine.ts). It owns the one
// supabase-js client, feeds what the socket, the channels, auth-js and the timers report into the pure
// transition function as events, and executes the effects that come back: rebuild (refresh the session
// if asked, push the user's token to Realtime, close the socket, remove every channel, join fresh ones),
// tear down, forget a revoked session, refresh, arm and cancel named timers, publish the state.
//
// Channels (as few as the protocol allows — a channel has one topic and one private flag):
//   feed  `session_requests_feed` (public): the shop backend's legacy broadcast (new_request /
//         request_accepted / request_cancelled — untrusted hints, anyone with the anon key can post)
//         AND the postgres_changes bindings on public.session_assignments and public.feature_flags.
//   shop  `shop:requests` (private): the database-side broadcast our migration's trigger sends.
// Private-only projects ("allow public access" off in the Realtime settings) refuse every public join
// with "PrivateOnly: This project only allows private channels"; the link then uses ONE channel,
// `shop:requests`, carrying the postgres_changes bindings too.
//
// Socket-level losses (close, heartbeat timeout) are left to phoenix's own reconnect, which builds a fresh
// socket with our jittered, capped reconnectAfterMs and rejoins the channels; the `system` ok after each
// rejoin triggers a reconcile. Everything else is a rebuild, decided by the machine.
import type { RealtimeChannel, Session, SupabaseClient } from '@supabase/supabase-js'
import type { LinkState } from '../../shared/types.js'
import { LINK_STATE_LABEL } from '../../shared/types.js'
import type { Clock, Logger, SecretStore } from '../ports.js'
import { keyProblem } from '../config.js'
import { serverText } from '../server-text.js'
import { backoffDelay, PRIVATE_PROBE_BACKOFF, RECONNECT_BACKOFF, type BackoffPolicy } from './backoff.js'
import { TimerRegistry } from './timers.js'
import { channelPlan, FEED_TOPIC, initialMachine, isLive, SHOP_TOPIC, transition, type ChannelName, type ChannelPlan, type LinkEffect, type LinkEvent, type LinkMachine, type TimerName } from './machine.js'
import { createLinkClient, RealtimeAdapter, type ChannelStatus } from './realtime-adapter.js'
import { describeRefreshFailure, revokedReason, SessionWatch } from './session.js'

export { FEED_TOPIC, SHOP_TOPIC }
/**
 * Realtime heartbeat interval. Phoenix sends a heartbeat one interval after the last reply and gives up on it one
 * interval later (phoenix.js Socket.sendHeartbeat), so a half-open link is noticed between 1× and 2× this after it
 * dies: 2.5 s → within 5 s (the library default of 25 s → up to 50 s; Supabase's "Understanding and Monitoring
 * Realtime Heartbeats" troubleshooting page). A heartbeat is a frame of a few dozen bytes each way on the phoenix
 * topic, not a channel message to any subscriber; the local backend's /_control/stats leaves them out of messagesOut.
 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 2500

/** A state reason is one line: our words plus at most one quoted server message (SERVER_TEXT_MAX). */
const REASON_MAX = 600

export interface LinkConfig {
  supabaseUrl: string
  anonKey: string
  /** Realtime heartbeat (default DEFAULT_HEARTBEAT_INTERVAL_MS); a dead link is noticed within 2× this. */
  heartbeatIntervalMs?: number
  /** Join / push timeout (library default 10 s; shorter turns real join errors, answered after 5 s, into TIMED_OUT). */
  joinTimeoutMs?: number
  /** After SUBSCRIBED, how long to wait for the postgres_changes `system` ok before calling it degraded. */
  systemOkTimeoutMs?: number
  /** Socket open but channels not live for this long → rebuild. */
  stuckTimeoutMs?: number
  backoff?: BackoffPolicy
  /** Tries of a refused private channel while the fallback carries requests (default PRIVATE_PROBE_BACKOFF). */
  privateProbe?: BackoffPolicy
  random?: () => number
  /** WebSocket constructor; defaults to globalThis.WebSocket (Electron, Node ≥ 22) or the `ws` package. */
  transport?: unknown
  /**
   * Reconnect spread: after a server-side loss (phoenix's own reconnect, or the server closing a channel), wait an
   * extra uniform random delay in [0, joinWindowMs()) so that a fleet rejoins within the project's joins-per-second quota. Read at each
   * reconnect (the caller sizes it from the number of workstations). Default: none.
   */
  joinWindowMs?: () => number
}

export interface ChannelLayout {
  /** The project refused a public join (known once the fallback tried one). */
  privateOnly: boolean
  channels: string[]
  /** The topic carrying postgres_changes on session_assignments (the fallback), or null on the one trusted path. */
  requestChangesOn: string | null
  publicRefused: string | null
  /** Why the fallback is joined, or null. */
  fallback: string | null
}

export interface LinkDeps {
  secrets: SecretStore
  log: Logger
  clock: Clock
}

export interface LinkUser {
  id: string
  email: string | null
}

export interface LinkEvents {
  state(s: LinkState): void
  broadcast(source: 'broadcast' | 'db-broadcast', msg: unknown, receivedAt: number): void
  postgresChange(table: string, msg: unknown, receivedAt: number): void
  /** The database subscription is confirmed (system ok): time to reconcile. */
  confirmed(why: string): void
  user(u: LinkUser | null): void
}

export class SignInError extends Error {
  constructor(
    message: string,
    /** 'key': the configured key is not an anon/publishable key; nothing was sent. */
    readonly kind: 'credentials' | 'network' | 'key' | 'other',
  ) {
    super(message)
  }
}

type Listener<K extends keyof LinkEvents> = LinkEvents[K]

export class LinkSupervisor {
  readonly client: SupabaseClient
  readonly timers = new TimerRegistry()
  private readonly random: () => number
  private readonly backoff: BackoffPolicy
  private readonly listeners: { [K in keyof LinkEvents]: Set<Listener<K>> } = {
    state: new Set(),
    broadcast: new Set(),
    postgresChange: new Set(),
    confirmed: new Set(),
    user: new Set(),
  }
  private m: LinkMachine
  private current: LinkState
  private user: LinkUser | null = null
  private started = false
  private explicitSignOut = false
  private readonly armed = new Map<TimerName, () => void>()
  /** The channel instances joined in this generation, and whether each was left since. */
  private readonly joinedChannels = new Map<ChannelName, { ch: RealtimeChannel; left: boolean }>()
  private readonly work = new Set<Promise<unknown>>()
  private readonly adapter: RealtimeAdapter
  private readonly session: SessionWatch
  private authSub: { unsubscribe(): void } | null = null
  /**
   * Why the configured key is refused (service-role, sb_secret_, another role, malformed), or null.
   * A refused key is never handed to supabase-js: the client is built with a placeholder, no stored
   * session is read, and the supervisor stays signed-out with this reason.
   */
  readonly keyRefusal: string | null
  private readonly joinWindow: (() => number) | undefined

  /** Counters for tests and health: rebuilds, socket opens, heartbeat timeouts … */
  readonly stats = { rebuilds: 0, socketOpens: 0, heartbeatTimeouts: 0, channelErrors: 0, serverCloses: 0, confirmations: 0 }

  constructor(
    config: LinkConfig,
    private readonly deps: LinkDeps,
  ) {
    this.random = config.random ?? Math.random
    this.joinWindow = config.joinWindowMs
    this.backoff = config.backoff ?? RECONNECT_BACKOFF
    const heartbeatIntervalMs = config.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS
    this.m = initialMachine({
      backoff: this.backoff,
      heartbeatIntervalMs,
      systemOkTimeoutMs: config.systemOkTimeoutMs ?? 15_000,
      stuckTimeoutMs: config.stuckTimeoutMs ?? 30_000,
      privateProbe: config.privateProbe ?? PRIVATE_PROBE_BACKOFF,
    })
    this.current = { state: 'signed-out', reason: 'Not started', since: deps.clock.now() }
    this.keyRefusal = keyProblem(config.anonKey, 'The configured anon key')
    if (this.keyRefusal) this.deps.log.error('link: refusing the configured key; not connecting', { reason: this.keyRefusal })
    this.session = new SessionWatch(
      (f) => {
        if (!f || this.m.stopped || !this.m.signedIn) return
        this.deps.log.warn('link: token refresh refused', { status: f.status, code: f.code, temporary: f.temporary })
        // Never call back into supabase-js from inside its fetch: defer to a fresh task.
        const reason = f.temporary ? describeRefreshFailure(f) : revokedReason(f)
        this.timers.after(0, () => this.dispatch({ type: 'refreshFailed', temporary: f.temporary, reason }))
      },
      (msg, data) => this.deps.log.debug(msg, data),
    )
    this.client = createLinkClient({
      supabaseUrl: config.supabaseUrl,
      anonKey: this.keyRefusal ? null : config.anonKey.trim(),
      storage: deps.secrets,
      fetch: this.session.fetch,
      heartbeatIntervalMs,
      joinTimeoutMs: config.joinTimeoutMs ?? 10_000,
      reconnectAfterMs: (tries) => {
        const delayMs = backoffDelay(tries, this.backoff, this.random) + this.joinWindowDelay(this.joinWindow)
        this.dispatch({ type: 'reconnectScheduled', delayMs })
        return delayMs
      },
      heartbeatTimeout: () => {
        this.stats.heartbeatTimeouts++
        this.dispatch({ type: 'heartbeatTimeout' })
      },
      transport: config.transport,
    })
    this.adapter = new RealtimeAdapter(this.client, (msg, data) => this.deps.log.warn(msg, data))
    this.adapter.hookSocket({
      open: () => {
        this.stats.socketOpens++
        this.dispatch({ type: 'socketOpen' })
      },
      close: (code, reason) => this.dispatch({ type: 'socketClose', code, reason }),
      error: (message) => this.dispatch({ type: 'socketError', message }),
    })
  }

  private joinWindowDelay(windowMs: (() => number) | undefined): number {
    if (!windowMs) return 0
    let w = 0
    try {
      w = windowMs()
    } catch (e) {
      this.deps.log.warn('link: the join window could not be read; reconnecting without it', { cause: String(e) })
    }
    return Number.isFinite(w) && w > 0 ? Math.floor(this.random() * w) : 0
  }

  // --- public surface ---------------------------------------------------------------------------

  on<K extends keyof LinkEvents>(event: K, fn: LinkEvents[K]): () => void {
    ;(this.listeners[event] as Set<LinkEvents[K]>).add(fn)
    return () => (this.listeners[event] as Set<LinkEvents[K]>).delete(fn)
  }

  get state(): LinkState {
    return this.current
  }

  /** The machine's whole state (read-only), for tests and diagnostics. */
  get machine(): LinkMachine {
    return this.m
  }

  get currentUser(): LinkUser | null {
    return this.user
  }

  get isLive(): boolean {
    return this.current.state === 'live'
  }

  /** Every channel joined and confirmed: requests arrive (on the one trusted path, or on the fallback). */
  get receiving(): boolean {
    return isLive(this.m)
  }

  /**
   * The channels in use: the public `session_requests_feed` (postgres_changes + the legacy hints) and the
   * private `shop:requests`, or — on a project that refuses public channels — the private one alone with
   * postgres_changes on it. `publicRefused` is the server's reason, for doctor and the logs.
   */
  get channelLayout(): ChannelLayout {
    const plan = channelPlan(this.m)
    return {
      privateOnly: this.m.publicRefused !== null,
      channels: plan.map((p) => p.topic),
      requestChangesOn: plan.find((p) => p.tables.includes('session_assignments'))?.topic ?? null,
      publicRefused: this.m.publicRefused,
      fallback: this.m.fallback?.reason ?? null,
    }
  }

  /**
   * The feed's verdict on the private database broadcast: the server's queue moved but no broadcast came
   * (a dropped trigger, a broken realtime.messages policy …). Joins the fallback — postgres_changes on
   * requests — and shows degraded with this reason until reportPrivatePathHealthy().
   */
  reportPrivatePathBroken(reason: string): void {
    this.dispatch({ type: 'privatePathBroken', reason: serverText(reason, 300) || 'the private database broadcast is not delivering' })
  }

  /** Broadcasts flow again: back to the one private channel. */
  reportPrivatePathHealthy(): void {
    this.dispatch({ type: 'privatePathHealthy' })
  }

  /** Channels this supervisor owns that are registered with the realtime client (tests assert ≤ 2). */
  get channelCount(): number {
    return this.adapter.channelCount
  }

  /** Restores a stored session and connects; without one, the state is signed-out. */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    if (this.keyRefusal) return this.dispatch({ type: 'start', session: false, signedOutReason: this.keyRefusal })
    const { data } = this.client.auth.onAuthStateChange((event, session) => {
      // Never call back into supabase-js from inside this callback (auth-js holds its lock here).
      this.timers.after(0, () => this.onAuthEvent(event, session))
    })
    this.authSub = data.subscription
    const { data: s, error } = await this.client.auth.getSession()
    if (this.m.stopped) return
    if (error) this.deps.log.warn('link: reading the stored session failed', { cause: serverText(error.message) })
    if (s.session) this.setUser(s.session)
    this.dispatch(
      s.session
        ? { type: 'start', session: true }
        : { type: 'start', session: false, signedOutReason: this.session.lastFailure ? revokedReason(this.session.lastFailure) : 'Not signed in' },
    )
  }

  async signIn(email: string, password: string): Promise<void> {
    if (this.m.stopped) throw new Error('link stopped')
    if (this.keyRefusal) {
      this.dispatch({ type: 'signInFailed', show: 'signed-out', reason: this.keyRefusal })
      throw new SignInError(this.keyRefusal, 'key')
    }
    this.dispatch({ type: 'signInStarted' })
    const { data, error } = await this.client.auth.signInWithPassword({ email, password })
    if (error || !data.session) {
      const status = (error as { status?: number } | null)?.status ?? 0
      // GoTrue's error body, as auth-js hands it over: server text.
      const msg = serverText(error?.message) || 'no session returned'
      if (status === 0 || status >= 500) {
        const reason = `Cannot reach the sign-in server (${msg})`
        this.dispatch({ type: 'signInFailed', show: 'offline', reason })
        throw new SignInError(reason, 'network')
      }
      const reason = status === 400 || status === 401 ? `Sign-in failed: ${msg}` : `Sign-in failed (HTTP ${status}): ${msg}`
      this.dispatch({ type: 'signInFailed', show: 'signed-out', reason })
      throw new SignInError(reason, status === 400 || status === 401 ? 'credentials' : 'other')
    }
    this.session.lastFailure = null
    this.explicitSignOut = false
    this.setUser(data.session)
    this.dispatch({ type: 'signedIn' })
  }

  async signOut(): Promise<void> {
    this.explicitSignOut = true
    this.dispatch({ type: 'signOut' })
    await this.settle()
    const { error } = await this.client.auth.signOut({ scope: 'local' })
    if (error) this.deps.log.warn('link: server sign-out failed; local session removed anyway', { cause: serverText(error.message) })
  }

  /** "Reconnect now": a fresh socket and fresh channels immediately. */
  reconnectNow(why = 'Reconnect requested'): void {
    this.dispatch({ type: 'reconnectNow', why })
  }

  /** OS resume / unlock: refresh the session FIRST, then a fresh socket. */
  notifyResume(): void {
    this.dispatch({ type: 'resume' })
  }

  notifySuspend(): void {
    this.deps.log.info('link: system suspending')
  }

  notifyNetworkChange(online: boolean): void {
    this.dispatch({ type: online ? 'networkBack' : 'networkDown' })
  }

  async stop(): Promise<void> {
    if (this.m.stopped) return
    this.dispatch({ type: 'stop' })
    this.timers.closeAll()
    this.authSub?.unsubscribe()
    this.authSub = null
    await this.settle()
    await this.client.auth.stopAutoRefresh().catch((e: unknown) => {
      this.deps.log.warn('link: stopping the token auto-refresh failed', { cause: serverText((e as Error)?.message ?? String(e)) })
    })
  }

  // --- the interpreter ------------------------------------------------------------------------------

  private dispatch(event: LinkEvent): void {
    const { state, effects } = transition(this.m, event, this.random())
    this.m = state
    for (const fx of effects) this.execute(fx)
  }

  private execute(fx: LinkEffect): void {
    switch (fx.type) {
      case 'rebuild':
        this.stats.rebuilds++
        this.track(this.rebuild(fx.gen, fx.refresh, fx.hard, fx.channels))
        return
      case 'join':
        this.join(fx.channel, fx.gen)
        return
      case 'leave': {
        const j = this.joinedChannels.get(fx.channel)
        if (!j) return
        j.left = true
        this.joinedChannels.delete(fx.channel)
        this.track(this.adapter.leave(j.ch))
        return
      }
      case 'teardown':
        this.joinedChannels.clear()
        this.track(
          this.adapter.teardown(fx.hard).catch((e: unknown) => {
            this.deps.log.warn('link: closing the channels failed', { cause: serverText((e as Error)?.message ?? String(e)) })
          }),
        )
        return
      case 'forgetSession':
        this.track(this.forgetSession())
        return
      case 'refreshSession':
        this.track(this.refreshNow())
        return
      case 'schedule': {
        this.armed.get(fx.timer)?.()
        const cancel = this.timers.after(fx.ms, () => {
          if (this.armed.get(fx.timer) !== cancel) return
          this.armed.delete(fx.timer)
          this.dispatch({ type: 'timerFired', timer: fx.timer })
        })
        this.armed.set(fx.timer, cancel)
        return
      }
      case 'cancel':
        this.armed.get(fx.timer)?.()
        this.armed.delete(fx.timer)
        return
      case 'emitState':
        return this.setState(fx.name, fx.reason)
      case 'reconcile':
        this.emit('confirmed', fx.why)
        return
      case 'log':
        this.deps.log[fx.level](fx.msg, fx.data)
        return
    }
  }

  private track(p: Promise<unknown>): void {
    this.work.add(p)
    void p.finally(() => this.work.delete(p))
  }

  /** Waits for every running effect (rebuild, teardown …) to finish. */
  private async settle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work])
  }

  private stale(gen: number): boolean {
    return gen !== this.m.gen || this.m.stopped
  }

  private async rebuild(gen: number, refresh: boolean, hard: boolean, plans: readonly ChannelPlan[]): Promise<void> {
    try {
      // 1. A session that is valid *now*. On resume the cached token may have expired while asleep, and
      //    every rejoin would carry it: refresh before anything touches the socket.
      if (refresh) {
        const { error } = await this.client.auth.refreshSession()
        if (this.stale(gen)) return
        if (error) {
          const status = (error as { status?: number }).status ?? 0
          const f = this.session.lastFailure
          const msg = serverText(error.message) || `HTTP ${status}`
          if (f ? !f.temporary : status >= 400 && status < 500) {
            const reason = f ? revokedReason(f) : `Your session is no longer valid (${msg}). Sign in again.`
            return this.dispatch({ type: 'rebuilt', gen, outcome: 'revoked', reason })
          }
          return this.dispatch({ type: 'rebuilt', gen, outcome: 'refreshTemporary', reason: f ? describeRefreshFailure(f) : msg })
        }
      }
      const { data } = await this.client.auth.getSession()
      if (this.stale(gen)) return
      if (!data.session) {
        const reason = this.session.lastFailure && !this.session.lastFailure.temporary ? revokedReason(this.session.lastFailure) : 'Not signed in'
        return this.dispatch({ type: 'rebuilt', gen, outcome: 'signedOut', reason })
      }
      this.setUser(data.session)
      // 2. The socket must carry the user's JWT in the join, or RLS silently filters everything.
      await this.adapter.setAuth()
      if (this.stale(gen)) return
      // 3. Fresh socket, no leftover channel instances.
      this.joinedChannels.clear()
      await this.adapter.teardown(hard)
      if (this.stale(gen)) return
      // 4. New channels.
      for (const plan of plans) this.join(plan, gen)
      this.dispatch({ type: 'rebuilt', gen, outcome: 'joined' })
    } catch (e) {
      if (this.stale(gen)) return
      const cause = serverText((e as Error)?.message ?? String(e)) || 'unknown error'
      this.dispatch({ type: 'rebuilt', gen, outcome: 'failed', reason: cause })
    }
  }

  private join(plan: ChannelPlan, gen: number): void {
    if (this.stale(gen)) return
    const handle = { ch: null as unknown as RealtimeChannel, left: false }
    const current = () => !this.stale(gen) && !handle.left
    const channel: ChannelName = plan.name
    handle.ch = this.adapter.join(plan, {
      broadcast: (msg) => {
        if (current()) this.emit('broadcast', plan.private ? 'db-broadcast' : 'broadcast', msg, this.deps.clock.now())
      },
      change: (table, msg) => {
        if (current()) this.emit('postgresChange', table, msg, this.deps.clock.now())
      },
      system: (msg) => {
        if (current()) this.onSystem(gen, channel, plan.topic, msg)
      },
      status: (s) => {
        if (current()) this.onChannelStatus(gen, channel, s)
      },
    })
    this.joinedChannels.set(channel, handle)
  }

  private onChannelStatus(gen: number, channel: ChannelName, s: ChannelStatus): void {
    switch (s.kind) {
      case 'joined':
        return this.dispatch({ type: 'joined', gen, channel })
      case 'joinRefused':
        this.stats.channelErrors++
        return this.dispatch({ type: 'joinRefused', gen, channel, cause: s.cause })
      case 'channelError':
        this.stats.channelErrors++
        this.deps.log.info('link: channel error', { channel, cause: s.cause })
        return this.dispatch({ type: 'channelError', gen, channel, cause: s.cause })
      case 'timedOut':
        return this.dispatch({ type: 'joinTimedOut', gen, channel })
      case 'closed':
        // Only the server closes our channels while this generation is current (token expired,
        // permission revoked): the channel is gone for good and must be recreated.
        this.stats.serverCloses++
        // A realtime restart or a wave of expiring tokens closes every workstation's channels at once: the
        // rebuild waits a draw from the join window too, as phoenix's own reconnect does.
        return this.dispatch({ type: 'serverClosed', gen, channel, spreadMs: this.joinWindowDelay(this.joinWindow) })
    }
  }

  private onSystem(gen: number, channel: ChannelName, topic: string, msg: unknown): void {
    const m = (msg && typeof msg === 'object' ? msg : {}) as { extension?: unknown; status?: unknown; message?: unknown }
    const text = typeof m.message === 'string' ? serverText(m.message, 300) : ''
    if (m.extension === 'postgres_changes') {
      if (m.status === 'ok') {
        const before = this.m.channels.find((c) => c.name === channel)?.confirmed
        this.dispatch({ type: 'systemOk', gen, channel })
        if (!before && this.m.channels.find((c) => c.name === channel)?.confirmed) this.stats.confirmations++
      } else {
        // "Unable to subscribe to changes…" / "unable to connect to the project database": the channel
        // stays SUBSCRIBED and no events arrive.
        this.dispatch({ type: 'systemError', gen, channel, text })
      }
      return
    }
    if (m.status === 'error') {
      // A shutdown notice; phx_close follows.
      this.deps.log.warn('link: server shutting channel down', { topic, message: text })
      this.dispatch({ type: 'shutdownNotice', gen, channel, text })
    } else if (/server requested disconnect/i.test(text)) {
      this.deps.log.info('link: server requested disconnect', { topic })
    }
  }

  // --- auth -----------------------------------------------------------------------------------------

  private onAuthEvent(event: string, session: Session | null): void {
    if (this.m.stopped) return
    switch (event) {
      case 'SIGNED_IN':
      case 'INITIAL_SESSION':
        if (session) this.setUser(session)
        break
      case 'TOKEN_REFRESHED':
        if (session) this.setUser(session)
        this.dispatch({ type: 'tokenRefreshed' })
        break
      case 'SIGNED_OUT':
        if (this.explicitSignOut) return
        this.dispatch({ type: 'revoked', reason: revokedReason(this.session.lastFailure) })
        break
    }
  }

  /** The refresh timer: one explicit refresh; success arrives as TOKEN_REFRESHED. */
  private async refreshNow(): Promise<void> {
    const { error } = await this.client.auth.refreshSession()
    if (!error || this.m.stopped || !this.m.signedIn) return
    const f = this.session.lastFailure
    // A failure that reached the server was reported by the session watch already; a cached one (auth-js
    // answers serial refreshes with the same token from a cooldown cache) was not.
    if (f && f.temporary) this.dispatch({ type: 'refreshFailed', temporary: true, reason: describeRefreshFailure(f) })
    else if (!f) this.dispatch({ type: 'refreshFailed', temporary: true, reason: serverText(error.message) || 'refresh failed' })
  }

  /** Drops the dead session from storage so a restart does not replay it. */
  private async forgetSession(): Promise<void> {
    this.explicitSignOut = true
    const cause = await this.client.auth.signOut({ scope: 'local' }).then(
      ({ error }) => error?.message ?? null,
      (e: unknown) => (e as Error)?.message ?? String(e),
    )
    this.explicitSignOut = false
    // The state is signed-out either way; a session left in storage would be replayed (and refused) on restart.
    if (cause !== null) this.deps.log.warn('link: removing the revoked session from storage failed', { cause: serverText(cause) })
  }

  private setUser(session: Session): void {
    const u: LinkUser = { id: session.user.id, email: session.user.email ?? null }
    if (this.user?.id === u.id && this.user.email === u.email) return
    this.user = u
    this.emit('user', u)
  }

  // --- state ------------------------------------------------------------------------------------------

  private setState(state: LinkState['state'], rawReason: string): void {
    if (state === 'signed-out' && this.user) {
      this.user = null
      this.emit('user', null)
    }
    // Reasons quote the server (join refusals, system messages, close reasons, GoTrue bodies): whatever
    // path a server string took to get here, the state carries it cleaned.
    const reason = serverText(rawReason, REASON_MAX) || LINK_STATE_LABEL[state]
    if (this.current.state === state && this.current.reason === reason) return
    this.current = { state, reason, since: this.deps.clock.now() }
    this.deps.log.info(`link: ${state}`, { reason })
    this.emit('state', this.current)
  }

  private emit<K extends keyof LinkEvents>(event: K, ...args: Parameters<LinkEvents[K]>): void {
    for (const fn of this.listeners[event] as Set<(...a: Parameters<LinkEvents[K]>) => void>) {
      try {
        fn(...args)
      } catch (e) {
        // A listener must never break the link.
        this.deps.log.error(`link: ${event} listener threw`, { cause: String((e as Error)?.stack ?? e) })
      }
    }
  }
}
