// The link as an explicit state machine: ONE pure transition function `(state, event, rand) → { state,
// effects }`. Everything the link knows is in one immutable LinkMachine value; everything it does is an
// effect that the supervisor (the interpreter) executes, feeding what happens back in as events. No
// timers, sockets or promises here, so every rule can be tested as a table without a backend.
//
// The rules it encodes come from how supabase-js / phoenix.js behave on the wire:
// - SUBSCRIBED is premature for postgres_changes: only the `system` message with status ok says the
//   database subscription exists (supabase/realtime lib/realtime_web/channels/realtime_channel.ex sends
//   "Subscribed to PostgreSQL" after the replication subscription is set up). Live waits for it.
// - A channel the server closed (token expired, access revoked) is gone for good: it must be recreated
//   with a fresh token, not rejoined (https://github.com/supabase/realtime-js/issues/169).
// - A join that gets no answer on an "open" socket is the half-open signature: a fresh socket.
// - Retries are jittered and capped: hundreds of workstations lose the socket in the same instant after a
//   server restart, and Supabase counts joins per second per project
//   (https://supabase.com/docs/guides/realtime/quotas).
import type { LinkStateName } from '../../shared/types.js'
import { backoffDelay, type BackoffPolicy } from './backoff.js'

export const FEED_TOPIC = 'session_requests_feed'
export const SHOP_TOPIC = 'shop:requests'

export type ChannelName = 'feed' | 'shop'
export type TimerName = 'retry' | 'systemOk' | 'stuck' | 'refresh' | 'probe'
export const TIMER_NAMES: readonly TimerName[] = ['retry', 'systemOk', 'stuck', 'refresh', 'probe']

export type ChangeTable = 'session_assignments' | 'feature_flags'

/** What to join: a channel has one topic, one private flag and a fixed set of bindings. */
export interface ChannelPlan {
  readonly name: ChannelName
  readonly topic: string
  readonly private: boolean
  /** postgres_changes bindings on this channel (none: broadcast only). */
  readonly tables: readonly ChangeTable[]
  /** tables.length > 0: the channel waits for the `system` ok before it counts as live. */
  readonly changes: boolean
}

export interface ChannelView extends ChannelPlan {
  readonly joined: boolean
  /** changes channels only: the `system` ok arrived since the last join. */
  readonly confirmed: boolean
  readonly error: string | null
}

export interface Rebuild {
  readonly why: string
  /** Refresh the session before touching the socket (resume, server close). */
  readonly refresh: boolean
  /** Kill the old socket at once instead of a polite close (suspected half-open link). */
  readonly hard: boolean
}

export interface Retry extends Rebuild {
  /** The state shown while waiting. */
  readonly show: 'degraded' | 'offline'
  readonly inS: number
  /**
   * The delay includes a join-window draw (the server closed the channels, likely every workstation's at once):
   * nothing cuts it short, or the fleet would rejoin together after all.
   */
  readonly spread: boolean
}

export interface MachineConfig {
  readonly backoff: BackoffPolicy
  readonly systemOkTimeoutMs: number
  readonly stuckTimeoutMs: number
  readonly heartbeatIntervalMs: number
  /** How often a refused private channel is tried again while the fallback carries requests. */
  readonly privateProbe: BackoffPolicy
}

export interface LinkMachine {
  readonly config: MachineConfig
  /** What the mechanic sees; derived from the fields below after every event. */
  readonly name: LinkStateName
  readonly reason: string
  readonly stopped: boolean
  readonly signedIn: boolean
  /** Why signed-out (shown while !signedIn). */
  readonly signedOutReason: string
  /** A state forced by something outside the link while it lasts (signing in, sign-in server down). */
  readonly override: { readonly name: LinkStateName; readonly reason: string } | null
  /** Generation of the current channels: events from older channels are ignored. */
  readonly gen: number
  /** A rebuild effect is running (its channels, `building.channels`, do not exist yet). */
  readonly building: (Rebuild & { readonly channels?: readonly ChannelPlan[] }) | null
  /** Asked for while building: runs right after, instead of any retry. */
  readonly queued: Rebuild | null
  /** The rebuild the `retry` timer will run. */
  readonly retry: Retry | null
  readonly attempt: number
  readonly socket: { readonly open: boolean; readonly reason: string | null; readonly reconnectInS: number | null }
  readonly networkDown: boolean
  readonly channels: readonly ChannelView[]
  /** The project refused a public join with PrivateOnly: the fallback lives on the private channel. */
  readonly publicRefused: string | null
  /**
   * Why the private database broadcast is not trusted right now (its join was refused, or the feed reported
   * it broken); null while it is the one live path. While set, postgres_changes on requests (and the public
   * hint topic where the project allows it) are joined too.
   */
  readonly fallback: { readonly reason: string; readonly refused: boolean } | null
  /**
   * A refused private channel is tried again on a slow timer (`probe`), beside the live fallback: `attempt`
   * grows the delay; `joining` while that one join is out (it does not count against "live").
   */
  readonly probe: { readonly attempt: number; readonly joining: boolean }
  readonly systemError: string | null
  readonly lastShutdown: string | null
  /** Refreshing the session keeps failing for a temporary reason (rate limit, server error, network). */
  readonly authTrouble: { readonly reason: string; readonly failures: number } | null
  readonly timers: readonly TimerName[]
}

