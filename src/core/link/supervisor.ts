// The link supervisor: owns the one supabase-js client, its one socket and its two channels, and turns
// everything that can go wrong with them into a visible state with a readable reason
// (supabase-js's realtime-js client; each known Realtime failure it works around is named below by its
// GitHub issue).
//
// Channels (as few as the protocol allows — a channel has one topic and one private flag):
//   feed  `session_requests_feed` (public): the shop backend's legacy broadcast (new_request /
//         request_accepted / request_cancelled — untrusted hints, anyone with the anon key can post)
//         AND the postgres_changes bindings on public.session_assignments and public.feature_flags.
//   shop  `shop:requests` (private): the database-side broadcast our migration's trigger sends.
// The postgres_changes bindings sit on the public channel by default: a private join depends on the
// realtime.messages RLS policy; if that policy is missing or wrong the shop channel fails, and the
// persistent path must not fail with it.
// Private-only projects ("allow public access" off in the Realtime settings) refuse every public join
// with "PrivateOnly: This project only allows private channels". Once seen, the link uses ONE channel:
// `shop:requests` carrying the postgres_changes bindings too (the private join is what RLS on
// realtime.messages allows for mechanics); the public hints are then simply not heard.
//
// Recovery. Socket-level losses (close, heartbeat timeout) are left to phoenix's own reconnect, which
// builds a fresh socket with our jittered, capped reconnectAfterMs and rejoins the channels; the
// `system` ok message after each rejoin triggers a reconcile. Everything else is a *rebuild*:
// refresh the session if asked (resume first — supabase/supabase-js#2613, supabase/realtime#1414),
// `await realtime.setAuth()` (supabase/supabase-js#1553), close the socket, `await removeChannel` every
// channel (supabase/realtime-js#274, supabase/realtime#1414), create new channel instances, subscribe.
// Rebuilds are serialized, jittered and capped (supabase/supabase-js#1559), and every timer is tracked.
import WebSocketImpl from 'ws'
import { createClient, type RealtimeChannel, type Session, type SupabaseClient } from '@supabase/supabase-js'
import type { LinkState, LinkStateName } from '../../shared/types.js'
import { LINK_STATE_LABEL } from '../../shared/types.js'
import type { Clock, Logger, SecretStore } from '../ports.js'
import { keyProblem, redactText } from '../config.js'
import { serverText } from '../server-text.js'
import { backoffDelay, RECONNECT_BACKOFF, type BackoffPolicy } from './backoff.js'
import { TimerRegistry } from './timers.js'

export const FEED_TOPIC = 'session_requests_feed'
export const SHOP_TOPIC = 'shop:requests'
/** A state reason is one line: our words plus at most one quoted server message (SERVER_TEXT_MAX). */
const REASON_MAX = 600

export interface LinkConfig {
  supabaseUrl: string
  anonKey: string
  /** Realtime heartbeat; a dead link is noticed within 2× this (default 4 s → ≤ 8 s, under the 10 s goal with slack for a busy
   *  event loop; library default 25 s → up to 50 s, realtime-js RealtimeClient). */
  heartbeatIntervalMs?: number
  /** Join / push timeout (library default 10 s; shorter turns real join errors, sent after the server's
   *  5 s backoff, into TIMED_OUT). */
  joinTimeoutMs?: number
  /** After SUBSCRIBED, how long to wait for the postgres_changes `system` ok before calling it degraded. */
  systemOkTimeoutMs?: number
  /** Socket open but channels not live for this long → rebuild. */
  stuckTimeoutMs?: number
  backoff?: BackoffPolicy
  random?: () => number
  /** WebSocket constructor; defaults to globalThis.WebSocket (Electron, Node ≥ 22) or the `ws` package. */
  transport?: unknown
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
  /** The database subscription is confirmed (system ok): time to reconcile (supabase/realtime#570,
   *  supabase/realtime-js#525). */
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

interface ChanSlot {
  name: 'feed' | 'shop'
  topic: string
  ch: RealtimeChannel
  /** This channel carries the postgres_changes bindings (exactly one channel does). */
  pg: boolean
  subscribed: boolean
  /** pg only: postgres_changes confirmed by the `system` ok message since the last SUBSCRIBED. */
  pgOk: boolean
  error: string | null
}

interface RebuildOpts {
  refresh: boolean
  /** Kill the old socket at once instead of a polite close (suspected half-open link). */
  hard: boolean
}

interface Retry {
  why: string
  opts: RebuildOpts
  state: LinkStateName
}

type Listener<K extends keyof LinkEvents> = LinkEvents[K]

export class LinkSupervisor {
  readonly client: SupabaseClient
  readonly timers = new TimerRegistry()
  private readonly cfg: Required<Omit<LinkConfig, 'transport' | 'random'>> & { random: () => number }
  private readonly listeners: { [K in keyof LinkEvents]: Set<Listener<K>> } = {
    state: new Set(),
    broadcast: new Set(),
    postgresChange: new Set(),
    confirmed: new Set(),
    user: new Set(),
  }

