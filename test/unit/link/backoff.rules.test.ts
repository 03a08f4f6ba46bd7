// Backoff rules pinned down as behaviour: doubling from the base, the cap, the jitter band at its edges,
// rounding, and safe results for nonsense input (attempts, random values, degenerate policies).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelay, RECONNECT_BACKOFF, type BackoffPolicy } from '../../../src/core/link/backoff.js'

const noJitter = (baseMs: number, maxMs: number): BackoffPolicy => ({ baseMs, maxMs, jitter: 0 })

describe('backoff delays', () => {
  it('reconnects start at 1 s, double, and stop at 30 s, ±30 %', () => {
    expect(RECONNECT_BACKOFF).toEqual({ baseMs: 1000, maxMs: 30_000, jitter: 0.3 })
  })

  it('a fractional attempt counts as the whole attempts before it; an infinite one as the first', () => {
    expect(backoffDelay(2.9, noJitter(1000, 60_000))).toBe(2000)
    expect(backoffDelay(3, noJitter(1000, 60_000))).toBe(4000)
    expect(backoffDelay(Infinity, noJitter(1000, 60_000))).toBe(1000)
    expect(backoffDelay(-Infinity, noJitter(1000, 60_000))).toBe(1000)
  })

  it('without jitter the delay is exact, whatever random says', () => {
    expect(backoffDelay(4, noJitter(250, 60_000), () => 0.9)).toBe(2000)
  })

  it('random values outside [0, 1] are held to the edges of the band', () => {
    expect(backoffDelay(1, RECONNECT_BACKOFF, () => -5)).toBe(700)
    expect(backoffDelay(1, RECONNECT_BACKOFF, () => 7)).toBe(1300)
    expect(backoffDelay(1, RECONNECT_BACKOFF, () => 0.25)).toBe(850)
  })

  it('delays are whole milliseconds, rounded to the nearest', () => {
    const p = { baseMs: 3, maxMs: 100, jitter: 0.3 }
    expect(backoffDelay(1, p, () => 0)).toBe(2) // 2.1
    expect(backoffDelay(1, p, () => 1)).toBe(4) // 3.9
  })

  it('a jitter wider than the delay never gives a negative delay', () => {
    expect(backoffDelay(1, { baseMs: 1000, maxMs: 1000, jitter: 1.5 }, () => 0)).toBe(0)
  })

  it('a huge attempt stops doubling at 2^60 instead of overflowing (a zero base stays zero, not NaN)', () => {
    expect(backoffDelay(5000, noJitter(0, 1000))).toBe(0)
    expect(backoffDelay(100, noJitter(1, 2 ** 70))).toBe(2 ** 60)
    expect(backoffDelay(61, noJitter(1, 2 ** 70))).toBe(2 ** 60)
    expect(backoffDelay(60, noJitter(1, 2 ** 70))).toBe(2 ** 59)
  })

  it('for every attempt and random value the delay lies in the jitter band around the capped doubling, and never shrinks as attempts grow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 80 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const raw = Math.min(30_000, 1000 * 2 ** (attempt - 1))
        const d = backoffDelay(attempt, RECONNECT_BACKOFF, () => r)
        expect(d).toBeGreaterThanOrEqual(Math.floor(raw * 0.7))
        expect(d).toBeLessThanOrEqual(Math.ceil(raw * 1.3))
        expect(backoffDelay(attempt + 1, RECONNECT_BACKOFF, () => r)).toBeGreaterThanOrEqual(d)
      }),
    )
  })
})
