// PostgREST calls: how an error is classified (what the feed, the check-in and the state show depend on the kind),
// how it reads to a person, and restCall's rules — no hidden retries, a hard deadline, one session refresh and one
// retry for an expired JWT (PGRST303), a thrown request as a network error. A fake builder at the client seam.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { classifyRestError, describeRestError, restCall, type RestError } from '../../../src/core/link/rest.js'

describe('classifyRestError', () => {
  it.each([
    [0, { message: 'AbortError: This operation was aborted' }, 'timeout'],
    [0, { message: 'fetch failed', details: 'AbortError: signal' }, 'timeout'],
    [0, { message: 'TypeError: fetch failed' }, 'network'],
    [401, { code: 'PGRST303', message: 'JWT expired' }, 'auth'],
    [401, { code: 'PGRST301', message: 'JWSError' }, 'auth'],
    [401, { code: 'PGRST302', message: 'Anonymous access is disabled' }, 'auth'],
    [401, { code: '42501', message: 'permission denied' }, 'denied'],
    [401, { message: 'no code' }, 'denied'],
    [403, { code: '42501', message: 'permission denied for table' }, 'denied'],
    [400, { code: '42501', message: 'permission denied for function' }, 'denied'],
    [404, { code: 'PGRST202', message: 'Could not find the function' }, 'missing'],
    [404, { message: 'not found' }, 'missing'],
    [400, { code: 'PGRST202', message: 'function' }, 'missing'],
    [400, { code: 'PGRST205', message: 'table' }, 'missing'],
    [400, { code: '42P01', message: 'relation does not exist' }, 'missing'],
    [400, { code: '42883', message: 'function does not exist' }, 'missing'],
    [500, { message: 'boom' }, 'server'],
    [503, { code: 'PGRST001', message: 'no connection' }, 'server'],
    [499, { message: 'client closed' }, 'other'],
    [400, { code: '22P02', message: 'invalid input syntax' }, 'other'],
    [409, { code: '23505', message: 'duplicate key' }, 'other'],
  ])('HTTP %i %j → %s', (status, err, kind) => {
    expect(classifyRestError(status, err).kind).toBe(kind)
  })

  it('the message is the server message and its hint, cleaned; without either, the HTTP status', () => {
    expect(classifyRestError(400, { code: 'X', message: 'bad', hint: 'try again' })).toEqual({ kind: 'other', status: 400, code: 'X', message: 'bad — try again' })
    expect(classifyRestError(502, null).message).toBe('HTTP 502')
    expect(classifyRestError(502, { message: 42 as unknown as string }).message).toBe('HTTP 502')
    const hostile = classifyRestError(400, { code: 'A'.repeat(40), message: 'line\nbreak\u0007' })
    expect(hostile.code.length).toBeLessThanOrEqual(16)
    expect(hostile.message).not.toMatch(/[\n\u0007]/)
  })
})

describe('describeRestError', () => {
  const e = (kind: RestError['kind'], status = 500, code = 'C1', message = 'msg'): RestError => ({ kind, status, code, message })
  it.each([
    [e('timeout', 0, '', 'aborted'), 'timed out (aborted)'],
    [e('network', 0, '', 'fetch failed'), 'network error (fetch failed)'],
    [e('auth', 401, 'PGRST303'), 'sign-in token rejected (PGRST303)'],
    [e('auth', 401, ''), 'sign-in token rejected (401)'],
    [e('denied', 403, '42501', 'permission denied'), 'permission denied by row-level security (42501: permission denied)'],
    [e('missing', 404, 'PGRST202', 'no function'), 'not found on the server — is the migration applied? (PGRST202: no function)'],
    [e('server', 503, 'PGRST001', 'down'), 'server error 503 (PGRST001 down)'],
    [e('server', 500, '', 'boom'), 'server error 500 (boom)'],
    [e('other', 409, '23505', 'duplicate'), 'HTTP 409 23505 duplicate'],
  ])('%j reads "%s"', (err, text) => {
    expect(describeRestError(err)).toBe(text)
  })
})

type Answer = { data: unknown; error: { code?: string; message?: string; details?: string } | null; status: number }

