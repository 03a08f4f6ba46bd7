// Silence (flags + pause) with a real store: what may ring, what survives a restart, when alerts come back.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_FLAGS, type FeatureFlags, type PauseUntil } from '../../../../src/shared/types.js'
import { Store } from '../../../../src/core/store/store.js'
import { systemClock } from '../../../../src/core/ports.js'
import { systemTimers } from '../../../../src/core/desk/timers.js'
import { Silence } from '../../../../src/core/desk/silence.js'
import { T0, captureLog } from '../helpers.js'

let store: Store
let back: string[]
let pauses: PauseUntil[]
let flagEvents: FeatureFlags[]
let silences: Silence[]

function silence(): Silence {
  const s = new Silence({
    store,
    log: captureLog(),
    clock: systemClock,
    timers: systemTimers,
    onAlertsBack: (phrase) => back.push(phrase),
    onPause: (u) => pauses.push(u),
    onFlags: (f) => flagEvents.push(f),
  })
  silences.push(s)
  s.start()
  return s
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  store = Store.open({ path: ':memory:', log: captureLog() })
  back = []
  pauses = []
  flagEvents = []
  silences = []
})
afterEach(() => {
  for (const s of silences) s.stop()
  store.close()
  vi.useRealTimers()
})

describe('pause', () => {
  it('15 min: silenced until then; the timer ends it and alerts come back once', async () => {
    const s = silence()
    expect(s.reason()).toBeNull()
    expect(s.pause({ minutes: 15 })).toBe(T0 + 15 * 60_000)
    expect(s.reason()).toBe(`paused until ${new Date(T0 + 15 * 60_000).toISOString()}`)
    await vi.advanceTimersByTimeAsync(15 * 60_000 - 1)
    expect(s.paused()).toBe(T0 + 15 * 60_000)
    expect(back).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(s.paused()).toBeNull()
    expect(s.reason()).toBeNull()
    expect(back).toEqual(['waited while alerts were paused'])
    expect(pauses).toEqual([T0 + 15 * 60_000, null])
  })

  it('an ended pause reads as ended even before its timer fires (the laptop slept)', () => {
    const s = silence()
    s.pause({ minutes: 15 })
    vi.setSystemTime(T0 + 16 * 60_000) // the clock moved, no timer ran
    expect(s.paused()).toBeNull()
    expect(store.getMeta('pause_until')).toBeNull()
  })

  it('out-of-bounds pauses are refused and change nothing', () => {
    const s = silence()
    for (const bad of [{ minutes: 0 }, { minutes: 3 * 24 * 60 }, { minutes: -1 }]) expect(() => s.pause(bad as never)).toThrow(RangeError)
    expect(s.paused()).toBeNull()
    expect(pauses).toEqual([])
    expect(store.getMeta('pause_until')).toBeNull()
  })

  it('survives a restart; one that ended while closed is cleared at start', () => {
    silence().pause({ minutes: 60 })
    expect(silence().paused()).toBe(T0 + 60 * 60_000)
    vi.setSystemTime(T0 + 61 * 60_000)
    const later = silence()
    expect(later.paused()).toBeNull()
    expect(store.getMeta('pause_until')).toBeNull()
  })

  it('until resumed: lasts past any time; resume ends it and alerts come back; resuming again is a no-op', async () => {
    const s = silence()
    s.pause({ indefinite: true })
    await vi.advanceTimersByTimeAsync(7 * 24 * 3600_000)
    expect(s.reason()).toBe('paused')
    s.resume()
    s.resume()
    expect(s.reason()).toBeNull()
    expect(back).toEqual(['waited while alerts were paused'])
  })

  it('stop() clears the pause timer: no expiry callback after it', async () => {
    const s = silence()
    s.pause({ minutes: 15 })
    s.stop()
    await vi.advanceTimersByTimeAsync(20 * 60_000)
    expect(back).toEqual([])
  })
})