type Chan = { gen: number; channel: ChannelName }

export type LinkEvent =
  | { type: 'start'; session: boolean; signedOutReason?: string }
  | { type: 'signInStarted' }
  | { type: 'signInFailed'; show: 'offline' | 'signed-out'; reason: string }
  | { type: 'signedIn' }
  | { type: 'signOut' }
  | { type: 'revoked'; reason: string }
  | { type: 'stop' }
  | { type: 'reconnectNow'; why?: string }
  | { type: 'resume' }
  | { type: 'networkDown' }
  | { type: 'networkBack' }
  | { type: 'rebuilt'; gen: number; outcome: 'joined' }
  | { type: 'rebuilt'; gen: number; outcome: 'failed' | 'refreshTemporary' | 'signedOut' | 'revoked'; reason: string }
  | { type: 'socketOpen' }
  | { type: 'socketClose'; code?: number; reason?: string }
  | { type: 'socketError'; message?: string }
  | { type: 'heartbeatTimeout' }
  | { type: 'reconnectScheduled'; delayMs: number }
  | ({ type: 'joined' } & Chan)
  | ({ type: 'joinRefused'; cause: string } & Chan)
  | ({ type: 'channelError'; cause: string } & Chan)
  | ({ type: 'joinTimedOut' } & Chan)
  /**
   * The server closed a channel (token expired, permission revoked, realtime restarting). `spreadMs`: the extra delay
   * the host drew from its join window, added to the rebuild's backoff — when the server closes every workstation's
   * channels at once, a fleet must not rejoin within the same second (Supabase counts joins per second per project).
   */
  | ({ type: 'serverClosed'; spreadMs?: number } & Chan)
  | ({ type: 'systemOk' } & Chan)
  | ({ type: 'systemError'; text: string } & Chan)
  | ({ type: 'shutdownNotice'; text: string } & Chan)
  | { type: 'tokenRefreshed' }
  | { type: 'refreshFailed'; temporary: boolean; reason: string }
  | { type: 'timerFired'; timer: TimerName }
  | { type: 'privatePathBroken'; reason: string }
  | { type: 'privatePathHealthy' }

export type LinkEffect =
  | { type: 'rebuild'; gen: number; why: string; refresh: boolean; hard: boolean; channels: readonly ChannelPlan[] }
  | { type: 'teardown'; hard: boolean }
  | { type: 'join'; gen: number; channel: ChannelPlan }
  | { type: 'leave'; channel: ChannelName }
  | { type: 'forgetSession' }
  | { type: 'refreshSession' }
  | { type: 'schedule'; timer: TimerName; ms: number }
  | { type: 'cancel'; timer: TimerName }
  | { type: 'emitState'; name: LinkStateName; reason: string }
  | { type: 'reconcile'; why: 'subscribed' | 'unconfirmed' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string; data?: Record<string, unknown> }

export interface Transition {
  readonly state: LinkMachine
  readonly effects: readonly LinkEffect[]
}

export const PRIVATE_ONLY_LIVE_REASON = `Connected; listening for requests on the private channel ${SHOP_TOPIC} (this project allows private channels only, so the shop backend's public ${FEED_TOPIC} hints are not heard)`
export const LIVE_REASON = 'Connected; listening for requests'
/** Consecutive temporary refresh failures before a live link shows degraded (one blip is not news). */
export const AUTH_TROUBLE_SHOWN_AFTER = 2

export function initialMachine(config: MachineConfig): LinkMachine {
  return {
    config,
    name: 'signed-out',
    reason: 'Not started',
    stopped: false,
    signedIn: false,
    signedOutReason: 'Not started',
    override: null,
    gen: 0,
    building: null,
    queued: null,
    retry: null,
    attempt: 0,
    socket: { open: false, reason: null, reconnectInS: null },
    networkDown: false,
    channels: [],
    publicRefused: null,
    fallback: null,
    probe: { attempt: 0, joining: false },
    systemError: null,
    lastShutdown: null,
    authTrouble: null,
    timers: [],
  }
}

/** A duration in whole seconds where it is one, else to a tenth ("4", "2.5"): a reason must not round 2.5 s to 3 s. */
const seconds = (ms: number): string => String(Math.round(ms / 100) / 10)

