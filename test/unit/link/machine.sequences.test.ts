// The link machine over several events: what one event leaves behind for the next. The transition table shows one
// step from each named state; these are the rules that only show on the step after — what a sign-out forgets, what
// a queued rebuild keeps, which watchdog a repeated error may not postpone, when the retry counter starts over.
import { describe, expect, it } from 'vitest'
import { initialMachine, transition, type LinkEffect, type LinkEvent, type LinkMachine } from '../../../src/core/link/machine.js'
import { CONFIG, STATES, eventsFor, run } from './machine-fixtures.js'

const step = (m: LinkMachine, e: LinkEvent) => transition(m, e, 0.5)
const PERMISSION = 'Unauthorized: You do not have permissions to read from this Channel topic: shop:requests'
const scheduled = (fx: readonly LinkEffect[], timer: string) => fx.filter((f) => f.type === 'schedule' && f.timer === timer)
const rebuilds = (fx: readonly LinkEffect[]) => fx.filter((f) => f.type === 'rebuild')
/** From a running rebuild to live on the one private channel. */
const goLive = (m: LinkMachine): LinkMachine =>
  run(
    [
      { type: 'rebuilt', gen: m.gen, outcome: 'joined' },
      { type: 'socketOpen' },
      { type: 'joined', gen: m.gen, channel: 'shop' },
      { type: 'systemOk', gen: m.gen, channel: 'shop' },
    ],
    m,
  )
const twoRefreshFailures: LinkEvent[] = [
  { type: 'refreshFailed', temporary: true, reason: 'HTTP 429' },
  { type: 'refreshFailed', temporary: true, reason: 'HTTP 429' },
]

describe('signing in and out', () => {
  it('a start without a session shows the reason it was given, or "Not signed in"', () => {
    expect(run([{ type: 'start', session: false, signedOutReason: 'Your saved session could not be read' }])).toMatchObject({
      name: 'signed-out',
      reason: 'Your saved session could not be read',
    })
    expect(run([{ type: 'start', session: false }])).toMatchObject({ name: 'signed-out', reason: 'Not signed in' })
  })

  it('a sign-in that fails for lack of a server shows offline with its reason over the running link, until the link has news', () => {
    const live = STATES.live
    const failed = step(live, { type: 'signInFailed', show: 'offline', reason: 'Cannot reach the sign-in server' })
    expect(failed.state).toMatchObject({ name: 'offline', reason: 'Cannot reach the sign-in server', signedIn: true })
    expect(failed.effects.filter((f) => f.type !== 'emitState')).toEqual([])
    // Any news of the link's own ends the overlay: the link is still live.
    expect(step(failed.state, { type: 'socketOpen' }).state).toMatchObject({ name: 'live', reason: 'Connected; listening for requests' })
    // A second sign-in attempt keeps the overlay (it is the news).
    expect(step(failed.state, { type: 'signInStarted' }).state).toMatchObject({ name: 'connecting', reason: 'Signing in…' })
  })

  it('a failed sign-in that signs out drops the "Signing in…" overlay: the failure is what is shown', () => {
    const m = run([
      { type: 'start', session: false },
      { type: 'signInStarted' },
      { type: 'signInFailed', show: 'signed-out', reason: 'Invalid login credentials' },
    ])
    expect(m).toMatchObject({ name: 'signed-out', reason: 'Invalid login credentials', override: null })
  })

  it('signing out during a rebuild forgets it: the next sign-in rebuilds at once instead of queueing behind it', () => {
    const building = step(STATES.live, { type: 'reconnectNow' }).state
    const out = step(building, { type: 'signOut' }).state
    expect(out.building).toBeNull()
    const again = step(out, { type: 'signedIn' })
    expect(rebuilds(again.effects)).toHaveLength(1)
    expect(again.state.queued).toBeNull()
  })

  it('signing out forgets the auth trouble: the next session is not shown degraded for the old one', () => {
    const troubled = run(twoRefreshFailures, STATES.live)
    expect(troubled.name).toBe('degraded')
    const out = step(troubled, { type: 'signOut' }).state
    expect(out.authTrouble).toBeNull()
    const back = goLive(run([{ type: 'start', session: true }], out))
    expect(back).toMatchObject({ name: 'live', reason: 'Connected; listening for requests' })
  })

  it('signing in again clears the auth trouble of the session it replaces', () => {
    const troubled = run(twoRefreshFailures, STATES.live)
    const relogged = goLive(step(troubled, { type: 'signedIn' }).state)
    expect(relogged).toMatchObject({ name: 'live', authTrouble: null })
  })

  it('a network drop heard while signed out is not carried into the next session', () => {
    const m = run([{ type: 'start', session: false }, { type: 'networkDown' }, { type: 'signedIn' }])
    expect(m.networkDown).toBe(false)
    const joined = step(m, { type: 'rebuilt', gen: m.gen, outcome: 'joined' }).state
    expect(joined).toMatchObject({ name: 'connecting', reason: 'Connecting to Realtime…' })
  })
})

