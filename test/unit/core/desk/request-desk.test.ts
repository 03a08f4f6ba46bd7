// The request desk's rules, end to end through a real SQLite file: facts in, sinks called.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_FLAGS } from '../../../../src/shared/types.js'
import type { QueuedFact, QueueSnapshot } from '../../../../src/core/facts.js'
import { parseBroadcast } from '../../../../src/core/feed/parse.js'
import { T0, details, harness, queued, rejected, removed, settle, type Harness, serverQueue } from '../helpers.js'

let h: Harness
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  h = harness()
})
afterEach(() => {
  h.dispose()
  vi.useRealTimers()
})

const snapshot = (requests: QueuedFact[], over: Partial<QueueSnapshot> = {}) => serverQueue(requests, { trigger: 'subscribed', ...over })

describe('new requests and duplicates', () => {
  it('a queued fact for an unknown key enqueues and rings every sink once, with commit→alert latency', async () => {
    vi.advanceTimersByTime(350)
    const r = h.core.desk.ingest(queued('r1', { commitTs: new Date(T0).toISOString() }))
    await settle()
    expect(r.outcome).toBe('alerted')
    expect(r.key).toBe('r1@2026-03-02T08:59:59.500000Z')
    for (const s of Object.values(h.sinks)) expect(s.alerts).toHaveLength(1)
    const a = h.alerts()[0]!
    expect(a).toMatchObject({ kind: 'request', requestId: 'r1', key: r.key, detail: 'full', latencyMs: 350 })
    expect(a.title).toBe('New request: Customer r1')
    expect(a.body).toBe('2019 Honda Civic · Brakes squeal · video')
    expect(h.core.desk.queue()).toHaveLength(1)
    expect(h.core.desk.queue()[0]).toMatchObject({ requestId: 'r1', alertCount: 1, acknowledged: false, firstSource: 'postgres_changes' })
    expect(h.core.health.summary().latencyMs.count).toBe(1)
    expect(h.core.health.summary().counters['postgres_changes:alerted']).toBe(1)
    expect(h.core.store.recentSinkAttempts().filter((x) => x.result === 'ok')).toHaveLength(5)
  })

  it('the same request from all four sources (differently spelled versions) rings once', async () => {
    const d = h.core.desk
    d.ingest(queued('r1', { source: 'broadcast' }))
    d.ingest(queued('r1', { source: 'db-broadcast', queuedAt: '2026-03-02T08:59:59.5Z' }))
    d.ingest(queued('r1', { source: 'postgres_changes', queuedAt: '2026-03-02 08:59:59.5+00', details: null }))
    d.reconcile(snapshot([queued('r1', { queuedAt: '2026-03-02T09:59:59.500+01:00' })]))
    await vi.advanceTimersByTimeAsync(5000)
    expect(h.alerts()).toHaveLength(1)
    const outcomes = h.core.store.recentEvents().map((e) => `${e.source}:${e.outcome}`).reverse()
    expect(outcomes).toEqual(['broadcast:alerted', 'db-broadcast:duplicate', 'postgres_changes:duplicate', 'reconcile:duplicate'])
    expect(d.queue()).toHaveLength(1)
  })

  it('duplicates after a restart (store reopened) never ring again', async () => {
    h.core.desk.ingest(queued('r1'))
    await settle()
    expect(h.alerts()).toHaveLength(1)
    for (let i = 0; i < 3; i++) {
      h.restart()
      for (const source of ['broadcast', 'db-broadcast', 'postgres_changes'] as const) h.core.desk.ingest(queued('r1', { source }))
      h.core.desk.reconcile(snapshot([queued('r1')]))
      await vi.advanceTimersByTimeAsync(2000)
      expect(h.alerts()).toHaveLength(0)
    }
    expect(h.core.desk.queue()[0]!.alertCount).toBe(1)
  })

  it('a fact without queued_at matches the queued entry and fills in the version later', async () => {
    const d = h.core.desk
    expect(d.ingest(queued('r1', { source: 'broadcast', queuedAt: null })).outcome).toBe('alerted')
    expect(d.queue()[0]!.key).toBe('r1@')
    const r = d.ingest(queued('r1', { queuedAt: '2026-03-02T08:59:59.5Z' }))
    expect(r).toMatchObject({ outcome: 'duplicate', reason: 'version filled in', key: 'r1@2026-03-02T08:59:59.500000Z' })
    expect(d.ingest(queued('r1', { source: 'db-broadcast', queuedAt: null })).outcome).toBe('duplicate')
    await settle()
    expect(h.alerts()).toHaveLength(1)
    expect(d.queue()[0]!.key).toBe('r1@2026-03-02T08:59:59.500000Z')
  })

  it('a re-queue later (new queued_at) rings again; an older version is stale', async () => {
    const d = h.core.desk
    d.ingest(queued('r1'))
    await settle()
    vi.advanceTimersByTime(5000)
    expect(d.ingest(queued('r1', { queuedAt: '2026-03-02T09:00:04Z' })).outcome).toBe('alerted')
    await settle()
    expect(h.alerts()).toHaveLength(2)
    expect(d.ingest(queued('r1')).outcome).toBe('stale') // the first version again, late
    await vi.advanceTimersByTimeAsync(2000)
    expect(h.alerts()).toHaveLength(2)
    expect(d.queue()[0]!.queuedAt).toBe('2026-03-02T09:00:04.000000Z')
  })

  it('after removal, removed → re-queued with a new version rings again', async () => {
    const d = h.core.desk
    d.ingest(queued('r1'))
    await settle()
    d.ingest(removed('r1', { reason: 'cancelled' }))
    vi.advanceTimersByTime(3000)
    expect(d.ingest(queued('r1', { queuedAt: '2026-03-02T09:00:02Z' })).outcome).toBe('alerted')
    await settle()
    expect(h.alerts().filter((a) => a.kind === 'request')).toHaveLength(2)
  })

  it('closing commits the facts of the current task and rings what they decided; after stop() a commit rings nothing', async () => {
    const seen: string[] = []
    h.core.desk.on('alert', (a) => seen.push(a.requestId!))
    h.core.desk.ingest(queued('r1'))
    h.core.close()
    expect(seen).toEqual(['r1'])
    const later = h.restart()
    const after: string[] = []
    later.desk.on('alert', (a) => after.push(a.requestId!))
    later.desk.reconcile(snapshot([queued('r1')])) // confirms it: it rang before, so no ring now
    later.desk.ingest(queued('r2'))
    later.desk.stop()
    later.store.commitGroup()
    await settle()
    expect(after).toEqual([])
    expect(later.store.getQueueRow('r2')).toMatchObject({ alertCount: 0 }) // stored, owed after the next start
    expect(later.store.getQueueRow('r1')).toMatchObject({ alertCount: 1 })
  })

  it('facts of one task share one commit; a request queued and removed within it never rings (like a held one that left)', async () => {
    const d = h.core.desk
    const commits = vi.spyOn(h.core.store, 'transactionInGroup')
    expect(d.ingest(queued('r1')).outcome).toBe('alerted')
    expect(d.ingest(removed('r1')).outcome).toBe('removed')
    expect(d.ingest(queued('r2')).outcome).toBe('alerted')
    // Nothing rang or retracted before the shared commit.
    expect(h.alerts()).toHaveLength(0)
    expect(h.sinks.notification.retracts).toEqual([])
    await settle()
    expect(commits).toHaveBeenCalledTimes(3)
    expect(h.alerts().map((a) => a.requestId)).toEqual(['r2'])
    expect(h.sinks.notification.retracts).toEqual(['r1'])
    expect(h.core.store.recentEvents().map((e) => `${e.requestId}:${e.outcome}`).reverse()).toEqual(['r1:alerted', 'r1:removed', 'r2:alerted'])
  })
})