const FLAGS: readonly ChangeTable[] = ['feature_flags']
const REQUESTS: readonly ChangeTable[] = ['session_assignments']
const BOTH: readonly ChangeTable[] = ['session_assignments', 'feature_flags']

/**
 * The channels to join. One trusted path: while the private database broadcast works, ONE private channel
 * `shop:requests` (its broadcast, plus postgres_changes on the small feature_flags table so a flag switched
 * off is heard at once). Supabase bills every message to every client and re-checks RLS per subscriber for
 * each postgres_changes event (https://supabase.com/docs/guides/realtime/quotas,
 * https://supabase.com/docs/guides/realtime/postgres-changes#database-instance-and-realtime-performance), so
 * requests arrive once, not three times. While the private path is reported broken, the fallback:
 * postgres_changes on session_assignments on the public `session_requests_feed` (which also carries the shop
 * backend's legacy hints), or — on a project that refuses public channels — on the private channel itself.
 * While the private channel's join is refused (no realtime.messages policy for this mechanic), the public
 * channel carries both tables alone, and the private one is joined again only by the slow probe: rejoining
 * it on every reconnect backoff step rebuilt the whole link and read the queue again each time — for every
 * workstation of a misconfigured shop, every 30 s, forever.
 */
export function channelPlan(m: Pick<LinkMachine, 'publicRefused' | 'fallback'> & { probe?: LinkMachine['probe'] }): ChannelPlan[] {
  const plan = (name: ChannelName, tables: readonly ChangeTable[]): ChannelPlan => ({
    name,
    topic: name === 'shop' ? SHOP_TOPIC : FEED_TOPIC,
    private: name === 'shop',
    tables,
    changes: tables.length > 0,
  })
  if (!m.fallback) return [plan('shop', FLAGS)]
  if (m.publicRefused) return [plan('shop', BOTH)]
  if (m.fallback.refused) return m.probe?.joining ? [plan('feed', BOTH), plan('shop', FLAGS)] : [plan('feed', BOTH)]
  return [plan('shop', FLAGS), plan('feed', REQUESTS)]
}

const sameTables = (a: readonly ChangeTable[], b: readonly ChangeTable[]) => a.length === b.length && a.every((t) => b.includes(t))

/** The token-ish join refusals that a refreshed session cures. */
const TOKEN_CAUSE = /jwt|token|expired|unauthori[sz]ed/i
/** A refusal that says the role may not read the topic (RLS on realtime.messages), not that the token is stale. */
const PERMISSION_CAUSE = /permission/i

class Step {
  m: LinkMachine
  readonly fx: LinkEffect[] = []
  constructor(
    m: LinkMachine,
    readonly rand: number,
  ) {
    this.m = m
  }
  set(patch: Partial<LinkMachine>): void {
    this.m = { ...this.m, ...patch }
  }
  log(level: 'info' | 'warn' | 'error', msg: string, data?: Record<string, unknown>): void {
    this.fx.push({ type: 'log', level, msg, ...(data ? { data } : {}) })
  }
  cancel(timer: TimerName): void {
    if (!this.m.timers.includes(timer)) return
    this.fx.push({ type: 'cancel', timer })
    this.set({ timers: this.m.timers.filter((t) => t !== timer) })
  }
  schedule(timer: TimerName, ms: number): void {
    this.cancel(timer)
    this.fx.push({ type: 'schedule', timer, ms })
    this.set({ timers: [...this.m.timers, timer] })
  }
  cancelAll(): void {
    for (const t of [...this.m.timers]) this.cancel(t)
  }
  chan(e: Chan): ChannelView | null {
    if (e.gen !== this.m.gen || this.m.stopped || !this.m.signedIn || this.m.building) return null
    return this.m.channels.find((c) => c.name === e.channel) ?? null
  }
  patchChan(name: ChannelName, patch: Partial<ChannelView>): void {
    this.set({ channels: this.m.channels.map((c) => (c.name === name ? { ...c, ...patch } : c)) })
  }
  get live(): boolean {
    return isLive(this.m)
  }

  /** A fresh socket and fresh channels now (or right after the running rebuild). */
  recoverNow(r: Rebuild): void {
    if (this.m.stopped || !this.m.signedIn) return
    this.cancel('retry')
    this.set({ retry: null, attempt: 0 })
    this.startRebuild(r)
  }

  startRebuild(r: Rebuild): void {
    if (this.m.building) {
      const q = this.m.queued
      this.set({ queued: { why: r.why, refresh: r.refresh || !!q?.refresh, hard: r.hard || !!q?.hard } })
      return
    }
    const gen = this.m.gen + 1
    this.cancel('systemOk')
    this.cancel('stuck')
    // A probe's join dies with the old channels; the probe timer (re-armed here, which ends the join) tries again later.
    if (this.m.probe.joining) this.scheduleProbe()
    this.set({
      gen,
      building: r,
      queued: null,
      channels: [],
      systemError: null,
      lastShutdown: null,
      override: null,
      socket: { open: this.m.socket.open, reason: null, reconnectInS: null },
    })
    this.log('info', 'link: rebuilding', { why: r.why, refresh: r.refresh, hard: r.hard, attempt: this.m.attempt })
    const channels = channelPlan(this.m)
    this.set({ building: { ...r, channels } })
    this.fx.push({ type: 'rebuild', gen, why: r.why, refresh: r.refresh, hard: r.hard, channels })
  }

