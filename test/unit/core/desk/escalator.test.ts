// The escalator in time (fake timers, the desk's Timers port): rings an escalated, louder alert when a request crosses
// the threshold while the shop is short-handed, again every repeatMs, and stops when the request is acknowledged or
// leaves, or when enough workstations are live again. A silenced desk rings nothing and is asked again later.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Escalator } from '../../../../src/core/desk/escalator.js'
import { systemTimers } from '../../../../src/core/desk/timers.js'
import type { Alert } from '../../../../src/core/ports.js'
import type { QueueItem } from '../../../../src/shared/types.js'

const silentLog = { debug() {}, info() {}, warn() {}, error() {} }
const START = Date.parse('2026-11-30T10:00:00.000Z')

function item(id: string, queuedAt: number, extra: Partial<QueueItem> = {}): QueueItem {
  return {
    requestId: id,
    key: `${id}@x`,
    sessionId: null,
    queuedAt: new Date(queuedAt).toISOString(),
    details: { customerName: `Customer ${id}`, vehicle: '2019 Civic', concern: 'brakes', sessionType: null },
    detail: 'full',
    acknowledged: false,
    alertCount: 1,
    firstSeenAt: queuedAt,
    firstSource: 'db-broadcast',
    confirmed: true,
    ...extra,
  }
}

let queue: QueueItem[]
let rung: Alert[]
let silenced: boolean
let counted: string[]
let esc: Escalator

beforeEach(() => {
  vi.useFakeTimers({ now: START })
  queue = []
  rung = []
  silenced = false
  counted = []
  esc = new Escalator({
    clock: { now: () => Date.now() },
    timers: systemTimers,
    log: silentLog,
    tuning: { afterMs: 180_000, belowLive: 2, repeatMs: 30_000 },
    queue: () => queue,
    ring: (a) => {
      if (silenced) return false
      rung.push(a)
      return true
    },
    count: (k) => counted.push(k),
  })
})
afterEach(() => {
  esc.stop()
  vi.useRealTimers()
})

describe('Escalator', () => {
  it('rings once the request has waited 3 min with 1 of 3 live, then every 30 s, loud, naming the shop state', () => {
    queue = [item('a', START - 120_000)]
    esc.setWatch({ live: 1, total: 3 })
    expect(rung).toEqual([])
    vi.advanceTimersByTime(59_999)
    expect(rung).toEqual([])
    vi.advanceTimersByTime(1)
    expect(rung).toHaveLength(1)
    expect(rung[0]).toMatchObject({ kind: 'repeat', requestId: 'a', escalated: true, title: 'Urgent — waiting 3 min: Customer a' })
    expect(rung[0]!.body).toBe('Only 1 of 3 workstations live. 2019 Civic · brakes')
    expect(counted).toEqual(['escalation:rung'])
    vi.advanceTimersByTime(29_999)
    expect(rung).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(rung).toHaveLength(2)
    expect(esc.escalatingNow()).toEqual(['a'])
  })

  it('does not ring with enough workstations live, nor before the watch is known', () => {
    queue = [item('a', START - 600_000)]
    esc.evaluate()
    esc.setWatch({ live: 2, total: 3 })
    vi.advanceTimersByTime(600_000)
    expect(rung).toEqual([])
    expect(esc.escalatingNow()).toEqual([])
  })

  it('stops when the request is acknowledged or leaves the queue, and when workstations come back', () => {
    queue = [item('a', START - 600_000), item('b', START - 600_000)]
    esc.setWatch({ live: 1, total: 2 })
    expect(rung).toHaveLength(1) // both due at once: one summary
    expect(rung[0]).toMatchObject({ summaryOf: ['a', 'b'], escalated: true, title: 'Urgent — 2 requests waiting over 10 min' })
    queue = [item('a', START - 600_000, { acknowledged: true })]
    esc.evaluate()
    vi.advanceTimersByTime(120_000)
    expect(rung).toHaveLength(1)
    queue = [item('c', START - 600_000)]
    esc.evaluate()
    expect(rung).toHaveLength(2)
    esc.setWatch({ live: 2, total: 2 })
    vi.advanceTimersByTime(120_000)
    expect(rung).toHaveLength(2)
  })

  it('a request that left and came back escalates again at once (its last ring is forgotten)', () => {
    queue = [item('a', START - 600_000)]
    esc.setWatch({ live: 0, total: 1 })
    expect(rung).toHaveLength(1)
    queue = []
    esc.evaluate()
    queue = [item('a', START - 600_000)]
    esc.evaluate()
    expect(rung).toHaveLength(2)
  })

  it('silenced: nothing rings, nothing is recorded, and it is asked again one repeat later', () => {
    silenced = true
    queue = [item('a', START - 600_000)]
    esc.setWatch({ live: 1, total: 2 })
    expect(rung).toEqual([])
    expect(counted).toEqual([])
    silenced = false
    vi.advanceTimersByTime(29_999)
    expect(rung).toEqual([])
    vi.advanceTimersByTime(1)
    expect(rung).toHaveLength(1)
  })

  it('waits from the queued time, or from first seen when the server gave none', () => {
    queue = [item('a', START - 600_000, { queuedAt: null, firstSeenAt: START - 100_000 })]
    esc.setWatch({ live: 1, total: 2 })
    expect(rung).toEqual([])
    vi.advanceTimersByTime(80_000)
    expect(rung).toHaveLength(1)
  })

  it('after stop nothing rings', () => {
    queue = [item('a', START - 120_000)]
    esc.setWatch({ live: 1, total: 2 })
    esc.stop()
    vi.advanceTimersByTime(600_000)
    esc.evaluate()
    expect(rung).toEqual([])
  })
})