describe('millisecond versions (JS Dates) against microsecond ones', () => {
  // The same version as Postgres prints it, as the JSON of postgres_changes carries it, and as the
  // shop backend's legacy broadcast sends it after a round trip through a JS Date.
  const MICRO_PG = '2026-03-02 08:59:59.123456+00'
  const MICRO = '2026-03-02T08:59:59.123456Z'
  const MILLI = '2026-03-02T08:59:59.123Z'
  const micro = (id: string) => queued(id, { source: 'postgres_changes', queuedAt: MICRO_PG, details: null })
  const milli = (id: string) => queued(id, { source: 'broadcast', queuedAt: MILLI })
  const requests = () => h.alerts().filter((a) => a.kind === 'request' || a.kind === 'summary')
  /** How many alerts (single or summary) rang for the request. */
  const rungFor = (id: string) => requests().filter((a) => a.items.some((i) => i.requestId === id)).length

  it('microsecond first (postgres_changes), millisecond later (broadcast): rings once, keeps the exact key', async () => {
    const d = h.core.desk
    expect(d.ingest(micro('r1')).outcome).toBe('alerted')
    const r = d.ingest(milli('r1'))
    expect(r).toMatchObject({ outcome: 'enriched', key: `r1@${MICRO}` }) // its details are still welcome
    expect(d.ingest(milli('r1')).outcome).toBe('duplicate')
    await vi.advanceTimersByTimeAsync(5000)
    expect(requests()).toHaveLength(1)
    expect(d.queue()[0]).toMatchObject({ key: `r1@${MICRO}`, queuedAt: MICRO, details: { customerName: 'Customer r1' } })
  })

  it('millisecond first (broadcast), microsecond later: rings once and the key becomes the exact one', async () => {
    const d = h.core.desk
    expect(d.ingest(milli('r1'))).toMatchObject({ outcome: 'alerted', key: 'r1@2026-03-02T08:59:59.123000Z' })
    expect(d.ingest(micro('r1'))).toMatchObject({ outcome: 'duplicate', reason: 'version made precise', key: `r1@${MICRO}` })
    expect(d.ingest(micro('r1'))).toMatchObject({ outcome: 'duplicate', reason: null })
    d.reconcile(snapshot([queued('r1', { queuedAt: MICRO })]))
    await vi.advanceTimersByTimeAsync(5000)
    expect(requests()).toHaveLength(1)
    expect(d.queue()[0]).toMatchObject({ key: `r1@${MICRO}`, queuedAt: MICRO, alertCount: 1 })
  })

  it('either order across a store reopen rings once', async () => {
    h.core.desk.ingest(milli('a'))
    h.core.desk.ingest(micro('b'))
    await vi.advanceTimersByTimeAsync(5000)
    expect([rungFor('a'), rungFor('b')]).toEqual([1, 1])
    h.restart()
    const d = h.core.desk
    expect(d.ingest(micro('a')).reason).toBe('version made precise')
    expect(d.ingest(milli('b')).outcome).toBe('enriched')
    d.reconcile(snapshot([queued('a', { queuedAt: MICRO }), queued('b', { queuedAt: MICRO })]))
    await vi.advanceTimersByTimeAsync(5000)
    expect(requests()).toHaveLength(0)
    h.restart()
    for (const id of ['a', 'b']) {
      h.core.desk.ingest(milli(id))
      h.core.desk.ingest(micro(id))
    }
    await vi.advanceTimersByTimeAsync(5000)
    expect(requests()).toHaveLength(0)
    expect(h.core.desk.queue().map((q) => [q.requestId, q.key, q.alertCount])).toEqual([
      ['a', `a@${MICRO}`, 1],
      ['b', `b@${MICRO}`, 1],
    ])
  })

  it('a serializer that rounds (…123.6 µs → .124) is the same version too', async () => {
    const d = h.core.desk
    d.ingest(queued('r1', { queuedAt: '2026-03-02T08:59:59.123600Z' }))
    expect(d.ingest(queued('r1', { source: 'broadcast', queuedAt: '2026-03-02T08:59:59.124Z' })).outcome).toBe('duplicate')
    await vi.advanceTimersByTimeAsync(5000)
    expect(requests()).toHaveLength(1)
  })

  it('a genuinely different version (≥ 1 ms apart) is a re-queue and rings again', async () => {
    const d = h.core.desk
    d.ingest(micro('r1'))
    await settle()
    vi.advanceTimersByTime(5000)
    // 1.544 ms after the microsecond version: not a truncation of it.
    expect(d.ingest(queued('r1', { source: 'broadcast', queuedAt: '2026-03-02T08:59:59.125Z' })).outcome).toBe('alerted')
    await settle()
    vi.advanceTimersByTime(5000)
    // Two millisecond versions compare exactly: 1 ms apart is 1 ms apart.
    expect(d.ingest(queued('r1', { source: 'broadcast', queuedAt: '2026-03-02T08:59:59.126Z' })).outcome).toBe('alerted')
    await settle()
    expect(requests()).toHaveLength(3)
    // Older than the queued version by more than the tolerance: stale, not the same.
    expect(d.ingest(queued('r1', { source: 'broadcast', queuedAt: '2026-03-02T08:59:59.124Z' })).outcome).toBe('stale')
    expect(d.ingest(micro('r1')).outcome).toBe('stale')
    await vi.advanceTimersByTimeAsync(5000)
    expect(requests()).toHaveLength(3)
  })

  it('a removed version stays removed whichever precision the late event carries, across a restart', async () => {
    const d = h.core.desk
    d.ingest(milli('m'))
    d.ingest(removed('m'))
    d.ingest(micro('u'))
    d.ingest(removed('u'))
    await settle()
    h.restart()
    const late = [h.core.desk.ingest(micro('m')), h.core.desk.ingest(queued('u', { source: 'broadcast', queuedAt: '2026-03-02T08:59:59.124Z' }))]
    expect(late.map((r) => [r.outcome, r.reason])).toEqual([
      ['stale', 'version already removed (accepted)'],
      ['stale', 'version already removed (accepted)'],
    ])
    await vi.advanceTimersByTimeAsync(5000)
    expect(h.alerts()).toHaveLength(0)
    expect(h.core.desk.queue()).toHaveLength(0)
    // A real re-queue after the removal still rings.
    vi.advanceTimersByTime(5000)
    expect(h.core.desk.ingest(queued('m', { source: 'broadcast', queuedAt: '2026-03-02T09:00:09.001Z' })).outcome).toBe('alerted')
  })
})

