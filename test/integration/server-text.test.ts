// Hostile server text against the real engine, real supabase-js and the local backend's fault knobs: a
// GoTrue error body, a PostgREST error on the reconcile read and on accept_request, and a refused token
// refresh, each carrying a screen-clearing escape, a bidi override and 100 kB. What reaches the state
// reason, the health alert and the accept result is one short plain line that still says what happened.
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { SignInError } from '../../src/core/link/supervisor.js'
import { createRequest, engineSuite, setStatus, startEngine, until, waitForState } from './helpers.js'

let b: Backend
const { live, running } = engineSuite({ started: (x) => (b = x) })

const HOSTILE = '\u001b[2J\u001b[31mPWNED\u202Eexe.txt\u202C ' + 'A'.repeat(100 * 1024)
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/

function expectClean(s: string | undefined, max = 1000): void {
  expect(s).toEqual(expect.any(String))
  expect(s).not.toMatch(UNSAFE)
  expect(s!.length).toBeLessThanOrEqual(max)
  expect(s).toContain('PWNED')
}

describe('hostile server text', () => {
  it('a GoTrue error body on sign-in: the error and the signed-out reason are cleaned', async () => {
    const t = await startEngine(b, { signIn: false })
    running.push(t)
    b.faults.authErrors({ status: 400, grant: 'password', code: 'invalid_credentials', message: HOSTILE })
    const user = b.demoUsers[0]!
    const err = await t.engine.signIn(user.email, user.password).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(SignInError)
    expectClean((err as Error).message)
    const s = t.engine.snapshot().link
    expect(s.state).toBe('signed-out')
    expectClean(s.reason)
  })

  it('a PostgREST error on the reconcile read: the degraded reason and the health alert are cleaned', async () => {
    const t = await live({ tuning: { stateCore: { health: { minSamples: 1, threshold: 0.1 } } } }) // the first failed read breaches
    b.faults.restErrors({ status: 500, path: '/rpc/queued_requests', message: HOSTILE, durationMs: 20_000 })
    t.engine.feed!.reconcile('manual')
    await waitForState(t.engine, 'degraded', 10_000, /PWNED/)
    expectClean(t.engine.snapshot().link.reason)
    await until(() => t.sink.alerts.some((a) => a.kind === 'health'), 5000, 'a health alert')
    const health = t.sink.alerts.find((a) => a.kind === 'health')!
    expectClean(health.body)
    expect(health.title).not.toMatch(UNSAFE)
  })

  it('a PostgREST error on accept_request: the result message is cleaned', async () => {
    const t = await live()
    const r = await createRequest(b)
    b.faults.restErrors({ status: 400, path: '/rpc/accept_request', code: 'P0001', message: HOSTILE })
    const res = await t.engine.accept(r.id)
    expect(res.ok).toBe(false)
    expectClean(!res.ok ? res.message : undefined)
    await setStatus(b, r.id, 'accepted')
  })

  it('a refused token refresh (on resume): the signed-out reason is cleaned', async () => {
    const t = await live()
    b.faults.authErrors({ status: 400, grant: 'refresh_token', code: 'refresh_token_not_found', message: HOSTILE, count: 5 })
    t.engine.notifyResume()
    await waitForState(t.engine, 'signed-out', 10_000)
    expectClean(t.engine.snapshot().link.reason)
  })
})
