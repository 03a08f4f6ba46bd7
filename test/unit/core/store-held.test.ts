// The store on a real file that stops taking writes — locked by another connection, read-only, full: writes
// are held in an in-memory copy (decisions keep working, nothing recorded before is lost), written back in
// one transaction once the file takes them, and anything that is not such a failure still throws.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Store, type EventRecord, type HeldInMemory, type QueueRow } from '../../../src/core/store/store.js'
import { copyIn, isStoreUnavailable, unavailableReason, writeBack } from '../../../src/core/store/held-state.js'
import { MIGRATIONS } from '../../../src/core/store/schema.js'
import { captureLog } from './helpers.js'

let dir: string
let path: string
let log: ReturnType<typeof captureLog>
const open: Store[] = []
const others: Database.Database[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-held-'))
  path = join(dir, 'bayalert.db')
  log = captureLog()
})
afterEach(() => {
  for (const o of others.splice(0)) if (o.open) o.close()
  for (const s of open.splice(0)) s.close()
  rmSync(dir, { recursive: true, force: true })
})

function openStore(busyTimeoutMs = 50): Store {
  const s = Store.open({ path, log, busyTimeoutMs })
  open.push(s)
  return s
}

/** Another process's connection that takes the write lock and keeps it. */
function lockFile(): Database.Database {
  const other = new Database(path)
  others.push(other)
  other.exec('BEGIN EXCLUSIVE')
  return other
}

const row = (id: string, over: Partial<QueueRow> = {}): QueueRow => ({
  requestId: id,
  key: `${id}@2026-03-02T08:59:59.500000Z`,
  sessionId: null,
  queuedAt: '2026-03-02T08:59:59.500000Z',
  details: { customerName: `Customer ${id}`, vehicle: null, concern: null, sessionType: null },
  detail: 'full',
  acknowledged: false,
  alertCount: 1,
  nextRepeatAt: null,
  firstSeenAt: 1,
  firstSource: 'broadcast',
  lastAlertAt: null,
  commitTs: null,
  ...over,
})

const ev = (id: string, reason: string | null = null): EventRecord => ({
  receivedAt: 1,
  source: 'broadcast',
  eventId: `e-${id}`,
  kind: 'queued',
  requestId: id,
  dedupKey: `${id}@`,
  outcome: 'alerted',
  reason,
})

/** What a fresh connection reads from the file itself. */
function onDisk(): { queue: string[]; events: string[]; tombstones: string[] } {
  const db = new Database(path, { readonly: true })
  try {
    return {
      queue: (db.prepare('SELECT request_id FROM queue ORDER BY request_id').all() as { request_id: string }[]).map((r) => r.request_id),
      events: (db.prepare('SELECT event_id FROM events ORDER BY id').all() as { event_id: string }[]).map((r) => r.event_id),
      tombstones: (db.prepare('SELECT key FROM tombstones ORDER BY key').all() as { key: string }[]).map((r) => r.key),
    }
  } finally {
    db.close()
  }
}

describe('a file locked by another connection', () => {
  it('holds the write in memory with the reason, keeps what was recorded before, and writes it all back once the lock is gone', () => {
    const s = openStore()
    s.putQueueRow(row('before'))
    s.recordEvent(ev('before'))
    const heard: (HeldInMemory | null)[] = []
    s.onAvailability((h) => heard.push(h))
    const other = lockFile()

    s.putQueueRow(row('during'))
    s.recordEvent(ev('during'))
    s.putTombstone({ key: 'gone@', requestId: 'gone', queuedAt: null, removedAt: 5, removedCommitTs: null, reason: 'accepted' })
    expect(s.held).toMatchObject({ reason: 'database is locked', seeded: true })
    expect(heard).toHaveLength(1)
    // Decisions read the copy: what was recorded before and what was decided since.
    expect(s.listQueue().map((r) => r.requestId)).toEqual(['before', 'during'])
    expect(s.tombstonesFor('gone')).toHaveLength(1)
    expect(onDisk().queue).toEqual(['before'])

    // Still locked: the write back fails with the reason and the copy stays in use.
    expect(s.writeBackHeld()).toBe('database is locked')
    expect(s.held).not.toBeNull()
    s.deleteQueueRow('before')
    other.exec('ROLLBACK')

    expect(s.writeBackHeld()).toBeNull()
    expect(s.held).toBeNull()
    expect(heard).toEqual([expect.objectContaining({ reason: 'database is locked' }), null])
    const disk = onDisk()
    expect(disk.queue).toEqual(['during'])
    expect(disk.events).toEqual(['e-before', 'e-during'])
    expect(disk.tombstones).toEqual(['gone@'])
    // And the file is the store again: a new write lands on it directly.
    s.putQueueRow(row('after'))
    expect(onDisk().queue).toEqual(['after', 'during'])
  })

  it('a group commit whose first call meets the lock is decided on the copy, and every afterCommit hears committed', async () => {
    const s = openStore()
    lockFile()
    const committed: boolean[] = []
    const r1 = s.transactionInGroup(() => {
      s.putQueueRow(row('a'))
      return 'a'
    }, (ok) => committed.push(ok))
    const r2 = s.transactionInGroup(() => {
      s.putQueueRow(row('b'))
      return 'b'
    }, (ok) => committed.push(ok))
    expect([r1, r2]).toEqual(['a', 'b'])
    await Promise.resolve()
    expect(committed).toEqual([true, true])
    expect(s.listQueue().map((r) => r.requestId)).toEqual(['a', 'b'])
  })

  it('a plain transaction meeting the lock runs again on the copy and returns its result', () => {
    const s = openStore()
    lockFile()
    const n = s.transaction(() => {
      s.putQueueRow(row('x'))
      return s.queueLength()
    })
    expect(n).toBe(1)
    expect(s.held?.reason).toBe('database is locked')
  })

  it('closing while still locked says what is lost; closing after the lock went writes the copy back', () => {
    const s = openStore()
    const other = lockFile()
    s.putQueueRow(row('kept'))
    other.exec('ROLLBACK')
    s.close()
    expect(onDisk().queue).toEqual(['kept'])

    const s2 = openStore()
    const other2 = lockFile()
    s2.putQueueRow(row('lost'))
    s2.close()
    other2.exec('ROLLBACK')
    expect(onDisk().queue).toEqual(['kept'])
    expect(log.errors().some((l) => /closing with writes held in memory .*database is locked.*they are lost/.test(l.msg))).toBe(true)
  })
})

