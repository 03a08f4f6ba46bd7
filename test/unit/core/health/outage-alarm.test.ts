// The not-receiving reminder (issue #7: "signed out, offline or degraded for longer than a threshold raises a health
// alert with sound, repeated like a request until the link is back or the mechanic acknowledges it").
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { OutageAlarm, receiving } from '../../../../src/core/health/outage-alarm.js'
import { TimerRegistry } from '../../../../src/core/link/timers.js'
import type { LinkState, LinkStateName } from '../../../../src/shared/types.js'

const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
const state = (s: LinkStateName, reason: string = s, since = Date.now()): LinkState => ({ state: s, reason, since })

function alarm(over: { afterMs?: number; repeatMs?: number; maxRepeats?: number } = {}) {
  const rung: { title: string; body: string }[] = []
  const changed = vi.fn()
  const timers = new TimerRegistry()
  const a = new OutageAlarm({ clock: { now: () => Date.now() }, timers, log, ring: (t) => rung.push(t), changed, afterMs: 60_000, repeatMs: 120_000, maxRepeats: 3, ...over })
  return { a, rung, changed, timers }
}

beforeEach(() => vi.useFakeTimers({ now: Date.parse('2026-11-30T10:00:00Z') }))
afterEach(() => vi.useRealTimers())

describe('OutageAlarm', () => {
  it('offline for the threshold: one alert naming the reason, not a moment before', () => {
    const { a, rung, changed } = alarm()
    a.update(state('offline', 'The network is down'), false)
    vi.advanceTimersByTime(59_999)
    expect(rung).toEqual([])
    vi.advanceTimersByTime(1)
    expect(rung).toEqual([{ title: 'BayAlert is not receiving requests', body: expect.stringMatching(/^For 1 min: The network is down\. New requests will not ring/) }])
    expect(a.view()).toMatchObject({ alerted: true, acknowledged: false, reason: 'The network is down' })
    expect(changed).toHaveBeenCalledTimes(1)
  })

  it('the wait counts from when receiving stopped, across changes of state (offline → connecting → signed out)', () => {
    const { a, rung } = alarm()
    const t0 = Date.now()
    a.update(state('offline', 'x', t0), false)
    vi.advanceTimersByTime(40_000)
    a.update(state('connecting', 'Joining', Date.now()), false)
    a.update(state('signed-out', 'Session revoked', Date.now()), false)
    vi.advanceTimersByTime(20_000)
    expect(rung).toHaveLength(1)
    expect(rung[0]!.body).toMatch(/Session revoked/)
    expect(a.view()?.since).toBe(t0)
  })

  it('repeats at the interval, at most maxRepeats times, like a request', () => {
    const { a, rung } = alarm({ maxRepeats: 2 })
    a.update(state('offline'), false)
    vi.advanceTimersByTime(60_000 + 120_000 * 5)
    expect(rung).toHaveLength(3)
  })

  it('acknowledged: no more repeats; receiving again ends it; the next outage alarms again', () => {
    const { a, rung, changed } = alarm()
    a.update(state('offline'), false)
    vi.advanceTimersByTime(60_000)
    a.acknowledge()
    expect(a.view()?.acknowledged).toBe(true)
    vi.advanceTimersByTime(120_000 * 4)
    expect(rung).toHaveLength(1)
    a.update(state('live'), true)
    expect(a.view()).toBeNull()
    expect(changed).toHaveBeenCalledTimes(3) // alerted, acknowledged, ended
    a.update(state('offline'), false)
    vi.advanceTimersByTime(60_000)
    expect(rung).toHaveLength(2)
  })

  it('back before the threshold: nothing rings and nothing changes', () => {
    const { a, rung, changed } = alarm()
    a.update(state('offline'), false)
    vi.advanceTimersByTime(59_000)
    a.update(state('live'), true)
    vi.advanceTimersByTime(600_000)
    expect(rung).toEqual([])
    expect(changed).not.toHaveBeenCalled()
    expect(a.view()).toBeNull()
  })

  it('degraded while requests still arrive is said once, without repeats; if it then goes deaf, the repeats start', () => {
    const { a, rung } = alarm()
    a.update(state('degraded', 'Receiving requests through postgres_changes'), true)
    vi.advanceTimersByTime(60_000 + 120_000 * 3)
    expect(rung).toEqual([{ title: 'BayAlert is degraded', body: expect.stringMatching(/Requests still arrive; this is said once\.$/) }])
    a.update(state('offline', 'The network is down'), false)
    vi.advanceTimersByTime(120_000)
    expect(rung).toHaveLength(2)
    expect(rung[1]!.title).toBe('BayAlert is not receiving requests')
  })

  it('stop() leaves nothing armed; acknowledging with no outage does nothing', () => {
    const { a, rung, changed } = alarm()
    a.acknowledge()
    expect(changed).not.toHaveBeenCalled()
    a.update(state('offline'), false)
    a.stop()
    vi.advanceTimersByTime(600_000)
    expect(rung).toEqual([])
  })

  it('receiving(): live, or degraded with a working path', () => {
    expect(receiving(state('live'), false)).toBe(true)
    expect(receiving(state('degraded'), true)).toBe(true)
    expect(receiving(state('degraded'), false)).toBe(false)
    expect(receiving(state('connecting'), true)).toBe(false)
  })
})
