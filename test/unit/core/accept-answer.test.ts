import { describe, expect, it } from 'vitest'
import { acceptAnswer } from '../../../src/core/accept-answer.js'

describe('accept_request answers in a mechanic\'s words', () => {
  it('a claim now and a claim this mechanic already holds are both a success', () => {
    expect(acceptAnswer({ ok: true, reason: null })).toEqual({ ok: true })
    expect(acceptAnswer({ ok: true, reason: 'already_yours' })).toEqual({ ok: true })
  })

  it('the loser of a race is told plainly who won', () => {
    expect(acceptAnswer({ ok: false, reason: 'already_accepted', taken_by: 'Ana Lima', taken_by_id: 'x' })).toEqual({
      ok: false,
      reason: 'already-taken',
      message: 'Ana Lima took it first.',
    })
  })

  it('a winner without a display name, or a name that is no text, is "another mechanic"; a hostile name is cleaned', () => {
    for (const taken_by of [null, undefined, '', '   ', 42n, { a: 1 }]) {
      expect(acceptAnswer({ ok: false, reason: 'already_accepted', taken_by })).toEqual({ ok: false, reason: 'already-taken', message: 'Another mechanic took it first.' })
    }
    expect(acceptAnswer({ ok: false, reason: 'already_accepted', taken_by: 'Ana\u202e\u0000 Lima' })).toMatchObject({ message: 'Ana Lima took it first.' })
  })

  it('not queued, not found, cancelled and unknown refusals each say what happened', () => {
    expect(acceptAnswer({ ok: false, reason: 'not_queued' })).toEqual({ ok: false, reason: 'already-taken', message: 'This request is no longer waiting.' })
    expect(acceptAnswer({ ok: false, reason: 'not_found' })).toEqual({ ok: false, reason: 'not-found', message: 'This request no longer exists.' })
    expect(acceptAnswer({ ok: false, reason: 'cancelled' })).toEqual({ ok: false, reason: 'not-found', message: 'The customer cancelled this request.' })
    expect(acceptAnswer({ ok: false, reason: 'not_a_mechanic' })).toEqual({ ok: false, reason: 'error', message: 'The server refused: not_a_mechanic' })
    expect(acceptAnswer(null)).toEqual({ ok: false, reason: 'error', message: 'The server refused: no reason given' })
    expect(acceptAnswer({ ok: 'true' })).toMatchObject({ ok: false, reason: 'error' })
  })
})
