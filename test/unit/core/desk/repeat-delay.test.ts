// Repeats come sooner as a wait grows (issue #8, "urgency across the bay"): the rule itself and its effect on a
// request's schedule of repeats, with the thresholds the tray app passes from the mechanic's Alerts panel.
import { describe, expect, it } from 'vitest'
import { firstRing, MIN_REPEAT_MS, repeatDelay, repeatStep, type RingTuning } from '../../../../src/core/desk/rules.js'
import type { QueueRow } from '../../../../src/core/store/store.js'

const MIN = 60_000
const URGENCY = { amberAfterMs: 2 * MIN, redAfterMs: 5 * MIN }
const T0 = Date.parse('2026-11-30T10:00:00.000Z')
const tuning = (over: Partial<RingTuning> = {}): RingTuning => ({ repeatIntervalMs: 2 * MIN, repeatMaxCount: 10, urgency: URGENCY, ...over })
const row = (over: Partial<QueueRow> = {}): QueueRow => ({
  requestId: 'r1', key: 'r1@x', sessionId: null, queuedAt: new Date(T0).toISOString(), details: { customerName: 'A', vehicle: null, concern: null, sessionType: null },
  detail: 'full', acknowledged: false, alertCount: 0, firstSeenAt: T0, firstSource: 'db-broadcast', nextRepeatAt: null, lastAlertAt: null, commitTs: null, ...over,
})

describe('repeatDelay', () => {
  it('the interval while calm, half from amber on, a quarter from red on — at the exact thresholds', () => {
    const t = tuning({ repeatIntervalMs: 4 * MIN })
    expect(repeatDelay(row(), T0 + 2 * MIN - 1, t)).toBe(4 * MIN)
    expect(repeatDelay(row(), T0 + 2 * MIN, t)).toBe(2 * MIN)
    expect(repeatDelay(row(), T0 + 5 * MIN - 1, t)).toBe(2 * MIN)
    expect(repeatDelay(row(), T0 + 5 * MIN, t)).toBe(MIN)
  })
  it('never under 30 s, and an interval already under that is left as it is', () => {
    expect(repeatDelay(row(), T0 + 60 * MIN, tuning({ repeatIntervalMs: 60_000 }))).toBe(MIN_REPEAT_MS)
    expect(repeatDelay(row(), T0 + 60 * MIN, tuning({ repeatIntervalMs: 200 }))).toBe(200)
  })
  it('off without thresholds; the wait counts from queued_at, else from when this workstation first saw it', () => {
    expect(repeatDelay(row(), T0 + 60 * MIN, tuning({ urgency: null }))).toBe(2 * MIN)
    expect(repeatDelay(row({ queuedAt: null, firstSeenAt: T0 + 58 * MIN }), T0 + 60 * MIN, tuning())).toBe(MIN)
    expect(repeatDelay(row({ queuedAt: 'garbage', firstSeenAt: T0 + 59 * MIN }), T0 + 60 * MIN, tuning())).toBe(2 * MIN)
  })
})

describe('a waiting request with thresholds: repeats every 2 min, then every minute once amber, every 30 s once red', () => {
  it('rings at 0, 2, 3, 4, 5, 5.5, 6, … and stops after ten repeats', () => {
    const t = tuning()
    let r = firstRing(row(), T0, t)!
    const rings = [0]
    while (r.nextRepeatAt !== null && rings.length < 20) {
      const step = repeatStep(r, r.nextRepeatAt, t, false)
      if (step.rings) rings.push((r.nextRepeatAt - T0) / 1000)
      r = step.next
    }
    expect(rings).toEqual([0, 120, 180, 240, 300, 330, 360, 390, 420, 450, 480])
  })
  it('while silenced a due repeat is deferred by the same delay, not spent', () => {
    const r = { ...firstRing(row(), T0, tuning())!, nextRepeatAt: T0 + 6 * MIN }
    const s = repeatStep(r, T0 + 6 * MIN, tuning(), true)
    expect(s).toEqual({ next: { ...r, nextRepeatAt: T0 + 6 * MIN + 30_000 }, rings: false })
  })
})
