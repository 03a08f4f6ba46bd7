// The silent-break detector: a queue version that moved while no private broadcast arrived.
import { describe, expect, it } from 'vitest'
import { PrivatePathCheck } from '../../../src/core/feed/private-path-check.js'

describe('PrivatePathCheck', () => {
  it('the first check-in only records the version', () => {
    const c = new PrivatePathCheck()
    expect(c.checkIn('7')).toEqual({ moved: false, verdict: 'first' })
    expect(c.broken).toBe(false)
  })

  it('an unchanged version with no broadcasts is quiet, and asks for no reconcile', () => {
    const c = new PrivatePathCheck()
    c.checkIn('7')
    expect(c.checkIn('7')).toEqual({ moved: false, verdict: 'quiet' })
    expect(c.recheck()).toBe('quiet')
  })

  it('a move with its broadcast is consistent (and still asks for a reconcile)', () => {
    const c = new PrivatePathCheck()
    c.checkIn('7')
    c.broadcast()
    expect(c.checkIn('8')).toEqual({ moved: true, verdict: 'consistent' })
    expect(c.broken).toBe(false)
  })

  it('a quiet move is suspect; its broadcast arriving within the grace clears it', () => {
    const c = new PrivatePathCheck()
    c.checkIn('7')
    expect(c.checkIn('8')).toEqual({ moved: true, verdict: 'suspect' })
    c.broadcast()
    expect(c.recheck()).toBe('consistent')
    expect(c.broken).toBe(false)
    expect(c.checkIn('8').verdict).toBe('quiet')
  })

  it('a quiet move whose broadcast never comes is broken at the recheck, reported once', () => {
    const c = new PrivatePathCheck()
    c.checkIn('7')
    expect(c.checkIn('8').verdict).toBe('suspect')
    expect(c.recheck()).toBe('broken')
    expect(c.broken).toBe(true)
    expect(c.recheck()).toBe('still-broken')
    expect(c.checkIn('8').verdict).toBe('quiet')
    expect(c.checkIn('9')).toEqual({ moved: true, verdict: 'still-broken' })
  })

  it('without a recheck, the next check-in decides: a late broadcast clears, silence breaks', () => {
    const late = new PrivatePathCheck()
    late.checkIn('1')
    late.checkIn('2')
    late.broadcast()
    expect(late.checkIn('2').verdict).toBe('consistent')
    expect(late.broken).toBe(false)

    const silent = new PrivatePathCheck()
    silent.checkIn('1')
    silent.checkIn('2')
    expect(silent.checkIn('2').verdict).toBe('broken')
    const twice = new PrivatePathCheck()
    twice.checkIn('1')
    twice.checkIn('2')
    expect(twice.checkIn('3')).toEqual({ moved: true, verdict: 'broken' }) // two quiet moves in a row
  })

  it('broken, then broadcasts flow again: healthy once, then ordinary verdicts', () => {
    const c = new PrivatePathCheck()
    c.checkIn('1')
    c.checkIn('2')
    c.recheck()
    c.broadcast()
    expect(c.checkIn('3')).toEqual({ moved: true, verdict: 'healthy' })
    expect(c.broken).toBe(false)
    c.broadcast()
    expect(c.checkIn('4').verdict).toBe('consistent')
  })

  it('an interruption forgets the version and any suspicion, not a break', () => {
    const c = new PrivatePathCheck()
    c.checkIn('1')
    c.checkIn('2') // suspect
    c.interrupted()
    expect(c.checkIn('5')).toEqual({ moved: false, verdict: 'first' })
    expect(c.recheck()).toBe('quiet')
    expect(c.checkIn('6').verdict).toBe('suspect')
    c.recheck()
    c.interrupted()
    expect(c.broken).toBe(true)
    c.broadcast()
    expect(c.checkIn('9')).toEqual({ moved: false, verdict: 'healthy' })
  })

  it('broadcasts before an interruption do not count for the version after it', () => {
    const c = new PrivatePathCheck()
    c.checkIn('1')
    c.broadcast()
    c.interrupted()
    c.checkIn('3')
    expect(c.checkIn('4').verdict).toBe('suspect')
  })
})