  private gen = 0
  private slots: ChanSlot[] = []
  private stopped = false
  private started = false
  private signedOut = true
  private explicitSignOut = false
  private current: LinkState
  private user: LinkUser | null = null
  /** The project refused a public join with PrivateOnly: one private channel from now on. */
  private publicRefused: string | null = null

  // rebuild scheduling
  private running: Promise<void> | null = null
  private rerun: { why: string; opts: RebuildOpts } | null = null
  private attempt = 0
  private cancelPending: (() => void) | null = null
  private pendingAt = 0

  // socket-level facts for readable reasons
  private socketOpen = false
  private socketReason: string | null = null
  private reconnectAt: number | null = null
  private lastShutdown: string | null = null
  private systemError: string | null = null
  private cancelSystemOk: (() => void) | null = null
  private cancelStuck: (() => void) | null = null
  private authSub: { unsubscribe(): void } | null = null
  private lastRefreshFailure: { status: number; code: string; message: string } | null = null
  /**
   * Why the configured key is refused (service-role, sb_secret_, another role, malformed), or null.
   * A refused key is never handed to supabase-js: the client is built with a placeholder, no stored
   * session is read, and the supervisor stays signed-out with this reason.
   */
  readonly keyRefusal: string | null

  /** Counters for tests and health: rebuilds, socket opens, heartbeat timeouts … */
  readonly stats = { rebuilds: 0, socketOpens: 0, heartbeatTimeouts: 0, channelErrors: 0, serverCloses: 0, confirmations: 0 }

  constructor(
    config: LinkConfig,
    private readonly deps: LinkDeps,
  ) {
    this.cfg = {
      supabaseUrl: config.supabaseUrl,
      anonKey: config.anonKey,
      heartbeatIntervalMs: config.heartbeatIntervalMs ?? 4000,
      joinTimeoutMs: config.joinTimeoutMs ?? 10_000,
      systemOkTimeoutMs: config.systemOkTimeoutMs ?? 15_000,
      stuckTimeoutMs: config.stuckTimeoutMs ?? 30_000,
      backoff: config.backoff ?? RECONNECT_BACKOFF,
      random: config.random ?? Math.random,
    }
    this.current = { state: 'signed-out', reason: 'Not started', since: deps.clock.now() }
    const host = new URL(config.supabaseUrl).host
    this.keyRefusal = keyProblem(config.anonKey, 'The configured anon key')
    const refused = this.keyRefusal !== null
    if (refused) this.deps.log.error('link: refusing the configured key; not connecting', { reason: this.keyRefusal })
    this.client = createClient(config.supabaseUrl, refused ? 'refused-key' : config.anonKey.trim(), {
      auth: refused
        ? // Nothing to refresh, nothing stored: a refused configuration must not touch the network.
          { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }
        : {
            storage: deps.secrets,
            // One storage key per project: a session for another project must never be replayed here.
            storageKey: `bayalert-auth:${host}`,
            autoRefreshToken: true,
            persistSession: true,
            detectSessionInUrl: false,
          },
      global: { fetch: this.observingFetch },
      realtime: {
        heartbeatIntervalMs: this.cfg.heartbeatIntervalMs,
        timeout: this.cfg.joinTimeoutMs,
        reconnectAfterMs: (tries: number) => this.onReconnectScheduled(tries),
        heartbeatCallback: (status: string) => this.onHeartbeat(status),
        // Node < 22 has no global WebSocket: realtime-js needs a transport handed in.
        ...(config.transport
          ? { transport: config.transport as never }
          : typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function'
            ? {}
            : { transport: WebSocketImpl as never }),
        // Never `worker: true` outside a renderer: realtime-js then sends no heartbeats at all in Node.
      },
    })
    this.hookSocket()
  }

  // --- public surface ---------------------------------------------------------------------------

  on<K extends keyof LinkEvents>(event: K, fn: LinkEvents[K]): () => void {
    ;(this.listeners[event] as Set<LinkEvents[K]>).add(fn)
    return () => (this.listeners[event] as Set<LinkEvents[K]>).delete(fn)
  }

  get state(): LinkState {
    return this.current
  }

  get currentUser(): LinkUser | null {
    return this.user
  }

  get isLive(): boolean {
    return this.current.state === 'live'
  }

  /**
   * The channels in use: the public `session_requests_feed` (postgres_changes + the legacy hints) and the
   * private `shop:requests`, or — on a project that refuses public channels — the private one alone with
   * postgres_changes on it. `publicRefused` is the server's reason, for doctor and the logs.
   */
  get channelLayout(): { privateOnly: boolean; channels: string[]; postgresChangesOn: string; publicRefused: string | null } {
    return this.publicRefused
      ? { privateOnly: true, channels: [SHOP_TOPIC], postgresChangesOn: SHOP_TOPIC, publicRefused: this.publicRefused }
      : { privateOnly: false, channels: [FEED_TOPIC, SHOP_TOPIC], postgresChangesOn: FEED_TOPIC, publicRefused: null }
  }