describe('rebuilds', () => {
  it('"reconnect now" with a reason shows that reason while it rebuilds', () => {
    expect(step(STATES.live, { type: 'reconnectNow', why: 'Settings changed' }).state).toMatchObject({ name: 'connecting', reason: 'Settings changed' })
  })

  it('queued rebuilds merge: a refresh or a hard close asked for by any of them is kept', () => {
    const building = step(STATES.live, { type: 'reconnectNow' }).state // hard, no refresh
    const a = step(building, { type: 'resume' }).state // refresh + hard
    const b = step(a, { type: 'tokenRefreshed' }).state
    expect(b.queued).toMatchObject({ refresh: true, hard: true })
    const c = step(a, { type: 'networkBack' }).state // hard, no refresh
    expect(c.queued).toMatchObject({ why: 'Network came back', refresh: true, hard: true })
    // The other way round: a refresh first, then a rebuild without one.
    const resumed = step(STATES.live, { type: 'resume' }).state
    const soft = step(resumed, { type: 'signedIn' }).state // neither refresh nor hard
    expect(soft.queued).toEqual({ why: 'Signed in; connecting', refresh: false, hard: false })
    const later = step(soft, { type: 'resume' }).state
    expect(later.queued).toEqual({ why: 'Woke from sleep', refresh: true, hard: true })
    const softAgain = step(later, { type: 'signedIn' }).state
    expect(softAgain.queued).toEqual({ why: 'Signed in; connecting', refresh: true, hard: true })
  })

  it('a retry asked for while a rebuild runs is queued with its flags and runs right after that rebuild fails', () => {
    const building = step(STATES.live, { type: 'reconnectNow' }).state
    const queued = step(building, { type: 'rebuilt', gen: building.gen - 1, outcome: 'failed', reason: 'old' }).state
    expect(queued).toEqual(building) // a rebuild of an older generation is no news
    // A failure while the rebuild runs (no retry: the queued one replaces it).
    const m = step(building, { type: 'resume' }).state
    const failed = step(m, { type: 'rebuilt', gen: m.gen, outcome: 'failed', reason: 'boom' })
    expect(rebuilds(failed.effects)).toEqual([expect.objectContaining({ why: 'Woke from sleep', refresh: true, hard: true })])
    expect(scheduled(failed.effects, 'retry')).toEqual([])
    expect(failed.state.retry).toBeNull()
  })

  it('a failed rebuild is retried as it was asked for: a refreshing, hard rebuild again refreshes and closes hard', () => {
    const resumed = step(STATES.live, { type: 'resume' }).state
    const failed = step(resumed, { type: 'rebuilt', gen: resumed.gen, outcome: 'failed', reason: 'fetch failed' }).state
    expect(failed.retry).toMatchObject({ refresh: true, hard: true, why: 'Reconnect failed (fetch failed)' })
    const temp = step(resumed, { type: 'rebuilt', gen: resumed.gen, outcome: 'refreshTemporary', reason: 'HTTP 503' }).state
    expect(temp.retry).toMatchObject({ refresh: true, hard: true })
    const fired = step(failed, { type: 'timerFired', timer: 'retry' })
    expect(rebuilds(fired.effects)).toEqual([expect.objectContaining({ refresh: true, hard: true, why: 'Reconnect failed (fetch failed)' })])
  })

  it('each temporary refresh failure of a rebuild counts toward showing auth trouble', () => {
    const resumed = step(STATES.live, { type: 'resume' }).state
    const once = step(resumed, { type: 'rebuilt', gen: resumed.gen, outcome: 'refreshTemporary', reason: 'HTTP 503' }).state
    expect(once.authTrouble).toEqual({ reason: 'HTTP 503', failures: 1 })
    const retried = step(once, { type: 'timerFired', timer: 'retry' }).state
    const twice = step(retried, { type: 'rebuilt', gen: retried.gen, outcome: 'refreshTemporary', reason: 'HTTP 503' }).state
    expect(twice.authTrouble).toEqual({ reason: 'HTTP 503', failures: 2 })
    // Shown once it repeats, while the next (refreshing) rebuild waits on it.
    const third = step(twice, { type: 'timerFired', timer: 'retry' }).state
    expect(third).toMatchObject({ name: 'degraded', reason: 'Cannot refresh the session (HTTP 503); retrying' })
  })

  it('auth trouble does not hide a rebuild that does not refresh: it shows what it is doing', () => {
    const troubled = run(twoRefreshFailures, STATES.live)
    expect(step(troubled, { type: 'reconnectNow' }).state).toMatchObject({ name: 'connecting', reason: 'Reconnect requested' })
  })

  it('a rebuild keeps an open socket open and forgets its old close reason', () => {
    const live = STATES.live
    const building = step(live, { type: 'reconnectNow' }).state
    expect(building.socket).toEqual({ open: true, reason: null, reconnectInS: null })
    // Channels joined and confirmed on that socket: live without a new open.
    const back = run(
      [
        { type: 'rebuilt', gen: building.gen, outcome: 'joined' },
        { type: 'joined', gen: building.gen, channel: 'shop' },
        { type: 'systemOk', gen: building.gen, channel: 'shop' },
      ],
      building,
    )
    expect(back.name).toBe('live')
    const closed = run([{ type: 'socketClose', code: 1006 }, { type: 'reconnectScheduled', delayMs: 4000 }], live)
    expect(step(closed, { type: 'reconnectNow' }).state.socket).toEqual({ open: false, reason: null, reconnectInS: null })
  })

  it('the rebuild log says which attempt it is', () => {
    const failed = run([{ type: 'reconnectNow' }], STATES.live)
    const retrying = run([{ type: 'rebuilt', gen: failed.gen, outcome: 'failed', reason: 'x' }], failed)
    const log = step(retrying, { type: 'timerFired', timer: 'retry' }).effects.find((f) => f.type === 'log' && f.msg === 'link: rebuilding')
    expect(log).toMatchObject({ data: { attempt: 1, why: 'Reconnect failed (x)' } })
  })
})

