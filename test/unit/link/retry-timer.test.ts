// The one backoff timer used by the reconcile and details retries: counts failures, waits the jittered
// capped delay, keeps at most one retry pending, and is cancellable.
import { describe, expect, it } from 'vitest'
import { RetryTimer } from '../../../src/core/link/backoff.js'
import { TimerRegistry } from '../../../src/core/link/timers.js'

const POLICY = { baseMs: 10, maxMs: 40, jitter: 0.3 }
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('RetryTimer', () => {
  it('each failure waits the next backoff delay (doubling to the cap, middle jitter at r = 0.5)', () => {
    const timers = new TimerRegistry()
    const r = new RetryTimer(timers, POLICY, () => 0.5)
    expect([r.fail(() => {}), r.fail(() => {}), r.fail(() => {}), r.fail(() => {})]).toEqual([10, 20, 40, 40])
    expect(r.failures).toBe(4)
    timers.closeAll()
  })

  it('a second failure replaces the pending retry: the callback runs once', async () => {
    const timers = new TimerRegistry()
    const r = new RetryTimer(timers, POLICY, () => 0)
    let runs = 0
    expect(r.pending).toBe(false)
    r.fail(() => runs++)
    r.fail(() => runs++)
    expect(timers.count).toBe(1)
    expect(r.pending).toBe(true)
    await wait(60)
    expect(runs).toBe(1)
    expect(r.pending).toBe(false)
  })

  it('cancel() and reset() stop the pending retry; reset() starts the count over', async () => {
    const timers = new TimerRegistry()
    const r = new RetryTimer(timers, POLICY, () => 0.5)
    let runs = 0
    r.fail(() => runs++)
    r.cancel()
    expect(r.pending).toBe(false)
    expect(r.failures).toBe(1)
    r.fail(() => runs++)
    r.reset()
    expect(r.failures).toBe(0)
    expect(timers.count).toBe(0)
    await wait(60)
    expect(runs).toBe(0)
    expect(r.fail(() => {})).toBe(10)
    timers.closeAll()
  })

  it('sleep(n) waits failure n’s delay and says false when the timers are closed meanwhile', async () => {
    const timers = new TimerRegistry()
    const r = new RetryTimer(timers, POLICY, () => 0.5)
    const t0 = Date.now()
    expect(await r.sleep(1)).toBe(true)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(8)
    const pending = r.sleep(3)
    timers.closeAll()
    expect(await pending).toBe(false)
  })
})
