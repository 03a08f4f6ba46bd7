// What the link says in its log: every failure with its cause, every change of path with the reason for it, every
// rebuild with why and how (the transition table leaves log effects out). A support person reading a mechanic's
// log must find why the link did what it did without a debugger — so these lines are pinned as a contract.
import { describe, expect, it } from 'vitest'
import { transition, type LinkEvent, type LinkMachine } from '../../../src/core/link/machine.js'
import { CONFIG, STATES, eventsFor, run } from './machine-fixtures.js'

type Level = 'info' | 'warn' | 'error'
const logsOf = (m: LinkMachine, e: LinkEvent) =>
  transition(m, e, 0.5)
    .effects.filter((f) => f.type === 'log')
    .map((f) => (f.type === 'log' ? { level: f.level, msg: f.msg, data: f.data } : null))

const PERMISSION = 'Unauthorized: You do not have permissions to read from this Channel topic: shop:requests'
const REFUSED_WHY = `The server refused channel shop:requests (${PERMISSION})`

// prettier-ignore
const TABLE: [keyof typeof STATES, string, Level, string, Record<string, unknown>][] = [
  ['live', 'systemError', 'error', 'link: postgres_changes subscription failed', { topic: 'shop:requests', message: 'Unable to subscribe to changes' }],
  ['connecting', 'rebuilt failed', 'error', 'link: rebuild failed', { why: 'Signed in; connecting', cause: 'boom' }],
  ['live', 'serverClosed', 'warn', 'link: channel closed by server', { topic: 'shop:requests', reason: null }],
  ['live', 'joinRefused token', 'warn', 'link: channel join refused', { topic: 'shop:requests', cause: 'InvalidJWTToken: Token has expired' }],
  ['live', 'joinTimedOut', 'warn', 'link: channel join timed out', { topic: 'shop:requests' }],
  ['live', 'heartbeatTimeout', 'warn', 'link: heartbeat timeout', { intervalMs: CONFIG.heartbeatIntervalMs }],
  ['connecting', 'revoked', 'warn', 'link: the session was revoked; signing out', { reason: 'Your session was revoked or expired (Invalid Refresh Token). Sign in again.' }],
  ['connecting', 'refreshFailed permanent', 'warn', 'link: the session was revoked; signing out', { reason: 'Your session was revoked or expired (refresh_token_not_found). Sign in again.' }],
  ['live', 'privatePathBroken', 'warn', 'link: the private database broadcast is reported broken; joining the fallback', { reason: 'no broadcast for a queue change' }],
  ['live', 'privatePathBroken', 'info', 'link: joining a channel the plan now has', { topic: 'session_requests_feed', tables: ['session_assignments'] }],
  ['degraded (fallback)', 'privatePathHealthy', 'info', 'link: the private database broadcast is healthy again; leaving the fallback', { was: 'no broadcast for a queue change' }],
  ['degraded (fallback)', 'privatePathHealthy', 'info', 'link: leaving a channel the plan no longer has', { topic: 'session_requests_feed' }],
  ['degraded (fallback)', 'joinRefused PrivateOnly', 'info', 'link: this project refuses public channels; using the private channel alone', { topic: 'session_requests_feed', cause: 'PrivateOnly: This project only allows private channels' }],
  ['degraded (refused)', 'timer probe', 'info', 'link: trying the private channel again', { attempt: 1 }],
  ['degraded (refused)', 'privatePathHealthy', 'info', 'link: the private database broadcast is healthy again; leaving the fallback', { was: REFUSED_WHY }],
  ['live', 'joinRefused permission', 'warn', 'link: channel join refused', { topic: 'shop:requests', cause: PERMISSION }],
  ['live', 'joinRefused permission', 'info', 'link: joining a channel the plan now has', { topic: 'session_requests_feed', tables: ['session_assignments', 'feature_flags'] }],
  ['live', 'resume', 'info', 'link: rebuilding', { why: 'Woke from sleep', refresh: true, hard: true, attempt: 0 }],
  ['degraded', 'timer retry', 'info', 'link: rebuilding', { why: 'Joining shop:requests timed out', refresh: false, hard: true, attempt: 1 }],
]

describe('the link says why', () => {
  it.each(TABLE)('%s + %s: %s "%s"', (state, event, level, msg, data) => {
    const m = STATES[state]
    expect(logsOf(m, eventsFor(m)[event]!)).toContainEqual({ level, msg, data })
  })

  it('a refused probe says it stays on the fallback, with the refusal', () => {
    const probing = run([{ type: 'timerFired', timer: 'probe' }], STATES['degraded (refused)'])
    const logs = logsOf(probing, { type: 'joinRefused', gen: probing.gen, channel: 'shop', cause: PERMISSION })
    expect(logs).toContainEqual({ level: 'info', msg: 'link: the private channel is still refused; staying on the fallback', data: { cause: PERMISSION } })
  })

  it.each<[string, (gen: number) => LinkEvent, string, Record<string, unknown>]>([
    ['not answered', (gen) => ({ type: 'joinTimedOut', gen, channel: 'shop' }), 'link: the private channel did not answer; staying on the fallback', {}],
    ['closed by the server', (gen) => ({ type: 'serverClosed', gen, channel: 'shop' }), 'link: the server closed the private channel; staying on the fallback', {}],
    ['refused for a stale token', (gen) => ({ type: 'joinRefused', gen, channel: 'shop', cause: 'InvalidJWTToken: Token has expired' }), 'link: the private channel is still refused; staying on the fallback', { cause: 'InvalidJWTToken: Token has expired' }],
  ])('a probe %s says it stays on the fallback', (_what, failure, msg, data) => {
    const probing = run([{ type: 'timerFired', timer: 'probe' }], STATES['degraded (refused)'])
    expect(logsOf(probing, failure(probing.gen))).toContainEqual({ level: 'info', msg, data })
  })

  it('a probe that joins says the fallback is left, and what it was', () => {
    const probing = run([{ type: 'timerFired', timer: 'probe' }], STATES['degraded (refused)'])
    const logs = logsOf(probing, { type: 'joined', gen: probing.gen, channel: 'shop' })
    expect(logs).toContainEqual({ level: 'info', msg: 'link: the private channel was joined again; leaving the fallback', data: { was: REFUSED_WHY } })
  })

  it('no system ok in time: a warning with the timeout', () => {
    const m = STATES.live
    const joined = run([{ type: 'joined', gen: m.gen, channel: 'shop' }], m)
    expect(logsOf(joined, { type: 'timerFired', timer: 'systemOk' })).toContainEqual({
      level: 'warn',
      msg: 'link: no system ok after SUBSCRIBED',
      data: { timeoutMs: CONFIG.systemOkTimeoutMs },
    })
  })
})
