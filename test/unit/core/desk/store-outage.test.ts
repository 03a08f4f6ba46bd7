// The desk through a store outage on a real SQLite file (locked by another connection): requests ring at once
// from the in-memory copy (dedup included), the engine is degraded with the reason, one health alert per
// incident, write back retried with backoff, and after it a restart rings none of them again — nor after a
// kill while still holding (the held journal).
import { existsSync, mkdirSync } from 'node:fs'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { openStateCore } from '../../../../src/core/desk/state-core.js'
import { heldJournalPath } from '../../../../src/core/store/held-journal.js'
import { T0, allTierSinks, harness, queued, removed, settle, type Harness, serverQueue } from '../helpers.js'

let h: Harness
let other: Database.Database | null = null
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  h = harness({ busyTimeoutMs: 20, storeRetry: { baseMs: 1000, maxMs: 4000, jitter: 0 } })
})
afterEach(() => {
  if (other?.open) other.close()
  other = null
  h.dispose()
  vi.useRealTimers()
})

const lock = () => {
  other = new Database(h.dbPath)
  other.exec('BEGIN EXCLUSIVE')
}
const unlock = () => other!.exec('ROLLBACK')
const healthAlerts = () => h.alerts().filter((a) => a.kind === 'health')
const requestAlerts = () => h.alerts().filter((a) => a.kind === 'request')
const snapshot = (ids: string[]) => serverQueue(ids, { trigger: 'startup' })