describe('a read-only or full file', () => {
  it('read-only: the write is held with SQLite\'s reason and written back once writable again', () => {
    const s = openStore()
    s.pragmaOnFile('query_only = 1')
    s.recordEvent(ev('ro'))
    expect(s.held?.reason).toBe('attempt to write a readonly database')
    expect(s.recentEvents(5).map((e) => e.eventId)).toEqual(['e-ro'])
    expect(s.writeBackHeld()).toBe('attempt to write a readonly database')
    s.pragmaOnFile('query_only = 0')
    expect(s.writeBackHeld()).toBeNull()
    expect(onDisk().events).toEqual(['e-ro'])
  })

  it('full: a write that needs a page the file may not grow is held; back once there is room', () => {
    const s = openStore()
    s.recordEvent(ev('small'))
    const pages = s.pragmaOnFile('page_count') as number
    s.pragmaOnFile(`max_page_count = ${pages}`)
    // Larger than a page: it needs new (overflow) pages.
    s.recordEvent(ev('big', 'x'.repeat(10_000)))
    expect(s.held?.reason).toBe('database or disk is full')
    expect(s.writeBackHeld()).toBe('database or disk is full')
    s.pragmaOnFile(`max_page_count = ${pages + 100}`)
    expect(s.writeBackHeld()).toBeNull()
    expect(onDisk().events).toEqual(['e-small', 'e-big'])
  })
})

describe('probeWritable (doctor beside another process\'s store)', () => {
  it('null when the file takes writes, SQLite\'s reason while another connection holds the lock, and it writes nothing', () => {
    const s = openStore()
    s.recordEvent(ev('one'))
    expect(s.probeWritable()).toBeNull()
    const other = lockFile()
    expect(s.probeWritable()).toBe('database is locked')
    expect(s.held).toBeNull()
    other.exec('ROLLBACK')
    expect(s.probeWritable()).toBeNull()
    expect(onDisk().events).toEqual(['e-one'])
  })

  it('a store already holding its writes in memory answers with that reason', () => {
    const s = openStore()
    s.pragmaOnFile('query_only = 1')
    s.recordEvent(ev('ro'))
    expect(s.probeWritable()).toBe('attempt to write a readonly database')
  })
})

