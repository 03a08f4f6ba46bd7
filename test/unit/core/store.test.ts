// The SQLite store on real files: migrations, corruption recovery, pruning, restart persistence,
// and the throughput figure.
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_FLAGS } from '../../../src/shared/types.js'
import { Store, type EventRecord } from '../../../src/core/store/store.js'
import { SCHEMA_VERSION } from '../../../src/core/store/schema.js'
import { benchmarkStore } from '../../../src/core/store/bench.js'
import { openStateCore } from '../../../src/core/desk/state-core.js'
import { canonicalTime, dedupKey, isMillisecondPrecision, morePreciseVersion, sameVersion } from '../../../src/core/store/keys.js'
import { captureLog, queued } from './helpers.js'

let dir: string
let path: string
let log: ReturnType<typeof captureLog>
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-store-'))
  path = join(dir, 'bayalert.db')
  log = captureLog()
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const ev = (i: number, receivedAt = Date.now()): EventRecord => ({
  receivedAt,
  source: 'broadcast',
  eventId: `e${i}`,
  kind: 'queued',
  requestId: `r${i}`,
  dedupKey: `r${i}@`,
  outcome: 'duplicate',
  reason: null,
})

function fillRealDb(): void {
  const s = Store.open({ path, log })
  s.recordEvents(Array.from({ length: 5000 }, (_, i) => ev(i)))
  for (let i = 0; i < 50; i++) {
    s.putQueueRow({
      requestId: `q${i}`, key: `q${i}@`, sessionId: null, queuedAt: null,
      details: { customerName: 'x'.repeat(200), vehicle: null, concern: null, sessionType: null },
      detail: 'full', acknowledged: false, alertCount: 1, nextRepeatAt: null, firstSeenAt: 1, firstSource: 'broadcast', lastAlertAt: null, commitTs: null,
    })
  }
  s.close()
  // Fold the WAL into the main file so truncating the file really loses pages.
  const db = new Database(path)
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
}

describe('open and migrate', () => {
  it('creates a WAL database at the current schema version, with synchronous=NORMAL', () => {
    const s = Store.open({ path, log })
    expect(s.schemaVersion()).toBe(SCHEMA_VERSION)
    expect(s.movedAsideTo).toBeNull()
    s.close()
    const db = new Database(path)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.prepare('SELECT version FROM schema_version ORDER BY version').all()).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }])
    db.close()
  })

  it('reopens an existing store without re-running migrations, keeping its data', () => {
    const s = Store.open({ path, log })
    s.setMeta('cursor', 'abc')
    s.saveFlags({ ...DEFAULT_FLAGS, mech_visual_indicators: false }, 42)
    s.close()
    const t = Store.open({ path, log })
    expect(t.getMeta('cursor')).toBe('abc')
    expect(t.loadFlags()).toEqual({ flags: { ...DEFAULT_FLAGS, mech_visual_indicators: false }, fetchedAt: 42 })
    t.setMeta('cursor', null)
    expect(t.getMeta('cursor')).toBeNull()
    t.close()
  })

  it('works in memory', () => {
    const s = Store.open({ path: ':memory:', log })
    s.recordEvent(ev(1))
    expect(s.counts().events).toBe(1)
    expect(s.loadFlags()).toBeNull()
    s.close()
  })
})

