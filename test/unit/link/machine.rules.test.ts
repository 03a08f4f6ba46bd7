// The link machine's rules, one at a time, at their boundaries: when auth trouble is shown, which refusals
// start the fallback, how the fallback is joined and left on each kind of project, and what a stale event can do.
import { beforeEach, describe, expect, it } from 'vitest'
import { AUTH_TROUBLE_SHOWN_AFTER, initialMachine, transition, type LinkEvent, type LinkMachine } from '../../../src/core/link/machine.js'
import { CONFIG, run, STATES } from './machine-fixtures.js'

const step = (m: LinkMachine, e: LinkEvent) => transition(m, e, 0.5)
// Reached inside each test (see STATES): mutation testing credits the machine code it runs to that test.
let live: LinkMachine
beforeEach(() => {
  live = STATES.live
})

describe('auth trouble', () => {
  it(`a live link shows degraded from the ${AUTH_TROUBLE_SHOWN_AFTER}nd consecutive temporary refresh failure, live again on a refreshed token`, () => {
    const fail: LinkEvent = { type: 'refreshFailed', temporary: true, reason: 'HTTP 429' }
    let m = step(live, fail).state
    expect(m.name).toBe('live')
    m = step(m, fail).state
    expect(m).toMatchObject({ name: 'degraded', reason: 'Connected, but the session cannot be refreshed (HTTP 429); retrying' })
    const back = step(m, { type: 'tokenRefreshed' })
    expect(back.state).toMatchObject({ name: 'live', authTrouble: null, timers: [] })
    expect(back.effects).toContainEqual({ type: 'cancel', timer: 'refresh' })
  })

  it('each temporary failure re-arms the refresh timer with a longer delay; the timer asks for one refresh', () => {
    const fail: LinkEvent = { type: 'refreshFailed', temporary: true, reason: 'HTTP 503' }
    const a = step(live, fail)
    const b = step(a.state, fail)
    expect(a.effects).toContainEqual({ type: 'schedule', timer: 'refresh', ms: 1000 })
    expect(b.effects).toEqual(expect.arrayContaining([{ type: 'cancel', timer: 'refresh' }, { type: 'schedule', timer: 'refresh', ms: 2000 }]))
    expect(step(b.state, { type: 'timerFired', timer: 'refresh' }).effects).toContainEqual({ type: 'refreshSession' })
  })

  it('a rebuild that waits on a failing refresh shows degraded, not connecting, once the trouble is shown', () => {
    const resumed = step(live, { type: 'resume' }).state
    const fail: LinkEvent = { type: 'refreshFailed', temporary: true, reason: 'HTTP 429' }
    expect(step(resumed, fail).state.name).toBe('connecting')
    expect(step(step(resumed, fail).state, fail).state).toMatchObject({ name: 'degraded', reason: 'Cannot refresh the session (HTTP 429); retrying' })
  })

  it('a permanent failure signs out with the reason, drops the stored session and every timer', () => {
    const t = step(step(live, { type: 'refreshFailed', temporary: true, reason: 'x' }).state, { type: 'refreshFailed', temporary: false, reason: 'gone. Sign in again.' })
    expect(t.state).toMatchObject({ name: 'signed-out', reason: 'gone. Sign in again.', timers: [], channels: [] })
    expect(t.effects.map((f) => f.type)).toEqual(expect.arrayContaining(['cancel', 'teardown', 'forgetSession']))
  })
})