describe('retries and the counter behind them', () => {
  it('going live starts the backoff over: the next failure waits the first step again', () => {
    let m = STATES.live
    // Two failures in a row: the delay grows.
    m = step(m, { type: 'joinTimedOut', gen: m.gen, channel: 'shop' }).state
    expect(m.retry).toMatchObject({ inS: 1 })
    m = step(m, { type: 'timerFired', timer: 'retry' }).state
    const second = step(m, { type: 'rebuilt', gen: m.gen, outcome: 'failed', reason: 'x' })
    expect(scheduled(second.effects, 'retry')).toEqual([{ type: 'schedule', timer: 'retry', ms: 2000 }])
    m = step(second.state, { type: 'timerFired', timer: 'retry' }).state
    m = goLive(m)
    expect(m).toMatchObject({ name: 'live', attempt: 0, retry: null })
    const next = step(m, { type: 'joinTimedOut', gen: m.gen, channel: 'shop' })
    expect(scheduled(next.effects, 'retry')).toEqual([{ type: 'schedule', timer: 'retry', ms: 1000 }])
  })

  it('live again on its own while a retry waits (phoenix rejoined): the retry is cancelled and the counter reset', () => {
    const live = STATES.live
    const dropped = run([{ type: 'channelError', gen: live.gen, channel: 'shop', cause: 'x' }, { type: 'systemError', gen: live.gen, channel: 'shop', text: 'x' }], live)
    expect(dropped.timers).toContain('retry')
    expect(dropped.attempt).toBe(1)
    const rejoined = step(dropped, { type: 'joined', gen: live.gen, channel: 'shop' }).state
    const ok = step(rejoined, { type: 'systemOk', gen: live.gen, channel: 'shop' })
    expect(ok.state).toMatchObject({ name: 'live', attempt: 0, retry: null })
    expect(ok.effects).toContainEqual({ type: 'cancel', timer: 'retry' })
    expect(ok.state.timers).not.toContain('retry')
    expect(ok.state.timers).not.toContain('stuck')
  })

  it('a refreshed token rebuilds a link whose channel failed, with no retry pending yet', () => {
    const live = STATES.live
    const errored = step(live, { type: 'channelError', gen: live.gen, channel: 'shop', cause: 'socket closed' }).state
    expect(errored.retry).toBeNull()
    const t = step(errored, { type: 'tokenRefreshed' })
    expect(rebuilds(t.effects)).toEqual([expect.objectContaining({ why: 'Token refreshed', refresh: false, hard: false })])
  })
})

