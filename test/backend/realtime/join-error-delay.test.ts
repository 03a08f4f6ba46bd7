// Refused joins are answered after a delay, as the real server sleeps CHANNEL_ERROR_BACKOFF_MS (5 s) before any
// join error (realtime_channel.ex join_error): BackendOptions.joinErrorDelayMs, default 0. Every kind of refusal waits; a
// successful join and Phoenix-level answers do not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawJoinTimed } from './harness.js'
import { startBackend, type Backend } from '../index.js'

const DELAY = 600

describe('join error delay', () => {
  let slow: Backend
  let fast: Backend
  beforeAll(async () => {
    ;[slow, fast] = await Promise.all([startBackend({ port: 0, joinErrorDelayMs: DELAY, log: () => {} }), startBackend({ port: 0, log: () => {} })])
  })
  afterAll(async () => {
    await Promise.all([slow?.stop(), fast?.stop()])
  })

  it('every kind of refused join waits joinErrorDelayMs before the error reply', async () => {
    const now = Math.floor(Date.now() / 1000)
    const expired = slow.jwt.sign({ role: 'authenticated', sub: slow.demoUsers[0].id, exp: now - 5 })
    const forged = slow.anonKey.slice(0, -4) + (slow.anonKey.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['realtime:', {}, /^TopicNameRequired: /],
      ['realtime:room', { access_token: expired }, /^InvalidJWTToken: Token has expired \d+ seconds ago$/],
      ['realtime:room', { access_token: forged }, /^JwtSignatureError: /],
      ['realtime:shop:requests', { config: { private: true } }, /^Unauthorized: You do not have permissions to read from this Channel topic: shop:requests$/],
      ['realtime:room', { config: { broadcast: { replay: { since: 0 } } } }, /^UnableToReplayMessages: Replay is not allowed for public channels$/],
    ]
    // Run them side by side: each on its own socket, each must wait on its own.
    const results = await Promise.all(cases.map(([topic, payload]) => rawJoinTimed(slow.url, slow.anonKey, topic, payload)))
    results.forEach(({ reply, ms }, i) => {
      const [topic, , reason] = cases[i]
      expect(reply[4], topic).toMatchObject({ status: 'error' })
      expect(((reply[4] as { response: { reason: string } }).response.reason), topic).toMatch(reason)
      expect(ms, `${topic} ${String(reason)}`).toBeGreaterThanOrEqual(DELAY - 5)
    })
    // PrivateOnly too.
    slow.faults.privateOnly({ enabled: true })
    try {
      const { reply, ms } = await rawJoinTimed(slow.url, slow.anonKey, 'realtime:room', {})
      expect(reply[4]).toEqual({ status: 'error', response: { reason: 'PrivateOnly: This project only allows private channels' } })
      expect(ms).toBeGreaterThanOrEqual(DELAY - 5)
    } finally {
      slow.faults.privateOnly({ enabled: false })
    }
  })

  it('a successful join is not delayed', async () => {
    const { reply, ms } = await rawJoinTimed(slow.url, slow.anonKey, 'realtime:room', {})
    expect(reply[4]).toMatchObject({ status: 'ok' })
    expect(ms).toBeLessThan(DELAY)
  })

  it('by default a refused join is answered without the delay', async () => {
    const { reply, ms } = await rawJoinTimed(fast.url, fast.anonKey, 'realtime:shop:requests', { config: { private: true } })
    expect(reply[4]).toMatchObject({ status: 'error' })
    expect(ms).toBeLessThan(DELAY)
  })
})