describe('the fallback', () => {
  const PERMISSION = 'Unauthorized: You do not have permissions to read from this Channel topic: shop:requests'
  let refusedState: LinkMachine
  beforeEach(() => {
    refusedState = STATES['degraded (refused)']
  })

  it('a permission refusal of the private channel starts it on the same socket (no rebuild, no retry); a stale-token refusal only retries with a refreshed session', () => {
    const gen = live.gen
    const perm = step(live, { type: 'joinRefused', gen, channel: 'shop', cause: PERMISSION })
    expect(perm.state.fallback).toMatchObject({ refused: true })
    expect(perm.state.retry).toBeNull()
    expect(perm.effects.some((f) => f.type === 'rebuild')).toBe(false)
    expect(perm.effects).toContainEqual({ type: 'leave', channel: 'shop' })
    expect(perm.effects).toContainEqual({ type: 'join', gen, channel: expect.objectContaining({ name: 'feed', private: false, tables: ['session_assignments', 'feature_flags'] }) })
    expect(perm.effects).toContainEqual({ type: 'schedule', timer: 'probe', ms: 30_000 })
    const token = step(live, { type: 'joinRefused', gen, channel: 'shop', cause: 'InvalidJWTToken: Token has expired 3 seconds ago' })
    expect(token.state.fallback).toBeNull()
    expect(token.effects.some((f) => f.type === 'join')).toBe(false)
    expect(token.state.retry).toMatchObject({ refresh: true })
  })

  it('refused: live on the public channel alone, and the state says through what and why', () => {
    expect(refusedState.channels.map((c) => c.name)).toEqual(['feed'])
    expect(refusedState).toMatchObject({ name: 'degraded', reason: `Receiving requests through postgres_changes and the public session_requests_feed hints: The server refused channel shop:requests (${PERMISSION})` })
    expect(refusedState.timers).toEqual(['probe'])
  })

  it('the probe joins the private channel beside the fallback without leaving "receiving"; a refusal leaves it and waits longer each time, up to the cap', () => {
    let m = refusedState
    const delays: number[] = []
    for (let i = 0; i < 8; i++) {
      const fired = step(m, { type: 'timerFired', timer: 'probe' })
      expect(fired.effects).toContainEqual({ type: 'join', gen: m.gen, channel: expect.objectContaining({ name: 'shop', tables: ['feature_flags'] }) })
      expect(fired.state).toMatchObject({ name: 'degraded', reason: refusedState.reason })
      const again = step(fired.state, { type: 'joinRefused', gen: m.gen, channel: 'shop', cause: PERMISSION })
      expect(again.effects).toContainEqual({ type: 'leave', channel: 'shop' })
      expect(again.effects.some((f) => f.type === 'rebuild' || (f.type === 'schedule' && f.timer === 'retry'))).toBe(false)
      const sched = again.effects.find((f) => f.type === 'schedule' && f.timer === 'probe')
      delays.push(sched && sched.type === 'schedule' ? sched.ms : -1)
      expect(again.state).toMatchObject({ name: 'degraded', reason: refusedState.reason })
      m = again.state
    }
    expect(delays).toEqual([60_000, 120_000, 240_000, 300_000, 300_000, 300_000, 300_000, 300_000])
  })

  it('a probe that joins leaves the fallback: the public channel is left and the private one is live once confirmed, with a reconcile', () => {
    const fired = step(refusedState, { type: 'timerFired', timer: 'probe' }).state
    const joined = step(fired, { type: 'joined', gen: fired.gen, channel: 'shop' })
    expect(joined.state.fallback).toBeNull()
    expect(joined.effects).toContainEqual({ type: 'leave', channel: 'feed' })
    expect(joined.state.channels.map((c) => c.name)).toEqual(['shop'])
    const ok = step(joined.state, { type: 'systemOk', gen: fired.gen, channel: 'shop' })
    expect(ok.state).toMatchObject({ name: 'live', probe: { attempt: 0, joining: false } })
    expect(ok.effects).toContainEqual({ type: 'reconcile', why: 'subscribed' })
    expect(ok.state.timers).not.toContain('probe')
  })

  it('"reconnect now" tries the private channel first (a person may just have fixed the project); other join refusals only retry', () => {
    const now = step(refusedState, { type: 'reconnectNow' })
    expect(now.state.fallback).toBeNull()
    expect(now.effects).toContainEqual({ type: 'cancel', timer: 'probe' })
    expect(now.effects).toContainEqual(expect.objectContaining({ type: 'rebuild', channels: [expect.objectContaining({ name: 'shop', tables: ['feature_flags'] })] }))
    const transport = step(live, { type: 'joinRefused', gen: live.gen, channel: 'shop', cause: 'channel error: transport failure' })
    expect(transport.state.fallback).toBeNull()
    expect(transport.state.retry).toMatchObject({ refresh: false })
  })

  it('a rebuild while a probe is out keeps the fallback and re-arms the probe; signing out forgets both', () => {
    const fired = step(refusedState, { type: 'timerFired', timer: 'probe' }).state
    const rebuilt = step(fired, { type: 'networkBack' })
    expect(rebuilt.effects).toContainEqual(expect.objectContaining({ type: 'rebuild', channels: [expect.objectContaining({ name: 'feed' })] }))
    expect(rebuilt.state.probe.joining).toBe(false)
    expect(rebuilt.state.timers).toContain('probe')
    const out = step(rebuilt.state, { type: 'signOut' }).state
    expect(out).toMatchObject({ fallback: null, probe: { attempt: 0, joining: false }, timers: [] })
  })

  it('reported broken while a rebuild runs: the fallback channel is joined right after the rebuild', () => {
    const building = step(live, { type: 'reconnectNow' }).state
    const reported = step(building, { type: 'privatePathBroken', reason: 'no broadcast' })
    expect(reported.effects.some((f) => f.type === 'join')).toBe(false)
    const rebuilt = step(reported.state, { type: 'rebuilt', gen: building.gen, outcome: 'joined' })
    expect(rebuilt.effects).toContainEqual(expect.objectContaining({ type: 'join', channel: expect.objectContaining({ name: 'feed', tables: ['session_assignments'] }) }))
  })

  it('on a private-only project the fallback rebinds the private channel (a rebuild), and healthy rebinds it back', () => {
    const feedRefused = run([
      { type: 'privatePathBroken', reason: 'no broadcast' },
      { type: 'joinRefused', gen: live.gen, channel: 'feed', cause: 'PrivateOnly: This project only allows private channels' },
    ], live)
    expect(feedRefused.building?.channels).toEqual([{ name: 'shop', topic: 'shop:requests', private: true, tables: ['session_assignments', 'feature_flags'], changes: true }])
    const onIt = run([
      { type: 'rebuilt', gen: feedRefused.gen, outcome: 'joined' },
      { type: 'joined', gen: feedRefused.gen, channel: 'shop' },
      { type: 'systemOk', gen: feedRefused.gen, channel: 'shop' },
    ], feedRefused)
    expect(onIt).toMatchObject({ name: 'degraded', reason: 'Receiving requests through postgres_changes on the private channel shop:requests: no broadcast' })
    const healthy = step(onIt, { type: 'privatePathHealthy' })
    expect(healthy.effects).toContainEqual(expect.objectContaining({ type: 'rebuild', channels: [expect.objectContaining({ name: 'shop', tables: ['feature_flags'] })] }))
  })

  it('signing out forgets the fallback; the next sign-in starts on the one path', () => {
    const out = run([{ type: 'privatePathBroken', reason: 'x' }, { type: 'signOut' }], live)
    expect(out.fallback).toBeNull()
    const again = step(out, { type: 'signedIn' })
    expect(again.effects).toContainEqual(expect.objectContaining({ type: 'rebuild', channels: [expect.objectContaining({ name: 'shop', tables: ['feature_flags'] })] }))
  })

  it('reports are ignored while signed out, a second broken report keeps the first reason, healthy without a fallback does nothing', () => {
    const signedOut = initialMachine(CONFIG)
    expect(step(signedOut, { type: 'privatePathBroken', reason: 'x' }).state.fallback).toBeNull()
    const broken = step(live, { type: 'privatePathBroken', reason: 'first' }).state
    expect(step(broken, { type: 'privatePathBroken', reason: 'second' }).state.fallback?.reason).toBe('first')
    expect(step(live, { type: 'privatePathHealthy' })).toEqual({ state: live, effects: [] })
  })
})

