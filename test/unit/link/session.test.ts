// Which refresh failures end a session: GoTrue's "this session is gone" answers do; rate limits, timeouts,
// server errors and network failures do not — and auth-js is handed those as retryable 503s, so it keeps the
// session too, while the link still knows the real status.
import { describe, expect, it } from 'vitest'
import { describeRefreshFailure, isTemporaryRefreshFailure, revokedReason, SessionWatch, type RefreshFailure } from '../../../src/core/link/session.js'

const REFRESH = 'http://127.0.0.1:1/auth/v1/token?grant_type=refresh_token'

function watch(answer: () => Response | Promise<Response>) {
  const seen: (RefreshFailure | null)[] = []
  const w = new SessionWatch((f) => seen.push(f), () => {}, (async () => answer()) as typeof fetch)
  return { w, seen }
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

describe('isTemporaryRefreshFailure', () => {
  it.each([0, 404, 408, 409, 429, 499, 500, 502, 503, 504])('HTTP %i without a revoking code is temporary', (status) => {
    expect(isTemporaryRefreshFailure(status, '')).toBe(true)
  })
  it.each([400, 401, 403])('HTTP %i is the session being refused', (status) => {
    expect(isTemporaryRefreshFailure(status, '')).toBe(false)
  })
  it.each(['refresh_token_not_found', 'refresh_token_already_used', 'session_not_found', 'session_expired', 'validation_failed'])(
    '%s ends the session whatever the status',
    (code) => {
      expect(isTemporaryRefreshFailure(400, code)).toBe(false)
      expect(isTemporaryRefreshFailure(429, code)).toBe(false)
    },
  )
  it('a rate-limit code on a 429 stays temporary', () => {
    expect(isTemporaryRefreshFailure(429, 'over_request_rate_limit')).toBe(true)
  })
})

describe('describeRefreshFailure / revokedReason', () => {
  it('says the status, the code and the message once each', () => {
    expect(describeRefreshFailure({ status: 429, code: 'over_request_rate_limit', message: 'Request rate limit reached' })).toBe(
      'HTTP 429 over_request_rate_limit: Request rate limit reached',
    )
    expect(describeRefreshFailure({ status: 503, code: '', message: '' })).toBe('HTTP 503')
    expect(describeRefreshFailure({ status: 400, code: 'x', message: 'x' })).toBe('HTTP 400 x')
    expect(describeRefreshFailure({ status: 0, code: '', message: 'fetch failed (ECONNREFUSED)' })).toBe('network error: fetch failed (ECONNREFUSED)')
    expect(describeRefreshFailure({ status: 0, code: '', message: '' })).toBe('network error')
  })
  it('a revoked session names the server reason and asks to sign in again', () => {
    expect(revokedReason({ status: 400, code: 'session_not_found', message: 'gone', temporary: false })).toBe(
      'Your session was revoked or expired (HTTP 400 session_not_found: gone). Sign in again.',
    )
    expect(revokedReason(null)).toMatch(/Sign in again/)
  })
})

describe('SessionWatch.fetch', () => {
  it('a 429 on refresh: reported as temporary with the real status, handed to auth-js as a 503 with the same body', async () => {
    const { w, seen } = watch(() => json(429, { code: 'over_request_rate_limit', message: 'slow down' }))
    const res = await w.fetch(REFRESH)
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ code: 'over_request_rate_limit', message: 'slow down' })
    expect(seen).toEqual([{ status: 429, code: 'over_request_rate_limit', message: 'slow down', temporary: true }])
    expect(w.lastFailure?.status).toBe(429)
  })
  it('a 500 is passed through as it is (auth-js already retries 5xx)', async () => {
    const { w, seen } = watch(() => json(500, { code: 'unexpected_failure', message: 'db down' }))
    expect((await w.fetch(REFRESH)).status).toBe(500)
    expect(seen[0]?.temporary).toBe(true)
  })
  it('a 400 refresh_token_already_used is passed through and reported as the end of the session', async () => {
    const { w, seen } = watch(() => json(400, { code: 'refresh_token_already_used', message: 'Invalid Refresh Token: Already Used' }))
    expect((await w.fetch(REFRESH)).status).toBe(400)
    expect(seen[0]).toMatchObject({ status: 400, code: 'refresh_token_already_used', temporary: false })
  })
  it('a non-JSON error body still gives the status', async () => {
    const { w, seen } = watch(() => new Response('<html>bad gateway</html>', { status: 502 }))
    expect((await w.fetch(REFRESH)).status).toBe(502)
    expect(seen[0]).toEqual({ status: 502, code: '', message: '', temporary: true })
  })
  it('a network failure: a one-line error, reported as temporary', async () => {
    const { w, seen } = watch(() => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
    })
    await expect(w.fetch(REFRESH)).rejects.toThrow('fetch failed (ECONNREFUSED)')
    expect(seen[0]).toMatchObject({ status: 0, temporary: true })
  })
  it('an abort passes through untouched and is not a refresh failure of its own', async () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' })
    const { w, seen } = watch(() => {
      throw abort
    })
    await expect(w.fetch('http://127.0.0.1:1/rest/v1/x')).rejects.toBe(abort)
    expect(seen).toEqual([])
  })
  it('a successful refresh clears the last failure; other URLs are not watched', async () => {
    let status = 429
    const { w, seen } = watch(() => json(status, {}))
    await w.fetch(REFRESH)
    status = 200
    await w.fetch(REFRESH)
    expect(seen).toEqual([expect.objectContaining({ status: 429 }), null])
    expect(w.lastFailure).toBeNull()
    status = 401
    expect((await w.fetch('http://127.0.0.1:1/auth/v1/token?grant_type=password')).status).toBe(401)
    expect(seen).toHaveLength(2)
  })
})