  /**
   * A rebuild after a jittered, capped delay plus `spreadMs` (a join-window draw; 0, negative or not finite adds
   * nothing); an earlier pending one is kept.
   */
  scheduleRetry(why: string, opts: { refresh: boolean; hard: boolean }, show: 'degraded' | 'offline' = 'degraded', spreadMs = 0): void {
    if (this.m.stopped || !this.m.signedIn) return
    // Never asked for during a rebuild: channel events are ignored then (chan()), a failed rebuild has ended before
    // it asks, and the timers that ask find no channels (or check). A rebuild asked for meanwhile is queued by
    // startRebuild instead.
    if (this.m.retry) return // the earlier retry stands (its delay is no later than a grown one)
    const attempt = this.m.attempt + 1
    const spread = Number.isFinite(spreadMs) && spreadMs > 0 ? Math.floor(spreadMs) : 0
    const delay = backoffDelay(attempt, this.m.config.backoff, () => this.rand) + spread
    this.set({ attempt, retry: { why, ...opts, show, inS: Math.ceil(delay / 1000), spread: spread > 0 } })
    this.schedule('retry', delay)
  }

  /**
   * The next try of the refused private channel, on its own slow, jittered, growing timer; a probe join still out
   * ends here (the timer is never armed while one is: it fired to start it).
   */
  scheduleProbe(): void {
    if (this.m.stopped || !this.m.signedIn || this.m.timers.includes('probe')) return
    const attempt = this.m.probe.attempt + 1
    this.set({ probe: { attempt, joining: false } })
    this.schedule('probe', backoffDelay(attempt, this.m.config.privateProbe, () => this.rand))
  }

  armStuck(): void {
    if (this.m.timers.includes('stuck') || !this.m.signedIn || this.m.stopped) return
    this.schedule('stuck', this.m.config.stuckTimeoutMs)
  }

  /**
   * Brings the joined channels in line with the plan: joins what is missing and leaves what is no longer
   * wanted on the same socket; a channel whose bindings must change is rejoined by a rebuild (a topic's
   * bindings are fixed at join, and realtime-js hands back the existing instance for a topic still listed).
   */
  syncChannels(): void {
    const m = this.m
    if (m.stopped || !m.signedIn || m.building || m.channels.length === 0) return
    const want = channelPlan(m)
    if (want.some((p) => m.channels.some((c) => c.name === p.name && !sameTables(c.tables, p.tables)))) {
      const why = m.fallback
        ? `Switching to postgres_changes on ${m.publicRefused ? SHOP_TOPIC : FEED_TOPIC} (${m.fallback.reason})`
        : `The private channel works again; back to ${SHOP_TOPIC} alone`
      this.startRebuild({ why, refresh: false, hard: false })
      return
    }
    for (const c of m.channels) {
      if (want.some((p) => p.name === c.name)) continue
      this.log('info', 'link: leaving a channel the plan no longer has', { topic: c.topic })
      this.fx.push({ type: 'leave', channel: c.name })
      this.set({ channels: this.m.channels.filter((x) => x.name !== c.name) })
    }
    for (const p of want) {
      if (this.m.channels.some((c) => c.name === p.name)) continue
      this.log('info', 'link: joining a channel the plan now has', { topic: p.topic, tables: p.tables })
      this.fx.push({ type: 'join', gen: this.m.gen, channel: p })
      this.set({ channels: [...this.m.channels, { ...p, joined: false, confirmed: false, error: null }] })
    }
  }

  signedOut(reason: string, opts: { forget: boolean; teardown: boolean }): void {
    this.cancelAll()
    this.set({
      signedIn: false,
      signedOutReason: reason,
      override: null,
      building: null,
      queued: null,
      retry: null,
      attempt: 0,
      gen: this.m.gen + 1,
      channels: [],
      systemError: null,
      authTrouble: null,
      fallback: null,
      probe: { attempt: 0, joining: false },
    })
    if (opts.teardown) this.fx.push({ type: 'teardown', hard: false })
    if (opts.forget) this.fx.push({ type: 'forgetSession' })
  }
}

export function isLive(m: LinkMachine): boolean {
  if (!m.signedIn || m.stopped || m.building || !m.socket.open || m.networkDown || m.channels.length === 0) return false
  // A probe of the refused private channel is a try, not a part of the path that carries requests.
  return m.channels.every((c) => (c.joined && (!c.changes || c.confirmed)) || (m.probe.joining && m.fallback?.refused && c.name === 'shop'))
}

