// The urgency rule every queue view shares: both sides of each threshold, the defaults, other thresholds.
import { describe, expect, it } from 'vitest'
import { AMBER_AFTER_MS, DEFAULT_URGENCY, RED_AFTER_MS, URGENCY_TICK_MS, urgencyOf } from '../../../src/shared/urgency.js'

const NOW = Date.parse('2026-11-30T12:00:00Z')

describe('urgency', () => {
  it('turns amber at 2 min and red at 5 min by default, not a millisecond earlier', () => {
    expect([AMBER_AFTER_MS, RED_AFTER_MS]).toEqual([120_000, 300_000])
    expect(DEFAULT_URGENCY).toEqual({ amberAfterMs: 120_000, redAfterMs: 300_000 })
    expect(urgencyOf(NOW, NOW)).toBe('calm')
    expect(urgencyOf(NOW - AMBER_AFTER_MS + 1, NOW)).toBe('calm')
    expect(urgencyOf(NOW - AMBER_AFTER_MS, NOW)).toBe('amber')
    expect(urgencyOf(NOW - RED_AFTER_MS + 1, NOW)).toBe('amber')
    expect(urgencyOf(NOW - RED_AFTER_MS, NOW)).toBe('red')
    expect(urgencyOf(NOW - 3 * 3_600_000, NOW)).toBe('red')
  })

  it('a server clock ahead of ours (negative wait) is calm', () => {
    expect(urgencyOf(NOW + 60_000, NOW)).toBe('calm')
  })

  it('follows thresholds passed in instead of the defaults', () => {
    const t = { amberAfterMs: 10_000, redAfterMs: 20_000 }
    expect(urgencyOf(NOW - 9_999, NOW, t)).toBe('calm')
    expect(urgencyOf(NOW - 10_000, NOW, t)).toBe('amber')
    expect(urgencyOf(NOW - 19_999, NOW, t)).toBe('amber')
    expect(urgencyOf(NOW - 20_000, NOW, t)).toBe('red')
  })

  it('views re-colour often enough that a card is never a whole tick late by more than a few seconds', () => {
    expect(URGENCY_TICK_MS).toBeGreaterThan(0)
    expect(URGENCY_TICK_MS).toBeLessThanOrEqual(5_000)
  })
})