describe('watchdogs', () => {
  it('repeated channel errors do not postpone the stuck watchdog: it is armed once', () => {
    const live = STATES.live
    const first = step(live, { type: 'channelError', gen: live.gen, channel: 'shop', cause: 'socket closed' })
    expect(scheduled(first.effects, 'stuck')).toEqual([{ type: 'schedule', timer: 'stuck', ms: CONFIG.stuckTimeoutMs }])
    const second = step(first.state, { type: 'channelError', gen: live.gen, channel: 'shop', cause: 'socket closed' })
    expect(second.effects.filter((f) => f.type === 'schedule' || f.type === 'cancel')).toEqual([])
  })

  it('stuck on an open socket: a hard rebuild after a backoff, naming how long and what was shown', () => {
    const live = STATES.live
    const errored = step(live, { type: 'channelError', gen: live.gen, channel: 'shop', cause: 'socket closed' }).state
    const t = step(errored, { type: 'timerFired', timer: 'stuck' })
    expect(t.state.retry).toMatchObject({ why: 'Not live after 30 s (Rejoining (socket closed))', refresh: false, hard: true })
    expect(scheduled(t.effects, 'retry')).toEqual([{ type: 'schedule', timer: 'retry', ms: 1000 }])
    expect(t.state).toMatchObject({ name: 'degraded', reason: 'Not live after 30 s (Rejoining (socket closed)); retrying in 1 s' })
  })

  it('stuck with a retry already pending or a rebuild running: nothing more', () => {
    const live = STATES.live
    const errored = step(live, { type: 'channelError', gen: live.gen, channel: 'shop', cause: 'x' }).state
    const pending = step(errored, { type: 'joinTimedOut', gen: live.gen, channel: 'shop' }).state
    const t = step(pending, { type: 'timerFired', timer: 'stuck' })
    expect(t.effects.filter((f) => f.type !== 'log')).toEqual([])
    expect(t.state.retry).toEqual(pending.retry)
  })

  it('the system-ok timer does nothing when the channel is no longer joined (an error came first)', () => {
    const live = STATES.live
    const rejoined = step(live, { type: 'joined', gen: live.gen, channel: 'shop' }).state
    expect(rejoined.timers).toContain('systemOk')
    const errored = step(rejoined, { type: 'channelError', gen: live.gen, channel: 'shop', cause: 'x' }).state
    const t = step(errored, { type: 'timerFired', timer: 'systemOk' })
    expect(t.effects.filter((f) => f.type === 'reconcile' || f.type === 'schedule')).toEqual([])
    expect(t.state.systemError).toBeNull()
  })

  it('no system ok in time: the queue is read anyway, then a fresh subscription after the backoff, with the reason in whole seconds', () => {
    const live = STATES.live
    const rejoined = step(live, { type: 'joined', gen: live.gen, channel: 'shop' }).state
    const t = step(rejoined, { type: 'timerFired', timer: 'systemOk' })
    expect(t.effects).toContainEqual({ type: 'reconcile', why: 'unconfirmed' })
    expect(t.state.systemError).toBe('The database subscription was not confirmed within 15 s')
    expect(t.state).toMatchObject({ name: 'degraded', reason: 'The database subscription was not confirmed within 15 s; retrying in 1 s' })
    // A fresh subscription: no session refresh, no hard close of a socket that works.
    expect(t.state.retry).toMatchObject({ refresh: false, hard: false })
    // A late ok clears the error: live again.
    const ok = step(t.state, { type: 'systemOk', gen: live.gen, channel: 'shop' }).state
    expect(ok).toMatchObject({ name: 'live', systemError: null })
  })
})

describe('what the server says', () => {
  it('a postgres_changes error without text still says what is wrong', () => {
    const live = STATES.live
    const m = step(live, { type: 'systemError', gen: live.gen, channel: 'shop', text: '' }).state
    expect(m.systemError).toBe('Database changes are not delivered: postgres_changes error')
    expect(m.retry).toMatchObject({ why: 'Database changes are not delivered: postgres_changes error', refresh: false, hard: false })
  })

  it('a shutdown notice without text is remembered as "shutdown"; one from an older channel is not', () => {
    const live = STATES.live
    const bare = run([{ type: 'shutdownNotice', gen: live.gen, channel: 'shop', text: '' }, { type: 'serverClosed', gen: live.gen, channel: 'shop' }], live)
    expect(bare.retry).toMatchObject({ why: 'The server closed shop:requests: shutdown' })
    const stale = run([{ type: 'shutdownNotice', gen: live.gen - 1, channel: 'shop', text: 'old' }, { type: 'serverClosed', gen: live.gen, channel: 'shop' }], live)
    expect(stale.retry).toMatchObject({ why: 'The server closed shop:requests' })
  })

  it('a rebuild forgets the last shutdown notice: the next close is not blamed on it', () => {
    const live = STATES.live
    const noticed = step(live, { type: 'shutdownNotice', gen: live.gen, channel: 'shop', text: 'restart' }).state
    const rebuilt = goLive(step(noticed, { type: 'reconnectNow' }).state)
    expect(rebuilt.lastShutdown).toBeNull()
    expect(step(rebuilt, { type: 'serverClosed', gen: rebuilt.gen, channel: 'shop' }).state.retry).toMatchObject({ why: 'The server closed shop:requests' })
  })
})

