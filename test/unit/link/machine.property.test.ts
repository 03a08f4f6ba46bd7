// Property tests of the link state machine: random event sequences, including stale channel events,
// timers firing at any moment and stop anywhere. Whatever happens, the state is one of the five named
// ones with a readable reason, timers are never leaked, and a stopped link does nothing but cancel.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  initialMachine,
  isLive,
  TIMER_NAMES,
  transition,
  type ChannelName,
  type LinkEvent,
  type LinkMachine,
  type TimerName,
} from '../../../src/core/link/machine.js'
import { CONFIG } from './machine-fixtures.js'

const NAMES = ['signed-out', 'connecting', 'live', 'degraded', 'offline']

/** An event built against the machine it is sent to: channel events usually carry the current generation. */
type Maker = (m: LinkMachine, stale: boolean, ch: ChannelName, timer: TimerName) => LinkEvent
const gen = (m: LinkMachine, stale: boolean) => (stale ? m.gen - 1 : m.gen)
const MAKERS: Maker[] = [
  () => ({ type: 'start', session: true }),
  () => ({ type: 'start', session: false }),
  () => ({ type: 'signInStarted' }),
  (_m, stale) => ({ type: 'signInFailed', show: stale ? 'offline' : 'signed-out', reason: 'Sign-in failed: nope' }),
  () => ({ type: 'signedIn' }),
  () => ({ type: 'signOut' }),
  () => ({ type: 'revoked', reason: 'revoked' }),
  () => ({ type: 'reconnectNow' }),
  () => ({ type: 'resume' }),
  () => ({ type: 'networkDown' }),
  () => ({ type: 'networkBack' }),
  (m, stale) => ({ type: 'rebuilt', gen: gen(m, stale), outcome: 'joined' }),
  (m, stale) => ({ type: 'rebuilt', gen: gen(m, stale), outcome: 'failed', reason: 'boom' }),
  (m, stale) => ({ type: 'rebuilt', gen: gen(m, stale), outcome: 'refreshTemporary', reason: 'HTTP 429' }),
  (m, stale) => ({ type: 'rebuilt', gen: gen(m, stale), outcome: 'revoked', reason: 'gone' }),
  (m, stale) => ({ type: 'rebuilt', gen: gen(m, stale), outcome: 'signedOut', reason: 'Not signed in' }),
  () => ({ type: 'socketOpen' }),
  () => ({ type: 'socketClose', code: 1006 }),
  () => ({ type: 'socketError', message: 'ECONNREFUSED' }),
  () => ({ type: 'heartbeatTimeout' }),
  () => ({ type: 'reconnectScheduled', delayMs: 1500 }),
  (m, stale, channel) => ({ type: 'joined', gen: gen(m, stale), channel }),
  (m, stale, channel) => ({ type: 'joinRefused', gen: gen(m, stale), channel, cause: channel === 'feed' ? 'PrivateOnly: no' : 'Unauthorized: You do not have permissions' }),
  (m, stale, channel) => ({ type: 'joinRefused', gen: gen(m, stale), channel, cause: 'InvalidJWTToken: Token has expired' }),
  (_m, stale) => (stale ? { type: 'privatePathHealthy' } : { type: 'privatePathBroken', reason: 'no broadcast for a queue change' }),
  (m, stale, channel) => ({ type: 'channelError', gen: gen(m, stale), channel, cause: 'socket closed' }),
  (m, stale, channel) => ({ type: 'joinTimedOut', gen: gen(m, stale), channel }),
  (m, stale, channel) => ({ type: 'serverClosed', gen: gen(m, stale), channel }),
  (m, stale, channel) => ({ type: 'serverClosed', gen: gen(m, stale), channel, spreadMs: stale ? Number.NaN : 4000 }),
  (m, stale, channel) => ({ type: 'systemOk', gen: gen(m, stale), channel }),
  (m, stale, channel) => ({ type: 'systemError', gen: gen(m, stale), channel, text: 'Unable to subscribe' }),
  (m, stale, channel) => ({ type: 'shutdownNotice', gen: gen(m, stale), channel, text: 'bye' }),
  () => ({ type: 'tokenRefreshed' }),
  (_m, stale) => ({ type: 'refreshFailed', temporary: !stale, reason: 'HTTP 503' }),
  (_m, _s, _c, timer) => ({ type: 'timerFired', timer }),
  // Timers fire far more often than anything else in a running link: weight them up.
  (_m, _s, _c, timer) => ({ type: 'timerFired', timer }),
  (_m, _s, _c, timer) => ({ type: 'timerFired', timer }),
]

const step = fc.record({
  make: fc.integer({ min: 0, max: MAKERS.length - 1 }),
  stale: fc.boolean(),
  channel: fc.constantFrom<ChannelName>('feed', 'shop'),
  timer: fc.constantFrom<TimerName>(...TIMER_NAMES),
  rand: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  stopHere: fc.integer({ min: 0, max: 40 }),
})