  /** Channels this supervisor owns that are registered with the realtime client (tests assert ≤ 2). */
  get channelCount(): number {
    return this.client.realtime.channels.length
  }

  /** Restores a stored session and connects; without one, the state is signed-out. */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    if (this.keyRefusal) return this.enterSignedOut(this.keyRefusal)
    const { data } = this.client.auth.onAuthStateChange((event, session) => {
      // Never call back into supabase-js from inside this callback (auth-js holds its lock here):
      // defer to a fresh task.
      this.timers.after(0, () => this.onAuthEvent(event, session))
    })
    this.authSub = data.subscription
    const { data: s, error } = await this.client.auth.getSession()
    if (this.stopped) return
    if (error) this.deps.log.warn('link: reading the stored session failed', { cause: serverText(error.message) })
    if (s.session) {
      this.setUser(s.session)
      this.signedOut = false
      this.recoverNow('Restored the saved session; connecting', { refresh: false, hard: false })
    } else {
      this.enterSignedOut(this.lastRefreshFailure ? this.revokedReason() : 'Not signed in')
    }
  }

  async signIn(email: string, password: string): Promise<void> {
    if (this.stopped) throw new Error('link stopped')
    if (this.keyRefusal) {
      this.enterSignedOut(this.keyRefusal)
      throw new SignInError(this.keyRefusal, 'key')
    }
    this.setState('connecting', 'Signing in…')
    const { data, error } = await this.client.auth.signInWithPassword({ email, password })
    if (error || !data.session) {
      const status = (error as { status?: number } | null)?.status ?? 0
      // GoTrue's error body, as auth-js hands it over: server text.
      const msg = serverText(error?.message) || 'no session returned'
      if (status === 0 || status >= 500) {
        const reason = `Cannot reach the sign-in server (${msg})`
        this.setState('offline', reason)
        throw new SignInError(reason, 'network')
      }
      const reason = status === 400 || status === 401 ? `Sign-in failed: ${msg}` : `Sign-in failed (HTTP ${status}): ${msg}`
      this.enterSignedOut(reason)
      throw new SignInError(reason, status === 400 || status === 401 ? 'credentials' : 'other')
    }
    this.lastRefreshFailure = null
    this.explicitSignOut = false
    this.signedOut = false
    this.setUser(data.session)
    this.recoverNow('Signed in; connecting', { refresh: false, hard: false })
  }

  async signOut(): Promise<void> {
    this.explicitSignOut = true
    this.gen++
    this.cancelScheduled()
    await this.teardownChannels(false)
    const { error } = await this.client.auth.signOut({ scope: 'local' })
    if (error) this.deps.log.warn('link: server sign-out failed; local session removed anyway', { cause: serverText(error.message) })
    this.enterSignedOut('Signed out')
  }

  /** "Reconnect now": a fresh socket and fresh channels immediately. */
  reconnectNow(why = 'Reconnect requested'): void {
    this.recoverNow(why, { refresh: false, hard: true })
  }

  /** OS resume / unlock: refresh the session FIRST, then a fresh socket (supabase/supabase-js#2613,
   *  supabase/realtime#1414). */
  notifyResume(): void {
    this.recoverNow('Woke from sleep', { refresh: true, hard: true })
  }

  notifySuspend(): void {
    this.deps.log.info('link: system suspending')
  }

  notifyNetworkChange(online: boolean): void {
    if (!online) {
      if (!this.signedOut) this.setState('offline', 'The network is down; waiting for it to come back')
      return
    }
    this.recoverNow('Network came back', { refresh: false, hard: true })
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.gen++
    this.timers.closeAll()
    this.authSub?.unsubscribe()
    this.authSub = null
    try {
      await this.running
    } catch {
      /* logged where it happened */
    }
    await this.teardownChannels(true)
    await this.client.auth.stopAutoRefresh().catch((e: unknown) => {
      this.deps.log.warn('link: stopping the token auto-refresh failed', { cause: serverText((e as Error)?.message ?? String(e)) })
    })
  }

  // --- rebuild scheduling -------------------------------------------------------------------------

  private recoverNow(why: string, opts: RebuildOpts): void {
    if (this.stopped || this.keyRefusal) return
    this.cancelScheduled()
    this.attempt = 0
    void this.runRebuild(why, opts)
  }