describe('refusals on the fallback paths', () => {
  it('on a private-only project a permission refusal of the one private channel is retried (there is no other path)', () => {
    const live = STATES.live
    const privateOnly = run(
      [
        { type: 'privatePathBroken', reason: 'no broadcast' },
        { type: 'joinRefused', gen: live.gen, channel: 'feed', cause: 'PrivateOnly: This project only allows private channels' },
      ],
      live,
    )
    const on = goLive(privateOnly)
    expect(on.publicRefused).not.toBeNull()
    const t = step(on, { type: 'joinRefused', gen: on.gen, channel: 'shop', cause: PERMISSION })
    expect(t.state.fallback).toMatchObject({ reason: 'no broadcast', refused: false })
    expect(t.state.retry).toMatchObject({ why: `The server refused channel shop:requests (${PERMISSION})` })
    expect(t.state.timers).not.toContain('probe')
  })

  it('a reported-broken fallback whose private channel is then refused becomes the refused fallback: the private channel is left and probed', () => {
    const fallback = STATES['degraded (fallback)']
    const t = step(fallback, { type: 'joinRefused', gen: fallback.gen, channel: 'shop', cause: PERMISSION })
    expect(t.state.fallback).toEqual({ reason: `The server refused channel shop:requests (${PERMISSION})`, refused: true })
    expect(scheduled(t.effects, 'probe')).toEqual([{ type: 'schedule', timer: 'probe', ms: 30_000 }])
    expect(t.state.retry).toBeNull()
    // The feed channel now carries both tables: a rebind, so a rebuild.
    expect(rebuilds(t.effects)).toEqual([expect.objectContaining({ channels: [expect.objectContaining({ name: 'feed', tables: ['session_assignments', 'feature_flags'] })] })])
  })

  it.each<[string, (gen: number) => LinkEvent]>([
    ['refused for a stale token', (gen) => ({ type: 'joinRefused', gen, channel: 'shop', cause: 'InvalidJWTToken: Token has expired' })],
    ['refused for a rate limit', (gen) => ({ type: 'joinRefused', gen, channel: 'shop', cause: 'rate limited' })],
    ['not answered', (gen) => ({ type: 'joinTimedOut', gen, channel: 'shop' })],
    ['closed by the server', (gen) => ({ type: 'serverClosed', gen, channel: 'shop' })],
  ])('a probe %s ends like a refused one: the private channel is left, the fallback stays, the next probe comes later', (_what, failure) => {
    const refused = STATES['degraded (refused)']
    const probing = step(refused, { type: 'timerFired', timer: 'probe' }).state
    expect(probing.probe).toEqual({ attempt: 1, joining: true })
    const t = step(probing, failure(probing.gen))
    expect(t.state.probe).toEqual({ attempt: 2, joining: false })
    expect(t.effects).toContainEqual({ type: 'leave', channel: 'shop' })
    expect(scheduled(t.effects, 'probe')).toEqual([{ type: 'schedule', timer: 'probe', ms: 60_000 }])
    expect(t.state.timers).toContain('probe')
    expect(t.state).toMatchObject({ name: 'degraded', reason: refused.reason, retry: null, fallback: refused.fallback })
    expect(t.state.channels.map((c) => c.name)).toEqual(['feed'])
    // …and that next probe does try the private channel again.
    const next = step(t.state, { type: 'timerFired', timer: 'probe' })
    expect(next.effects).toContainEqual({ type: 'join', gen: probing.gen, channel: expect.objectContaining({ name: 'shop' }) })
  })
})

describe('the first session after start', () => {
  it('before any event the link is signed out, "Not started"; a start without a session only says so', () => {
    const m = initialMachine(CONFIG)
    expect(m).toMatchObject({ name: 'signed-out', reason: 'Not started', timers: [], channels: [] })
    const t = step(m, { type: 'start', session: false })
    expect(t.effects).toEqual([{ type: 'emitState', name: 'signed-out', reason: 'Not signed in' }])
    // An event that changes nothing announces nothing.
    expect(step(m, { type: 'socketError', message: 'x' }).effects).toEqual([])
  })

  it('a start with a saved session rebuilds once, with no probe or other timer armed', () => {
    const t = step(initialMachine(CONFIG), { type: 'start', session: true })
    expect(t.effects.filter((f) => f.type !== 'log' && f.type !== 'emitState')).toEqual([
      expect.objectContaining({ type: 'rebuild', refresh: false, hard: false }),
    ])
    expect(t.state.timers).toEqual([])
  })

  it('the first refusal of the private channel probes it after the first probe step', () => {
    const started = step(initialMachine(CONFIG), { type: 'start', session: true }).state
    const live = goLive(started)
    const t = step(live, { type: 'joinRefused', gen: live.gen, channel: 'shop', cause: PERMISSION })
    expect(scheduled(t.effects, 'probe')).toEqual([{ type: 'schedule', timer: 'probe', ms: 30_000 }])
    // …and the probes after it wait longer, counted from there.
    const probing = step(t.state, { type: 'timerFired', timer: 'probe' }).state
    const again = step(probing, { type: 'joinRefused', gen: probing.gen, channel: 'shop', cause: PERMISSION })
    expect(scheduled(again.effects, 'probe')).toEqual([{ type: 'schedule', timer: 'probe', ms: 60_000 }])
  })
})

