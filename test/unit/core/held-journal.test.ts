// The held journal on real files: what a process killed while its store held writes in memory leaves behind
// (ring marks, versions that left the queue), how a torn last line, an unwritable file and the size cap are
// handled, and the store applying a journal at open (to the file, or to the in-memory copy while still locked)
// so the requests it records count as rung.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { applyHeldJournal, HeldJournal, heldJournalPath, parseEntry, type GoneMark, type RangMark } from '../../../src/core/store/held-journal.js'
import { Store, type QueueRow } from '../../../src/core/store/store.js'
import { captureLog } from './helpers.js'

let dir: string
let dbPath: string
let log: ReturnType<typeof captureLog>
const clock = { now: () => 1_700_000_000_000 }
const stores: Store[] = []
const others: Database.Database[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-journal-'))
  dbPath = join(dir, 'bayalert.db')
  log = captureLog()
})
afterEach(() => {
  for (const o of others.splice(0)) if (o.open) o.close()
  for (const s of stores.splice(0)) if (s.isOpen) s.close()
  rmSync(dir, { recursive: true, force: true })
})

const row = (id: string, over: Partial<QueueRow> = {}): QueueRow => ({
  requestId: id,
  key: `${id}@2026-03-02T08:59:59.500000Z`,
  sessionId: `s-${id}`,
  queuedAt: '2026-03-02T08:59:59.500000Z',
  details: { customerName: `Customer ${id}`, vehicle: 'Civic', concern: 'Brakes', sessionType: 'video' },
  detail: 'full',
  acknowledged: false,
  alertCount: 1,
  nextRepeatAt: 1_700_000_120_000,
  firstSeenAt: 1_699_999_999_000,
  firstSource: 'broadcast',
  lastAlertAt: 1_700_000_000_000,
  commitTs: null,
  ...over,
})

const journalAt = (path = heldJournalPath(dbPath), maxBytes?: number) => new HeldJournal({ path, log, clock, maxBytes })
const lines = (path = heldJournalPath(dbPath)) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '')

function openStore(journal: HeldJournal | undefined, busyTimeoutMs = 20): Store {
  const s = Store.open({ path: dbPath, log, clock, busyTimeoutMs, heldJournal: journal })
  stores.push(s)
  return s
}

function lockFile(): Database.Database {
  const other = new Database(dbPath)
  others.push(other)
  other.exec('BEGIN EXCLUSIVE')
  return other
}