describe('removal, tombstones, stale facts', () => {
  it('a removed fact drops the request, retracts it at every sink and tombstones the key', async () => {
    const d = h.core.desk
    const retracts: string[] = []
    d.on('retract', (e) => retracts.push(e.requestId))
    d.ingest(queued('r1'))
    d.ingest(queued('r2'))
    await settle()
    expect(d.ingest(removed('r1')).outcome).toBe('removed')
    await settle()
    expect(d.queue().map((q) => q.requestId)).toEqual(['r2'])
    expect(retracts).toEqual(['r1'])
    for (const s of Object.values(h.sinks)) expect(s.retracts).toEqual(['r1'])
    expect(h.sinks.sound.counts.at(-1)).toBe(1)
    expect(h.core.store.tombstonesFor('r1')[0]).toMatchObject({ key: 'r1@2026-03-02T08:59:59.500000Z', reason: 'accepted' })
  })

  it('the retract names the taker when the removal did, and only then; a cancel never does', async () => {
    const d = h.core.desk
    const retracts: unknown[] = []
    d.on('retract', (e) => retracts.push(e))
    for (const id of ['r1', 'r2', 'r3', 'r4']) d.ingest(queued(id))
    await settle()
    d.ingest(removed('r1', { takenBy: 'Ana Lima' }))
    d.ingest(removed('r2', { takenBy: null }))
    d.ingest(removed('r3'))
    d.ingest(removed('r4', { reason: 'cancelled' }))
    await settle()
    expect(retracts).toEqual([
      { requestId: 'r1', why: 'taken', takenBy: 'Ana Lima' },
      { requestId: 'r2', why: 'taken', takenBy: null },
      { requestId: 'r3', why: 'taken' },
      { requestId: 'r4', why: 'cancelled' },
    ])
  })

  it('a late or stale queued fact for a removed key never re-adds it, even after a restart', async () => {
    h.core.desk.ingest(queued('r1'))
    h.core.desk.ingest(removed('r1'))
    await settle()
    h.restart()
    const d = h.core.desk
    expect(d.ingest(queued('r1', { source: 'broadcast' })).outcome).toBe('stale')
    expect(d.ingest(queued('r1', { source: 'db-broadcast', queuedAt: null })).outcome).toBe('stale')
    expect(d.ingest(queued('r1', { source: 'postgres_changes', queuedAt: '2026-03-02T08:59:00Z' })).outcome).toBe('stale')
    await vi.advanceTimersByTimeAsync(3000)
    expect(d.queue()).toHaveLength(0)
    expect(h.alerts()).toHaveLength(0)
    expect(h.core.store.recentEvents(1)[0]!.reason).toMatch(/older than a removed version/)
  })

  it('a removal that overtakes its queued event blocks the late queued event', async () => {
    const d = h.core.desk
    expect(d.ingest(removed('r9', { commitTs: '2026-03-02T09:00:00Z' })).outcome).toBe('removed')
    expect(d.ingest(queued('r9', { queuedAt: '2026-03-02T08:59:59Z' })).outcome).toBe('stale')
    expect(d.ingest(removed('r9')).outcome).toBe('duplicate')
    await settle()
    expect(h.alerts()).toHaveLength(0)
  })
})

describe('details and rejected facts', () => {
  it('a details fact enriches basic → full in place without ringing again', async () => {
    const d = h.core.desk
    d.ingest(queued('r1', { details: null }))
    await settle()
    expect(h.alerts()[0]).toMatchObject({ detail: 'basic', title: 'New request: A customer', body: 'Details are still loading.' })
    const queues: number[] = []
    d.on('queue', (q) => queues.push(q.length))
    expect(d.ingest(details('r1')).outcome).toBe('enriched')
    await settle()
    expect(h.alerts()).toHaveLength(1)
    expect(queues).toEqual([1])
    expect(d.queue()[0]).toMatchObject({ detail: 'full', details: { customerName: 'Dana Diaz', vehicle: '2015 Ford F-150' } })
    expect(d.ingest(details('r1')).outcome).toBe('duplicate')
    expect(d.ingest(details('nope')).outcome).toBe('stale')
  })

  it('a rejected fact is recorded with its reason and nothing else happens', async () => {
    const r = h.core.desk.ingest(rejected('payload.request missing'))
    await settle()
    expect(r).toMatchObject({ outcome: 'rejected', reason: 'payload.request missing' })
    expect(h.core.store.recentEvents(1)[0]).toMatchObject({ source: 'broadcast', outcome: 'rejected', reason: 'payload.request missing' })
    expect(h.alerts()).toHaveLength(0)
    expect(h.core.desk.queue()).toHaveLength(0)
    expect(h.core.health.summary().counters['broadcast:rejected']).toBe(1)
    expect(h.log.lines.some((l) => l.level === 'warn' && l.msg === 'desk: rejected an event')).toBe(true)
  })

  it("a rejection's reason and an event id that quote hostile input are logged as safe text", async () => {
    const hostile = 'unknown broadcast event "new_request\u0000\u202E\u001b[2J"'
    const r = h.core.desk.ingest({ ...rejected(hostile), eventId: 'broadcast:\u202Eevil\u0007' })
    const e = h.core.store.recentEvents(1)[0]!
    for (const s of [r.reason!, e.reason!, e.eventId]) expect(s).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/)
    expect(e.reason).toBe('unknown broadcast event "new_request [2J"')
    expect(e.eventId).toBe('broadcast:evil')
    const warned = h.log.lines.find((l) => l.msg === 'desk: rejected an event')!
    expect(warned.fields).toMatchObject({ reason: 'unknown broadcast event "new_request [2J"' })
  })

  // Malformed facts (bad ids, unknown sources or kinds, wrongly typed fields) never reach the desk: the
  // parsers reject them at the boundary (test/unit/feed/parse.test.ts) and the desk only records the
  // rejection, as above.
})

