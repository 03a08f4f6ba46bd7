import { describe, expect, it } from 'vitest'
import { backoffDelay, RECONNECT_BACKOFF } from '../../../src/core/link/backoff.js'

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap (no jitter at r=0.5)', () => {
    const mid = () => 0.5
    expect([1, 2, 3, 4, 5, 6, 7, 100, 1e9].map((n) => backoffDelay(n, RECONNECT_BACKOFF, mid))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000,
    ])
  })

  it('jitters within ±30 %', () => {
    expect(backoffDelay(1, RECONNECT_BACKOFF, () => 0)).toBe(700)
    expect(backoffDelay(1, RECONNECT_BACKOFF, () => 0.999999)).toBe(1300)
    expect(backoffDelay(10, RECONNECT_BACKOFF, () => 0)).toBe(21000)
    expect(backoffDelay(10, RECONNECT_BACKOFF, () => 0.999999)).toBe(39000)
  })

  it('spreads a reconnect storm: 500 workstations do not retry in the same 100 ms', () => {
    const delays = Array.from({ length: 500 }, () => backoffDelay(1, RECONNECT_BACKOFF))
    const buckets = new Map<number, number>()
    for (const d of delays) buckets.set(Math.floor(d / 100), (buckets.get(Math.floor(d / 100)) ?? 0) + 1)
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(700)
    expect(Math.max(...delays)).toBeLessThanOrEqual(1300)
    // 6 buckets of 100 ms across 600 ms: none should hold anywhere near all of them.
    expect(Math.max(...buckets.values())).toBeLessThan(200)
  })

  it('treats nonsense attempts as the first', () => {
    expect(backoffDelay(0, RECONNECT_BACKOFF, () => 0.5)).toBe(1000)
    expect(backoffDelay(Number.NaN, RECONNECT_BACKOFF, () => 0.5)).toBe(1000)
    expect(backoffDelay(-3, RECONNECT_BACKOFF, () => 0.5)).toBe(1000)
  })
})