  /** A rebuild after a jittered, capped delay; an earlier pending one is kept. */
  private scheduleRebuild(why: string, opts: RebuildOpts, state: LinkStateName = 'degraded'): void {
    if (this.stopped || this.signedOut) return
    if (this.running) {
      this.rerun = this.mergeRerun(why, opts)
      return
    }
    this.attempt++
    const delay = backoffDelay(this.attempt, this.cfg.backoff, this.cfg.random)
    const at = this.deps.clock.now() + delay
    if (this.cancelPending && this.pendingAt <= at) return
    this.cancelScheduled()
    this.pendingAt = at
    this.setState(state, `${why}; retrying in ${Math.ceil(delay / 1000)} s`)
    this.cancelPending = this.timers.after(delay, () => {
      this.cancelPending = null
      // phoenix's own rejoin may have fixed it meanwhile (e.g. a rejoin with the refreshed token).
      if (this.isLive) {
        this.deps.log.info('link: scheduled rebuild skipped, link is live again', { why })
        return
      }
      void this.runRebuild(why, opts)
    })
  }

  private cancelScheduled(): void {
    this.cancelPending?.()
    this.cancelPending = null
  }

  private mergeRerun(why: string, opts: RebuildOpts): { why: string; opts: RebuildOpts } {
    const prev = this.rerun
    return { why, opts: { refresh: opts.refresh || !!prev?.opts.refresh, hard: opts.hard || !!prev?.opts.hard } }
  }

  private runRebuild(why: string, opts: RebuildOpts): Promise<void> {
    if (this.running) {
      this.rerun = this.mergeRerun(why, opts)
      return this.running
    }
    const run = (async (): Promise<Retry | null> => {
      let next: { why: string; opts: RebuildOpts } | null = { why, opts }
      let retry: Retry | null = null
      while (next && !this.stopped) {
        this.rerun = null
        try {
          retry = await this.rebuild(next.why, next.opts)
        } catch (e) {
          const cause = serverText((e as Error)?.message ?? String(e)) || 'unknown error'
          this.deps.log.error('link: rebuild failed', { why: next.why, cause })
          retry = { why: `Reconnect failed (${cause})`, opts: next.opts, state: 'degraded' }
        }
        next = this.rerun
        if (next) retry = null
      }
      return retry
    })()
    // Retries are scheduled only after the run is over, so a failing rebuild backs off instead of
    // looping through `rerun`.
    this.running = run.then((retry) => {
      this.running = null
      if (retry) this.scheduleRebuild(retry.why, retry.opts, retry.state)
    })
    return this.running
  }

  private async rebuild(why: string, opts: RebuildOpts): Promise<Retry | null> {
    const gen = ++this.gen
    this.stats.rebuilds++
    this.clearLiveTimers()
    this.setState('connecting', why)
    this.deps.log.info('link: rebuilding', { why, refresh: opts.refresh, hard: opts.hard, attempt: this.attempt })

    // 1. A session that is valid *now*. On resume the cached token may have expired while asleep,
    //    and every rejoin would carry it (supabase/supabase-js#2613): refresh before anything touches
    //    the socket.
    if (opts.refresh) {
      const { error } = await this.client.auth.refreshSession()
      if (gen !== this.gen || this.stopped) return null
      if (error) {
        const status = (error as { status?: number }).status ?? 0
        const msg = serverText(error.message) || `HTTP ${status}`
        if (status >= 400 && status < 500) {
          this.enterSignedOut(`Your session is no longer valid (${msg}). Sign in again.`)
          await this.teardownChannels(false)
          return null
        }
        this.setState('offline', `Cannot reach the sign-in server (${msg})`)
        return { why: `Cannot reach the sign-in server (${msg})`, opts, state: 'offline' }
      }
    }
    const { data } = await this.client.auth.getSession()
    if (gen !== this.gen || this.stopped) return null
    if (!data.session) {
      this.enterSignedOut(this.lastRefreshFailure ? this.revokedReason() : 'Not signed in')
      await this.teardownChannels(false)
      return null
    }
    this.setUser(data.session)

    // 2. The socket must carry the user's JWT in the join, or RLS silently filters everything
    //    (supabase/supabase-js#1553).
    await this.client.realtime.setAuth()
    if (gen !== this.gen || this.stopped) return null

    // 3. Fresh socket, no leftover channel instances (supabase/realtime-js#274, supabase/realtime#1414).
    await this.teardownChannels(opts.hard)
    if (gen !== this.gen || this.stopped) return null

    // 4. New channels.
    this.systemError = null
    this.lastShutdown = null
    this.slots = this.publicRefused ? [this.makeChannel('shop', gen, true)] : [this.makeChannel('feed', gen, true), this.makeChannel('shop', gen, false)]
    this.recompute()
    this.armStuck(gen)
    return null
  }