describe('pause, precisely', () => {
  it('a pause restored at start still ends by its own timer, and alerts come back then', async () => {
    const first = silence()
    first.pause({ minutes: 60 })
    first.stop()
    const restored = silence()
    await vi.advanceTimersByTimeAsync(60 * 60_000 - 1)
    expect(back).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(restored.paused()).toBeNull()
    expect(back).toEqual(['waited while alerts were paused'])
  })

  it('a new pause replaces the running one: only the later end brings alerts back, once', async () => {
    const s = silence()
    s.pause({ minutes: 15 })
    s.pause({ minutes: 60 })
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(59 * 60_000)
    expect(back).toEqual([])
    expect(s.paused()).toBe(T0 + 60 * 60_000)
    await vi.advanceTimersByTimeAsync(60 * 60_000)
    expect(back).toEqual(['waited while alerts were paused'])
  })

  it('resuming a timed pause ends it for good: its timer brings nothing back later', async () => {
    const s = silence()
    s.pause({ minutes: 15 })
    s.resume()
    expect(store.getMeta('pause_until')).toBeNull()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(30 * 60_000)
    expect(back).toEqual(['waited while alerts were paused'])
    expect(pauses).toEqual([T0 + 15 * 60_000, null])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('the clock, not the timer, ends a pause: a timer that fires early waits for the clock', async () => {
    // The clock is set back 10 s after the pause began (a time correction): the timer, armed for the old
    // reading, fires while the clock still says the pause runs.
    const lag = 10_000
    let offset = 0
    const s = new Silence({
      store,
      log: captureLog(),
      clock: { now: () => Date.now() - offset },
      timers: systemTimers,
      onAlertsBack: (phrase) => back.push(phrase),
      onPause: (u) => pauses.push(u),
      onFlags: (f) => flagEvents.push(f),
    })
    silences.push(s)
    s.start()
    const until = s.pause({ minutes: 15 })
    offset = lag
    await vi.advanceTimersByTimeAsync(15 * 60_000)
    expect(back).toEqual([])
    expect(s.paused()).toBe(until)
    await vi.advanceTimersByTimeAsync(lag)
    expect(back).toEqual(['waited while alerts were paused'])
  })
})

describe('pause, kept and said', () => {
  it('is stored under pause_until (what earlier versions wrote) and survives any number of restarts', () => {
    const s = silence()
    const until = s.pause({ minutes: 60 })
    expect(store.getMeta('pause_until')).toBe(String(until))
    s.stop()
    silence().stop()
    silence().stop()
    expect(silence().paused()).toBe(until)
    expect(store.getMeta('pause_until')).toBe(String(until))
  })

  it('a pause until resumed arms no timer; after stop() a pause arms none either', () => {
    const s = silence()
    s.pause({ indefinite: true })
    expect(vi.getTimerCount()).toBe(0)
    s.resume()
    s.stop()
    s.pause({ minutes: 15 })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('pausing, resuming and a pause ending are each logged', async () => {
    const log = captureLog()
    const s = new Silence({ store, log, clock: systemClock, timers: systemTimers, onAlertsBack: () => {}, onPause: () => {}, onFlags: () => {} })
    silences.push(s)
    s.start()
    const until = s.pause({ minutes: 15 })
    s.resume()
    s.pause({ minutes: 15 })
    await vi.advanceTimersByTimeAsync(15 * 60_000)
    expect(log.lines.map((l) => [l.msg, l.fields])).toEqual([
      ['desk: alerts paused', { until }],
      ['desk: alerts resumed', undefined],
      ['desk: alerts paused', { until }],
      ['desk: pause ended', undefined],
    ])
  })
})

describe('flags', () => {
  it('listeners get a copy of the flags, and the cache records when they were saved', () => {
    const s = silence()
    s.setFlags({ ...DEFAULT_FLAGS, mech_audio_alerts: false })
    expect(flagEvents).toEqual([{ ...DEFAULT_FLAGS, mech_audio_alerts: false }])
    flagEvents[0]!.mech_new_request_alerts = false
    expect(s.reason()).toBeNull()
    expect(store.loadFlags()).toMatchObject({ flags: { ...DEFAULT_FLAGS, mech_audio_alerts: false }, fetchedAt: T0 })
  })

  it('master switch off silences; switching it back on brings alerts back once; other flags do not', () => {
    const s = silence()
    s.setFlags({ ...DEFAULT_FLAGS, mech_new_request_alerts: false })
    expect(s.reason()).toBe('mech_new_request_alerts off')
    s.setFlags({ ...DEFAULT_FLAGS, mech_new_request_alerts: false, mech_audio_alerts: false })
    expect(back).toEqual([])
    s.setFlags({ ...DEFAULT_FLAGS })
    s.setFlags({ ...DEFAULT_FLAGS })
    expect(s.reason()).toBeNull()
    expect(back).toEqual(['waited while alerts were switched off'])
    expect(flagEvents).toHaveLength(4)
  })

  it('are cached for an offline start', () => {
    silence().setFlags({ ...DEFAULT_FLAGS, mech_audio_alerts: false })
    expect(silence().flags()).toEqual({ ...DEFAULT_FLAGS, mech_audio_alerts: false })
  })

  it('flags() is a copy: changing it changes nothing', () => {
    const s = silence()
    s.flags().mech_new_request_alerts = false
    expect(s.reason()).toBeNull()
  })
})
