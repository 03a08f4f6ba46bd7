// accept_request's answers, as the engine and the outbox read them: only a claim that went through is done, a
// replay of one's own claim is done too (the server's idempotency), someone else's claim is a conflict naming them.
import { describe, expect, it } from 'vitest'
import { acceptOutcome } from '../../../src/core/outbox/accept-call.js'

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