describe('enrichment after a basic ring (silent update)', () => {
  const updates = () => h.sinks['in-app'].updates
  const rings = () => Object.values(h.sinks).reduce((n, s) => n + s.alerts.length, 0)

  it('basic ring → details fact → exactly one update per updating sink with the full text; no extra ring', async () => {
    const d = h.core.desk
    const seen: string[] = []
    d.on('update', (a) => seen.push(a.title))
    d.ingest(queued('r1', { details: null }))
    await settle()
    expect(h.alerts()[0]).toMatchObject({ detail: 'basic', title: 'New request: A customer', body: 'Details are still loading.' })
    expect(rings()).toBe(5)
    const latencySamples = h.core.health.summary().latencyMs.count
    expect(d.ingest(details('r1')).outcome).toBe('enriched')
    await settle()
    for (const t of ['notification', 'in-app', 'terminal'] as const) expect(h.sinks[t].updates).toHaveLength(1)
    expect(h.sinks.sound.update).toBeUndefined()
    expect(h.sinks.attention.update).toBeUndefined()
    expect(updates()[0]).toMatchObject({
      kind: 'request',
      requestId: 'r1',
      key: 'r1@2026-03-02T08:59:59.500000Z',
      detail: 'full',
      title: 'New request: Dana Diaz',
      body: '2015 Ford F-150 · Check engine light · chat',
      latencyMs: null,
    })
    expect(seen).toEqual(['New request: Dana Diaz'])
    expect(rings()).toBe(5) // not a ring: no sink's alert() called again
    expect(d.queue()[0]).toMatchObject({ detail: 'full', alertCount: 1 })
    expect(h.core.health.summary().latencyMs.count).toBe(latencySamples) // no latency sample for an update
    const attempts = h.core.store.recentSinkAttempts().filter((a) => (a.alertKind as string) === 'update')
    expect(attempts.map((a) => `${a.sink}:${a.result}`).sort()).toEqual(['in-app:ok', 'notify:ok', 'terminal:ok'])
    // Further details for an already-full request, and duplicates, never update again.
    d.ingest(details('r1', { details: { customerName: 'Dana D.', vehicle: null, concern: null, sessionType: null } }))
    d.ingest(details('r1'))
    await vi.advanceTimersByTimeAsync(5000)
    expect(updates()).toHaveLength(1)
    expect(rings()).toBe(5)
  })

  it('enrichment by another source or by reconcile updates once too', async () => {
    const d = h.core.desk
    d.ingest(queued('r1', { source: 'postgres_changes', details: null }))
    d.ingest(queued('r2', { source: 'postgres_changes', details: null }))
    await settle()
    expect(h.alerts()).toHaveLength(2)
    d.ingest(queued('r1', { source: 'broadcast' }))
    d.reconcile(snapshot([queued('r1'), queued('r2')]))
    await settle()
    expect(updates().map((a) => `${a.requestId}:${a.title}`)).toEqual(['r1:New request: Customer r1', 'r2:New request: Customer r2'])
    expect(h.alerts()).toHaveLength(2)
  })

  it('after a repeat the update reads as the repeat ("Still waiting")', async () => {
    h.restart({ repeatIntervalMs: 60_000 })
    const d = h.core.desk
    d.ingest(queued('r1', { details: null }))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(h.alerts().map((a) => a.kind)).toEqual(['request', 'repeat'])
    d.ingest(details('r1'))
    await settle()
    expect(h.sinks['in-app'].updates).toHaveLength(1)
    expect(h.sinks['in-app'].updates[0]).toMatchObject({ kind: 'repeat', title: 'Still waiting (1 min): Dana Diaz', detail: 'full' })
    expect(d.queue()[0]!.alertCount).toBe(2)
  })

  it('no update for a request that rang full', async () => {
    const d = h.core.desk
    d.ingest(queued('r1'))
    await settle()
    expect(d.ingest(details('r1')).outcome).toBe('enriched')
    await settle()
    expect(updates()).toHaveLength(0)
  })

  it('no update for a request that was removed or acknowledged', async () => {
    const d = h.core.desk
    d.ingest(queued('gone', { details: null }))
    d.ingest(queued('acked', { details: null }))
    await settle()
    d.ingest(removed('gone'))
    d.acknowledge('acked')
    expect(d.ingest(details('gone')).outcome).toBe('stale')
    expect(d.ingest(details('acked')).outcome).toBe('enriched')
    await settle()
    expect(updates()).toHaveLength(0)
    expect(d.queue()[0]).toMatchObject({ requestId: 'acked', detail: 'full', acknowledged: true })
  })

  it('no update for a request that has not rung yet (held in a burst window): it rings full instead', async () => {
    const d = h.core.desk
    for (const id of ['a', 'b', 'c']) d.ingest(queued(id))
    d.ingest(queued('held', { details: null }))
    d.ingest(details('held'))
    await vi.advanceTimersByTimeAsync(2000)
    expect(updates()).toHaveLength(0)
    expect(h.alerts().at(-1)).toMatchObject({ kind: 'request', requestId: 'held', detail: 'full', title: 'New request: Dana Diaz' })
  })

  it('no update while the master flag is off or alerts are paused', async () => {
    const d = h.core.desk
    d.ingest(queued('r1', { details: null }))
    d.ingest(queued('r2', { details: null }))
    await settle()
    d.setFlags({ ...DEFAULT_FLAGS, mech_new_request_alerts: false })
    d.ingest(details('r1'))
    await settle()
    d.setFlags({ ...DEFAULT_FLAGS })
    d.pause({ minutes: 15 })
    d.ingest(details('r2'))
    await settle()
    for (const s of Object.values(h.sinks)) expect(s.updates).toHaveLength(0)
    expect(h.core.store.recentSinkAttempts().some((a) => (a.alertKind as string) === 'update')).toBe(false)
    expect(d.queue().map((q) => q.detail)).toEqual(['full', 'full'])
  })
})

