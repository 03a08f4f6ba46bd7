// The desk says why each alert was withdrawn, so a host can put it in words ("Maria Gonzalez cancelled")
// instead of printing a request id: taken, cancelled, removed (deleted, other statuses, gone at a
// reconcile) or acknowledged here. Real SQLite through the shared harness.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RetractWhy } from '../../../src/core/ports.js'
import { retractWhy } from '../../../src/core/desk/request-desk.js'
import { T0, harness, queued, removed, settle, type Harness } from './helpers.js'

let h: Harness
let seen: { requestId: string; why: RetractWhy }[]
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  h = harness()
  seen = []
  h.core.desk.on('retract', (e) => seen.push(e))
})
afterEach(() => {
  h.dispose()
  vi.useRealTimers()
})

describe('retract events carry why', () => {
  it.each([
    ['accepted', 'taken'],
    ['cancelled', 'cancelled'],
    ['deleted', 'removed'],
    ['other', 'removed'],
  ] as const)('a removal for reason %s is announced as %s', async (reason, why) => {
    h.core.desk.ingest(queued('r1'))
    await settle()
    h.core.desk.ingest(removed('r1', { reason }))
    await settle()
    expect(seen).toEqual([{ requestId: 'r1', why }])
  })

  it('a request missing from a reconcile snapshot is announced as removed', async () => {
    h.core.desk.ingest(queued('r1'))
    vi.advanceTimersByTime(10)
    await settle()
    h.core.desk.reconcile({ trigger: 'timer', requests: [], startedAt: Date.now() })
    await settle()
    expect(seen).toEqual([{ requestId: 'r1', why: 'removed' }])
  })

  it('acknowledging keeps the request queued and is announced as acknowledged', async () => {
    h.core.desk.ingest(queued('r1'))
    await settle()
    h.core.desk.acknowledge('r1')
    await settle()
    expect(seen).toEqual([{ requestId: 'r1', why: 'acknowledged' }])
    expect(h.core.desk.queue().map((q) => q.requestId)).toEqual(['r1'])
  })

  it('a removal heard from two paths is announced once', async () => {
    h.core.desk.ingest(queued('r1'))
    await settle()
    h.core.desk.ingest(removed('r1', { reason: 'cancelled', source: 'broadcast' }))
    h.core.desk.ingest(removed('r1', { reason: 'cancelled', source: 'postgres_changes' }))
    await settle()
    expect(seen).toEqual([{ requestId: 'r1', why: 'cancelled' }])
  })
})

describe('retractWhy', () => {
  it('maps only accepted to taken and cancelled to cancelled; anything else is removed', () => {
    expect(retractWhy('accepted')).toBe('taken')
    expect(retractWhy('cancelled')).toBe('cancelled')
    for (const r of ['deleted', 'other', 'reconcile (timer)', 'Accepted', '']) expect(retractWhy(r)).toBe('removed')
  })
})