describe('a store locked while requests arrive', () => {
  it('rings at once, decides duplicates from memory, degrades with the reason and raises one health alert', async () => {
    h.core.desk.ingest(queued('before'))
    await settle()
    lock()
    expect(h.core.desk.ingest(queued('r1')).outcome).toBe('alerted')
    await settle()
    expect(requestAlerts().map((a) => a.requestId)).toEqual(['before', 'r1'])
    expect(h.core.health.degradedReason()).toBe('Local store unavailable: database is locked')
    expect(healthAlerts()).toHaveLength(1)
    expect(healthAlerts()[0]!.title).toBe('Local store unavailable: database is locked')

    // Dedup from the copy: the same request from another source does not ring; a new one does, and the
    // removal of an earlier one retracts it.
    expect(h.core.desk.ingest(queued('r1', { source: 'broadcast' })).outcome).toBe('duplicate')
    h.core.desk.ingest(queued('r2'))
    h.core.desk.ingest(removed('before'))
    await settle()
    expect(requestAlerts().map((a) => a.requestId)).toEqual(['before', 'r1', 'r2'])
    expect(h.sinks['in-app'].retracts).toEqual(['before'])
    expect(h.core.desk.queue().map((q) => q.requestId)).toEqual(['r1', 'r2'])
    expect(healthAlerts()).toHaveLength(1)
    expect(h.core.health.summary().counters['store:unavailable']).toBe(1)
  })

  it('retries with backoff until the lock is gone, then writes back and clears; a restart rings none of them again', async () => {
    h.core.desk.ingest(queued('before'))
    await settle()
    lock()
    h.core.desk.ingest(queued('r1'))
    h.core.desk.ingest(queued('r2'))
    await settle()
    // Backoff 1 s, 2 s, 4 s: three failed tries in 7 s.
    await vi.advanceTimersByTimeAsync(7000)
    expect(h.core.health.summary().counters['store:write-back-failed']).toBe(3)
    expect(h.core.store.held).not.toBeNull()
    unlock()
    await vi.advanceTimersByTimeAsync(4000)
    expect(h.core.store.held).toBeNull()
    expect(h.core.health.degradedReason()).toBeNull()
    expect(h.core.health.summary().counters['store:write-back-failed']).toBe(3)

    const later = h.restart()
    // The server still lists all three: each is confirmed, each rang already, so nothing rings.
    later.desk.reconcile(snapshot(['before', 'r1', 'r2']))
    await vi.advanceTimersByTimeAsync(5000)
    expect(h.alerts()).toEqual([])
    expect(later.desk.queue().map((q) => [q.requestId, q.alertCount])).toEqual([['before', 1], ['r1', 1], ['r2', 1]])
  })

  it('an outage soon after the last one is the same incident (no second alert); one after the quiet period alerts again', async () => {
    lock()
    h.core.desk.ingest(queued('r1'))
    await settle()
    unlock()
    await vi.advanceTimersByTimeAsync(1000)
    expect(h.core.store.held).toBeNull()

    lock()
    h.core.desk.ingest(queued('r2'))
    await settle()
    expect(h.core.health.degradedReason()).toBe('Local store unavailable: database is locked')
    expect(healthAlerts()).toHaveLength(1)
    unlock()
    await vi.advanceTimersByTimeAsync(1000)

    await vi.advanceTimersByTimeAsync(15 * 60_000)
    lock()
    h.core.desk.ingest(queued('r3'))
    await settle()
    expect(healthAlerts()).toHaveLength(2)
    expect(requestAlerts().map((a) => a.requestId)).toEqual(['r1', 'r2', 'r3'])
  })

  it('a file another connection holds the write lock of at start opens on the copy: rings, degraded with the reason, one health alert', async () => {
    h.core.desk.ingest(queued('before'))
    await settle()
    lock()
    // Opening prunes, which writes: the open itself meets the lock (reads still work in WAL mode).
    const later = h.restart()
    await settle()
    expect(later.store.held?.reason).toBe('database is locked')
    expect(later.health.degradedReason()).toBe('Local store unavailable: database is locked')
    expect(healthAlerts()).toHaveLength(1)
    later.desk.reconcile(snapshot(['before', 'r1']))
    await settle()
    expect(requestAlerts().map((a) => a.requestId)).toEqual(['r1'])
    unlock()
    await vi.advanceTimersByTimeAsync(1000)
    expect(later.store.held).toBeNull()
    expect(later.health.degradedReason()).toBeNull()
  })

  it('closing the core stops the retries', async () => {
    lock()
    h.core.desk.ingest(queued('r1'))
    await settle()
    const held = h.core.store
    h.core.close()
    unlock()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(held.isOpen).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('killed while the store holds its writes in memory', () => {
  /** A kill: the old core is neither closed nor written back, and its timers die with it. A new core opens the same file. */
  function killAndStartAgain(): Harness['core'] {
    vi.clearAllTimers()
    h.sinks = allTierSinks()
    h.core = openStateCore({ dbPath: h.dbPath, sinks: Object.values(h.sinks), log: h.log, busyTimeoutMs: 20 })
    h.core.desk.start()
    return h.core
  }

  it('after the restart what it rang does not ring again and repeats on schedule, a removal it heard still holds, and a request it never saw rings once', async () => {
    h.core.desk.ingest(queued('before'))
    await settle()
    lock()
    h.core.desk.ingest(queued('r1'))
    h.core.desk.ingest(removed('before'))
    await settle()
    expect(requestAlerts().map((a) => a.requestId)).toEqual(['before', 'r1'])
    const rang = h.core.store.getQueueRow('r1')!
    expect(rang.nextRepeatAt).not.toBeNull()
    expect(existsSync(heldJournalPath(h.dbPath))).toBe(true)

    unlock()
    const later = killAndStartAgain()
    expect(later.store.held).toBeNull()
    expect(existsSync(heldJournalPath(h.dbPath))).toBe(false)
    later.desk.reconcile(snapshot(['r1', 'r3']))
    await settle()
    // Not a summary of both: only r3 rings.
    const rung = h.alerts().filter((a) => a.kind !== 'health').flatMap((a) => (a.requestId ? [a.requestId] : (a.summaryOf ?? [])))
    expect(rung).toEqual(['r3'])
    expect(later.store.getQueueRow('r1')).toMatchObject({ alertCount: 1, nextRepeatAt: rang.nextRepeatAt })
    // The removal heard while held: a late duplicate of that version does not ring.
    expect(later.desk.ingest(queued('before')).outcome).toBe('stale')
    // r1 repeats when it was due before the kill (with r3, which rang at about the same time).
    await vi.advanceTimersByTimeAsync(rang.nextRepeatAt! - Date.now() - 1)
    expect(h.alerts().filter((a) => a.kind === 'repeat')).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    const repeats = h.alerts().filter((a) => a.kind === 'repeat')
    expect(repeats.flatMap((a) => (a.requestId ? [a.requestId] : (a.summaryOf ?? []))).sort()).toEqual(['r1', 'r3'])
  })

  it('a journal that cannot be written is counted and named in the degraded reason; ringing goes on', async () => {
    mkdirSync(heldJournalPath(h.dbPath)) // a directory where the file should be: every append fails
    lock()
    expect(h.core.desk.ingest(queued('r1')).outcome).toBe('alerted')
    await settle()
    expect(requestAlerts().map((a) => a.requestId)).toEqual(['r1'])
    expect(h.core.health.degradedReason()).toMatch(/^Local store unavailable: database is locked; rings not journaled \(a crash now would ring them again\): could not write .*EISDIR/)
    expect(h.core.health.summary().counters['store:journal-failed']).toBe(1)
    expect(healthAlerts()).toHaveLength(1)
    unlock()
    await vi.advanceTimersByTimeAsync(1000)
    expect(h.core.store.held).toBeNull()
    expect(h.core.health.degradedReason()).toBeNull()
  })
})
