// accept_request's answers, as the engine and the outbox read them: only a claim that went through is done, a
// replay of one's own claim is done too (the server's idempotency), someone else's claim is a conflict naming them.
import { describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { acceptOutcome, callAccept } from '../../../src/core/outbox/accept-call.js'

describe('acceptOutcome', () => {
  it.each([
    [{ ok: true, reason: null }, { kind: 'done' }],
    [{ ok: true, reason: 'already_yours' }, { kind: 'done' }],
    [{ ok: false, reason: 'already_accepted', taken_by: 'Ana', taken_by_id: 'u' }, { kind: 'taken', takenBy: 'Ana' }],
    [{ ok: false, reason: 'already_accepted', taken_by: null }, { kind: 'taken', takenBy: null }],
    [{ ok: false, reason: 'already_accepted', taken_by: '' }, { kind: 'taken', takenBy: null }],
    [{ ok: false, reason: 'cancelled' }, { kind: 'gone', message: 'The customer cancelled this request.' }],
    [{ ok: false, reason: 'not_found' }, { kind: 'gone', message: 'This request no longer exists.' }],
    [{ ok: false, reason: 'not_queued' }, { kind: 'gone', message: 'This request is no longer waiting.' }],
    [{ ok: false, reason: 'not_a_mechanic' }, { kind: 'refused', message: 'The server refused: not_a_mechanic' }],
    [{ ok: false }, { kind: 'refused', message: 'The server refused: no reason given' }],
    [null, { kind: 'refused', message: 'The server refused: no reason given' }],
    [{ ok: 'true' }, { kind: 'refused', message: 'The server refused: no reason given' }],
  ])('%j → %j', (answer, outcome) => {
    expect(acceptOutcome(answer)).toEqual(outcome)
  })

  it('a hostile display name is cleaned of control characters before anyone shows it', () => {
    const out = acceptOutcome({ ok: false, reason: 'already_accepted', taken_by: 'Ana\u202E\u0007 ' + 'x'.repeat(500) })
    expect(out.kind).toBe('taken')
    const name = (out as { takenBy: string }).takenBy
    expect(name).not.toMatch(/[\u202E\u0007]/)
    expect(name.length).toBeLessThanOrEqual(81)
  })
})

describe('callAccept: which failures keep the claim for a retry', () => {
  /** The PostgREST answer of one rpc call, as supabase-js hands it over (the real client is in the integration tests). */
  const answering = (res: { data: unknown; error: { code?: string; message?: string } | null; status: number }) =>
    ({
      rpc: () => ({ abortSignal: async () => res }),
      auth: { refreshSession: async () => ({ error: { message: 'refresh refused' } }) },
    }) as unknown as SupabaseClient

  it.each([
    ['no answer (network)', { data: null, error: { message: 'TypeError: fetch failed' }, status: 0 }],
    ['a 503 from the gateway', { data: null, error: { code: 'PGRST001', message: 'Service Unavailable' }, status: 503 }],
    ['an expired sign-in that one refresh did not fix', { data: null, error: { code: 'PGRST303', message: 'JWT expired' }, status: 401 }],
  ])('%s: temporary', async (_what, res) => {
    expect((await callAccept(answering(res), 'r-1')).kind).toBe('temporary')
  })

  it.each([
    ['row-level security', { data: null, error: { code: '42501', message: 'permission denied' }, status: 403 }, /^Could not accept: permission denied/],
    ['the function missing', { data: null, error: { code: 'PGRST202', message: 'no function' }, status: 404 }, /^Could not accept: not found on the server/],
    ['a raised error', { data: null, error: { code: 'P0001', message: 'nope' }, status: 400 }, /^Could not accept: HTTP 400 P0001 nope$/],
  ])('%s: refused for good, with the reason', async (_what, res, message) => {
    const out = await callAccept(answering(res), 'r-1')
    expect(out.kind).toBe('refused')
    expect((out as { message: string }).message).toMatch(message)
  })

  it('an answer is read as accept_request answers', async () => {
    const yours = { ok: true, reason: 'already_yours' }
    expect(await callAccept(answering({ data: yours, error: null, status: 200 }), 'r-1')).toEqual({ kind: 'done', answer: yours })
    const theirs = { ok: false, reason: 'already_accepted', taken_by: 'Ana' }
    expect(await callAccept(answering({ data: theirs, error: null, status: 200 }), 'r-1')).toEqual({ kind: 'taken', takenBy: 'Ana', answer: theirs })
  })
})