/** A PostgREST builder: `retry(false)` recorded, the answer given when awaited, or never until the signal aborts. */
function fakeClient(answers: (Answer | 'hang' | 'throw')[], refresh: { error: unknown } = { error: null }) {
  const seen = { builds: 0, retryOff: 0, refreshes: 0 }
  const client = {
    auth: {
      refreshSession: async () => {
        seen.refreshes++
        return refresh
      },
    },
    build() {
      const answer = answers[Math.min(seen.builds, answers.length - 1)]!
      seen.builds++
      if (answer === 'throw') throw new Error('request could not be built')
      let signal: AbortSignal | null = null
      const b = {
        retry(on: boolean) {
          if (!on) seen.retryOff++
          return b
        },
        abortSignal(s: AbortSignal) {
          signal = s
          return b
        },
        then(ok: (v: Answer) => unknown, bad?: (e: unknown) => unknown) {
          const p =
            answer === 'hang'
              ? new Promise<Answer>((resolve) => signal!.addEventListener('abort', () => resolve({ data: null, error: { message: 'AbortError: This operation was aborted' }, status: 0 })))
              : Promise.resolve(answer)
          return p.then(ok, bad)
        },
      }
      return b
    },
  }
  return { client: client as unknown as SupabaseClient & { build(): unknown }, seen }
}

describe('restCall', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('returns the data, with postgrest-js retries turned off', async () => {
    const f = fakeClient([{ data: [1, 2], error: null, status: 200 }])
    const r = await restCall<number[]>(f.client, (c) => (c as typeof f.client).build(), 1000)
    expect(r).toMatchObject({ ok: true, data: [1, 2] })
    expect(f.seen).toEqual({ builds: 1, retryOff: 1, refreshes: 0 })
  })

  it('a request with no answer by the deadline is aborted and reported as a time-out (not before)', async () => {
    const f = fakeClient(['hang'])
    let done: Awaited<ReturnType<typeof restCall>> | null = null
    void restCall(f.client, (c) => (c as typeof f.client).build(), 5000).then((r) => (done = r))
    await vi.advanceTimersByTimeAsync(4999)
    expect(done).toBeNull()
    await vi.advanceTimersByTimeAsync(1)
    expect(done).toMatchObject({ ok: false, error: { kind: 'timeout', status: 0 } })
  })

  it('an expired JWT (401 PGRST303): one session refresh, then the same request once more', async () => {
    const f = fakeClient([{ data: null, error: { code: 'PGRST303', message: 'JWT expired' }, status: 401 }, { data: 'fresh', error: null, status: 200 }])
    const r = await restCall(f.client, (c) => (c as typeof f.client).build(), 1000)
    expect(r).toMatchObject({ ok: true, data: 'fresh' })
    expect(f.seen).toMatchObject({ builds: 2, refreshes: 1 })
  })

  it('still expired after the refresh: the auth error, without a third try', async () => {
    const f = fakeClient([{ data: null, error: { code: 'PGRST303', message: 'JWT expired' }, status: 401 }])
    const r = await restCall(f.client, (c) => (c as typeof f.client).build(), 1000)
    expect(r).toMatchObject({ ok: false, error: { kind: 'auth', code: 'PGRST303' } })
    expect(f.seen).toMatchObject({ builds: 2, refreshes: 1 })
  })

  it('a refresh that fails: the auth error, and the request is not sent again', async () => {
    const f = fakeClient([{ data: null, error: { code: 'PGRST303', message: 'JWT expired' }, status: 401 }], { error: new Error('refresh_token_not_found') })
    const r = await restCall(f.client, (c) => (c as typeof f.client).build(), 1000)
    expect(r).toMatchObject({ ok: false, error: { kind: 'auth' } })
    expect(f.seen).toMatchObject({ builds: 1, refreshes: 1 })
  })

  it('other errors are returned as they are: no refresh, no retry', async () => {
    for (const answer of [
      { data: null, error: { code: '42501', message: 'permission denied' }, status: 403 },
      { data: null, error: { message: 'boom' }, status: 503 },
    ]) {
      const f = fakeClient([answer])
      const r = await restCall(f.client, (c) => (c as typeof f.client).build(), 1000)
      expect(r.ok).toBe(false)
      expect(f.seen).toMatchObject({ builds: 1, refreshes: 0 })
    }
  })

  it('a request that throws while being built or sent is a network error with its message', async () => {
    const f = fakeClient(['throw'])
    const r = await restCall(f.client, (c) => (c as typeof f.client).build(), 1000)
    expect(r).toMatchObject({ ok: false, error: { kind: 'network', status: 0, message: 'request could not be built' } })
  })
})