describe('a commit the disk refuses', () => {
  // A real full disk refuses the WAL write at COMMIT, after every statement succeeded; SQLite's page limit
  // refuses at the statement, so the commit's refusal is simulated on the file's own connection.
  function refuseNextCommit(s: Store): void {
    const db = (s as unknown as { fileDb: Database.Database }).fileDb
    const exec = db.exec.bind(db)
    let refused = false
    db.exec = (sql: string) => {
      if (sql === 'COMMIT' && !refused) {
        refused = true
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
      }
      return exec(sql)
    }
  }

  it('the group is decided again on the copy and commits there: every afterCommit hears committed, and the write back keeps it', async () => {
    const s = openStore()
    s.putQueueRow(row('before'))
    refuseNextCommit(s)
    const committed: boolean[] = []
    for (const id of ['a', 'b']) s.transactionInGroup(() => s.putQueueRow(row(id)), (ok) => committed.push(ok))
    await Promise.resolve()
    expect(committed).toEqual([true, true])
    expect(s.held?.reason).toBe('database or disk is full')
    expect(s.listQueue().map((r) => r.requestId)).toEqual(['a', 'b', 'before'])
    expect(onDisk().queue).toEqual(['before'])
    expect(s.writeBackHeld()).toBeNull()
    expect(onDisk().queue).toEqual(['a', 'b', 'before'])
  })

  it('a group whose commit fails for another reason is lost as before: afterCommit hears not committed', async () => {
    const s = openStore()
    const db = (s as unknown as { fileDb: Database.Database }).fileDb
    const exec = db.exec.bind(db)
    db.exec = (sql: string) => {
      if (sql === 'COMMIT') throw Object.assign(new Error('FOREIGN KEY constraint failed'), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' })
      return exec(sql)
    }
    const committed: boolean[] = []
    s.transactionInGroup(() => s.putQueueRow(row('x')), (ok) => committed.push(ok))
    await Promise.resolve()
    expect(committed).toEqual([false])
    expect(s.held).toBeNull()
    db.exec = exec
    expect(s.listQueue()).toEqual([])
  })
})

describe('what is not an unavailable file', () => {
  it('a statement the schema refuses still throws and nothing is held', () => {
    const s = openStore()
    expect(() => s.putQueueRow(row('bad', { detail: 'bogus' as 'full' }))).toThrow(/CHECK constraint/)
    expect(s.held).toBeNull()
  })

  it('an in-memory store (tests, doctor) never switches to a copy', () => {
    const s = Store.open({ path: ':memory:', log })
    open.push(s)
    s.pragmaOnFile('query_only = 1')
    expect(() => s.putQueueRow(row('m'))).toThrow(/readonly/)
    expect(s.held).toBeNull()
  })

  it('classifies SQLite codes: lock, read-only, full, I/O and corruption are unavailability; constraints and plain errors are not', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_PERM', 'SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL', 'SQLITE_NOLFS', 'SQLITE_CORRUPT', 'SQLITE_NOTADB']) {
      expect(isStoreUnavailable(Object.assign(new Error('x'), { code })), code).toBe(true)
    }
    for (const code of ['SQLITE_CONSTRAINT_CHECK', 'SQLITE_ERROR', 'SQLITE_MISUSE', 'SQLITE_BUSYNESS', 'ENOENT', undefined]) {
      expect(isStoreUnavailable(Object.assign(new Error('x'), { code })), String(code)).toBe(false)
    }
    expect(isStoreUnavailable(null)).toBe(false)
    expect(unavailableReason(Object.assign(new Error('database is locked\n  at …'), { code: 'SQLITE_BUSY' }))).toBe('database is locked')
    expect(unavailableReason(Object.assign(new Error(''), { code: 'SQLITE_FULL' }))).toBe('SQLITE_FULL')
  })
})

describe('copy in and write back', () => {
  function migrated(): Database.Database {
    const db = new Database(':memory:')
    others.push(db)
    for (const m of MIGRATIONS) db.exec(m.sql)
    return db
  }
  const insertQueue = (db: Database.Database, id: string) =>
    db.prepare(`INSERT INTO queue (request_id, key, detail, first_seen_at, first_source) VALUES (?, ?, 'basic', 1, 'broadcast')`).run(id, `${id}@`)

  it('a copy that could not read the file starts empty and says why', () => {
    const broken = new Database(':memory:') // no tables: every read fails
    others.push(broken)
    const copy = copyIn(broken, migrated())
    expect(copy).toMatchObject({ seeded: false, rows: 0 })
    expect(copy.cause).toMatch(/no such table/)
  })

  it('an unseeded copy is merged into the file (its rows kept); a seeded one replaces the state tables', () => {
    const file = migrated()
    insertQueue(file, 'on-file')
    const memory = migrated()
    insertQueue(memory, 'in-memory')
    const ids = () => (file.prepare('SELECT request_id FROM queue ORDER BY request_id').all() as { request_id: string }[]).map((r) => r.request_id)
    expect(writeBack(memory, file, false).rows).toBe(1)
    expect(ids()).toEqual(['in-memory', 'on-file'])
    writeBack(memory, file, true)
    expect(ids()).toEqual(['in-memory'])
  })

  it('a write back that fails part way leaves the file as it was', () => {
    const file = migrated()
    insertQueue(file, 'on-file')
    const memory = migrated()
    insertQueue(memory, 'in-memory')
    file.exec(`CREATE TRIGGER refuse BEFORE INSERT ON queue BEGIN SELECT RAISE(ABORT, 'disk gone'); END`)
    expect(() => writeBack(memory, file, true)).toThrow(/disk gone/)
    expect(file.inTransaction).toBe(false)
    expect((file.prepare('SELECT request_id FROM queue').all() as { request_id: string }[]).map((r) => r.request_id)).toEqual(['on-file'])
  })
})