  private makeChannel(name: 'feed' | 'shop', gen: number, pg: boolean): ChanSlot {
    const rt = this.client.realtime
    const topic = name === 'feed' ? FEED_TOPIC : SHOP_TOPIC
    const ch = rt.channel(topic, { config: { private: name === 'shop', broadcast: { self: false, ack: false } } })
    const slot: ChanSlot = { name, topic, ch, pg, subscribed: false, pgOk: false, error: null }
    const live = () => gen === this.gen && !this.stopped
    ch.on('broadcast', { event: '*' }, (msg: unknown) => {
      if (!live()) return
      this.emit('broadcast', name === 'feed' ? 'broadcast' : 'db-broadcast', msg, this.deps.clock.now())
    })
    if (pg) {
      ch.on('postgres_changes', { event: '*', schema: 'public', table: 'session_assignments' }, (msg: unknown) => {
        if (live()) this.emit('postgresChange', 'session_assignments', msg, this.deps.clock.now())
      })
      ch.on('postgres_changes', { event: '*', schema: 'public', table: 'feature_flags' }, (msg: unknown) => {
        if (live()) this.emit('postgresChange', 'feature_flags', msg, this.deps.clock.now())
      })
    }
    ch.on('system', {}, (msg: unknown) => {
      if (live()) this.onSystem(slot, msg)
    })
    ch.subscribe((status, err) => {
      if (!live()) return
      this.onChannelStatus(slot, gen, status, err)
    })
    return slot
  }

  // --- channel and socket events --------------------------------------------------------------------

  private onChannelStatus(slot: ChanSlot, gen: number, status: string, err?: Error): void {
    const cause = err ? redactText(err.message) : ''
    switch (status) {
      case 'SUBSCRIBED': {
        slot.subscribed = true
        slot.error = null
        // SUBSCRIBED is premature for postgres_changes (supabase/realtime-js#525): wait for the system ok
        // message.
        slot.pgOk = false
        if (slot.pg) this.armSystemOk(gen)
        break
      }
      case 'CHANNEL_ERROR': {
        this.stats.channelErrors++
        slot.subscribed = false
        slot.pgOk = false
        slot.error = cause || 'channel error'
        // A join error reply carries the server's reason as `cause` (supabase/realtime
        // realtime_channel.ex); socket-level errors do not.
        const joinError = !!(err as { cause?: unknown } | undefined)?.cause || /mismatch between server and client bindings/.test(cause)
        if (joinError && slot.name === 'feed' && /^PrivateOnly\b/i.test(cause)) {
          // Not a failure: the project allows private channels only. Rebuild at once with the one private
          // channel carrying postgres_changes (no backoff: nothing is wrong with the server).
          this.publicRefused = cause
          this.deps.log.info('link: this project refuses public channels; using the private channel alone', { topic: slot.topic, cause })
          this.recoverNow('This project allows private channels only; joining the private channel alone', { refresh: false, hard: false })
          return
        }
        if (joinError) {
          this.deps.log.warn('link: channel join refused', { topic: slot.topic, cause })
          // Most join refusals are token problems (expired, not yet refreshed): refresh first.
          this.scheduleRebuild(`The server refused channel ${slot.topic} (${cause})`, { refresh: /jwt|token|expired|unauthori[sz]ed/i.test(cause), hard: false })
        } else {
          // Socket closed / heartbeat timeout / transport failure: phoenix reconnects and rejoins on
          // its own (with our jittered reconnectAfterMs); the stuck watchdog covers it if it does not.
          this.deps.log.info('link: channel error', { topic: slot.topic, cause })
          this.armStuck(gen)
        }
        break
      }
      case 'TIMED_OUT': {
        slot.subscribed = false
        slot.pgOk = false
        slot.error = 'join timed out'
        // A join that gets no answer on an "open" socket is the half-open/dead-socket signature
        // (supabase/realtime#1414, supabase/supabase-js#1559): a fresh socket, not another rejoin on the same one.
        this.deps.log.warn('link: channel join timed out', { topic: slot.topic })
        this.scheduleRebuild(`Joining ${slot.topic} timed out`, { refresh: false, hard: true })
        break
      }
      case 'CLOSED': {
        // Only the server closes our channels while this generation is current (token expired,
        // permission revoked): the channel is gone for good and must be recreated (supabase/realtime-js#274).
        this.stats.serverCloses++
        slot.subscribed = false
        slot.pgOk = false
        const why = this.lastShutdown ? `The server closed ${slot.topic}: ${this.lastShutdown}` : `The server closed ${slot.topic}`
        slot.error = why
        this.deps.log.warn('link: channel closed by server', { topic: slot.topic, reason: this.lastShutdown })
        this.scheduleRebuild(why, { refresh: true, hard: false })
        break
      }
    }
    this.recompute()
  }