describe('generations', () => {
  it('a rebuild is answered under the generation it was given: its rebuilt event joins the planned channels', () => {
    const t = step(STATES.live, { type: 'reconnectNow' })
    const rebuild = t.effects.find((f) => f.type === 'rebuild')
    expect(rebuild && rebuild.type === 'rebuild' ? rebuild.gen : -1).toBe(t.state.gen)
    expect(t.state.gen).toBeGreaterThan(STATES.live.gen)
    const done = step(t.state, { type: 'rebuilt', gen: t.state.gen, outcome: 'joined' }).state
    expect(done.channels.map((c) => c.name)).toEqual(['shop'])
  })

  it('late events of the channels from before a sign-out are ignored after signing in again', () => {
    const live = STATES.live
    const again = run([{ type: 'signOut' }, { type: 'signedIn' }], live)
    expect(again.gen).toBeGreaterThan(live.gen + 1)
    const on = goLive(again)
    for (const e of [
      { type: 'serverClosed', gen: live.gen, channel: 'shop' },
      { type: 'joinTimedOut', gen: live.gen, channel: 'shop' },
      { type: 'channelError', gen: live.gen, channel: 'shop', cause: 'x' },
    ] as LinkEvent[]) {
      expect(step(on, e)).toEqual({ state: on, effects: [] })
    }
  })

  it('a rebuild cancels the system-ok wait of the channels it replaces', () => {
    const live = STATES.live
    const rejoined = step(live, { type: 'joined', gen: live.gen, channel: 'shop' }).state
    const t = step(rejoined, { type: 'reconnectNow' })
    expect(t.effects).toContainEqual({ type: 'cancel', timer: 'systemOk' })
    expect(t.state.timers).not.toContain('systemOk')
  })

  it('a rebuild after a retry was pending starts the backoff over and shows no stale countdown', () => {
    const degraded = STATES.degraded
    expect(degraded.retry).not.toBeNull()
    const now = step(degraded, { type: 'reconnectNow' }).state
    expect(now).toMatchObject({ retry: null, attempt: 0 })
    const joined = step(now, { type: 'rebuilt', gen: now.gen, outcome: 'joined' }).state
    expect(joined.reason).not.toMatch(/retrying/)
    const failed = step(now, { type: 'rebuilt', gen: now.gen, outcome: 'failed', reason: 'x' })
    expect(scheduled(failed.effects, 'retry')).toEqual([{ type: 'schedule', timer: 'retry', ms: 1000 }])
  })

  it('a fired retry is no longer pending: the rebuild it started shows what it is doing', () => {
    const fired = step(STATES.degraded, { type: 'timerFired', timer: 'retry' }).state
    expect(fired.retry).toBeNull()
    expect(fired.timers).not.toContain('retry')
    const joined = step(fired, { type: 'rebuilt', gen: fired.gen, outcome: 'joined' }).state
    expect(joined.reason).toBe('Joining channels…')
  })

  it('a timer that fires leaves the other armed timers armed', () => {
    const live = STATES.live
    const both = run([{ type: 'refreshFailed', temporary: true, reason: 'HTTP 503' }, { type: 'channelError', gen: live.gen, channel: 'shop', cause: 'x' }], live)
    expect([...both.timers].sort()).toEqual(['refresh', 'stuck'])
    expect(step(both, { type: 'timerFired', timer: 'refresh' }).state.timers).toEqual(['stuck'])
  })

  it('a fired timer is disarmed: a token refreshed after the refresh timer fired cancels nothing', () => {
    const waiting = step(STATES.live, { type: 'refreshFailed', temporary: true, reason: 'HTTP 503' }).state
    const fired = step(waiting, { type: 'timerFired', timer: 'refresh' }).state
    expect(fired.timers).not.toContain('refresh')
    expect(step(fired, { type: 'tokenRefreshed' }).effects.filter((f) => f.type === 'cancel')).toEqual([])
  })
})