describe('corrupt or foreign files are moved aside and rebuilt', () => {
  const cases: [string, () => void][] = [
    ['garbage bytes', () => writeFileSync(path, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 256)))],
    ['a text file', () => writeFileSync(path, 'this is not a database\n'.repeat(100))],
    ['a real DB truncated to half', () => { fillRealDb(); truncateSync(path, Math.floor(statSync(path).size / 2)) }],
    ['a real DB truncated inside its header', () => { fillRealDb(); truncateSync(path, 60) }],
    ['another app\'s database', () => { const db = new Database(path); db.exec('CREATE TABLE users (id INTEGER)'); db.close() }],
    ['a newer BayAlert schema', () => { const s = Store.open({ path, log: captureLog() }); s.close(); const db = new Database(path); db.prepare('INSERT INTO schema_version VALUES (99, 0, ?)').run('future'); db.close() }],
    ['our schema with a column missing', () => { const s = Store.open({ path, log: captureLog() }); s.close(); const db = new Database(path); db.exec('ALTER TABLE events DROP COLUMN reason'); db.close() }],
  ]

  it.each(cases)('%s', (_name, make) => {
    make()
    writeFileSync(join(dir, 'settings.json'), '{"keep":"me"}')
    const before = readFileSync(path)
    const s = Store.open({ path, log })
    expect(s.movedAsideTo).toMatch(/bayalert\.db\.corrupt-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/)
    // Nothing else is deleted: the broken bytes are kept aside, other files untouched.
    expect(readFileSync(s.movedAsideTo!)).toEqual(before)
    expect(readFileSync(join(dir, 'settings.json'), 'utf8')).toBe('{"keep":"me"}')
    // One clear log line with the cause.
    const errs = log.errors()
    expect(errs).toHaveLength(1)
    expect(errs[0]!.msg).toMatch(/^store: database file was unusable \(.+\); moved it aside to .+ and started an empty store/)
    // Rebuilt and usable.
    expect(s.counts()).toEqual({ queue: 0, events: 0, sinkAttempts: 0, tombstones: 0 })
    s.recordEvent(ev(1))
    s.close()
    const again = Store.open({ path, log })
    expect(again.movedAsideTo).toBeNull()
    expect(again.counts().events).toBe(1)
    again.close()
  })

  it('through the state core: the health counter shows the rebuild and the desk works', () => {
    writeFileSync(path, 'garbage')
    const core = openStateCore({ dbPath: path, sinks: [], log })
    core.desk.start()
    expect(core.health.summary().counters['store:rebuilt']).toBe(1)
    expect(core.desk.ingest(queued('r1')).outcome).toBe('alerted')
    core.close()
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt-'))).toHaveLength(1)
  })

  it('a missing directory is created by the state core, not treated as corruption', () => {
    const core = openStateCore({ dbPath: join(dir, 'a', 'b', 'bayalert.db'), sinks: [], log })
    expect(core.store.movedAsideTo).toBeNull()
    core.close()
    expect(log.errors()).toHaveLength(0)
  })

  it('an unopenable path that is not a file (a directory) is an error, never moved aside', () => {
    expect(() => Store.open({ path: dir, log })).toThrow()
    expect(existsSync(dir)).toBe(true)
  })
})

describe('the database file is private (customer names)', () => {
  const posix = process.platform !== 'win32'
  const mode = (f: string) => statSync(f).mode & 0o777
  const files = () => ['', '-wal', '-shm'].map((x) => path + x)

  it.runIf(posix)('a new database and its -wal/-shm are created 0600, whatever the umask allows', () => {
    const old = process.umask(0o022) // the common default, which would give 0644
    try {
      const s = Store.open({ path, log })
      s.recordEvent(ev(1)) // WAL mode: the -wal and -shm exist while open
      for (const f of files()) expect([f, mode(f).toString(8)]).toEqual([f, '600'])
      s.close()
      expect(mode(path).toString(8)).toBe('600')
    } finally {
      process.umask(old)
    }
  })

  it.runIf(posix)('an existing 0644 database and its sidecars are tightened on open, data kept', () => {
    const s = Store.open({ path, log })
    s.recordEvent(ev(1))
    s.close()
    // Another connection keeps the -wal/-shm around, as an older version of the app would leave them.
    const other = new Database(path)
    other.pragma('journal_mode = WAL')
    other.exec('CREATE TABLE IF NOT EXISTS scratch (x)')
    for (const f of files()) chmodSync(f, 0o644)
    const again = Store.open({ path, log })
    for (const f of files()) expect([f, mode(f).toString(8)]).toEqual([f, '600'])
    expect(again.counts().events).toBe(1)
    again.close()
    other.close()
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(0)
  })

  it.runIf(posix)('a corrupt file moved aside and the fresh one in its place are both 0600', () => {
    writeFileSync(path, 'garbage'.repeat(100), { mode: 0o644 })
    const s = Store.open({ path, log })
    expect(mode(s.movedAsideTo!).toString(8)).toBe('600')
    expect(mode(path).toString(8)).toBe('600')
    s.close()
  })

  it.runIf(posix)('the state core creates a missing data directory 0700', () => {
    const core = openStateCore({ dbPath: join(dir, 'data', 'bayalert.db'), sinks: [], log })
    core.close()
    expect(mode(join(dir, 'data')).toString(8)).toBe('700')
    expect(mode(join(dir, 'data', 'bayalert.db')).toString(8)).toBe('600')
  })
})