  private onSystem(slot: ChanSlot, msg: unknown): void {
    const m = (msg && typeof msg === 'object' ? msg : {}) as { extension?: unknown; status?: unknown; message?: unknown }
    const text = typeof m.message === 'string' ? redactText(m.message).slice(0, 300) : ''
    if (m.extension === 'postgres_changes') {
      if (m.status === 'ok') {
        if (!slot.pg) return
        slot.pgOk = true
        this.systemError = null
        this.cancelSystemOk?.()
        this.cancelSystemOk = null
        this.stats.confirmations++
        this.recompute()
        // Every confirmation — first join, rejoin after a drop, re-subscribe after a token refresh —
        // may have a gap behind it: reconcile (supabase/realtime#570, supabase/realtime-js#525).
        this.emit('confirmed', 'subscribed')
      } else {
        // "Unable to subscribe to changes…" / "unable to connect to the project database": the channel
        // stays SUBSCRIBED and no events arrive (supabase/realtime realtime_channel.ex). The server may
        // retry on its own (a later ok
        // makes us live again and cancels nothing but the pending rebuild); if it does not, a fresh
        // subscription after a backoff does.
        slot.pgOk = false
        this.systemError = `Database changes are not delivered: ${text || 'postgres_changes error'}`
        this.deps.log.error('link: postgres_changes subscription failed', { topic: slot.topic, message: text })
        this.recompute()
        this.scheduleRebuild(this.systemError, { refresh: false, hard: false })
      }
      return
    }
    if (m.status === 'error') {
      // A shutdown notice; phx_close follows (supabase/realtime realtime_channel.ex).
      this.lastShutdown = text || 'shutdown'
      this.deps.log.warn('link: server shutting channel down', { topic: slot.topic, message: text })
    } else if (/server requested disconnect/i.test(text)) {
      this.deps.log.info('link: server requested disconnect', { topic: slot.topic })
    }
  }

  private armSystemOk(gen: number): void {
    this.cancelSystemOk?.()
    this.cancelSystemOk = this.timers.after(this.cfg.systemOkTimeoutMs, () => {
      this.cancelSystemOk = null
      if (gen !== this.gen) return
      const feed = this.slots.find((s) => s.pg)
      if (!feed || feed.pgOk || !feed.subscribed) return
      this.systemError = `The database subscription was not confirmed within ${Math.round(this.cfg.systemOkTimeoutMs / 1000)} s`
      this.deps.log.warn('link: no system ok after SUBSCRIBED', { timeoutMs: this.cfg.systemOkTimeoutMs })
      this.recompute()
      // Events may be missing: read the queue anyway, then try a fresh subscription.
      this.emit('confirmed', 'unconfirmed')
      this.scheduleRebuild(this.systemError, { refresh: false, hard: false })
    })
  }

  /** Socket open but not live for stuckTimeoutMs → rebuild (covers rejoin loops on a sick socket). */
  private armStuck(gen: number): void {
    if (this.cancelStuck) return
    this.cancelStuck = this.timers.after(this.cfg.stuckTimeoutMs, () => {
      this.cancelStuck = null
      if (gen !== this.gen || this.stopped || this.signedOut || this.isLive || this.running || this.cancelPending) return
      if (!this.socketOpen) {
        // phoenix is still trying; keep watching.
        this.armStuck(gen)
        return
      }
      this.scheduleRebuild(`Not live after ${Math.round(this.cfg.stuckTimeoutMs / 1000)} s (${this.current.reason})`, { refresh: false, hard: true })
    })
  }

  private clearLiveTimers(): void {
    this.cancelSystemOk?.()
    this.cancelSystemOk = null
    this.cancelStuck?.()
    this.cancelStuck = null
  }

  private onReconnectScheduled(tries: number): number {
    const delay = backoffDelay(tries, this.cfg.backoff, this.cfg.random)
    this.reconnectAt = this.deps.clock.now() + delay
    this.recompute()
    return delay
  }

  private onHeartbeat(status: string): void {
    if (status === 'timeout') {
      this.stats.heartbeatTimeouts++
      this.socketReason = `No reply from the server for ${Math.round(this.cfg.heartbeatIntervalMs / 1000)} s (dead or half-open link)`
      this.deps.log.warn('link: heartbeat timeout', { intervalMs: this.cfg.heartbeatIntervalMs })
      this.recompute()
    }
  }

  /** Socket open/close/error callbacks (phoenix stateChangeCallbacks, via the realtime adapter). */
  private hookSocket(): void {
    const adapter = (this.client.realtime as unknown as { socketAdapter?: SocketAdapterLike }).socketAdapter
    if (!adapter) return
    adapter.onOpen(() => {
      this.stats.socketOpens++
      this.socketOpen = true
      this.socketReason = null
      this.reconnectAt = null
      this.recompute()
    })
    adapter.onClose((ev: { code?: number; reason?: string } | undefined) => {
      this.socketOpen = false
      // A reason found earlier (heartbeat timeout, connect error) explains this close better than the close itself.
      this.socketReason ??= `Connection lost (socket closed${ev?.code ? `: ${ev.code}` : ''}${ev?.reason ? ` ${ev.reason}` : ''})`
      this.recompute()
      if (!this.stopped && !this.signedOut) this.armStuck(this.gen)
    })
    adapter.onError((e: unknown) => {
      const msg = (e as { message?: string } | undefined)?.message
      if (!this.socketOpen) this.socketReason = `Cannot connect to Realtime${msg ? ` (${redactText(msg)})` : ''}`
      this.recompute()
    })
  }