describe('the journal file', () => {
  it('sits next to the database under a name SQLite does not use', () => {
    expect(heldJournalPath('/data/bayalert.db')).toBe('/data/bayalert.db.held.jsonl')
  })

  it('appends a ring mark as one owner-only JSON line, skips marks that say nothing new, and reads them back in order', () => {
    const j = journalAt()
    expect(j.exists()).toBe(false)
    j.noteRang(row('r1'))
    j.noteRang(row('r1', { details: { customerName: 'Renamed', vehicle: null, concern: null, sessionType: null } })) // details only: nothing new
    j.noteRang(row('r1', { alertCount: 2, nextRepeatAt: 1_700_000_240_000 }))
    j.noteRang(row('r2', { alertCount: 0 })) // never rang: not a mark
    j.noteRang(row('r3', { alertCount: 0, acknowledged: true })) // acknowledged before it rang: a mark
    j.noteGone({ key: 'r4@x', requestId: 'r4', queuedAt: null, removedAt: 5, removedCommitTs: null, reason: 'accepted' })
    expect(j.exists()).toBe(false) // staged until its transaction commits
    j.flush()
    expect(lines()).toHaveLength(4)
    if (process.platform !== 'win32') expect(statSync(heldJournalPath(dbPath)).mode & 0o777).toBe(0o600)
    const { entries, skipped } = journalAt().read()
    expect(skipped).toBe(0)
    expect(entries.map((e) => [e.t, e.requestId, e.t === 'rang' ? e.alertCount : null])).toEqual([['rang', 'r1', 1], ['rang', 'r1', 2], ['rang', 'r3', 0], ['gone', 'r4', null]])
    const first = entries[0] as RangMark
    expect(first).toEqual({
      t: 'rang', at: clock.now(), requestId: 'r1', key: row('r1').key, queuedAt: row('r1').queuedAt, sessionId: 's-r1', detail: 'full',
      acknowledged: false, alertCount: 1, lastAlertAt: 1_700_000_000_000, nextRepeatAt: 1_700_000_120_000, firstSeenAt: 1_699_999_999_000, firstSource: 'broadcast',
    })
    // Only what keeps a request from ringing twice: no customer details.
    expect(readFileSync(heldJournalPath(dbPath), 'utf8')).not.toContain('Customer')
  })

  it('a file with wider permission bits (left by an older run) is made owner-only on the first append', () => {
    if (process.platform === 'win32') return // no mode bits on Windows: the data directory's ACL protects it
    writeFileSync(heldJournalPath(dbPath), '', { mode: 0o644 })
    const fresh = journalAt()
    fresh.noteRang(row('r1'))
    fresh.flush()
    expect(statSync(heldJournalPath(dbPath)).mode & 0o777).toBe(0o600)
  })

  it('remove deletes the file and forgets what was written, so the next outage journals the same mark again', () => {
    const j = journalAt()
    j.noteRang(row('r1'))
    j.flush()
    j.remove()
    expect(existsSync(j.path)).toBe(false)
    expect(j.read()).toEqual({ entries: [], skipped: 0 })
    j.noteRang(row('r1'))
    j.flush()
    expect(lines()).toHaveLength(1)
    j.remove()
    j.remove() // nothing there: no error
  })

  it('a torn last line (killed mid-write) is skipped with a log line naming it; the lines before it apply', () => {
    const j = journalAt()
    j.noteRang(row('r1'))
    j.flush()
    j.noteRang(row('r2'))
    j.flush()
    j.close()
    appendFileSync(j.path, '{"t":"rang","at":1,"requestId":"r3","ke')
    const { entries, skipped } = journalAt().read()
    expect(entries.map((e) => e.requestId)).toEqual(['r1', 'r2'])
    expect(skipped).toBe(1)
    expect(log.lines.filter((l) => /skipped a held-journal line/.test(l.msg)).map((l) => l.fields?.line)).toEqual([3])
  })

  it('an unwritable journal never throws: the problem is logged with its cause and told to listeners; it clears once a write succeeds', () => {
    const path = join(dir, 'missing', 'bayalert.db.held.jsonl')
    const j = journalAt(path)
    const told: string[] = []
    j.onProblem((p) => told.push(p))
    j.noteRang(row('r1'))
    expect(() => j.flush()).not.toThrow()
    expect(j.problem).toMatch(/could not write .*ENOENT/)
    expect(told).toEqual([j.problem])
    expect(log.errors().map((l) => l.msg)).toEqual([expect.stringMatching(/a ring mark could not be journaled \(could not write .*ENOENT/)])
    // The same failure again: told (counted) again, logged once at error.
    j.noteRang(row('r2'))
    j.flush()
    expect(told).toHaveLength(2)
    expect(log.errors()).toHaveLength(1)
    // Not remembered as written: the same mark is tried again, and lands once the directory exists.
    mkdirSync(join(dir, 'missing'))
    j.noteRang(row('r1'))
    j.flush()
    expect(j.problem).toBeNull()
    expect(lines(path)).toHaveLength(1)
  })

  it('a listener that throws is logged; the others are still told', () => {
    const j = journalAt(join(dir, 'missing', 'j.jsonl'))
    const told: string[] = []
    j.onProblem(() => {
      throw new Error('boom')
    })
    const off = j.onProblem((p) => told.push(p))
    j.noteRang(row('r1'))
    j.flush()
    expect(told).toHaveLength(1)
    expect(log.errors().some((l) => /held-journal listener threw/.test(l.msg))).toBe(true)
    off()
    j.noteRang(row('r2'))
    j.flush()
    expect(told).toHaveLength(1)
  })

  it('stops at its size cap with a logged problem, keeping what fit', () => {
    const one = `${JSON.stringify({ ...parseEntry(JSON.stringify({ t: 'rang', at: clock.now(), ...markOf(row('r1')) })) })}\n`
    const cap = Buffer.byteLength(one) * 2 // exactly two lines
    const j = journalAt(undefined, cap)
    j.noteRang(row('r1'))
    j.flush()
    j.noteRang(row('r2'))
    j.flush()
    expect(j.problem).toBeNull()
    j.noteRang(row('r3'))
    j.flush()
    expect(j.problem).toMatch(new RegExp(`cap of ${cap} bytes`))
    expect(log.errors().map((l) => l.msg)).toEqual([expect.stringMatching(/cap of/)])
    expect(statSync(j.path).size).toBe(cap)
    expect(j.read().entries.map((e) => e.requestId)).toEqual(['r1', 'r2'])
  })

  it('the cap counts what an earlier run left in the file', () => {
    const j = journalAt()
    j.noteRang(row('r1'))
    j.flush()
    j.close()
    const size = statSync(j.path).size
    const again = journalAt(undefined, size + 10)
    again.noteRang(row('r2'))
    again.flush()
    expect(again.problem).toMatch(/cap/)
  })
})

function markOf(r: QueueRow): Omit<RangMark, 't' | 'at'> {
  return { requestId: r.requestId, key: r.key, queuedAt: r.queuedAt, sessionId: r.sessionId, detail: r.detail, acknowledged: r.acknowledged, alertCount: r.alertCount, lastAlertAt: r.lastAlertAt, nextRepeatAt: r.nextRepeatAt, firstSeenAt: r.firstSeenAt, firstSource: r.firstSource }
}

describe('parseEntry', () => {
  const rang = { t: 'rang', at: 1, ...markOf(row('r1')) }
  const gone: GoneMark = { t: 'gone', at: 1, key: 'k', requestId: 'r', queuedAt: null, removedAt: 2, removedCommitTs: null, reason: null }

  it('accepts whole entries of both kinds', () => {
    expect(parseEntry(JSON.stringify(rang))).toEqual(rang)
    expect(parseEntry(JSON.stringify(gone))).toEqual(gone)
    expect(parseEntry(JSON.stringify({ ...rang, alertCount: 0, lastAlertAt: null, nextRepeatAt: null, queuedAt: null, sessionId: null }))).not.toBeNull()
  })

  it.each([
    ['not JSON', '{"t":"rang"'],
    ['an array', '[]'],
    ['null', 'null'],
    ['an unknown kind', JSON.stringify({ ...rang, t: 'other' })],
    ['a negative count', JSON.stringify({ ...rang, alertCount: -1 })],
    ['a fractional count', JSON.stringify({ ...rang, alertCount: 1.5 })],
    ['an unknown source', JSON.stringify({ ...rang, firstSource: 'poll' })],
    ['an unknown detail', JSON.stringify({ ...rang, detail: 'some' })],
    ['acknowledged not a boolean', JSON.stringify({ ...rang, acknowledged: 1 })],
    ['no request id', JSON.stringify({ ...rang, requestId: undefined })],
    ['a time that is text', JSON.stringify({ ...rang, at: '1' })],
    ['a repeat time that is text', JSON.stringify({ ...rang, nextRepeatAt: 'soon' })],
    ['a gone mark without removedAt', JSON.stringify({ ...gone, removedAt: null })],
    ['a gone mark with a numeric reason', JSON.stringify({ ...gone, reason: 3 })],
  ])('rejects %s', (_what, line) => {
    expect(parseEntry(line)).toBeNull()
  })
})

describe('applying a journal', () => {
  it('sets the ring marks of known requests (details kept), adds unknown ones without details, and removes versions that left', () => {
    const s = openStore(undefined)
    s.putQueueRow(row('known', { alertCount: 0, nextRepeatAt: null, lastAlertAt: null }))
    s.putQueueRow(row('leaves'))
    s.putQueueRow(row('requeued', { key: 'requeued@new' }))
    s.putQueueRow(row('basic-then-full', { detail: 'full', alertCount: 0 }))
    const mark = (r: QueueRow): RangMark => ({ t: 'rang', at: 1, ...markOf(r) })
    const result = applyHeldJournal(
      [
        mark(row('known', { alertCount: 2, nextRepeatAt: 9, lastAlertAt: 8 })),
        mark(row('new-one', { detail: 'basic', alertCount: 1 })),
        mark(row('basic-then-full', { detail: 'basic', alertCount: 1 })),
        { t: 'gone', at: 2, key: row('leaves').key, requestId: 'leaves', queuedAt: null, removedAt: 7, removedCommitTs: null, reason: 'accepted' },
        { t: 'gone', at: 3, key: row('requeued').key, requestId: 'requeued', queuedAt: null, removedAt: 7, removedCommitTs: null, reason: 're-queued' },
      ],
      s,
    )
    expect(result).toEqual({ rang: 3, gone: 2 })
    expect(s.getQueueRow('known')).toMatchObject({ alertCount: 2, nextRepeatAt: 9, lastAlertAt: 8, details: row('known').details })
    expect(s.getQueueRow('new-one')).toMatchObject({ alertCount: 1, detail: 'basic', sessionId: 's-new-one', details: { customerName: null, vehicle: null, concern: null, sessionType: null }, firstSource: 'broadcast' })
    // A row the file has with its details stays 'full'.
    expect(s.getQueueRow('basic-then-full')?.detail).toBe('full')
    expect(s.getQueueRow('leaves')).toBeUndefined()
    expect(s.tombstonesFor('leaves').map((t) => t.reason)).toEqual(['accepted'])
    // Another version of the request is queued now: only the old version's tombstone is added.
    expect(s.getQueueRow('requeued')?.key).toBe('requeued@new')
    expect(s.tombstonesFor('requeued').map((t) => t.key)).toEqual([row('requeued').key])
  })
})

describe('the store and its journal', () => {
  it('journals ring marks only while holding writes in memory, and removes the journal once they are written back', () => {
    const j = journalAt()
    const s = openStore(j)
    s.putQueueRow(row('before'))
    expect(j.exists()).toBe(false)
    const other = lockFile()
    s.putQueueRow(row('r1'))
    s.putTombstone({ key: 'gone@x', requestId: 'gone', queuedAt: null, removedAt: 1, removedCommitTs: null, reason: 'cancelled' })
    expect(s.held).not.toBeNull()
    expect(j.read().entries.map((e) => [e.t, e.requestId])).toEqual([['rang', 'r1'], ['gone', 'gone']])
    other.exec('ROLLBACK')
    expect(s.writeBackHeld()).toBeNull()
    expect(j.exists()).toBe(false)
  })

  it("a transaction's marks are written when it commits; a transaction that throws journals nothing", () => {
    const j = journalAt()
    const s = openStore(j)
    lockFile()
    s.putQueueRow(row('r1')) // on its own: written at once
    expect(j.read().entries.map((e) => e.requestId)).toEqual(['r1'])
    s.transaction(() => {
      s.putQueueRow(row('r2'))
      s.putQueueRow(row('r3'))
      expect(j.read().entries.map((e) => e.requestId)).toEqual(['r1'])
    })
    expect(j.read().entries.map((e) => e.requestId)).toEqual(['r1', 'r2', 'r3'])
    expect(() =>
      s.transaction(() => {
        s.putQueueRow(row('r4'))
        throw new Error('a bug in the caller')
      }),
    ).toThrow('a bug in the caller')
    s.putQueueRow(row('r5'))
    expect(j.read().entries.map((e) => e.requestId)).toEqual(['r1', 'r2', 'r3', 'r5'])
  })

  it("a group's marks are in the journal before its callbacks run (they ring), not before it commits", async () => {
    const j = journalAt()
    const s = openStore(j)
    lockFile()
    s.putQueueRow(row('r1'))
    let seenByCallback: string[] = []
    s.transactionInGroup(
      () => s.putQueueRow(row('g1')),
      () => (seenByCallback = j.read().entries.map((e) => e.requestId)),
    )
    expect(j.read().entries.map((e) => e.requestId)).toEqual(['r1'])
    await Promise.resolve()
    expect(seenByCallback).toEqual(['r1', 'g1'])
  })

  it('a journal left by a killed process is applied at open and removed: what it rang counts as rung', () => {
    const s = openStore(journalAt())
    const other = lockFile()
    s.putQueueRow(row('r1', { alertCount: 2 }))
    // Killed: the store is never closed and its copy never written back.
    other.exec('ROLLBACK')
    const again = openStore(journalAt())
    expect(again.held).toBeNull()
    expect(again.getQueueRow('r1')).toMatchObject({ alertCount: 2, nextRepeatAt: row('r1').nextRepeatAt })
    expect(existsSync(heldJournalPath(dbPath))).toBe(false)
    expect(log.lines.some((l) => /applied the held journal/.test(l.msg) && l.fields?.rang === 1)).toBe(true)
  })

  it('opened while the file is still locked: applied to the in-memory copy and kept until the write back', () => {
    const s = openStore(journalAt())
    const other = lockFile()
    s.putQueueRow(row('r1'))
    const j = journalAt()
    const again = openStore(j)
    expect(again.held?.reason).toBe('database is locked')
    expect(again.getQueueRow('r1')?.alertCount).toBe(1)
    expect(j.exists()).toBe(true)
    // A new ring while still held lands in the same journal.
    again.putQueueRow(row('r2'))
    expect(j.read().entries.map((e) => e.requestId)).toEqual(['r1', 'r2'])
    other.exec('ROLLBACK')
    expect(again.writeBackHeld()).toBeNull()
    expect(j.exists()).toBe(false)
    const db = new Database(dbPath, { readonly: true })
    others.push(db)
    expect(db.prepare('SELECT request_id, alert_count FROM queue ORDER BY request_id').all()).toEqual([{ request_id: 'r1', alert_count: 1 }, { request_id: 'r2', alert_count: 1 }])
  })

  it('a torn last line at open: the rest applies and the journal is removed', () => {
    const j = journalAt()
    j.noteRang(row('r1'))
    j.flush()
    j.close()
    appendFileSync(j.path, '{"t":"rang","at":1,"requestId":"r2"')
    const s = openStore(journalAt())
    expect(s.getQueueRow('r1')?.alertCount).toBe(1)
    expect(s.getQueueRow('r2')).toBeUndefined()
    expect(existsSync(j.path)).toBe(false)
  })

  it('a store opened without a journal (doctor beside the running app) leaves the journal alone', () => {
    const j = journalAt()
    j.noteRang(row('r1'))
    j.flush()
    j.close()
    const s = openStore(undefined)
    expect(s.getQueueRow('r1')).toBeUndefined()
    expect(lines()).toHaveLength(1)
  })

  it('a journal that cannot be read is logged and left in place; the store still opens', () => {
    mkdirSync(heldJournalPath(dbPath)) // a directory where the file should be: EISDIR on read
    const s = openStore(journalAt())
    expect(s.isOpen).toBe(true)
    expect(log.errors().some((l) => /could not apply the held journal/.test(l.msg) && /EISDIR/.test(String(l.fields?.cause)))).toBe(true)
    expect(statSync(heldJournalPath(dbPath)).isDirectory()).toBe(true)
  })

  it('closing while still locked keeps the journal for the next start and says so', () => {
    const s = openStore(journalAt())
    const other = lockFile()
    s.putQueueRow(row('r1'))
    s.close()
    expect(log.errors().some((l) => /kept from ringing again by the held journal/.test(l.msg))).toBe(true)
    expect(lines()).toHaveLength(1)
    other.exec('ROLLBACK')
  })
})
