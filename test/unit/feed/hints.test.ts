// The public topic's hints: they may make the engine look sooner, never more often than the bound allows,
// and never when the trusted paths already agree. Fake timers: the rules are about time, not about load.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { HintGate, RejectBudget, type Hint } from '../../../src/core/feed/hints.js'
import { TimerRegistry } from '../../../src/core/link/timers.js'

const A = '00000000-0000-4000-8000-00000000000a'
const B = '00000000-0000-4000-8000-00000000000b'

function gate(opts: { onScreen?: Set<string>; debounceMs?: number; minIntervalMs?: number; maxPending?: number } = {}) {
  const onScreen = opts.onScreen ?? new Set<string>()
  const timers = new TimerRegistry()
  const looks: number[] = []
  const counts: Record<string, number> = {}
  const g = new HintGate({
    clock: { now: () => Date.now() },
    timers,
    confirmed: (h: Hint) => onScreen.has(h.requestId) === (h.kind === 'new'),
    look: () => looks.push(Date.now()),
    count: (k) => (counts[k] = (counts[k] ?? 0) + 1),
    debounceMs: opts.debounceMs ?? 300,
    minIntervalMs: opts.minIntervalMs ?? 10_000,
    maxPending: opts.maxPending,
  })
  return { g, timers, looks, counts, onScreen }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('a hint from the public topic', () => {
  it('that the trusted paths already confirmed costs no read (new for a request on screen, removal of one that is not)', () => {
    const t = gate({ onScreen: new Set([A]) })
    t.g.take({ kind: 'new', requestId: A })
    t.g.take({ kind: 'removed', requestId: B })
    vi.advanceTimersByTime(1000)
    expect(t.looks).toEqual([])
    expect(t.counts).toEqual({ 'broadcast:hint': 2, 'hint:unneeded': 1 })
  })

  it('that is still unconfirmed when the debounce ends makes exactly one read, not before the debounce', () => {
    const t = gate()
    t.g.take({ kind: 'new', requestId: A })
    vi.advanceTimersByTime(299)
    expect(t.looks).toHaveLength(0)
    vi.advanceTimersByTime(1)
    expect(t.looks).toHaveLength(1)
    expect(t.counts['hint:read']).toBe(1)
  })

  it('is judged when the debounce ends: a request the trusted path brought meanwhile needs no read', () => {
    const t = gate()
    t.g.take({ kind: 'new', requestId: A })
    vi.advanceTimersByTime(100)
    t.onScreen.add(A) // the private broadcast arrived after the legacy one
    vi.advanceTimersByTime(300)
    expect(t.looks).toEqual([])
  })

  it('a forged cancel of a request on screen is not confirmed: it is looked at (the server decides), once', () => {
    const t = gate({ onScreen: new Set([A]) })
    t.g.take({ kind: 'removed', requestId: A })
    vi.advanceTimersByTime(300)
    expect(t.looks).toHaveLength(1)
  })

  it('one mixed unconfirmed hint among confirmed ones makes the read', () => {
    const t = gate({ onScreen: new Set([A]) })
    t.g.take({ kind: 'new', requestId: A })
    t.g.take({ kind: 'new', requestId: B })
    vi.advanceTimersByTime(300)
    expect(t.looks).toHaveLength(1)
  })
})

describe('a flood of hints', () => {
  it('one every 2 ms for 60 s: every hint counted, at most one read per interval', () => {
    const t = gate({ minIntervalMs: 10_000 })
    const start = Date.now()
    for (let i = 0; i < 30_000; i++) {
      t.g.take({ kind: i % 2 ? 'new' : 'removed', requestId: i % 3 ? A : B })
      vi.advanceTimersByTime(2)
    }
    vi.advanceTimersByTime(20_000) // the coalesced tail
    expect(t.counts['broadcast:hint']).toBe(30_000)
    // 60 s of flood + the tail: the first read after 300 ms, then one per 10 s.
    expect(t.looks.length).toBe(7)
    for (let i = 1; i < t.looks.length; i++) expect(t.looks[i]! - t.looks[i - 1]!).toBeGreaterThanOrEqual(10_000)
    expect(t.looks[0]! - start).toBe(300)
  })

  it('hints arriving after a read wait for the interval, then one read covers them all', () => {
    const t = gate({ minIntervalMs: 5000 })
    t.g.take({ kind: 'new', requestId: A })
    vi.advanceTimersByTime(300)
    expect(t.looks).toHaveLength(1)
    vi.advanceTimersByTime(1000)
    t.g.take({ kind: 'new', requestId: A })
    t.g.take({ kind: 'new', requestId: B })
    vi.advanceTimersByTime(3999)
    expect(t.looks).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(t.looks).toHaveLength(2)
    expect(t.looks[1]! - t.looks[0]!).toBe(5000)
  })

  it('more distinct hints than it remembers: the next decision reads even if the remembered ones are confirmed', () => {
    const t = gate({ maxPending: 2, onScreen: new Set([A, B]) })
    t.g.take({ kind: 'new', requestId: A })
    t.g.take({ kind: 'new', requestId: B })
    t.g.take({ kind: 'new', requestId: '00000000-0000-4000-8000-00000000000c' })
    vi.advanceTimersByTime(300)
    expect(t.looks).toHaveLength(1)
  })

  it('the same hint repeated is remembered once and does not overflow', () => {
    const t = gate({ maxPending: 1, onScreen: new Set([A]) })
    for (let i = 0; i < 10; i++) t.g.take({ kind: 'new', requestId: A })
    vi.advanceTimersByTime(300)
    expect(t.looks).toEqual([])
  })

  it('stop cancels a pending decision and ignores later hints', () => {
    const t = gate()
    t.g.take({ kind: 'new', requestId: A })
    t.g.stop()
    t.g.take({ kind: 'new', requestId: B })
    vi.advanceTimersByTime(60_000)
    expect(t.looks).toEqual([])
    expect(t.timers.count).toBe(0)
    expect(t.counts['broadcast:hint']).toBe(1)
  })
})

describe('malformed messages on the public topic', () => {
  it('the first 20 per 10 s are recorded one by one; the rest counted, and the skipped number reported once per window', () => {
    const skipped: number[] = []
    const budget = new RejectBudget({ now: () => Date.now() }, (n) => skipped.push(n))
    const first = Array.from({ length: 25 }, () => budget.allow())
    expect(first.filter(Boolean)).toHaveLength(20)
    expect(first.slice(0, 20).every(Boolean)).toBe(true)
    expect(first.slice(20).some(Boolean)).toBe(false)
    vi.advanceTimersByTime(9_999)
    expect(budget.allow()).toBe(false)
    expect(skipped).toEqual([])
    vi.advanceTimersByTime(1)
    expect(budget.allow()).toBe(true) // a new window
    expect(skipped).toEqual([6])
    vi.advanceTimersByTime(10_000)
    budget.allow()
    expect(skipped).toEqual([6]) // nothing skipped in the quiet window: nothing reported
  })
})