/** The state a mechanic sees, from the facts. */
export function derive(m: LinkMachine): { name: LinkStateName; reason: string } {
  // Signing in (or its failure for lack of a server) is shown over whatever the link was doing.
  if (m.override) return m.override
  if (!m.signedIn) return { name: 'signed-out', reason: m.signedOutReason }
  const authShown = m.authTrouble !== null && m.authTrouble.failures >= AUTH_TROUBLE_SHOWN_AFTER
  if (m.building) {
    // A rebuild waiting on a refresh that keeps failing (auth-js retries 5xx inside one refresh call).
    if (authShown && m.building.refresh) return { name: 'degraded', reason: `Cannot refresh the session (${m.authTrouble!.reason}); retrying` }
    return { name: 'connecting', reason: m.building.why }
  }
  if (m.networkDown) return { name: 'offline', reason: 'The network is down; waiting for it to come back' }
  if (!m.socket.open) {
    if (m.socket.reason || m.socket.reconnectInS !== null) {
      const base = m.socket.reason ?? 'Disconnected'
      return { name: 'offline', reason: m.socket.reconnectInS !== null ? `${base}; reconnecting in ${m.socket.reconnectInS} s` : `${base}; reconnecting` }
    }
    if (m.retry) return { name: m.retry.show, reason: `${m.retry.why}; retrying in ${m.retry.inS} s` }
    return { name: 'connecting', reason: 'Connecting to Realtime…' }
  }
  if (isLive(m)) {
    if (authShown) {
      return { name: 'degraded', reason: `Connected, but the session cannot be refreshed (${m.authTrouble!.reason}); retrying` }
    }
    if (m.fallback) {
      const where = m.publicRefused ? `postgres_changes on the private channel ${SHOP_TOPIC}` : `postgres_changes and the public ${FEED_TOPIC} hints`
      return { name: 'degraded', reason: `Receiving requests through ${where}: ${m.fallback.reason}` }
    }
    return { name: 'live', reason: m.publicRefused ? PRIVATE_ONLY_LIVE_REASON : LIVE_REASON }
  }
  if (m.retry) return { name: m.retry.show, reason: `${m.retry.why}; retrying in ${m.retry.inS} s` }
  if (m.systemError) return { name: 'degraded', reason: m.systemError }
  if (m.fallback) return { name: 'degraded', reason: `Joining the fallback (postgres_changes on requests): ${m.fallback.reason}` }
  const allJoined = m.channels.length > 0 && m.channels.every((c) => c.joined)
  if (allJoined) return { name: 'connecting', reason: 'Joined; waiting for the database to confirm the subscription' }
  const failing = m.channels.find((c) => c.error)
  if (failing) return { name: 'connecting', reason: `Rejoining (${failing.error})` }
  return { name: 'connecting', reason: 'Joining channels…' }
}

/**
 * The one transition function. `rand` is a uniform draw in [0, 1) supplied by the caller (jitter for any
 * retry this step schedules), so the function stays pure and a given input always gives the same output.
 */
export function transition(state: LinkMachine, event: LinkEvent, rand = 0.5): Transition {
  const s = new Step(state, rand)
  if (state.stopped) {
    // After stop nothing happens but cancelling whatever is still armed.
    s.cancelAll()
    return { state: s.m, effects: s.fx }
  }
  // A sign-in overlay on a signed-in link lasts until the link has news of its own.
  if (state.signedIn && state.override && event.type !== 'signInStarted' && event.type !== 'signInFailed') s.set({ override: null })
  apply(s, event)
  s.syncChannels()
  // Live again (phoenix's own rejoin fixed it): the retry counter starts over, and neither the pending
  // rebuild nor the stuck watchdog has anything left to do.
  if (s.live) {
    if (s.m.attempt !== 0 || s.m.retry) s.set({ attempt: 0, retry: null })
    s.cancel('retry')
    s.cancel('stuck')
  }
  const shown = s.m.stopped ? { name: s.m.name, reason: s.m.reason } : derive(s.m)
  if (shown.name !== s.m.name || shown.reason !== s.m.reason) {
    s.set({ name: shown.name, reason: shown.reason })
    s.fx.push({ type: 'emitState', name: shown.name, reason: shown.reason })
  }
  return { state: s.m, effects: s.fx }
}

