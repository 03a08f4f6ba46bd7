// The link machine's rules, one at a time, at their boundaries: when auth trouble is shown, which refusals
// start the fallback, how the fallback is joined and left on each kind of project, and what a stale event can do.
import { describe, expect, it } from 'vitest'
import { AUTH_TROUBLE_SHOWN_AFTER, channelPlan, initialMachine, transition, type LinkEvent, type LinkMachine } from '../../../src/core/link/machine.js'
import { CONFIG, run, STATES } from './machine-fixtures.js'

const step = (m: LinkMachine, e: LinkEvent) => transition(m, e, 0.5)
const live = STATES.live

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
  it('a permission refusal of the private channel starts it; a stale-token refusal only retries with a refreshed session', () => {
    const gen = live.gen
    const perm = step(live, { type: 'joinRefused', gen, channel: 'shop', cause: 'Unauthorized: You do not have permissions to read from this Channel topic: shop:requests' })
    expect(perm.state.fallback).toMatchObject({ refused: true })
    expect(perm.effects).toContainEqual({ type: 'join', gen, channel: channelPlan(perm.state)[1] })
    const token = step(live, { type: 'joinRefused', gen, channel: 'shop', cause: 'InvalidJWTToken: Token has expired 3 seconds ago' })
    expect(token.state.fallback).toBeNull()
    expect(token.effects.some((f) => f.type === 'join')).toBe(false)
    expect(token.state.retry).toMatchObject({ refresh: true })
  })

  it('a refused fallback is left as soon as the private channel joins again', () => {
    const gen = live.gen
    const refused = step(live, { type: 'joinRefused', gen, channel: 'shop', cause: 'Unauthorized: permissions' }).state
    const joined = step(refused, { type: 'joined', gen, channel: 'shop' })
    expect(joined.state.fallback).toBeNull()
    expect(joined.effects).toContainEqual({ type: 'leave', channel: 'feed' })
    expect(joined.state.channels.map((c) => c.name)).toEqual(['shop'])
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