describe('prune', () => {
  it('deletes events, sink attempts and tombstones past their age, keeps the young', () => {
    let now = 1_000_000_000_000
    const s = Store.open({ path, log, clock: { now: () => now }, limits: { eventsMaxAgeMs: 1000, sinkAttemptsMaxAgeMs: 1000, tombstonesMaxAgeMs: 1000 } })
    s.recordEvents([ev(1, now - 5000), ev(2, now - 2000), ev(3, now)])
    s.recordSinkAttempt({ at: now - 5000, sink: 'a', tier: 'sound', alertKind: 'request', key: null, result: 'ok', durationMs: 1, error: null })
    s.recordSinkAttempt({ at: now, sink: 'b', tier: 'sound', alertKind: 'request', key: null, result: 'ok', durationMs: 1, error: null })
    s.putTombstone({ key: 'old@', requestId: 'old', queuedAt: null, removedAt: now - 5000, removedCommitTs: null, reason: 'x' })
    s.putTombstone({ key: 'new@', requestId: 'new', queuedAt: null, removedAt: now, removedCommitTs: null, reason: 'x' })
    expect(s.prune()).toEqual({ events: 2, sinkAttempts: 1, tombstones: 1 })
    expect(s.recentEvents().map((e) => e.eventId)).toEqual(['e3'])
    expect(s.tombstonesFor('new')).toHaveLength(1)
    expect(s.tombstonesFor('old')).toHaveLength(0)
    now += 10_000
    expect(s.prune()).toEqual({ events: 1, sinkAttempts: 1, tombstones: 1 })
    s.close()
  })

  it('caps rows, keeping the newest; runs on open', () => {
    const s = Store.open({ path, log })
    s.recordEvents(Array.from({ length: 300 }, (_, i) => ev(i)))
    for (let i = 0; i < 30; i++) s.putTombstone({ key: `t${i}@`, requestId: `t${i}`, queuedAt: null, removedAt: Date.now() + i, removedCommitTs: null, reason: null })
    s.close()
    const t = Store.open({ path, log, limits: { eventsMaxRows: 100, tombstonesMaxRows: 10 } })
    expect(t.counts().events).toBe(100)
    expect(t.recentEvents(1)[0]!.eventId).toBe('e299')
    expect(t.recentEvents(100).at(-1)!.eventId).toBe('e200')
    expect(t.counts().tombstones).toBe(10)
    expect(t.tombstonesFor('t29')).toHaveLength(1)
    expect(log.lines.some((l) => l.msg === 'store: pruned old rows')).toBe(true)
    t.close()
  })
})

describe('keys', () => {
  it.each([
    ['2026-03-02T08:59:59.5Z', '2026-03-02T08:59:59.500000Z'],
    ['2026-03-02 08:59:59.5+00', '2026-03-02T08:59:59.500000Z'],
    ['2026-03-02T09:59:59.500+01:00', '2026-03-02T08:59:59.500000Z'],
    ['2026-03-02T08:59:59.123456+00:00', '2026-03-02T08:59:59.123456Z'],
    ['2026-03-02T08:59:59', '2026-03-02T08:59:59.000000Z'],
    ['2026-03-02T14:29:59+0530', '2026-03-02T08:59:59.000000Z'],
  ])('canonical %s → %s', (a, b) => expect(canonicalTime(a)).toBe(b))

  it.each([[''], ['yesterday'], [12345], [null], ['2026-13-45T99:99:99Z']])('rejects %j', (v) => expect(canonicalTime(v)).toBeNull())

  it('millisecond precision: ≤ 3 significant fraction digits, judged from the canonical form', () => {
    expect(isMillisecondPrecision('2026-03-02T08:59:59.123000Z')).toBe(true)
    expect(isMillisecondPrecision(canonicalTime('2026-03-02T08:59:59.123Z')!)).toBe(true)
    expect(isMillisecondPrecision(canonicalTime('2026-03-02 08:59:59+00')!)).toBe(true)
    expect(isMillisecondPrecision('2026-03-02T08:59:59.123456Z')).toBe(false)
    expect(isMillisecondPrecision(canonicalTime('2026-03-02 08:59:59.1234+00')!)).toBe(false)
  })

  it.each([
    ['2026-03-02T08:59:59.123456Z', '2026-03-02T08:59:59.123000Z', true], // JS Date truncation
    ['2026-03-02T08:59:59.123600Z', '2026-03-02T08:59:59.124000Z', true], // rounding serializer
    ['2026-03-02T08:59:59.999900Z', '2026-03-02T09:00:00.000000Z', true], // rounding across a second
    ['2026-03-02T08:59:59.123456Z', '2026-03-02T08:59:59.125000Z', false], // ≥ 1 ms apart
    ['2026-03-02T08:59:59.123000Z', '2026-03-02T08:59:59.124000Z', false], // two ms versions, 1 ms apart
    ['2026-03-02T08:59:59.123456Z', '2026-03-02T08:59:59.123457Z', false], // two exact versions compare exactly
  ])('sameVersion(%s, %s) = %s, symmetric', (a, b, same) => {
    expect(sameVersion(a, b)).toBe(same)
    expect(sameVersion(b, a)).toBe(same)
  })

  it('the more precise spelling wins', () => {
    expect(morePreciseVersion('2026-03-02T08:59:59.123000Z', '2026-03-02T08:59:59.123456Z')).toBe('2026-03-02T08:59:59.123456Z')
    expect(morePreciseVersion('2026-03-02T08:59:59.123456Z', '2026-03-02T08:59:59.123000Z')).toBe('2026-03-02T08:59:59.123456Z')
  })

  it('dedup key', () => {
    expect(dedupKey('r1', '2026-03-02T08:59:59.500000Z')).toBe('r1@2026-03-02T08:59:59.500000Z')
    expect(dedupKey('r1', null)).toBe('r1@')
  })
})