describe('after stop', () => {
  it('no event does anything: no effect, no change', () => {
    const stopped = step(STATES.live, { type: 'stop' }).state
    expect(stopped.timers).toEqual([])
    for (const [name, e] of Object.entries(eventsFor(stopped))) {
      expect({ name, ...step(stopped, e) }).toEqual({ name, state: stopped, effects: [] })
    }
  })
})

describe('what is shown on the way', () => {
  it('a live link on a private-only project says it hears requests on the private channel only', () => {
    const live = STATES.live
    const privateOnly = run(
      [
        { type: 'privatePathBroken', reason: 'no broadcast' },
        { type: 'joinRefused', gen: live.gen, channel: 'feed', cause: 'PrivateOnly: This project only allows private channels' },
      ],
      live,
    )
    const healthy = step(goLive(privateOnly), { type: 'privatePathHealthy' }).state
    expect(healthy).toMatchObject({ name: 'connecting', reason: 'The private channel works again; back to shop:requests alone' })
    expect(goLive(healthy)).toMatchObject({
      name: 'live',
      reason:
        "Connected; listening for requests on the private channel shop:requests (this project allows private channels only, so the shop backend's public session_requests_feed hints are not heard)",
    })
  })

  it('after a rebuild the channels count only once joined and confirmed: an open socket alone is "Joining channels…"', () => {
    const connecting = STATES.connecting
    const open = run([{ type: 'rebuilt', gen: connecting.gen, outcome: 'joined' }, { type: 'socketOpen' }], connecting)
    expect(open).toMatchObject({ name: 'connecting', reason: 'Joining channels…' })
    expect(open.channels.every((c) => !c.joined && !c.confirmed)).toBe(true)
  })

  it('the socket a hard rebuild closes, and its errors, are not news afterwards: the new socket is awaited', () => {
    const building = step(STATES.live, { type: 'reconnectNow' }).state
    const closed = run([{ type: 'socketClose', code: 1000 }, { type: 'socketError', message: 'ECONNRESET' }], building)
    expect(closed.socket).toEqual({ open: false, reason: null, reconnectInS: null })
    const joined = step(closed, { type: 'rebuilt', gen: building.gen, outcome: 'joined' }).state
    expect(joined).toMatchObject({ name: 'connecting', reason: 'Connecting to Realtime…' })
  })

  it('a socket that has not opened yet and is to be retried says when', () => {
    const connecting = STATES.connecting
    const m = run([{ type: 'rebuilt', gen: connecting.gen, outcome: 'joined' }, { type: 'reconnectScheduled', delayMs: 2000 }], connecting)
    expect(m).toMatchObject({ name: 'offline', reason: 'Disconnected; reconnecting in 2 s' })
  })

  it('the network back rebuilds without claiming the network is still down', () => {
    const down = step(STATES.live, { type: 'networkDown' }).state
    const back = step(down, { type: 'networkBack' }).state
    expect(back.networkDown).toBe(false)
    const joined = step(back, { type: 'rebuilt', gen: back.gen, outcome: 'joined' }).state
    expect(joined.reason).not.toMatch(/network is down/)
  })

  it('while signing in from signed-out, other news keeps "Signing in…" on screen', () => {
    const signingIn = run([{ type: 'start', session: false }, { type: 'signInStarted' }])
    for (const e of [{ type: 'networkDown' }, { type: 'socketError', message: 'x' }, { type: 'tokenRefreshed' }] as LinkEvent[]) {
      expect(step(signingIn, e).state).toMatchObject({ name: 'connecting', reason: 'Signing in…' })
    }
  })

  it('a channel error without a cause is shown as "channel error"', () => {
    const live = STATES.live
    expect(step(live, { type: 'channelError', gen: live.gen, channel: 'shop', cause: '' }).state.reason).toBe('Rejoining (channel error)')
  })

  it('a rebuild that ends signed out (no session to refresh) shows why, tears down, and keeps nothing stored to forget', () => {
    const resumed = step(STATES.live, { type: 'resume' }).state
    const t = step(resumed, { type: 'rebuilt', gen: resumed.gen, outcome: 'signedOut', reason: 'No saved session. Sign in again.' })
    expect(t.state).toMatchObject({ name: 'signed-out', reason: 'No saved session. Sign in again.', signedIn: false })
    expect(t.effects.filter((f) => f.type !== 'log' && f.type !== 'emitState')).toEqual([{ type: 'teardown', hard: false }])
  })
})