describe('rejoin spread after the server closes a channel', () => {
  const closed = (spreadMs?: number): LinkEvent => ({ type: 'serverClosed', gen: live.gen, channel: 'shop', spreadMs })
  const retryMs = (e: LinkEvent) => step(live, e).effects.find((f) => f.type === 'schedule' && f.timer === 'retry')

  it('the rebuild waits the backoff plus the join-window draw the host made (a fleet closed at once spreads its rejoins)', () => {
    expect(retryMs(closed(1500))).toEqual({ type: 'schedule', timer: 'retry', ms: 2500 })
    expect(step(live, closed(1500)).state).toMatchObject({ name: 'degraded', reason: 'The server closed shop:requests; retrying in 3 s' })
    expect(retryMs(closed(1500.9))).toEqual({ type: 'schedule', timer: 'retry', ms: 2500 })
  })

  it.each([
    ['no draw (a small shop)', undefined],
    ['zero', 0],
    ['negative', -3000],
    ['not a number', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('%s adds nothing: the backoff alone', (_what, spreadMs) => {
    expect(retryMs(closed(spreadMs))).toEqual({ type: 'schedule', timer: 'retry', ms: 1000 })
  })

  it('a second channel closed while the retry waits keeps the first delay (one draw, one rebuild)', () => {
    const first = step(live, closed(1500)).state
    const second = step(first, { type: 'serverClosed', gen: live.gen, channel: 'shop', spreadMs: 9000 })
    expect(second.effects.some((f) => f.type === 'schedule')).toBe(false)
    expect(second.state.retry).toMatchObject({ inS: 3 })
  })

  it('a refreshed token does not cut a spread retry short (a token-expiry wave refreshes every workstation at once)', () => {
    const waiting = step(live, closed(1500)).state
    const t = step(waiting, { type: 'tokenRefreshed' })
    expect(t.effects.some((f) => f.type === 'rebuild')).toBe(false)
    expect(t.state.retry).toMatchObject({ spread: true, refresh: true })
    // The retry timer then rebuilds (refreshing the session itself).
    expect(step(t.state, { type: 'timerFired', timer: 'retry' }).effects).toContainEqual(expect.objectContaining({ type: 'rebuild', refresh: true }))
  })

  it('…while a server close without a draw (a small shop) is rebuilt at once on the refreshed token', () => {
    const waiting = step(live, closed(0)).state
    expect(waiting.retry).toMatchObject({ spread: false })
    expect(step(waiting, { type: 'tokenRefreshed' }).effects).toContainEqual(expect.objectContaining({ type: 'rebuild' }))
  })

  it('the spread is only for a server close: a join time-out retries after the backoff alone', () => {
    expect(step(live, { type: 'joinTimedOut', gen: live.gen, channel: 'shop' }).effects).toContainEqual({ type: 'schedule', timer: 'retry', ms: 1000 })
  })
})

describe('stale and out-of-order events', () => {
  it('a channel event of an older generation changes nothing', () => {
    for (const e of [
      { type: 'serverClosed', gen: live.gen - 1, channel: 'shop' },
      { type: 'joinRefused', gen: live.gen - 1, channel: 'shop', cause: 'Unauthorized: permissions' },
      { type: 'systemError', gen: live.gen + 1, channel: 'shop', text: 'x' },
    ] as LinkEvent[]) {
      expect(step(live, e)).toEqual({ state: live, effects: [] })
    }
  })

  it('a timer that was cancelled and fires anyway does nothing', () => {
    expect(step(live, { type: 'timerFired', timer: 'retry' })).toEqual({ state: live, effects: [] })
  })

  it('a rebuild asked for while one runs is queued and runs right after, never alongside', () => {
    const building = step(live, { type: 'reconnectNow' }).state
    const queued = step(building, { type: 'resume' })
    expect(queued.effects.some((f) => f.type === 'rebuild')).toBe(false)
    expect(queued.state.queued).toMatchObject({ refresh: true, hard: true })
    const done = step(queued.state, { type: 'rebuilt', gen: building.gen, outcome: 'joined' })
    expect(done.effects).toContainEqual(expect.objectContaining({ type: 'rebuild', refresh: true, hard: true }))
  })
})