function apply(s: Step, e: LinkEvent): void {
  const m = s.m
  switch (e.type) {
    case 'start':
      if (e.session) {
        s.set({ signedIn: true })
        s.recoverNow({ why: 'Restored the saved session; connecting', refresh: false, hard: false })
      } else s.signedOut(e.signedOutReason ?? 'Not signed in', { forget: false, teardown: false })
      return
    case 'signInStarted':
      s.set({ override: { name: 'connecting', reason: 'Signing in…' } })
      return
    case 'signInFailed':
      if (e.show === 'signed-out') s.signedOut(e.reason, { forget: false, teardown: false })
      else s.set({ override: { name: e.show, reason: e.reason } })
      return
    case 'signedIn':
      s.set({ signedIn: true, override: null, authTrouble: null })
      s.recoverNow({ why: 'Signed in; connecting', refresh: false, hard: false })
      return
    case 'signOut':
      s.signedOut('Signed out', { forget: false, teardown: true })
      return
    case 'revoked':
      if (!m.signedIn) return
      s.log('warn', 'link: the session was revoked; signing out', { reason: e.reason })
      s.signedOut(e.reason, { forget: true, teardown: true })
      return
    case 'stop':
      s.cancelAll()
      s.set({ stopped: true, gen: m.gen + 1, building: null, queued: null, retry: null, channels: [] })
      s.fx.push({ type: 'teardown', hard: true })
      return
    case 'reconnectNow':
      // Asked for by a person (often right after fixing the project): try the private channel again at once
      // instead of waiting for the probe; a refusal puts the fallback back within one round trip.
      if (m.fallback?.refused) {
        s.cancel('probe')
        s.set({ fallback: null, probe: { attempt: 0, joining: false } })
      }
      s.recoverNow({ why: e.why ?? 'Reconnect requested', refresh: false, hard: true })
      return
    case 'resume':
      // The cached token may have expired while asleep and every rejoin would carry it: refresh first.
      s.recoverNow({ why: 'Woke from sleep', refresh: true, hard: true })
      return
    case 'networkDown':
      if (m.signedIn) s.set({ networkDown: true })
      return
    case 'networkBack':
      s.set({ networkDown: false })
      s.recoverNow({ why: 'Network came back', refresh: false, hard: true })
      return
    case 'rebuilt': {
      if (e.gen !== m.gen || !m.building) return
      const queued = m.queued
      if (e.outcome === 'signedOut' || e.outcome === 'revoked') {
        s.signedOut(e.reason, { forget: e.outcome === 'revoked', teardown: true })
        return
      }
      if (e.outcome === 'joined') {
        s.set({
          building: null,
          channels: (m.building.channels ?? channelPlan(m)).map((p) => ({ ...p, joined: false, confirmed: false, error: null })),
        })
        if (queued) return s.startRebuild(queued)
        s.armStuck()
        return
      }
      s.set({ building: null })
      if (queued) return s.startRebuild(queued)
      if (e.outcome === 'refreshTemporary') {
        s.set({ authTrouble: { reason: e.reason, failures: (m.authTrouble?.failures ?? 0) + 1 } })
        s.scheduleRetry(`Cannot refresh the session (${e.reason})`, { refresh: m.building.refresh, hard: m.building.hard })
      } else {
        s.log('error', 'link: rebuild failed', { why: m.building.why, cause: e.reason })
        s.scheduleRetry(`Reconnect failed (${e.reason})`, { refresh: m.building.refresh, hard: m.building.hard })
      }
      return
    }
    case 'socketOpen':
      s.set({ socket: { open: true, reason: null, reconnectInS: null }, networkDown: false })
      return
    case 'socketClose': {
      // The close of the socket a rebuild tears down is not news.
      if (m.building) return s.set({ socket: { ...m.socket, open: false } })
      const why = m.socket.reason ?? `Connection lost (socket closed${e.code ? `: ${e.code}` : ''}${e.reason ? ` ${e.reason}` : ''})`
      s.set({ socket: { ...m.socket, open: false, reason: why } })
      if (m.signedIn) s.armStuck()
      return
    }
    case 'socketError':
      if (!m.socket.open && !m.building) s.set({ socket: { ...m.socket, reason: `Cannot connect to Realtime${e.message ? ` (${e.message})` : ''}` } })
      return
    case 'heartbeatTimeout':
      s.log('warn', 'link: heartbeat timeout', { intervalMs: m.config.heartbeatIntervalMs })
      s.set({
        socket: { ...m.socket, reason: `No reply from the server for ${seconds(m.config.heartbeatIntervalMs)} s (dead or half-open link)` },
      })
      return
    case 'reconnectScheduled':
      s.set({ socket: { ...m.socket, reconnectInS: Math.max(0, Math.ceil(e.delayMs / 1000)) } })
      return
    case 'joined': {
      const c = s.chan(e)
      if (!c) return
      s.patchChan(c.name, { joined: true, confirmed: false, error: null })
      if (c.name === 'shop' && m.fallback?.refused) {
        s.log('info', 'link: the private channel was joined again; leaving the fallback', { was: m.fallback.reason })
        s.cancel('probe')
        s.set({ fallback: null, probe: { attempt: 0, joining: false } })
      }
      // SUBSCRIBED is premature for postgres_changes: wait for the system ok, but not forever.
      if (c.changes) s.schedule('systemOk', m.config.systemOkTimeoutMs)
      return
    }
    case 'joinRefused': {
      const c = s.chan(e)
      if (!c) return
      s.patchChan(c.name, { joined: false, confirmed: false, error: e.cause || 'channel error' })
      if (c.name === 'feed' && /^PrivateOnly\b/i.test(e.cause)) {
        // Not a failure: the project allows private channels only. Rebuild at once with the one private
        // channel carrying postgres_changes (no backoff: nothing is wrong with the server).
        s.set({ publicRefused: e.cause })
        s.log('info', 'link: this project refuses public channels; using the private channel alone', { topic: c.topic, cause: e.cause })
        s.recoverNow({ why: 'This project allows private channels only; joining the private channel alone', refresh: false, hard: false })
        return
      }
      s.log('warn', 'link: channel join refused', { topic: c.topic, cause: e.cause })
      // Only a refusal that names permissions is a configuration fact; anything else (a transport failure, a
      // rate limit, an unknown server error) is retried like any failed join.
      const permission = PERMISSION_CAUSE.test(e.cause)
      if (c.name === 'shop' && m.fallback?.refused && m.probe.joining) {
        // The probe was refused again, for whatever cause: leave it, keep the fallback, try again later (the delay
        // grows). A retry would do nothing here: the fallback is live, and a live link drops any pending retry, so
        // the probe would stay "joining" with no timer left to try the private channel again.
        endProbe(s, 'link: the private channel is still refused; staying on the fallback', { cause: e.cause })
        return
      }
      if (c.name === 'shop' && !m.publicRefused && (!m.fallback || !m.fallback.refused) && permission) {
        // The private path is refused (e.g. no realtime.messages policy): postgres_changes on the public
        // channel carry requests meanwhile, on this socket (syncChannels leaves shop and joins feed), and
        // the private channel is tried again by the probe, not by rebuilding the link.
        s.set({ fallback: { reason: `The server refused channel ${c.topic} (${e.cause})`, refused: true } })
        s.scheduleProbe()
        return
      }
      // Most join refusals are token problems (expired, not yet refreshed): refresh first.
      s.scheduleRetry(`The server refused channel ${c.topic} (${e.cause})`, { refresh: TOKEN_CAUSE.test(e.cause), hard: false })
      return
    }
    case 'channelError': {
      const c = s.chan(e)
      if (!c) return
      // Socket closed / heartbeat timeout / transport failure: phoenix reconnects and rejoins on its own
      // (with our jittered reconnectAfterMs); the stuck watchdog covers it if it does not.
      s.patchChan(c.name, { joined: false, confirmed: false, error: e.cause || 'channel error' })
      s.armStuck()
      return
    }
    case 'joinTimedOut': {
      const c = s.chan(e)
      if (!c) return
      s.patchChan(c.name, { joined: false, confirmed: false, error: 'join timed out' })
      s.log('warn', 'link: channel join timed out', { topic: c.topic })
      // The probe's join got no answer: the fallback still carries requests, so the probe simply tries later.
      if (c.name === 'shop' && m.fallback?.refused && m.probe.joining) return endProbe(s, 'link: the private channel did not answer; staying on the fallback', {})
      s.scheduleRetry(`Joining ${c.topic} timed out`, { refresh: false, hard: true })
      return
    }
    case 'serverClosed': {
      const c = s.chan(e)
      if (!c) return
      const why = m.lastShutdown ? `The server closed ${c.topic}: ${m.lastShutdown}` : `The server closed ${c.topic}`
      s.patchChan(c.name, { joined: false, confirmed: false, error: why })
      s.log('warn', 'link: channel closed by server', { topic: c.topic, reason: m.lastShutdown })
      // The probe's channel is gone for good; the next probe recreates it.
      if (c.name === 'shop' && m.fallback?.refused && m.probe.joining) return endProbe(s, 'link: the server closed the private channel; staying on the fallback', {})
      s.scheduleRetry(why, { refresh: true, hard: false }, 'degraded', e.spreadMs)
      return
    }
    case 'systemOk': {
      const c = s.chan(e)
      if (!c || !c.changes) return
      s.patchChan(c.name, { confirmed: true })
      s.set({ systemError: null })
      s.cancel('systemOk')
      // Every confirmation — first join, rejoin after a drop, re-subscribe after a token refresh — may
      // have a gap behind it (postgres_changes has no replay): read the queue.
      s.fx.push({ type: 'reconcile', why: 'subscribed' })
      return
    }
    case 'systemError': {
      const c = s.chan(e)
      if (!c || !c.changes) return
      // The channel stays SUBSCRIBED and no events arrive. The server may retry on its own (a later ok
      // makes it live again); if it does not, a fresh subscription after a backoff does.
      s.patchChan(c.name, { confirmed: false })
      s.set({ systemError: `Database changes are not delivered: ${e.text || 'postgres_changes error'}` })
      s.log('error', 'link: postgres_changes subscription failed', { topic: c.topic, message: e.text })
      s.scheduleRetry(`Database changes are not delivered: ${e.text || 'postgres_changes error'}`, { refresh: false, hard: false })
      return
    }
    case 'shutdownNotice':
      if (s.chan(e)) s.set({ lastShutdown: e.text || 'shutdown' })
      return
    case 'tokenRefreshed': {
      s.cancel('refresh')
      s.set({ authTrouble: null })
      // A new token is the likely cure for a link that is down for token reasons. A live link already
      // has it (supabase-js pushes it to joined channels); a link that is still joining is left alone, and so is a
      // retry spread over the join window: after a wave of expired tokens every workstation refreshes within the
      // same second, and rebuilding on the refresh would bring the whole fleet back at once (its rebuild refreshes).
      const failing = m.retry !== null || m.channels.some((c) => c.error !== null)
      if (failing && !m.retry?.spread && !isLive(m) && !m.building && m.signedIn) s.recoverNow({ why: 'Token refreshed', refresh: false, hard: false })
      return
    }
    case 'refreshFailed': {
      if (!m.signedIn) return
      if (!e.temporary) {
        s.log('warn', 'link: the session was revoked; signing out', { reason: e.reason })
        s.signedOut(e.reason, { forget: true, teardown: true })
        return
      }
      // Rate limited, server error, no network: the session is still good. Keep the link, try again later.
      const failures = (m.authTrouble?.failures ?? 0) + 1
      s.set({ authTrouble: { reason: e.reason, failures } })
      s.schedule('refresh', backoffDelay(failures, m.config.backoff, () => s.rand))
      return
    }
    case 'privatePathBroken':
      if (!m.signedIn || m.fallback) return
      s.log('warn', 'link: the private database broadcast is reported broken; joining the fallback', { reason: e.reason })
      s.set({ fallback: { reason: e.reason, refused: false } })
      return
    case 'privatePathHealthy':
      if (!m.fallback) return
      s.log('info', 'link: the private database broadcast is healthy again; leaving the fallback', { was: m.fallback.reason })
      s.cancel('probe')
      s.set({ fallback: null, probe: { attempt: 0, joining: false } })
      return
    case 'timerFired': {
      if (!m.timers.includes(e.timer)) return // cancelled meanwhile
      s.set({ timers: m.timers.filter((t) => t !== e.timer) })
      onTimer(s, e.timer)
      return
    }
  }
}

