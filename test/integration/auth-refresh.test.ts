// Token refresh trouble (issue 7): a refresh answered 408, 429 or 5xx says nothing about the session — the
// mechanic stays signed in, the link retries and recovers; only GoTrue saying the session is gone
// (400/401/403 with refresh_token_not_found, refresh_token_already_used, session_not_found …) signs out, with
// the server's reason. Each case expires the tokens and wakes the engine, which refreshes before rejoining.
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import type { LinkState } from '../../src/shared/types.js'
import { createRequest, engineSuite, sleep, until, waitForState, type TestEngine } from './helpers.js'

let b: Backend
const { live } = engineSuite({ started: (x) => (b = x) })

function recordStates(t: TestEngine): LinkState[] {
  const states: LinkState[] = [t.engine.snapshot().link]
  t.engine.on('state', (s) => states.push(s))
  return states
}

async function expireAndWake(t: TestEngine): Promise<void> {
  b.faults.expireTokens()
  t.engine.notifyResume()
  await sleep(50)
}

describe('token refresh: temporary failures keep the session', () => {
  it.each([
    [429, 'rate limited'],
    [408, 'request timeout'],
    [503, 'service unavailable'],
  ])('refresh answered %i (%s) three times: stays signed in, live again, rings', async (status) => {
    const t = await live()
    const states = recordStates(t)
    b.faults.authErrors({ status, grant: 'refresh_token', count: 3, message: `injected ${status}` })
    await expireAndWake(t)
    await until(() => t.log.has(new RegExp(`token refresh refused.*${status}`)), 10_000, `the refresh refused with ${status}`)
    await waitForState(t.engine, 'live', 30_000)
    expect(states.some((s) => s.state === 'signed-out')).toBe(false)
    expect(t.engine.snapshot().user).toBe(b.demoUsers[0]!.email)
    const r = await createRequest(b, { name: `After ${status}` })
    await until(() => t.sink.rung().includes(r.id), 3000, `ring after the ${status}s`)
  }, 45_000)

  it('a rate limit that lasts is shown as degraded with the server status, never as signed-out, and recovers', async () => {
    const t = await live()
    const states = recordStates(t)
    b.faults.authErrors({ status: 429, grant: 'refresh_token', durationMs: 4000, message: 'Request rate limit reached' })
    await expireAndWake(t)
    await waitForState(t.engine, 'degraded', 10_000, /refresh the session.*429/)
    await waitForState(t.engine, 'live', 40_000)
    expect(states.some((s) => s.state === 'signed-out')).toBe(false)
    const r = await createRequest(b)
    await until(() => t.sink.rung().includes(r.id), 3000, 'ring after the rate limit')
  }, 60_000)
})

describe('token refresh: a revoked or invalid session signs out with the reason', () => {
  it.each([
    ['refresh_token_already_used', 'Invalid Refresh Token: Already Used'],
    ['refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found'],
    ['session_not_found', 'Session from session_id claim in JWT does not exist'],
  ])('400 %s: signed-out saying why, the stored session dropped, no channel left', async (code, message) => {
    const t = await live()
    b.faults.authErrors({ status: 400, grant: 'refresh_token', count: 5, code, message })
    await expireAndWake(t)
    await waitForState(t.engine, 'signed-out', 15_000)
    const s = t.engine.snapshot()
    // The server's words (GoTrue's code and message; redaction may blank a word after "Token:").
    expect(s.link.reason).toContain(`HTTP 400 ${code}`)
    expect(s.link.reason).toContain(message.split(" ").at(-1))
    expect(s.link.reason).toMatch(/Sign in again/)
    expect(s.user).toBeNull()
    await until(() => t.engine.link!.channelCount === 0, 3000, 'channels removed')
    // Nothing is replayed on restart: the revoked session is gone from storage.
    await until(() => ![...t.secrets.map.keys()].some((k) => k.startsWith('bayalert-auth:')), 3000, 'the stored session removed')
  }, 30_000)

  it('a session deleted on the server (GoTrue answers on its own): signed-out with its reason', async () => {
    const t = await live()
    await b.sql.query('delete from auth.sessions where user_id = $1', [b.demoUsers[0]!.id])
    await expireAndWake(t)
    await waitForState(t.engine, 'signed-out', 15_000, /Sign in again/)
    expect(t.engine.snapshot().link.reason).toMatch(/Refresh Token/i)
  }, 30_000)
})