describe('hostile strings', () => {
  it('control chars, bidi overrides, markup and a 1 MB concern arriving on the wire are safe in the queue and the alert', async () => {
    // Made safe once, at the parser boundary; the desk stores and rings what the parser hands over.
    const megabyte = 'A'.repeat(1024 * 1024)
    // A well-formed id: the parser refuses a request id that is not a uuid before any text is looked at.
    const HOSTILE_ID = '00000000-0000-4000-8000-00000000000a'
    const parsed = parseBroadcast(
      'broadcast',
      {
        event: 'new_request',
        payload: {
          request: {
            id: HOSTILE_ID,
            status: 'queued',
            queued_at: '2026-03-02T08:59:59.500000+00:00',
            customer_name: 'Bob\u202Egnp.exe\u202C \u001b[31mRED\u001b[0m\r\nX\u0000',
            vehicle: '<script>alert(1)</script>',
            concern: megabyte,
            session_type: '\u200Bvideo\uFEFF',
          },
        },
      },
      Date.now(),
    )
    if (!('fact' in parsed)) throw new Error(`not parsed: ${parsed.ignored}`)
    const r = h.core.desk.ingest(parsed.fact)
    await settle()
    expect(r.outcome).toBe('alerted')
    const item = h.core.desk.queue()[0]!
    const a = h.alerts()[0]!
    for (const s of [item.details.customerName!, item.details.vehicle!, item.details.concern!, a.title, a.body]) {
      expect(s).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]/)
    }
    expect(item.details.customerName).toBe('Bobgnp.exe [31mRED [0m X') // override gone, ESC neutralised
    expect(item.details.vehicle).toBe('<script>alert(1)</script>') // text, rendered as text by every UI
    expect(item.details.concern!.length).toBeLessThanOrEqual(280)
    expect(item.details.concern!.endsWith('…')).toBe(true)
    expect(item.details.sessionType).toBe('video')
    expect(a.body.length).toBeLessThanOrEqual(400)
    expect(JSON.stringify(h.core.desk.queue()).length).toBeLessThan(2000)
    expect(h.core.store.recentEvents(1)[0]).toMatchObject({ outcome: 'alerted', requestId: HOSTILE_ID })
  })
})

describe('flags', () => {
  it('master flag off: the queue updates but nothing rings; switching it on rings the owed ones once', async () => {
    const d = h.core.desk
    d.setFlags({ ...DEFAULT_FLAGS, mech_new_request_alerts: false })
    expect(d.ingest(queued('r1')).outcome).toBe('enqueued-silent')
    expect(d.ingest(queued('r2')).outcome).toBe('enqueued-silent')
    d.ingest(removed('r2'))
    d.ingest(queued('r3'))
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(d.queue().map((q) => q.requestId)).toEqual(['r1', 'r3'])
    for (const s of Object.values(h.sinks)) expect(s.alerts).toHaveLength(0)
    expect(h.sinks['in-app'].counts.at(-1)).toBe(2) // badge counts still update
    expect(h.core.store.recentEvents(10).some((e) => e.outcome === 'enqueued-silent' && e.reason === 'mech_new_request_alerts off')).toBe(true)
    d.setFlags({ ...DEFAULT_FLAGS })
    await settle()
    expect(h.alerts()).toHaveLength(1)
    expect(h.alerts()[0]).toMatchObject({ kind: 'summary', summaryOf: ['r1', 'r3'], title: '2 requests waited while alerts were switched off' })
  })

  it('flags are cached for an offline start', () => {
    h.core.desk.setFlags({ ...DEFAULT_FLAGS, mech_audio_alerts: false })
    h.restart()
    expect(h.core.desk.flags()).toEqual({ ...DEFAULT_FLAGS, mech_audio_alerts: false })
  })
})

describe('reconcile', () => {
  it('adds missing, removes stale, keeps what arrived after the read started, and rings ONE summary', async () => {
    const d = h.core.desk
    d.ingest(queued('old1'))
    d.ingest(queued('old2'))
    await vi.advanceTimersByTimeAsync(5000)
    expect(h.alerts()).toHaveLength(2)
    const startedAt = Date.now()
    vi.advanceTimersByTime(100)
    d.ingest(queued('live')) // arrives while the read is in flight
    await settle()
    const res = d.reconcile(snapshot([queued('old2'), queued('n1'), queued('n2'), queued('n3'), queued('n4')], { startedAt, trigger: 'resume' }))
    await settle()
    expect(res.added).toEqual(['n1', 'n2', 'n3', 'n4'])
    expect(res.removed).toEqual(['old1'])
    expect(d.queue().map((q) => q.requestId).sort()).toEqual(['live', 'n1', 'n2', 'n3', 'n4', 'old2'])
    const after = h.alerts().slice(3)
    expect(after).toHaveLength(1)
    expect(after[0]).toMatchObject({ kind: 'summary', title: '4 requests waited while you were offline', summaryOf: ['n1', 'n2', 'n3', 'n4'], latencyMs: null })
    expect(h.sinks.notification.retracts).toEqual(['old1'])
    expect(h.core.store.recentEvents(20).find((e) => e.requestId === 'old1')).toMatchObject({ source: 'reconcile', outcome: 'retracted' })
    // And the backlog's requests are not rung again by a second reconcile.
    d.reconcile(snapshot([queued('old2'), queued('n1'), queued('n2'), queued('n3'), queued('n4'), queued('live')]))
    await vi.advanceTimersByTimeAsync(2000)
    expect(h.alerts()).toHaveLength(4)
  })

  it('a single missed request found by reconcile rings individually', async () => {
    h.core.desk.reconcile(snapshot([queued('m1')], { trigger: 'timer' }))
    await settle()
    expect(h.alerts()).toHaveLength(1)
    expect(h.alerts()[0]).toMatchObject({ kind: 'request', requestId: 'm1' })
  })

  it('a removal heard after the read started wins over the snapshot; one heard before loses', async () => {
    const d = h.core.desk
    d.ingest(queued('a'))
    d.ingest(queued('b'))
    await vi.advanceTimersByTimeAsync(2000)
    d.ingest(removed('a')) // before the read
    const startedAt = Date.now() + 1
    vi.advanceTimersByTime(10)
    d.ingest(removed('b')) // during the read
    d.reconcile(snapshot([queued('a'), queued('b')], { startedAt }))
    await settle()
    expect(d.queue().map((q) => q.requestId)).toEqual(['a'])
  })

  it('reconcile fills in details for basic entries', () => {
    h.core.desk.ingest(queued('r1', { details: null }))
    const res = h.core.desk.reconcile(snapshot([queued('r1')]))
    expect(res.enriched).toBe(1)
    expect(h.core.desk.queue()[0]!.detail).toBe('full')
  })
})