/** A probe's join failed: the probe ends (syncChannels leaves the private channel) and its timer is armed again. */
function endProbe(s: Step, msg: string, data: Record<string, unknown>): void {
  s.log('info', msg, data)
  s.scheduleProbe()
}

function onTimer(s: Step, timer: TimerName): void {
  const m = s.m
  switch (timer) {
    case 'retry': {
      const r = m.retry
      s.set({ retry: null })
      if (!r || !m.signedIn) return
      // Never live here: a link that goes live (phoenix's own rejoin fixed it) cancels the retry in that same step.
      s.startRebuild({ why: r.why, refresh: r.refresh, hard: r.hard })
      return
    }
    case 'systemOk': {
      const c = m.channels.find((x) => x.changes && x.joined && !x.confirmed)
      if (!c) return
      const why = `The database subscription was not confirmed within ${Math.round(m.config.systemOkTimeoutMs / 1000)} s`
      s.set({ systemError: why })
      s.log('warn', 'link: no system ok after SUBSCRIBED', { timeoutMs: m.config.systemOkTimeoutMs })
      // Events may be missing: read the queue anyway, then try a fresh subscription.
      s.fx.push({ type: 'reconcile', why: 'unconfirmed' })
      s.scheduleRetry(why, { refresh: false, hard: false })
      return
    }
    case 'stuck': {
      if (!m.signedIn || isLive(m) || m.building || m.retry) return
      // phoenix is still trying to open a socket: keep watching.
      if (!m.socket.open) return s.armStuck()
      s.scheduleRetry(`Not live after ${Math.round(m.config.stuckTimeoutMs / 1000)} s (${m.reason})`, { refresh: false, hard: true })
      return
    }
    case 'refresh':
      if (m.signedIn) s.fx.push({ type: 'refreshSession' })
      return
    case 'probe':
      if (!m.signedIn || !m.fallback?.refused) return
      // syncChannels joins shop beside the fallback; its answer decides (joined: back on the one path).
      s.log('info', 'link: trying the private channel again', { attempt: m.probe.attempt })
      s.set({ probe: { ...m.probe, joining: true } })
      return
  }
}