  // --- auth -----------------------------------------------------------------------------------------

  private onAuthEvent(event: string, session: Session | null): void {
    if (this.stopped) return
    switch (event) {
      case 'SIGNED_IN':
      case 'INITIAL_SESSION':
        if (session) this.setUser(session)
        break
      case 'TOKEN_REFRESHED':
        if (session) this.setUser(session)
        this.lastRefreshFailure = null
        // A new token is the likely cure for a link that is down for token reasons. When the link is
        // live, supabase-js has already pushed the token to the joined channels (realtime-js setAuth) and the
        // server re-confirms with a system ok — no need to churn hundreds of sockets every hour.
        // Only a link that is failing (a retry is scheduled, or a channel was refused/closed/errored) is
        // cured by it: a link that is still joining must be left alone. With tokens that live less than
        // auth-js's 90 s refresh margin every getSession() — including the one behind each join — refreshes,
        // and restarting the join on each refresh kept the link from ever going live.
        const failing = this.cancelPending !== null || this.slots.some((s) => s.error !== null)
        if (failing && !this.isLive && !this.running && !this.signedOut) this.recoverNow('Token refreshed', { refresh: false, hard: false })
        break
      case 'SIGNED_OUT':
        if (this.explicitSignOut) return
        void this.dropLink(this.revokedReason())
        break
    }
  }

  private revokedReason(): string {
    const f = this.lastRefreshFailure
    return f
      ? `Your session was revoked or expired (${f.message || f.code || `HTTP ${f.status}`}). Sign in again.`
      : 'Signed out by the server (session expired or revoked). Sign in again.'
  }