describe('burst coalescing', () => {
  it('up to three live requests in a window ring individually at once; beyond that one summary for the rest', async () => {
    const d = h.core.desk
    d.ingest(queued('a'))
    await settle()
    expect(h.alerts().map((x) => x.kind)).toEqual(['request'])
    vi.advanceTimersByTime(100)
    d.ingest(queued('b'))
    d.ingest(queued('c'))
    d.ingest(queued('d'))
    d.ingest(queued('e'))
    d.ingest(queued('f'))
    d.ingest(removed('f'))
    await settle()
    expect(h.alerts().map((x) => x.requestId)).toEqual(['a', 'b', 'c'])
    await vi.advanceTimersByTimeAsync(999) // the window runs from the last individual ring (c, at 100 ms)
    expect(h.alerts()).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1)
    expect(h.alerts()).toHaveLength(4)
    expect(h.alerts()[3]).toMatchObject({ kind: 'summary', title: '2 new requests', summaryOf: ['d', 'e'] })
    vi.advanceTimersByTime(5000)
    d.ingest(queued('g'))
    await settle()
    expect(h.alerts()[4]).toMatchObject({ kind: 'request', requestId: 'g' })
  })

  it('a request held in the window when the app dies rings after the next start, once the server confirms it', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) h.core.desk.ingest(queued(id))
    await settle()
    expect(h.alerts()).toHaveLength(3)
    h.restart() // before the window ended
    await settle()
    expect(h.alerts()).toHaveLength(0) // restored, not confirmed yet
    h.core.desk.reconcile(snapshot(['a', 'b', 'c', 'd', 'e'].map((id) => queued(id)), { trigger: 'startup' }))
    await settle()
    expect(h.alerts()).toHaveLength(1)
    expect(h.alerts()[0]).toMatchObject({ kind: 'summary', summaryOf: ['d', 'e'] })
  })
})

