// The desk says why each alert was withdrawn, so a host can put it in words ("Maria Gonzalez cancelled")
// instead of printing a request id: taken, cancelled, removed (deleted, other statuses, gone at a reconcile)
// or acknowledged here — each removal's own reason, also when several land in one group commit. Real desk
// and SQLite through the shared harness.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RetractWhy } from '../../../src/core/ports.js'
import { retractWhy } from '../../../src/core/desk/retract-why.js'
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
  ] as const)('a removal for reason %s is %s', async (reason, why) => {
    h.core.desk.ingest(queued('r1'))
    await settle()
    h.core.desk.ingest(removed('r1', { reason }))
    await settle()
    expect(seen).toEqual([{ requestId: 'r1', why }])
  })

  it('a request missing from a reconcile snapshot is removed', async () => {
    h.core.desk.ingest(queued('r1'))
    vi.advanceTimersByTime(10)
    await settle()
    h.core.desk.reconcile({ trigger: 'timer', requests: [], startedAt: Date.now() })
    await settle()
    expect(seen).toEqual([{ requestId: 'r1', why: 'removed' }])
  })

  it('acknowledging keeps the request queued and is acknowledged', async () => {
    h.core.desk.ingest(queued('r1'))
    await settle()
    h.core.desk.acknowledge('r1')
    await settle()
    expect(seen).toEqual([{ requestId: 'r1', why: 'acknowledged' }])
  })

  it('a request taken after it was acknowledged is taken', async () => {
    h.core.desk.ingest(queued('r1'))
    await settle()
    h.core.desk.acknowledge('r1')
    h.core.desk.ingest(removed('r1', { reason: 'accepted' }))
    await settle()
    expect(seen.map((s) => s.why)).toEqual(['acknowledged', 'taken'])
  })

  it('the newest removal counts: cancelled, re-queued, then taken is taken', async () => {
    h.core.desk.ingest(queued('r1'))
    h.core.desk.ingest(removed('r1', { reason: 'cancelled' }))
    vi.advanceTimersByTime(5000)
    h.core.desk.ingest(queued('r1', { source: 'broadcast', queuedAt: '2026-03-02T09:00:09.001Z' }))
    vi.advanceTimersByTime(5000)
    h.core.desk.ingest(removed('r1', { reason: 'accepted', receivedAt: Date.now() }))
    await settle()
    expect(seen.map((s) => s.why)).toEqual(['cancelled', 'taken'])
  })

  it('a removal heard from two paths is announced once', async () => {
    h.core.desk.ingest(queued('r1'))
    await settle()
    h.core.desk.ingest(removed('r1', { reason: 'cancelled', source: 'broadcast' }))
    h.core.desk.ingest(removed('r1', { reason: 'cancelled', source: 'db-broadcast' }))
    await settle()
    expect(seen).toEqual([{ requestId: 'r1', why: 'cancelled' }])
  })
})

describe('retractWhy', () => {
  it('maps only accepted to taken and cancelled to cancelled; anything else is removed', () => {
    expect(retractWhy('accepted')).toBe('taken')
    expect(retractWhy('cancelled')).toBe('cancelled')
    for (const r of ['deleted', 'other', 'reconcile (timer)', 're-queued', 'Accepted', '', null]) expect(retractWhy(r)).toBe('removed')
  })
})