describe('the probe and the fallback, further', () => {
  it('while a probe is out, the fallback channel failing is not live: the probe does not stand in for it', () => {
    const probing = step(STATES['degraded (refused)'], { type: 'timerFired', timer: 'probe' }).state
    const t = step(probing, { type: 'channelError', gen: probing.gen, channel: 'feed', cause: 'socket closed' })
    expect(t.state.name).not.toBe('live')
    expect(t.state.reason).not.toMatch(/^Receiving requests/)
  })

  it('"reconnect now" and "healthy" start the probe count over: the next refusal probes after the first step again', () => {
    const refused = STATES['degraded (refused)']
    const probedTwice = run(
      [
        { type: 'timerFired', timer: 'probe' },
        { type: 'joinRefused', gen: refused.gen, channel: 'shop', cause: PERMISSION },
      ],
      refused,
    )
    expect(probedTwice.probe.attempt).toBe(2)
    const now = step(probedTwice, { type: 'reconnectNow' }).state
    expect(now.probe).toEqual({ attempt: 0, joining: false })
    const on = goLive(now)
    expect(scheduled(step(on, { type: 'joinRefused', gen: on.gen, channel: 'shop', cause: PERMISSION }).effects, 'probe')).toEqual([
      { type: 'schedule', timer: 'probe', ms: 30_000 },
    ])
    const healthy = step(probedTwice, { type: 'privatePathHealthy' }).state
    expect(healthy.probe).toEqual({ attempt: 0, joining: false })
    // A rebuild later re-arms no probe: there is nothing refused to probe.
    expect(step(healthy, { type: 'reconnectNow' }).state.timers).not.toContain('probe')
  })

  it('a probe out when a rebuild starts is tried again after the grown delay, not from the start', () => {
    const probing = step(STATES['degraded (refused)'], { type: 'timerFired', timer: 'probe' }).state
    const t = step(probing, { type: 'networkBack' })
    expect(scheduled(t.effects, 'probe')).toEqual([{ type: 'schedule', timer: 'probe', ms: 60_000 }])
  })

  it('a permission refusal of the public fallback channel is retried, not taken for a refused private channel', () => {
    const fallback = STATES['degraded (fallback)']
    const t = step(fallback, { type: 'joinRefused', gen: fallback.gen, channel: 'feed', cause: 'permission denied for table messages' })
    expect(t.state.fallback).toEqual(fallback.fallback)
    expect(t.state.retry).toMatchObject({ why: 'The server refused channel session_requests_feed (permission denied for table messages)' })
    expect(scheduled(t.effects, 'probe')).toEqual([])
  })

  it.each<[string, (gen: number) => LinkEvent]>([
    ['refused for a stale token', (gen) => ({ type: 'joinRefused', gen, channel: 'feed', cause: 'InvalidJWTToken: Token has expired' })],
    ['not answered', (gen) => ({ type: 'joinTimedOut', gen, channel: 'feed' })],
    ['closed by the server', (gen) => ({ type: 'serverClosed', gen, channel: 'feed' })],
  ])('while a probe is out, the fallback channel %s is retried like any channel: the probe does not end for it', (_what, failure) => {
    const probing = step(STATES['degraded (refused)'], { type: 'timerFired', timer: 'probe' }).state
    const t = step(probing, failure(probing.gen))
    expect(t.state.retry).not.toBeNull()
    expect(scheduled(t.effects, 'retry')).toHaveLength(1)
    expect(scheduled(t.effects, 'probe')).toEqual([])
    expect(t.state.probe).toEqual({ attempt: 1, joining: true })
  })

  it('offline with a retry pending, the stuck watchdog stands down (the retry rebuilds)', () => {
    const live = STATES.live
    const m = run([{ type: 'joinTimedOut', gen: live.gen, channel: 'shop' }, { type: 'socketClose', code: 1006 }], live)
    expect(m.timers).toEqual(expect.arrayContaining(['retry', 'stuck']))
    expect(step(m, { type: 'timerFired', timer: 'stuck' }).effects).toEqual([])
  })

  it('a refreshed token rebuilds at once a link waiting to retry a subscription that was never confirmed', () => {
    const live = STATES.live
    const unconfirmed = run([{ type: 'joined', gen: live.gen, channel: 'shop' }, { type: 'timerFired', timer: 'systemOk' }], live)
    expect(unconfirmed.channels.every((c) => c.error === null)).toBe(true)
    expect(unconfirmed.retry).not.toBeNull()
    expect(rebuilds(step(unconfirmed, { type: 'tokenRefreshed' }).effects)).toEqual([expect.objectContaining({ why: 'Token refreshed' })])
  })

  it('on the fallback, one failed channel is enough for a refreshed token to rebuild', () => {
    const fallback = STATES['degraded (fallback)']
    const errored = step(fallback, { type: 'channelError', gen: fallback.gen, channel: 'feed', cause: 'x' }).state
    expect(errored.retry).toBeNull()
    expect(rebuilds(step(errored, { type: 'tokenRefreshed' }).effects)).toHaveLength(1)
  })
})