describe('repeat until acknowledged', () => {
  it('re-alerts every interval up to the max, then stops', async () => {
    h.restart({ repeatIntervalMs: 60_000, repeatMaxCount: 3 })
    h.core.desk.ingest(queued('r1'))
    await settle()
    await vi.advanceTimersByTimeAsync(59_999)
    expect(h.alerts()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(h.alerts()).toHaveLength(2)
    expect(h.alerts()[1]).toMatchObject({ kind: 'repeat', requestId: 'r1', title: 'Still waiting (1 min): Customer r1' })
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(h.alerts().map((a) => a.kind)).toEqual(['request', 'repeat', 'repeat', 'repeat'])
    expect(h.core.desk.queue()[0]!.alertCount).toBe(4)
  })

  it('uses the defaults: every 2 min, at most 10 repeats', async () => {
    h.core.desk.ingest(queued('r1'))
    await vi.advanceTimersByTimeAsync(60 * 60_000)
    expect(h.alerts()).toHaveLength(11)
  })

  it('acknowledging stops repeats and retracts; leaving the queue stops them too', async () => {
    const d = h.core.desk
    d.ingest(queued('r1'))
    d.ingest(queued('r2'))
    await vi.advanceTimersByTimeAsync(1000)
    expect(d.acknowledge('r1')).toBe(true)
    expect(d.acknowledge('unknown')).toBe(false)
    d.ingest(removed('r2'))
    await vi.advanceTimersByTimeAsync(30 * 60_000)
    expect(h.alerts()).toHaveLength(2)
    expect(h.sinks.notification.retracts).toEqual(['r1', 'r2'])
    expect(d.queue()[0]).toMatchObject({ requestId: 'r1', acknowledged: true })
  })

  it('several due at once ring one repeat summary', async () => {
    h.core.desk.reconcile(snapshot([queued('a'), queued('b')]))
    await vi.advanceTimersByTimeAsync(120_000)
    expect(h.alerts()[1]).toMatchObject({ kind: 'repeat', summaryOf: ['a', 'b'], title: '2 requests are still waiting' })
  })

  it('schedules survive a restart', async () => {
    h.core.desk.ingest(queued('r1'))
    await vi.advanceTimersByTimeAsync(60_000)
    h.restart()
    h.core.desk.reconcile(snapshot([queued('r1')], { trigger: 'startup' })) // the server confirms it
    await vi.advanceTimersByTimeAsync(59_999)
    expect(h.alerts()).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(h.alerts()).toHaveLength(1)
    expect(h.alerts()[0]!.kind).toBe('repeat')
    // An ack survives too.
    h.core.desk.acknowledge('r1')
    h.restart()
    h.core.desk.reconcile(snapshot([queued('r1')], { trigger: 'startup' }))
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(h.alerts()).toHaveLength(0)
  })
})

describe('pause', () => {
  it('15 min: new requests and repeats are silent, the queue updates; expiry rings what waited', async () => {
    const d = h.core.desk
    d.ingest(queued('before'))
    await settle()
    const until = d.pause({ minutes: 15 })
    expect(until).toBe(T0 + 15 * 60_000)
    expect(d.ingest(queued('during')).outcome).toBe('enqueued-silent')
    await vi.advanceTimersByTimeAsync(15 * 60_000 - 1)
    expect(h.alerts()).toHaveLength(1)
    expect(d.queue()).toHaveLength(2)
    expect(d.paused()).toBe(until)
    await vi.advanceTimersByTimeAsync(1)
    expect(d.paused()).toBeNull()
    expect(h.alerts()[1]).toMatchObject({ kind: 'request', requestId: 'during' })
    // "before" was deferred, not spent: it repeats within an interval of the pause ending.
    await vi.advanceTimersByTimeAsync(120_000)
    expect(h.alerts().slice(2).some((a) => a.kind === 'repeat' && a.requestId === 'before')).toBe(true)
  })

  it('1 h pause persists across a restart and still expires by itself', async () => {
    h.core.desk.pause({ minutes: 60 })
    h.restart()
    expect(h.core.desk.paused()).toBe(T0 + 3600_000)
    h.core.desk.ingest(queued('r1'))
    await vi.advanceTimersByTimeAsync(3600_000)
    expect(h.core.desk.paused()).toBeNull()
    expect(h.alerts()).toHaveLength(1)
  })

  it('indefinite pause lasts until resumed; resume rings the owed ones as one summary', async () => {
    const d = h.core.desk
    const states: unknown[] = []
    d.on('pause', (p) => states.push(p))
    d.pause({ indefinite: true })
    d.ingest(queued('a'))
    d.ingest(queued('b'))
    await vi.advanceTimersByTimeAsync(24 * 3600_000)
    expect(h.alerts()).toHaveLength(0)
    h.restart()
    expect(h.core.desk.paused()).toBe('indefinite')
    h.core.desk.reconcile(snapshot([queued('a'), queued('b')], { trigger: 'startup' })) // confirmed while paused: silent
    await settle()
    expect(h.alerts()).toHaveLength(0)
    h.core.desk.on('pause', (p) => states.push(p))
    h.core.desk.resume()
    await settle()
    expect(h.alerts()).toHaveLength(1)
    expect(h.alerts()[0]).toMatchObject({ kind: 'summary', title: '2 requests waited while alerts were paused' })
    expect(states).toEqual(['indefinite', null])
  })

  it('a pause that expired while the app was closed is cleared at start', async () => {
    h.core.desk.pause({ minutes: 15 })
    h.core.desk.ingest(queued('a'))
    h.core.close()
    vi.setSystemTime(T0 + 20 * 60_000)
    h.restart()
    await settle()
    expect(h.core.desk.paused()).toBeNull()
    h.core.desk.reconcile(snapshot([queued('a')], { trigger: 'startup' }))
    await settle()
    expect(h.alerts()).toHaveLength(1)
  })

  it('rejects malformed pause requests', () => {
    expect(() => h.core.desk.pause({ minutes: -5 } as never)).toThrow(RangeError)
    expect(() => h.core.desk.pause('forever' as never)).toThrow(RangeError)
    expect(h.core.desk.paused()).toBeNull()
  })
})

describe('isolation', () => {
  it('a listener that throws is logged and counted, and ingest still works', async () => {
    h.core.desk.on('alert', () => {
      throw new Error('listener bug')
    })
    h.core.desk.ingest(queued('r1'))
    h.core.desk.ingest(queued('r2'))
    await vi.advanceTimersByTimeAsync(2000)
    expect(h.alerts()).toHaveLength(2)
    expect(h.core.health.summary().counters['desk:listener-error']).toBe(2)
    expect(h.log.errors().some((l) => /listener threw/.test(l.msg))).toBe(true)
  })

  it('a store failure is reported as outcome error with its cause, not thrown', () => {
    h.core.store.close()
    const r = h.core.desk.ingest(queued('r1'))
    expect(r.outcome).toBe('error')
    expect(h.log.errors().some((l) => l.msg === 'desk: could not process a fact')).toBe(true)
    expect(h.core.health.summary().counters['postgres_changes:error']).toBe(1)
  })
})

describe('a stale local queue is untrusted', () => {
  const requestAlerts = () => h.alerts().filter((a) => a.kind !== 'health')
  const healthAlerts = () => h.alerts().filter((a) => a.kind === 'health')
  const confirmedOf = () => Object.fromEntries(h.core.desk.queue().map((q) => [q.requestId, q.confirmed]))

  /** Last session: "rung" rang and repeats every minute, "owed" was held in a burst window and never rang. */
  async function lastSession(): Promise<void> {
    h.restart({ repeatIntervalMs: 60_000, unconfirmedNoticeMs: 5000 })
    for (const id of ['rung', 'x', 'y', 'owed']) h.core.desk.ingest(queued(id))
    await settle()
    expect(h.alerts().map((a) => a.requestId)).toEqual(['rung', 'x', 'y'])
    h.core.desk.acknowledge('x')
    h.core.desk.acknowledge('y')
    h.core.desk.ingest(removed('y'))
    await settle()
    h.core.close() // inside the burst window: "owed" never rang
    vi.setSystemTime(Date.now() + 10 * 60_000) // closed long enough for the repeat of "rung" to be due
    h.restart({ repeatIntervalMs: 60_000, unconfirmedNoticeMs: 5000 })
  }

  it('nothing restored rings before the server confirms it: no owed ring, no due repeat, no public-topic word', async () => {
    await lastSession()
    const d = h.core.desk
    await vi.advanceTimersByTimeAsync(4999)
    expect(h.alerts()).toEqual([])
    expect(confirmedOf()).toEqual({ rung: false, x: false, owed: false })
    // The legacy public topic is not the server: it confirms nothing.
    for (const id of ['rung', 'owed']) expect(d.ingest(queued(id, { source: 'broadcast' })).outcome).toBe('duplicate')
    d.ingest(details('rung'))
    await vi.advanceTimersByTimeAsync(0)
    expect(h.alerts()).toEqual([])
    expect(h.sinks['in-app'].updates).toEqual([])
    expect(confirmedOf()).toEqual({ rung: false, x: false, owed: false })
  })

  it('the first reconcile removes what the server no longer has, without a ring, and confirms the rest', async () => {
    await lastSession()
    const d = h.core.desk
    const queues: boolean[][] = []
    d.on('queue', (q) => queues.push(q.map((i) => i.confirmed)))
    const res = d.reconcile(snapshot([], { trigger: 'startup' }))
    await settle()
    expect(res.removed.sort()).toEqual(['owed', 'rung', 'x'])
    expect(d.queue()).toEqual([])
    expect(h.alerts()).toEqual([])
    await vi.advanceTimersByTimeAsync(60 * 60_000)
    expect(h.alerts()).toEqual([]) // no repeat, and no offline-start notice: the server answered
    expect(d.notice()).toBeNull()
    expect(queues.at(-1)).toEqual([])
  })

  it('confirmed by a reconcile: a request that rang before is not rung again, only its due repeat; the owed one rings once', async () => {
    await lastSession()
    const d = h.core.desk
    d.reconcile(snapshot([queued('rung'), queued('x'), queued('owed')], { trigger: 'startup' }))
    await settle()
    expect(confirmedOf()).toEqual({ rung: true, x: true, owed: true })
    const kinds = requestAlerts().map((a) => [a.kind, a.requestId ?? a.summaryOf])
    // The owed request rings its first alert (a backlog: no link latency); the rung one only repeats (it was due).
    expect(kinds).toEqual(
      expect.arrayContaining([
        ['request', 'owed'],
        ['repeat', 'rung'],
      ]),
    )
    expect(kinds).toHaveLength(2)
    expect(requestAlerts().find((a) => a.requestId === 'owed')!.latencyMs).toBeNull()
    // Dedup by request + queued version is kept: further confirmations ring nothing.
    d.reconcile(snapshot([queued('rung'), queued('x'), queued('owed')], { trigger: 'timer' }))
    d.ingest(queued('owed', { source: 'db-broadcast' }))
    await vi.advanceTimersByTimeAsync(59_999)
    expect(requestAlerts()).toHaveLength(2)
    expect(Object.fromEntries(d.queue().map((q) => [q.requestId, q.alertCount]))).toEqual({ rung: 2, x: 1, owed: 1 })
  })

  it.each(['postgres_changes', 'db-broadcast'] as const)('a trusted %s event confirms one request; it rings once and the others stay unconfirmed', async (source) => {
    await lastSession()
    const d = h.core.desk
    expect(d.ingest(queued('owed', { source })).outcome).toBe('duplicate')
    await settle()
    expect(confirmedOf()).toEqual({ rung: false, x: false, owed: true })
    expect(requestAlerts().map((a) => [a.kind, a.requestId, a.latencyMs])).toEqual([['request', 'owed', null]])
    d.ingest(queued('owed', { source }))
    await vi.advanceTimersByTimeAsync(0)
    expect(requestAlerts()).toHaveLength(1)
    // A minute on, the confirmed one repeats; the unconfirmed one, due all along, still does not.
    await vi.advanceTimersByTimeAsync(60_000)
    expect(requestAlerts().map((a) => [a.kind, a.requestId])).toEqual([
      ['request', 'owed'],
      ['repeat', 'owed'],
    ])
  })

  it('a new version of a restored request (re-queued while the app was closed) rings; a removal event removes one silently', async () => {
    await lastSession()
    const d = h.core.desk
    expect(d.ingest(queued('rung', { queuedAt: '2026-03-02T09:05:00Z' })).outcome).toBe('alerted')
    expect(d.ingest(removed('owed', { reason: 'cancelled' })).outcome).toBe('removed')
    await settle()
    expect(requestAlerts().map((a) => a.requestId)).toEqual(['rung'])
    expect(confirmedOf()).toEqual({ rung: true, x: false })
  })

  it('no confirmation within the threshold: one health alert and a notice, cleared by the first reconcile', async () => {
    await lastSession()
    const d = h.core.desk
    const notices: (string | null)[] = []
    d.on('notice', (n) => notices.push(n))
    await vi.advanceTimersByTimeAsync(4999)
    expect(healthAlerts()).toEqual([])
    expect(d.notice()).toBeNull()
    await vi.advanceTimersByTimeAsync(1)
    expect(healthAlerts().map((a) => a.title)).toEqual(['Not connected since start: 3 requests from the last session are not confirmed'])
    expect(h.core.health.summary().counters['health:unconfirmed-start']).toBe(1)
    // The count follows confirmations; the alert is not repeated.
    d.ingest(queued('x', { source: 'postgres_changes' }))
    await vi.advanceTimersByTimeAsync(30 * 60_000)
    expect(d.notice()).toBe('Not connected since start: 2 requests from the last session are not confirmed')
    d.reconcile(snapshot([queued('rung')]))
    await settle()
    expect(d.notice()).toBeNull()
    expect(notices).toEqual([
      'Not connected since start: 3 requests from the last session are not confirmed',
      'Not connected since start: 2 requests from the last session are not confirmed',
      null,
    ])
    expect(healthAlerts()).toHaveLength(1)
  })

  it('confirmed before the threshold, or nothing restored: no notice at all', async () => {
    await lastSession()
    h.core.desk.reconcile(snapshot([queued('rung')], { trigger: 'startup' }))
    await vi.advanceTimersByTimeAsync(60_000)
    expect(healthAlerts()).toEqual([])
    h.core.desk.reconcile(snapshot([]))
    h.restart({ unconfirmedNoticeMs: 5000 })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(h.alerts()).toEqual([])
    expect(h.core.desk.notice()).toBeNull()
  })

  it('the default threshold is 60 s; one request reads in the singular', async () => {
    h.core.desk.ingest(queued('r1'))
    h.restart()
    await vi.advanceTimersByTimeAsync(59_999)
    expect(healthAlerts()).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(healthAlerts().map((a) => a.title)).toEqual(['Not connected since start: 1 request from the last session is not confirmed'])
  })

  it('a restored request that rang basic gets no silent update while unconfirmed', async () => {
    h.core.desk.ingest(queued('b1', { details: null }))
    await settle()
    expect(h.alerts()[0]).toMatchObject({ detail: 'basic' })
    h.restart()
    expect(h.core.desk.ingest(details('b1')).outcome).toBe('enriched')
    await settle()
    for (const s of Object.values(h.sinks)) expect(s.updates).toEqual([])
    expect(h.core.desk.queue()[0]).toMatchObject({ detail: 'full', confirmed: false })
  })

  it('requests that arrive in this run are confirmed from the start', async () => {
    h.core.desk.ingest(queued('r1'))
    await settle()
    expect(confirmedOf()).toEqual({ r1: true })
    expect(h.alerts()[0]!.items[0]!.confirmed).toBe(true)
  })
})