  /**
   * Watches refresh responses: a 4xx refresh means the session is dead even when auth-js keeps it
   * because the access token has not expired yet — we show signed-out instead of running
   * on until the token dies mid-shift.
   */
  private readonly observingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let res: Response
    try {
      res = await fetch(input, init)
    } catch (e) {
      // auth-js console.error()s every network failure with its full stack; hand it a one-line error
      // with the cause folded in. Aborts pass through untouched (postgrest-js detects them by name).
      const err = e as Error & { cause?: { message?: string; code?: string } }
      if (err?.name === 'AbortError') throw e
      const cause = err?.cause?.code ?? err?.cause?.message
      const clean = new TypeError(`${err?.message ?? 'fetch failed'}${cause ? ` (${cause})` : ''}`)
      clean.stack = `TypeError: ${clean.message}`
      throw clean
    }
    try {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      if (!res.ok && url.includes('/auth/v1/token') && url.includes('grant_type=refresh_token')) {
        let code = ''
        let message = ''
        try {
          const body = (await res.clone().json()) as Record<string, unknown>
          code = String(body.code ?? body.error_code ?? body.error ?? '')
          message = String(body.message ?? body.msg ?? body.error_description ?? '')
        } catch {
          /* not JSON */
        }
        this.lastRefreshFailure = { status: res.status, code: serverText(code, 40), message: serverText(message, 200) }
        this.deps.log.warn('link: token refresh refused', { status: res.status, code: this.lastRefreshFailure.code })
        if (res.status >= 400 && res.status < 500 && !this.signedOut && !this.stopped) {
          this.timers.after(0, () => void this.onRefreshRevoked())
        }
      }
    } catch (e) {
      this.deps.log.debug('link: refresh observer failed', { cause: String(e) })
    }
    return res
  }

  private async onRefreshRevoked(): Promise<void> {
    if (this.signedOut || this.stopped) return
    await this.dropLink(this.revokedReason())
    // Drop the dead session from storage so a restart does not replay it (emits SIGNED_OUT; we are
    // already signed-out, so the handler only repeats the same state).
    this.explicitSignOut = true
    const cause = await this.client.auth.signOut({ scope: 'local' }).then(
      ({ error }) => error?.message ?? null,
      (e: unknown) => (e as Error)?.message ?? String(e),
    )
    this.explicitSignOut = false
    // The state is signed-out either way; a session left in storage would be replayed (and refused) on restart.
    if (cause !== null) this.deps.log.warn('link: removing the revoked session from storage failed', { cause: serverText(cause) })
  }

  /** The session is gone (revoked, expired, signed out elsewhere): signed-out at once, then the channels go. */
  private async dropLink(reason: string): Promise<void> {
    this.gen++
    this.enterSignedOut(reason)
    await this.teardownChannels(false).catch((e: unknown) => {
      this.deps.log.warn('link: closing the channels after sign-out failed', { cause: serverText((e as Error)?.message ?? String(e)) })
    })
  }

  private setUser(session: Session): void {
    const u: LinkUser = { id: session.user.id, email: session.user.email ?? null }
    if (this.user?.id === u.id && this.user.email === u.email) return
    this.user = u
    this.emit('user', u)
  }

  private enterSignedOut(reason: string): void {
    this.signedOut = true
    this.clearLiveTimers()
    this.cancelScheduled()
    for (const s of this.slots) {
      s.subscribed = false
      s.pgOk = false
    }
    if (this.user) {
      this.user = null
      this.emit('user', null)
    }
    this.setState('signed-out', reason)
  }

  // --- teardown -----------------------------------------------------------------------------------

  /**
   * Closes the socket and removes every channel instance. The socket goes first so that each leave
   * is acknowledged locally instead of waiting 10 s for a reply on a dead link (realtime-js's push timeout).
   */
  private async teardownChannels(hard: boolean): Promise<void> {
    const rt = this.client.realtime
    const internals = rt as unknown as RealtimeInternals
    const sock = internals.socketAdapter?.getSocket?.()
    const conn = sock?.conn
    if (hard && conn && typeof conn.terminate === 'function') conn.terminate()
    if (sock && typeof sock.disconnect === 'function') {
      // Not rt.disconnect(): its adapter leaves a 10 s timer behind on every call.
      await new Promise<void>((resolve) => sock.disconnect!(() => resolve()))
      sock.clearHeartbeats?.()
      // A peer that never answers the close handshake keeps a `ws` in CLOSING for 30 s.
      if (conn && typeof conn.terminate === 'function' && conn.readyState !== 3) conn.terminate()
    } else {
      await rt.disconnect()
    }
    this.socketOpen = false
    const old = [...rt.channels]
    this.slots = []
    for (const ch of old) {
      try {
        const r = await rt.removeChannel(ch)
        if (r !== 'ok') ch.teardown()
      } catch (e) {
        this.deps.log.warn('link: removeChannel failed', { topic: ch.topic, cause: String(e) })
        ch.teardown()
      }
    }
    // removeChannel of the last channel schedules a deferred disconnect timer; cancel it.
    internals._cancelPendingDisconnect?.()
    rt.channels = rt.channels.filter((c) => !old.includes(c))
  }

  // --- state ------------------------------------------------------------------------------------------

  private recompute(): void {
    if (this.stopped || this.signedOut) return
    if (this.running && this.slots.length === 0) return // rebuild in progress: it set 'connecting'
    const pgSlot = this.slots.find((s) => s.pg)
    const allJoined = this.slots.length > 0 && this.slots.every((s) => s.subscribed)
    const now = this.deps.clock.now()
    if (!this.socketOpen) {
      if (this.socketReason || this.reconnectAt) {
        const inS = this.reconnectAt ? Math.max(0, Math.ceil((this.reconnectAt - now) / 1000)) : null
        const base = this.socketReason ?? 'Disconnected'
        this.setState('offline', inS !== null ? `${base}; reconnecting in ${inS} s` : `${base}; reconnecting`)
      } else {
        this.setState('connecting', 'Connecting to Realtime…')
      }
      return
    }
    if (allJoined && pgSlot?.pgOk) {
      this.attempt = 0
      this.cancelStuck?.()
      this.cancelStuck = null
      this.setState(
        'live',
        this.publicRefused
          ? `Connected; listening for requests on the private channel ${SHOP_TOPIC} (this project allows private channels only, so the shop backend's public ${FEED_TOPIC} hints are not heard)`
          : 'Connected; listening for requests',
      )
      return
    }
    if (this.systemError) return this.setState('degraded', this.systemError)
    const failing = this.slots.find((s) => s.error)
    if (failing && this.current.state === 'degraded') return // keep the scheduled-retry reason
    if (allJoined && pgSlot && !pgSlot.pgOk) return this.setState('connecting', 'Joined; waiting for the database to confirm the subscription')
    if (failing) return this.setState('connecting', `Rejoining (${failing.error})`)
    this.setState('connecting', 'Joining channels…')
  }

  private setState(state: LinkStateName, rawReason: string): void {
    if (this.stopped && state !== 'signed-out') return
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
        // A listener must never break the link (post-mortem, Issue 5).
        this.deps.log.error(`link: ${event} listener threw`, { cause: String((e as Error)?.stack ?? e) })
      }
    }
  }
}

interface SocketAdapterLike {
  onOpen(cb: () => void): void
  onClose(cb: (ev?: { code?: number; reason?: string }) => void): void
  onError(cb: (e: unknown) => void): void
  getSocket?(): PhoenixSocketLike
}

interface PhoenixSocketLike {
  conn?: { terminate?: () => void; readyState?: number } | null
  disconnect?(cb: () => void, code?: number, reason?: string): void
  clearHeartbeats?(): void
}

interface RealtimeInternals {
  socketAdapter?: SocketAdapterLike
  _cancelPendingDisconnect?(): void
}