interface Trace {
  m: LinkMachine
  /** Timers armed according to the effects seen so far (the interpreter's view). */
  armed: Set<TimerName>
  stopped: boolean
}

function feed(t: Trace, e: LinkEvent, rand: number): void {
  const before = t.m
  const { state, effects } = transition(before, e, rand)
  // A timer that fires is no longer armed; what it does may arm it again.
  if (e.type === 'timerFired') t.armed.delete(e.timer)
  for (const f of effects) {
    if (t.stopped) expect(f.type, `after stop, ${e.type} asked for ${f.type}`).toBe('cancel')
    switch (f.type) {
      case 'schedule':
        expect(t.armed.has(f.timer), `${f.timer} armed twice`).toBe(false)
        expect(f.ms).toBeGreaterThanOrEqual(0)
        t.armed.add(f.timer)
        break
      case 'cancel':
        expect(t.armed.has(f.timer), `${f.timer} cancelled but not armed`).toBe(true)
        t.armed.delete(f.timer)
        break
      case 'rebuild':
        // One rebuild at a time: a second request while one runs is queued and starts when the first ends.
        if (before.building) expect(e.type === 'rebuilt' && e.gen === before.gen, `${e.type} started a rebuild alongside a running one`).toBe(true)
        expect(f.gen).toBeGreaterThan(before.gen)
        break
    }
  }
  if (e.type === 'stop') {
    expect(effects.every((f) => f.type === 'cancel' || f.type === 'teardown'), 'stop only cancels and tears down').toBe(true)
    t.stopped = true
  }
  t.m = state
  // The state is always one of the named ones, with a reason a mechanic can read.
  expect(NAMES).toContain(state.name)
  expect(state.reason.trim().length).toBeGreaterThan(0)
  // The machine's own list of armed timers is the interpreter's.
  expect(new Set(state.timers)).toEqual(t.armed)
  // At most the two channels, each once; the requests' postgres_changes only on the fallback.
  expect(new Set(state.channels.map((c) => c.name)).size).toBe(state.channels.length)
  if (!state.fallback && !state.building) expect(state.channels.some((c) => c.tables.includes('session_assignments'))).toBe(false)
  if (!state.fallback) expect(state.channels.some((c) => c.name === 'feed')).toBe(false)
  // A signed-out link arms nothing; a live one has every channel joined on an open socket.
  if (!state.signedIn) expect(state.timers).toEqual([])
  if (state.name === 'live') expect(isLive(state)).toBe(true)
  if (isLive(state) && !state.override && !state.stopped) expect(['live', 'degraded']).toContain(state.name)
}

describe('link state machine properties', () => {
  it('random event sequences: named states, readable reasons, no leaked timers, nothing after stop but cancels', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), (steps) => {
        const t: Trace = { m: initialMachine(CONFIG), armed: new Set(), stopped: false }
        // Most runs sign in first, so that the interesting states are reached.
        feed(t, { type: 'signedIn' }, 0.5)
        for (const s of steps) {
          if (s.stopHere === 0 && !t.stopped) feed(t, { type: 'stop' }, s.rand)
          feed(t, MAKERS[s.make]!(t.m, s.stale, s.channel, s.timer), s.rand)
        }
        feed(t, { type: 'stop' }, 0.5)
        // Every timer ever scheduled was cancelled or fired.
        expect(t.armed.size).toBe(0)
        expect(t.m.timers).toEqual([])
        // …and a stopped link stays inert whatever arrives.
        for (const make of MAKERS) feed(t, make(t.m, false, 'shop', 'retry'), 0.5)
      }),
      { numRuns: 400 },
    )
  })

  it('a link that keeps failing backs off: the retry delays grow to the cap and stay jittered within it', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 8, maxLength: 20 }), (rands) => {
        let m = transition(initialMachine(CONFIG), { type: 'signedIn' }, 0.5).state
        const delays: number[] = []
        for (const r of rands) {
          const t = transition(m, { type: 'rebuilt', gen: m.gen, outcome: 'failed', reason: 'boom' }, r)
          const s = t.effects.find((f) => f.type === 'schedule' && f.timer === 'retry')
          expect(s).toBeDefined()
          delays.push((s as { ms: number }).ms)
          expect(t.state.name).toBe('degraded')
          m = transition(t.state, { type: 'timerFired', timer: 'retry' }, r).state
          expect(m.building).not.toBeNull()
        }
        const { baseMs, maxMs, jitter } = CONFIG.backoff
        delays.forEach((d, i) => {
          const raw = Math.min(maxMs, baseMs * 2 ** i)
          expect(d).toBeGreaterThanOrEqual(Math.floor(raw * (1 - jitter)))
          expect(d).toBeLessThanOrEqual(Math.ceil(raw * (1 + jitter)))
        })
      }),
      { numRuns: 100 },
    )
  })
})
