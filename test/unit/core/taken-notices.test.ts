import { describe, expect, it } from 'vitest'
import { TAKEN_NOTICE_MAX, TAKEN_NOTICE_MS, TakenNotices } from '../../../src/core/taken-notices.js'
import type { QueueItem } from '../../../src/shared/types.js'

const item = (requestId: string, customerName: string | null): QueueItem => ({
  requestId,
  key: `${requestId}@t`,
  sessionId: null,
  queuedAt: null,
  details: { customerName, vehicle: null, concern: null, sessionType: null },
  detail: 'full',
  acknowledged: false,
  alertCount: 1,
  firstSeenAt: 0,
  firstSource: 'db-broadcast',
  confirmed: true,
})

describe('"taken by" notices', () => {
  it('a taken request is named with its customer and its taker, for a few seconds only', () => {
    const n = new TakenNotices()
    n.rememberQueue([item('r1', 'Maria Gonzalez'), item('r2', 'Bo')])
    expect(n.retracted({ requestId: 'r1', why: 'taken', takenBy: 'Ana' }, 1000)).toBe(true)
    expect(n.current(1000)).toEqual([{ requestId: 'r1', customerName: 'Maria Gonzalez', takenBy: 'Ana', at: 1000 }])
    expect(n.nextExpiry()).toBe(1000 + TAKEN_NOTICE_MS)
    expect(n.current(1000 + TAKEN_NOTICE_MS - 1)).toHaveLength(1)
    expect(n.current(1000 + TAKEN_NOTICE_MS)).toEqual([])
    expect(n.nextExpiry()).toBeNull()
  })

  it('cancelled, removed and acknowledged requests are no "taken by" notice', () => {
    const n = new TakenNotices()
    n.rememberQueue([item('r1', 'A')])
    for (const why of ['cancelled', 'removed', 'acknowledged'] as const) expect(n.retracted({ requestId: 'r1', why }, 0)).toBe(false)
    expect(n.current(0)).toEqual([])
  })

  it('an unnamed taker and an unknown request still make a notice, with nulls', () => {
    const n = new TakenNotices()
    n.retracted({ requestId: 'gone', why: 'taken' }, 5)
    n.retracted({ requestId: 'gone2', why: 'taken', takenBy: null }, 5)
    expect(n.current(5)).toEqual([
      { requestId: 'gone', customerName: null, takenBy: null, at: 5 },
      { requestId: 'gone2', customerName: null, takenBy: null, at: 5 },
    ])
  })

  it('a name survives a new listing without the request; the same request taken again replaces its notice', () => {
    const n = new TakenNotices()
    n.rememberQueue([item('r1', 'Maria')])
    n.retracted({ requestId: 'r1', why: 'taken', takenBy: 'Ana' }, 0)
    n.rememberQueue([])
    n.retracted({ requestId: 'r1', why: 'taken', takenBy: 'Sam' }, 10)
    expect(n.current(10)).toEqual([{ requestId: 'r1', customerName: 'Maria', takenBy: 'Sam', at: 10 }])
  })

  it(`at most ${TAKEN_NOTICE_MAX} at once: the oldest go first; expiry follows the oldest left`, () => {
    const n = new TakenNotices(100)
    for (let i = 0; i < TAKEN_NOTICE_MAX + 2; i++) n.retracted({ requestId: `r${i}`, why: 'taken', takenBy: 'X' }, i)
    const ids = n.current(TAKEN_NOTICE_MAX + 2).map((x) => x.requestId)
    expect(ids).toEqual(Array.from({ length: TAKEN_NOTICE_MAX }, (_, i) => `r${i + 2}`))
    expect(n.nextExpiry()).toBe(2 + 100)
  })
})
