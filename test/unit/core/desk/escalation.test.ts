// Escalation rules: a request waiting past the threshold while fewer than N workstations are live escalates on every
// live workstation; acknowledged, unconfirmed and younger requests do not; an unknown live count never escalates.
import { describe, expect, it } from 'vitest'
import { DEFAULT_ESCALATION, dueRings, escalating, nextCheckAt, shortHanded, type WaitingRequest } from '../../../../src/core/desk/escalation.js'

const t = { afterMs: 180_000, belowLive: 2, repeatMs: 30_000 }
const NOW = 1_000_000_000
const w = (requestId: string, waitedMs: number, extra: Partial<WaitingRequest> = {}): WaitingRequest => ({ requestId, since: NOW - waitedMs, acknowledged: false, confirmed: true, ...extra })

describe('escalation rules', () => {
  it('defaults: 3 min, fewer than 2 live, every 30 s', () => {
    expect(DEFAULT_ESCALATION).toEqual({ afterMs: 180_000, belowLive: 2, repeatMs: 30_000 })
  })

  it('short-handed only when the live count is known and below the limit', () => {
    expect(shortHanded(null, t)).toBe(false)
    expect(shortHanded(0, t)).toBe(true)
    expect(shortHanded(1, t)).toBe(true)
    expect(shortHanded(2, t)).toBe(false)
    expect(shortHanded(3, { ...t, belowLive: 3 })).toBe(false)
    expect(shortHanded(2, { ...t, belowLive: 3 })).toBe(true)
  })

  it('a request escalates from exactly the threshold on, oldest first', () => {
    const waiting = [w('young', 179_999), w('edge', 180_000), w('old', 600_000)]
    expect(escalating(waiting, NOW, 1, t).map((x) => x.requestId)).toEqual(['old', 'edge'])
  })

  it('nothing escalates with enough workstations live, or when the count is unknown', () => {
    const waiting = [w('old', 600_000)]
    expect(escalating(waiting, NOW, 2, t)).toEqual([])
    expect(escalating(waiting, NOW, null, t)).toEqual([])
  })

  it('acknowledged and unconfirmed requests do not escalate', () => {
    expect(escalating([w('a', 600_000, { acknowledged: true }), w('u', 600_000, { confirmed: false })], NOW, 0, t)).toEqual([])
  })

  it('an escalated ring is due when never rung, or from exactly repeatMs after the last', () => {
    const esc = [w('never', 600_000), w('just', 600_000), w('due', 600_000)]
    const last = new Map([['just', NOW - 29_999], ['due', NOW - 30_000]])
    expect(dueRings(esc, NOW, last, t).map((x) => x.requestId)).toEqual(['never', 'due'])
  })

  it('next check: the earliest of a request crossing the threshold or a ring coming due; none when not short-handed', () => {
    expect(nextCheckAt([w('young', 60_000)], NOW, 1, new Map(), t)).toBe(NOW + 120_000)
    expect(nextCheckAt([w('old', 600_000)], NOW, 1, new Map([['old', NOW - 10_000]]), t)).toBe(NOW + 20_000)
    expect(nextCheckAt([w('old', 600_000)], NOW, 1, new Map(), t)).toBe(NOW)
    expect(nextCheckAt([w('old', 600_000)], NOW, 1, new Map([['old', NOW - 90_000]]), t)).toBe(NOW) // overdue: now, not in the past
    expect(nextCheckAt([w('young', 60_000), w('old', 600_000)], NOW, 1, new Map([['old', NOW - 25_000]]), t)).toBe(NOW + 5_000)
    expect(nextCheckAt([w('old', 600_000)], NOW, 2, new Map(), t)).toBeNull()
    expect(nextCheckAt([w('old', 600_000)], NOW, null, new Map(), t)).toBeNull()
    expect(nextCheckAt([w('a', 600_000, { acknowledged: true }), w('u', 60_000, { confirmed: false })], NOW, 1, new Map(), t)).toBeNull()
  })
})