describe('throughput', () => {
  it('records ≥ 20,000 events/s (prints the figures)', () => {
    const b = benchmarkStore(20_000)
    console.log(`[store bench] ${JSON.stringify(b)}`)
    // The batched path is the contract; single autocommits and full desk decisions are reported.
    expect(b.eventsPerSecBatched).toBeGreaterThanOrEqual(20_000)
    expect(b.eventsPerSecSingle).toBeGreaterThan(5_000)
    expect(b.deskFactsPerSec).toBeGreaterThan(1_000)
  })
})

describe('group commit (transactionInGroup)', () => {
  /** What another connection to the same file sees: only committed events. */
  const committedEvents = () => {
    const other = new Database(path, { readonly: true })
    try {
      return (other.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n
    } finally {
      other.close()
    }
  }

  it('calls of one task share one commit; their afterCommit callbacks run after it, in order', async () => {
    const s = Store.open({ path, log })
    const seen: string[] = []
    for (let i = 0; i < 3; i++) s.transactionInGroup(() => s.recordEvent(ev(i)), (ok) => seen.push(`${i}:${ok}`))
    expect(seen).toEqual([])
    expect(committedEvents()).toBe(0) // still one open transaction
    await Promise.resolve()
    expect(seen).toEqual(['0:true', '1:true', '2:true'])
    expect(committedEvents()).toBe(3)
    s.close()
  })

  it('a call that throws rolls back its own writes only and queues no callback', async () => {
    const s = Store.open({ path, log })
    const seen: number[] = []
    s.transactionInGroup(() => s.recordEvent(ev(1)), () => seen.push(1))
    expect(() =>
      s.transactionInGroup(
        () => {
          s.recordEvent(ev(2))
          throw new Error('boom')
        },
        () => seen.push(2),
      ),
    ).toThrow('boom')
    s.transactionInGroup(() => s.recordEvent(ev(3)), () => seen.push(3))
    await Promise.resolve()
    expect(seen).toEqual([1, 3])
    expect(s.recentEvents().map((e) => e.eventId).sort()).toEqual(['e1', 'e3'])
    s.close()
  })

  it('a long synchronous burst commits every 256 calls without waiting for the task to end', () => {
    const s = Store.open({ path, log })
    let committed = 0
    for (let i = 0; i < 600; i++) s.transactionInGroup(() => s.recordEvent(ev(i)), () => committed++)
    expect(committed).toBe(512)
    expect(committedEvents()).toBe(512)
    s.close()
    expect(committed).toBe(600) // close() commits the rest and runs its callbacks first
    expect(committedEvents()).toBe(600)
  })

  it('a failed commit is reported to every callback as not committed, and logged', async () => {
    const s = Store.open({ path, log })
    const seen: boolean[] = []
    s.transactionInGroup(() => s.recordEvent(ev(1)), (ok) => seen.push(ok))
    // A commit that cannot happen: the transaction was ended underneath the group.
    ;(s as unknown as { db: Database.Database }).db.exec('ROLLBACK')
    await Promise.resolve()
    expect(seen).toEqual([false])
    expect(log.errors().some((l) => /group commit failed/.test(l.msg))).toBe(true)
    s.close()
  })

  it('inside an ordinary transaction it is a plain savepoint and its callback runs at once', () => {
    const s = Store.open({ path, log })
    const seen: number[] = []
    s.transaction(() => {
      s.transactionInGroup(() => s.recordEvent(ev(1)), () => seen.push(1))
      expect(seen).toEqual([1])
    })
    expect(committedEvents()).toBe(1)
    s.close()
  })
})
