// TimerRegistry: every link and feed timer goes through it so that stop() leaves nothing running — a leaked retry
// timer would reconnect a stopped engine. Fake timers drive time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TimerRegistry } from '../../../src/core/link/timers.js'

describe('TimerRegistry', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('after(ms) runs once at ms, is counted while pending and forgotten once run', () => {
    const t = new TimerRegistry()
    const fn = vi.fn()
    t.after(100, fn)
    expect(t.count).toBe(1)
    vi.advanceTimersByTime(99)
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(t.count).toBe(0)
    vi.advanceTimersByTime(1000)
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('a negative delay runs on the next turn, like 0', () => {
    const t = new TimerRegistry()
    const fn = vi.fn()
    t.after(-50, fn)
    vi.advanceTimersByTime(0)
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('the cancel function stops it and uncounts it; cancelling twice is harmless', () => {
    const t = new TimerRegistry()
    const fn = vi.fn()
    const cancel = t.after(100, fn)
    cancel()
    cancel()
    expect(t.count).toBe(0)
    vi.advanceTimersByTime(1000)
    expect(fn).not.toHaveBeenCalled()
  })

  it('closeAll clears every pending timer, and nothing can be scheduled after it', () => {
    const t = new TimerRegistry()
    const fns = [vi.fn(), vi.fn(), vi.fn()]
    fns.forEach((fn, i) => t.after(10 * (i + 1), fn))
    expect(t.count).toBe(3)
    t.closeAll()
    expect(t.count).toBe(0)
    const late = vi.fn()
    const cancel = t.after(1, late)
    expect(t.count).toBe(0)
    vi.advanceTimersByTime(1000)
    for (const fn of [...fns, late]) expect(fn).not.toHaveBeenCalled()
    cancel() // a no-op, not a throw
  })

  it('sleep resolves true when its time is up, false when closeAll wakes it, and false at once once closed', async () => {
    const t = new TimerRegistry()
    const slept = t.sleep(100)
    await vi.advanceTimersByTimeAsync(100)
    await expect(slept).resolves.toBe(true)
    const woken = t.sleep(10_000)
    expect(t.count).toBe(1)
    t.closeAll()
    await expect(woken).resolves.toBe(false)
    expect(t.count).toBe(0)
    await expect(t.sleep(1)).resolves.toBe(false)
  })
})
