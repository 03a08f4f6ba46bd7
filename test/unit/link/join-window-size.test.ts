// Reconnect storms: how long a workstation may wait to rejoin, from the shop's size and its join budget (the link adds a draw from this window to its reconnect delay).
import { describe, expect, it } from 'vitest'
import { DEFAULT_JOIN_BUDGET_PER_SEC, MAX_JOIN_WINDOW_MS, joinWindowMs, parseJoinBudget, safeMeanJoinRate } from '../../../src/core/link/join-window.js'

describe('joinWindowMs', () => {
  it('a small shop (≤ budget / 10 workstations) rejoins at once; one more workstation and the joins spread', () => {
    expect(joinWindowMs(10, 100)).toBe(0)
    expect(joinWindowMs(11, 100)).toBeGreaterThan(0)
    expect(joinWindowMs(1, 10)).toBe(0)
    expect(joinWindowMs(2, 10)).toBeGreaterThan(0)
    expect(joinWindowMs(50, 500)).toBe(0)
    expect(joinWindowMs(51, 500)).toBeGreaterThan(0)
  })

  it('an unknown fleet (no check-in yet, or nonsense) rejoins at once', () => {
    expect(joinWindowMs(0)).toBe(0)
    expect(joinWindowMs(-5)).toBe(0)
    expect(joinWindowMs(Number.NaN)).toBe(0)
    expect(joinWindowMs(Number.POSITIVE_INFINITY)).toBe(0)
  })

  it('K workstations spread over about K / (a safe mean rate) seconds, below the budget', () => {
    // 500 workstations on Free's 100 joins/s: ≈ 7.5 s, i.e. a mean of ≈ 67 joins/s.
    const w = joinWindowMs(500, 100)
    expect(w).toBe(Math.ceil((500 / safeMeanJoinRate(100)) * 1000))
    expect(500 / (w / 1000)).toBeGreaterThan(60)
    expect(500 / (w / 1000)).toBeLessThan(100)
    // The window grows with the fleet and with joins per workstation, and shrinks with the budget.
    expect(joinWindowMs(1000, 100)).toBeGreaterThan(w)
    expect(joinWindowMs(500, 100, 2)).toBe(Math.ceil((1000 / safeMeanJoinRate(100)) * 1000))
    expect(joinWindowMs(500, 500)).toBeLessThan(w)
  })

  it('the safe mean leaves four standard deviations of head-room under the budget', () => {
    for (const budget of [10, 100, 500, 2500]) {
      const mu = safeMeanJoinRate(budget)
      expect(mu + 4 * Math.sqrt(mu)).toBeCloseTo(budget, 6)
      expect(mu).toBeLessThan(budget)
    }
    expect(safeMeanJoinRate(10)).toBeCloseTo(3.03, 2)
  })

  it('uniform delays over the window keep a simulated fleet under the budget in every second', () => {
    // A seeded generator: the same draw every run, so this checks the sizing, not luck.
    let seed = 42
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (const [k, budget] of [[50, 10], [500, 100], [2000, 500]] as const) {
      const window = joinWindowMs(k, budget)
      const at = Array.from({ length: k }, () => random() * window).sort((a, b) => a - b)
      let peak = 0
      for (let hi = 0, lo = 0; hi < at.length; hi++) {
        while (at[lo]! <= at[hi]! - 1000) lo++
        peak = Math.max(peak, hi - lo + 1)
      }
      expect(peak, `${k} workstations, budget ${budget}`).toBeLessThanOrEqual(budget)
    }
  })

  it('never longer than MAX_JOIN_WINDOW_MS, however large the fleet', () => {
    expect(joinWindowMs(1_000_000, 100)).toBe(MAX_JOIN_WINDOW_MS)
  })

  it('a budget that is not a positive number is the default', () => {
    expect(joinWindowMs(500, 0)).toBe(joinWindowMs(500, DEFAULT_JOIN_BUDGET_PER_SEC))
    expect(joinWindowMs(500, Number.NaN)).toBe(joinWindowMs(500, DEFAULT_JOIN_BUDGET_PER_SEC))
    expect(joinWindowMs(500, 100, Number.NaN)).toBe(joinWindowMs(500, 100, 1))
    expect(joinWindowMs(500, 100, 0)).toBe(joinWindowMs(500, 100, 1))
  })
})

describe('parseJoinBudget (BAYALERT_JOIN_BUDGET)', () => {
  it('unset or blank: the default, no problem', () => {
    expect(parseJoinBudget(undefined)).toEqual({ budget: 100, problem: null })
    expect(parseJoinBudget('  ')).toEqual({ budget: 100, problem: null })
  })
  it('a whole number from 1 to 100000 is taken', () => {
    expect(parseJoinBudget('1')).toEqual({ budget: 1, problem: null })
    expect(parseJoinBudget(' 500 ')).toEqual({ budget: 500, problem: null })
    expect(parseJoinBudget('100000')).toEqual({ budget: 100_000, problem: null })
  })
  it('anything else: the default and a sentence saying so', () => {
    for (const bad of ['0', '-1', '100001', '2.5', 'lots', 'Infinity']) {
      const r = parseJoinBudget(bad)
      expect(r.budget, bad).toBe(100)
      expect(r.problem, bad).toMatch(/BAYALERT_JOIN_BUDGET must be a whole number .* using 100/)
    }
  })
})
