// The engine's SQLite store (better-sqlite3, WAL, synchronous=NORMAL). Synchronous by design: every
// decision the desk makes ("is this key new?") and the write that records it happen in one
// transaction, so a crash can never leave "rang but not recorded" (→ rings twice after restart) or
// "recorded but never rang" for the same key.
import Database from 'better-sqlite3'
import { accessSync, chmodSync, closeSync, constants as fsConstants, existsSync, openSync, renameSync, statSync } from 'node:fs'
import type { FactSource, FeatureFlags, QueueItem } from '../../shared/types.js'
import type { AlertKind, Clock, Logger, SinkTier } from '../ports.js'
import { systemClock } from '../ports.js'
import { EXPECTED_COLUMNS, MIGRATIONS, SCHEMA_VERSION } from './schema.js'
import { copyIn, isStoreUnavailable, unavailableReason, writeBack } from './held-state.js'
import { applyHeldJournal, type HeldJournal } from './held-journal.js'

type Db = Database.Database

/** Calls that may share one group commit before it commits without waiting for the task to end. */
const GROUP_MAX = 256

/**
 * A queue item as stored (queuedAt in its canonical form, see keys.ts), with the desk's own bookkeeping.
 * Whether the server confirmed it since this start is not stored: it is a fact about this run (the desk's).
 */
export interface QueueRow extends Omit<QueueItem, 'confirmed'> {
  nextRepeatAt: number | null
  lastAlertAt: number | null
  commitTs: string | null
}

export type EventOutcome =
  | 'alerted'
  | 'duplicate'
  | 'enqueued-silent'
  | 'removed'
  | 'retracted'
  | 'enriched'
  | 'rejected'
  | 'stale'
  | 'error'

export interface EventRecord {
  receivedAt: number
  source: string
  eventId: string
  kind: string
  requestId: string | null
  dedupKey: string | null
  outcome: EventOutcome
  reason: string | null
}

export type SinkResult = 'ok' | 'error' | 'timeout' | 'skipped-flag'

export interface SinkAttempt {
  at: number
  sink: string
  tier: SinkTier
  /** Alert kind, or 'retract' / 'queue' for the other fan-outs (recorded only when they fail). */
  alertKind: AlertKind | 'update' | 'retract' | 'queue' | 'withdraw'
  key: string | null
  result: SinkResult
  durationMs: number
  error: string | null
}

export interface Tombstone {
  key: string
  requestId: string
  queuedAt: string | null
  removedAt: number
  removedCommitTs: string | null
  reason: string | null
}

export interface PruneLimits {
  eventsMaxAgeMs: number
  eventsMaxRows: number
  sinkAttemptsMaxAgeMs: number
  sinkAttemptsMaxRows: number
  tombstonesMaxAgeMs: number
  tombstonesMaxRows: number
}

export const DEFAULT_PRUNE_LIMITS: PruneLimits = {
  eventsMaxAgeMs: 14 * 24 * 3600_000,
  eventsMaxRows: 200_000,
  sinkAttemptsMaxAgeMs: 14 * 24 * 3600_000,
  sinkAttemptsMaxRows: 100_000,
  // A tombstone only has to outlive the slowest duplicate (a late broadcast, a replayed change);
  // after a week the next reconcile is the authority anyway.
  tombstonesMaxAgeMs: 7 * 24 * 3600_000,
  tombstonesMaxRows: 50_000,
}

export interface PruneResult {
  events: number
  sinkAttempts: number
  tombstones: number
}

export interface StoreOptions {
  /** File path, or ':memory:' (tests, doctor). */
  path: string
  log: Logger
  clock?: Clock
  limits?: Partial<PruneLimits>
  /**
   * Path of the better-sqlite3 native build to load (its `nativeBinding` option), for a host whose ABI differs
   * from the build in node_modules (Electron's main process in development). Default: the one better-sqlite3
   * finds itself.
   */
  nativeBinding?: string
  /**
   * How long a write waits for another connection's lock before the store treats the file as unavailable and
   * holds its writes in memory (default 250 ms). Nothing else writes this file while the app runs (one
   * instance per data directory), so a lock that lasts is a fault, and every millisecond of it delays a ring.
   */
  busyTimeoutMs?: number
  /**
   * Prune old rows on open (default true). A reader of another process's store (doctor beside a running app) passes
   * false: its prune would take the write lock, and a write of the app meeting it holds the app's writes in memory.
   */
  pruneOnOpen?: boolean
  /**
   * Where ring marks go while writes are held in memory, so a kill does not lose them (held-journal.ts); one
   * left by a killed process is applied on open. The engine passes one; a reader (doctor) does not, so it
   * neither applies nor removes the running app's journal.
   */
  heldJournal?: HeldJournal
}

/** Where the store's writes go while the file cannot take them, and since when. */
export interface HeldInMemory {
  /** SQLite's words for the failure that started it, e.g. "database is locked". */
  reason: string
  since: number
  /** False when even reading the file failed: the copy started empty and is merged into the file, not replacing it. */
  seeded: boolean
}

/** Thrown by open checks when the file is a database but not ours (or from a newer app). */
class WrongSchemaError extends Error {}

// Error codes that mean "this file is not a usable BayAlert database". Anything else (busy/locked by
// another instance, disk full, permission on the directory) is rethrown: moving a healthy file aside
// because another process holds a lock would lose data for nothing.
const CORRUPT_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_VTAB', 'SQLITE_IOERR_SHORT_READ', 'SQLITE_CANTOPEN'])

function isCorruption(err: unknown): boolean {
  if (err instanceof WrongSchemaError) return true
  const code = (err as { code?: unknown })?.code
  if (typeof code === 'string' && (CORRUPT_CODES.has(code) || code.startsWith('SQLITE_CORRUPT'))) return true
  const msg = String((err as Error)?.message ?? err)
  return /malformed|not a database|file is encrypted|integrity check failed/i.test(msg)
}

/**
 * Why the process may not read and write this file (EACCES, EPERM, EROFS), or null. SQLite reports such a
 * file as SQLITE_CANTOPEN, the same code a broken file can give: a file we may not open is not corrupt, and
 * moving it aside would lose the queue and its dedup history for a permission a person can fix.
 */
function accessProblem(path: string): string | null {
  try {
    accessSync(path, fsConstants.R_OK | fsConstants.W_OK)
    return null
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? code : null
  }
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

// The database and its -wal/-shm/-journal hold customer names and concerns: owner-only. SQLite
// creates the sidecar files with the main file's permission bits, so getting the main file right
// covers them; files left by older versions (0644 under the usual umask) are tightened on open.
const PRIVATE_MODE = 0o600
const SIDECARS = ['', '-wal', '-shm', '-journal']

/**
 * Creates the file empty with mode 0600 when missing (SQLite would create it 0644 & ~umask) and
 * chmods an existing one and its sidecars to 0600. POSIX only: Windows has no mode bits and the data
 * directory's ACL is what protects it there. A chmod that fails (a file owned by someone else) is
 * logged, not fatal: refusing to start would cost alerts, which is worse.
 */
function securePrivateFiles(path: string, log: Logger): void {
  if (path === ':memory:' || path === '' || process.platform === 'win32') return
  try {
    // 'wx' creates atomically and fails if the file appeared meanwhile, which is fine: chmod below.
    closeSync(openSync(path, 'wx', PRIVATE_MODE))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return // let SQLite report the real problem
  }
  for (const suffix of SIDECARS) {
    const file = path + suffix
    if (!isRegularFile(file)) continue
    try {
      if ((statSync(file).mode & 0o777) !== PRIVATE_MODE) chmodSync(file, PRIVATE_MODE)
    } catch (err) {
      log.warn('store: could not make the database file private (0600)', { file, cause: String((err as Error)?.message ?? err) })
    }
  }
}

function rowToQueue(r: Record<string, unknown>): QueueRow {
  return {
    requestId: r.request_id as string,
    key: r.key as string,
    sessionId: (r.session_id as string | null) ?? null,
    queuedAt: (r.queued_at as string | null) ?? null,
    details: {
      customerName: (r.customer_name as string | null) ?? null,
      vehicle: (r.vehicle as string | null) ?? null,
      concern: (r.concern as string | null) ?? null,
      sessionType: (r.session_type as string | null) ?? null,
    },
    detail: r.detail === 'full' ? 'full' : 'basic',
    acknowledged: r.acknowledged === 1,
    alertCount: r.alert_count as number,
    nextRepeatAt: (r.next_repeat_at as number | null) ?? null,
    firstSeenAt: r.first_seen_at as number,
    firstSource: r.first_source as FactSource,
    lastAlertAt: (r.last_alert_at as number | null) ?? null,
    commitTs: (r.commit_ts as string | null) ?? null,
  }
}

function rowToTombstone(r: Record<string, unknown>): Tombstone {
  return {
    key: r.key as string,
    requestId: r.request_id as string,
    queuedAt: (r.queued_at as string | null) ?? null,
    removedAt: r.removed_at as number,
    removedCommitTs: (r.removed_commit_ts as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
  }
}

export class Store {
  readonly path: string
  /** Where an unusable file was moved on open, or null. */
  readonly movedAsideTo: string | null
  readonly limits: PruneLimits
  /** The connection every statement uses: the file's, or the in-memory copy while the file is unavailable. */
  private db: Db
  /** The file's connection (kept while the copy is in use, to write it back). */
  private readonly fileDb: Db
  private readonly log: Logger
  private readonly clock: Clock
  private readonly opts: StoreOptions
  private closed = false
  private st: ReturnType<Store['prepare']>
  private runInTx: (fn: () => unknown) => unknown
  private queueWrites = 0
  /** The open group commit (transactionInGroup), or null. Its calls are kept to decide them again on the copy. */
  private group: { calls: { fn: () => unknown; afterCommit: (committed: boolean) => void }[] } | null = null
  private heldState: HeldInMemory | null = null
  private readonly journal: HeldJournal | null
  /** Applying a journal: its marks are already in the journal file. */
  private replaying = false
  private readonly availability = new Set<(held: HeldInMemory | null) => void>()

  private constructor(db: Db, opts: StoreOptions, movedAsideTo: string | null) {
    this.db = db
    this.fileDb = db
    this.opts = opts
    this.path = opts.path
    this.log = opts.log
    this.clock = opts.clock ?? systemClock
    this.movedAsideTo = movedAsideTo
    this.limits = { ...DEFAULT_PRUNE_LIMITS, ...opts.limits }
    this.st = this.prepare()
    this.runInTx = db.transaction((fn: () => unknown) => fn())
    this.journal = opts.path === ':memory:' ? null : (opts.heldJournal ?? null)
  }

  /**
   * Opens (creating if missing) and migrates the database. A corrupt, unreadable or foreign file is
   * renamed to `<name>.corrupt-<timestamp>` (with its -wal/-shm) and an empty store is built in its
   * place; the queue comes back from the next reconcile. Prunes once on open (unless pruneOnOpen is false).
   */
  static open(opts: StoreOptions): Store {
    const clock = opts.clock ?? systemClock
    let movedAsideTo: string | null = null
    let db: Db
    // Before the first open, so even a file about to be moved aside as corrupt is private.
    securePrivateFiles(opts.path, opts.log)
    try {
      db = Store.openChecked(opts.path, opts.nativeBinding, opts.busyTimeoutMs)
    } catch (err) {
      // Only a regular file is ever moved: a directory, a missing parent or a lock is not corruption.
      if (opts.path === ':memory:' || !isCorruption(err) || !isRegularFile(opts.path)) throw err
      const denied = accessProblem(opts.path)
      if (denied !== null) {
        throw Object.assign(new Error(`${(err as Error).message} (no permission to read and write ${opts.path}: ${denied})`, { cause: err }), { code: (err as { code?: string }).code })
      }
      movedAsideTo = `${opts.path}.corrupt-${new Date(clock.now()).toISOString().replace(/[:.]/g, '-')}`
      renameSync(opts.path, movedAsideTo)
      // The WAL and shared-memory files belong to the broken file; keep them next to it for forensics
      // under names SQLite would pair with the moved file.
      for (const suffix of ['-wal', '-shm', '-journal']) {
        if (existsSync(opts.path + suffix)) renameSync(opts.path + suffix, movedAsideTo + suffix)
      }
      opts.log.error(
        `store: database file was unusable (${(err as Error).message}); moved it aside to ${movedAsideTo} and started an empty store — the queue is restored by the next reconcile`,
        { path: opts.path, movedTo: movedAsideTo, cause: String((err as Error).message), code: (err as { code?: string }).code },
      )
      securePrivateFiles(opts.path, opts.log) // the fresh file in its place
      db = Store.openChecked(opts.path, opts.nativeBinding, opts.busyTimeoutMs)
    }
    const store = new Store(db, opts, movedAsideTo)
    store.replayHeldJournal()
    if (opts.pruneOnOpen !== false) store.prune()
    return store
  }

  private static openChecked(path: string, nativeBinding: string | undefined, busyTimeoutMs = 250): Db {
    const db = Store.connect(path, nativeBinding)
    try {
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`)
      // Read-only checks first, so a file we are about to move aside is moved with its bytes exactly
      // as found (switching to WAL rewrites the header). Garbage fails here with SQLITE_NOTADB.
      const check = db.pragma('quick_check', { simple: true })
      if (check !== 'ok') throw Object.assign(new Error(`integrity check failed: ${String(check)}`), { code: 'SQLITE_CORRUPT' })
      Store.checkOwnership(db)
      db.pragma('journal_mode = WAL')
      // NORMAL in WAL mode: a power cut can lose the last transactions but never corrupts the file;
      // FULL would fsync every event and cost most of the throughput.
      db.pragma('synchronous = NORMAL')
      Store.migrate(db)
      return db
    } catch (err) {
      db.close()
      throw err
    }
  }

  /** A driver that cannot load is not a broken database: the error names the build, and nothing is moved aside. */
  private static connect(path: string, nativeBinding: string | undefined): Db {
    try {
      return nativeBinding ? new Database(path, { nativeBinding }) : new Database(path)
    } catch (err) {
      const code = (err as { code?: string }).code
      if (!nativeBinding || (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_DLOPEN_FAILED')) throw err
      throw Object.assign(new Error(`the SQLite driver's native build could not be loaded from ${nativeBinding}: ${(err as Error).message.split('\n')[0]}`, { cause: err }), { code })
    }
  }

  /** Throws WrongSchemaError unless the file is empty or a BayAlert store this app understands. */
  private static checkOwnership(db: Db): void {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map(
      (r) => r.name,
    )
    if (tables.length === 0) return
    if (!tables.includes('schema_version')) {
      throw new WrongSchemaError(`not a BayAlert database (tables: ${tables.slice(0, 5).join(', ')})`)
    }
    const current = (db.prepare(`SELECT max(version) AS v FROM schema_version`).get() as { v: number | null }).v ?? 0
    if (current > SCHEMA_VERSION) {
      throw new WrongSchemaError(`schema version ${current} is newer than this app understands (${SCHEMA_VERSION})`)
    }
  }

  private static migrate(db: Db): void {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL, description TEXT)`)
    const current = (db.prepare(`SELECT max(version) AS v FROM schema_version`).get() as { v: number | null }).v ?? 0
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue
      db.transaction(() => {
        db.exec(m.sql)
        db.prepare(`INSERT INTO schema_version (version, applied_at, description) VALUES (?, ?, ?)`).run(
          m.version,
          Date.now(),
          m.description,
        )
      })()
    }
    for (const [table, cols] of Object.entries(EXPECTED_COLUMNS)) {
      const have = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name))
      const missing = cols.filter((c) => !have.has(c))
      if (missing.length > 0) throw new WrongSchemaError(`table ${table} lacks ${missing.join(', ')}`)
    }
  }

  private prepare() {
    const db = this.db
    return {
      getQueue: db.prepare(`SELECT * FROM queue WHERE request_id = ?`),
      listQueue: db.prepare(`SELECT * FROM queue ORDER BY coalesce(queued_at, '~'), first_seen_at, request_id`),
      upsertQueue: db.prepare(`
        INSERT INTO queue (request_id, key, session_id, queued_at, customer_name, vehicle, concern, session_type,
          detail, acknowledged, alert_count, next_repeat_at, first_seen_at, first_source, last_alert_at, commit_ts)
        VALUES (@requestId, @key, @sessionId, @queuedAt, @customerName, @vehicle, @concern, @sessionType,
          @detail, @acknowledged, @alertCount, @nextRepeatAt, @firstSeenAt, @firstSource, @lastAlertAt, @commitTs)
        ON CONFLICT (request_id) DO UPDATE SET key = excluded.key, session_id = excluded.session_id,
          queued_at = excluded.queued_at, customer_name = excluded.customer_name, vehicle = excluded.vehicle,
          concern = excluded.concern, session_type = excluded.session_type, detail = excluded.detail,
          acknowledged = excluded.acknowledged, alert_count = excluded.alert_count,
          next_repeat_at = excluded.next_repeat_at, first_seen_at = excluded.first_seen_at,
          first_source = excluded.first_source, last_alert_at = excluded.last_alert_at, commit_ts = excluded.commit_ts`),
      deleteQueue: db.prepare(`DELETE FROM queue WHERE request_id = ?`),
      countQueue: db.prepare(`SELECT count(*) AS n FROM queue`),
      nextRepeat: db.prepare(
        `SELECT min(next_repeat_at) AS t FROM queue WHERE acknowledged = 0 AND next_repeat_at IS NOT NULL`,
      ),
      dueRepeats: db.prepare(
        `SELECT * FROM queue WHERE acknowledged = 0 AND next_repeat_at IS NOT NULL AND next_repeat_at <= ? ORDER BY next_repeat_at`,
      ),
      insertEvent: db.prepare(`INSERT INTO events (received_at, source, event_id, kind, request_id, dedup_key, outcome, reason)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      recentEvents: db.prepare(`SELECT * FROM events ORDER BY id DESC LIMIT ?`),
      insertSink: db.prepare(`INSERT INTO sink_attempts (at, sink, tier, alert_kind, key, result, duration_ms, error)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      recentSinks: db.prepare(`SELECT * FROM sink_attempts ORDER BY id DESC LIMIT ?`),
      upsertTomb: db.prepare(`INSERT INTO tombstones (key, request_id, queued_at, removed_at, removed_commit_ts, reason)
        VALUES (@key, @requestId, @queuedAt, @removedAt, @removedCommitTs, @reason)
        ON CONFLICT (key) DO UPDATE SET removed_at = excluded.removed_at,
          removed_commit_ts = coalesce(excluded.removed_commit_ts, tombstones.removed_commit_ts), reason = excluded.reason`),
      tombsFor: db.prepare(`SELECT * FROM tombstones WHERE request_id = ? ORDER BY removed_at DESC`),
      deleteTomb: db.prepare(`DELETE FROM tombstones WHERE key = ?`),
      upsertFlag: db.prepare(`INSERT INTO flags (name, value, fetched_at) VALUES (?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET value = excluded.value, fetched_at = excluded.fetched_at`),
      allFlags: db.prepare(`SELECT * FROM flags`),
      getMeta: db.prepare(`SELECT value FROM meta WHERE key = ?`),
      setMeta: db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      deleteMeta: db.prepare(`DELETE FROM meta WHERE key = ?`),
    }
  }

  /**
   * Hands a table kept in its own module (outbox-table.ts, history-table.ts) the connection in use — the file's, or
   * the in-memory copy while the file cannot take writes: the store owns the file, its migrations and its lifetime;
   * the module owns its SQL and prepares it again when the connection changes.
   */
  prepareTable<T>(make: (connection: () => Db) => T): T {
    return make(() => this.db)
  }

  /**
   * Runs fn in one transaction (nested calls become savepoints). A top-level one that the file cannot take
   * (see holdInMemory) is run again on the in-memory copy, so the caller's decision stands.
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return this.runInTx(fn) as T
    let result: T
    try {
      // One wrapper built once: db.transaction(fn) per call costs more than the inserts it wraps.
      result = this.orHold(() => this.runInTx(fn) as T)
    } catch (err) {
      this.journal?.discard()
      throw err
    }
    this.journal?.flush()
    return result
  }

  /**
   * Group commit: runs fn in a savepoint of one transaction shared by every such call in the current task,
   * committed by a microtask queued behind them (or at once when GROUP_MAX calls joined). In WAL mode a
   * fact's cost is its commit (every dirty page written to the WAL), not its statements, so a burst of
   * facts pays one commit instead of one each. `afterCommit(true)` runs, in call order, once the shared
   * transaction committed — side effects still follow the durable write; `afterCommit(false)` if that
   * commit failed (the group's writes are lost and must be reported). A call whose fn throws rolls back its
   * own savepoint only and queues nothing. Called inside someone else's transaction, fn is a plain savepoint
   * of it and afterCommit(true) runs right away, as for `transaction`.
   *
   * When the file cannot take the group (locked, read-only, full — at a statement or at the commit), the
   * group is rolled back on the file and every call of it is decided again on the in-memory copy
   * (holdInMemory), which commits: afterCommit(true) still runs, so nothing that was decided goes unrung.
   * fn must therefore be safe to run a second time (build its results inside).
   */
  transactionInGroup<T>(fn: () => T, afterCommit: (committed: boolean) => void): T {
    if (this.group === null && this.db.inTransaction) {
      const r = this.runInTx(fn) as T
      afterCommit(true)
      return r
    }
    if (this.group === null) {
      this.orHold(() => this.db.exec('BEGIN'))
      this.group = { calls: [] }
      queueMicrotask(() => this.commitGroup())
    }
    let r: T
    try {
      r = this.runInTx(fn) as T
    } catch (err) {
      if (!this.mayHold(err)) throw err
      this.moveGroupToMemory(err)
      r = this.runInTx(fn) as T
    }
    const group = this.group!
    group.calls.push({ fn, afterCommit })
    if (group.calls.length >= GROUP_MAX) this.commitGroup()
    return r
  }

  /** Commits the open group (if any) now, then runs its afterCommit callbacks in call order. */
  commitGroup(): void {
    if (this.group === null) return
    let committed = false
    try {
      this.db.exec('COMMIT')
      committed = true
    } catch (err) {
      let failure = err
      if (this.mayHold(err)) {
        this.moveGroupToMemory(err)
        try {
          this.db.exec('COMMIT')
          committed = true
        } catch (again) {
          failure = again
        }
      }
      if (!committed) {
        this.log.error('store: a group commit failed; its writes are rolled back', { calls: this.group?.calls.length ?? 0, cause: String((failure as Error)?.message ?? failure) })
        try {
          if (this.db.inTransaction) this.db.exec('ROLLBACK')
        } catch {
          // The connection is unusable (closed underneath, disk gone); the next call reports that itself.
        }
      }
    }
    // Before the callbacks: they ring what the journal marks.
    if (committed) this.journal?.flush()
    else this.journal?.discard()
    const group = this.group
    this.group = null
    for (const call of group?.calls ?? []) call.afterCommit(committed)
  }

  // ---- holding writes in memory while the file is unavailable ---------------------------------------

  /**
   * A journal left by a process killed while holding (held-journal.ts) is applied before anything is decided, so
   * what it rang counts as rung. Removed once in the file; if the file cannot take it now either, it is applied to
   * the in-memory copy and kept until the write back. A journal that cannot be read or applied is logged and
   * left where it is: losing it costs second rings, refusing to start would cost every ring.
   */
  private replayHeldJournal(): void {
    const journal = this.journal
    if (journal === null || !journal.exists()) return
    try {
      const { entries, skipped } = journal.read()
      this.replaying = true
      const applied = this.transaction(() => applyHeldJournal(entries, this))
      this.log.warn('store: applied the held journal of a process that ended while the database file could not be written', { path: journal.path, ...applied, skipped })
      if (this.heldState === null) journal.remove()
    } catch (err) {
      this.log.error('store: could not apply the held journal; requests it recorded may ring again', { path: journal.path, cause: String((err as Error)?.message ?? err) })
    } finally {
      this.replaying = false
    }
  }

  /** Where writes go while the file cannot take them, or null while they go to the file. */
  get held(): HeldInMemory | null {
    return this.heldState
  }

  /** Told when the store starts holding its writes in memory (with why) and when they are back in the file (null). */
  onAvailability(listener: (held: HeldInMemory | null) => void): () => void {
    this.availability.add(listener)
    return () => this.availability.delete(listener)
  }

  /** An error that holding in memory answers: the file is unavailable, the copy is not in use yet, the store is open. */
  private mayHold(err: unknown): boolean {
    return this.heldState === null && !this.closed && this.path !== ':memory:' && isStoreUnavailable(err)
  }

  /** Runs a top-level write; if the file is unavailable, switches to the in-memory copy and runs it there. */
  private orHold<T>(write: () => T): T {
    try {
      return write()
    } catch (err) {
      if (!this.mayHold(err)) throw err
      this.holdInMemory(err)
      return write()
    }
  }

  /** The open group failed on the file: roll it back there and decide its calls again on the copy. */
  private moveGroupToMemory(err: unknown): void {
    const calls = this.group?.calls ?? []
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
    } catch {
      // A failed rollback leaves the journal for SQLite to undo on the next open; the copy is built from what reads now.
    }
    this.holdInMemory(err)
    this.db.exec('BEGIN')
    const kept: typeof calls = []
    for (const call of calls) {
      try {
        this.runInTx(call.fn)
        kept.push(call)
      } catch (again) {
        // Decided once on the file from the same state, so this is not expected; reported, and not rung.
        this.log.error('store: a held call failed on the in-memory copy', { cause: String((again as Error)?.message ?? again) })
        call.afterCommit(false)
      }
    }
    this.group = { calls: kept }
  }

  /**
   * The file cannot take writes: every statement goes to an in-memory copy of the desk's state from now on,
   * so the desk keeps deciding (dedup included) and ringing. writeBackHeld() writes it out once the file can
   * take it again. Listeners hear about it once.
   */
  private holdInMemory(err: unknown): void {
    const reason = unavailableReason(err)
    const memory = Store.connect(':memory:', this.opts.nativeBinding)
    Store.migrate(memory)
    const copy = copyIn(this.fileDb, memory)
    this.heldState = { reason, since: this.clock.now(), seeded: copy.seeded }
    this.useConnection(memory)
    this.log.error(`store: the database file is unavailable (${reason}); deciding and ringing from an in-memory copy until it can be written again`, {
      path: this.path,
      code: (err as { code?: string }).code,
      copiedRows: copy.rows,
      ...(copy.seeded ? {} : { copyFailed: copy.cause }),
    })
    this.tellAvailability()
  }

  /**
   * Tries to write the in-memory copy back to the file (one transaction, all or nothing) and to use the file
   * again. Returns null when it did (or nothing was held), else why not; the copy stays in use then. Never
   * waits for another connection's lock: a retry must not stall the rings.
   */
  writeBackHeld(): string | null {
    const held = this.heldState
    if (held === null || this.closed) return null
    // A transaction open on the copy belongs to the current task; a later retry finds it committed.
    if (this.db.inTransaction || this.group !== null) return 'a transaction is open'
    const busy = this.fileDb.pragma('busy_timeout', { simple: true }) as number
    try {
      this.fileDb.pragma('busy_timeout = 0')
      const { rows } = writeBack(this.db, this.fileDb, held.seeded)
      const memory = this.db
      this.useConnection(this.fileDb)
      memory.close()
      this.heldState = null
      this.log.info('store: the database file takes writes again; wrote back what was held in memory', { rows, heldMs: this.clock.now() - held.since })
      this.removeJournal()
      this.tellAvailability()
      return null
    } catch (err) {
      return unavailableReason(err)
    } finally {
      try {
        this.fileDb.pragma(`busy_timeout = ${busy}`)
      } catch {
        // Only the wait of the next write is at stake; that write reports its own failure.
      }
    }
  }

  /**
   * Whether the file takes writes now: takes its write lock (waiting busy_timeout for it) and lets go at once,
   * writing nothing. SQLite's reason when it cannot ("database is locked", "attempt to write a readonly
   * database"), else null. For doctor, which checks another process's store without writing to it.
   */
  probeWritable(): string | null {
    if (this.heldState !== null) return this.heldState.reason
    try {
      this.fileDb.exec('BEGIN IMMEDIATE')
      this.fileDb.exec('ROLLBACK')
      return null
    } catch (err) {
      if (!isStoreUnavailable(err)) throw err
      return unavailableReason(err)
    }
  }

  /**
   * Test seam: one PRAGMA on the file's own connection, e.g. `query_only = 1` (writes fail as on a read-only
   * file system) or `max_page_count = N` (as on a full disk). Returns its simple result.
   */
  pragmaOnFile(pragma: string): unknown {
    return this.fileDb.pragma(pragma, { simple: true })
  }

  /** One write statement: on its own it may switch to the copy; inside a transaction, that transaction's caller decides. */
  private write<T>(statement: () => T): T {
    return this.db.inTransaction ? statement() : this.orHold(statement)
  }

  /**
   * While held, a ring mark or tombstone goes to the journal too (after the write: the write itself may be what
   * switched to the copy). Inside a transaction it is staged and written when that commits (transaction,
   * commitGroup), so a burst costs one fsync; on its own it is written at once.
   */
  private noteHeld(note: (journal: HeldJournal) => void): void {
    if (this.heldState === null || this.replaying || this.journal === null) return
    note(this.journal)
    if (!this.db.inTransaction) this.journal.flush()
  }

  /** The journal's marks are in the file now. A journal that stays (cannot be deleted) is applied again at the next open: harmless, its marks are what the file says. */
  private removeJournal(): void {
    try {
      this.journal?.remove()
    } catch (err) {
      this.log.error('store: could not delete the held journal after the write back', { path: this.journal?.path, cause: String((err as Error)?.message ?? err) })
    }
  }

  private useConnection(db: Db): void {
    this.db = db
    this.st = this.prepare()
    this.runInTx = db.transaction((fn: () => unknown) => fn())
  }

  private tellAvailability(): void {
    for (const l of [...this.availability]) {
      try {
        l(this.heldState)
      } catch (err) {
        this.log.error('store: an availability listener threw', { cause: String((err as Error)?.stack ?? err) })
      }
    }
  }

  // ---- queue ---------------------------------------------------------------------------------------
  getQueueRow(requestId: string): QueueRow | undefined {
    const r = this.st.getQueue.get(requestId) as Record<string, unknown> | undefined
    return r ? rowToQueue(r) : undefined
  }

  listQueue(): QueueRow[] {
    return (this.st.listQueue.all() as Record<string, unknown>[]).map(rowToQueue)
  }

  queueLength(): number {
    return (this.st.countQueue.get() as { n: number }).n
  }

  /**
   * Bumped by every queue write (even one a rollback undoes): a reader that caches the listed queue
   * re-reads only when this moved, instead of once per listener per change.
   */
  get queueVersion(): number {
    return this.queueWrites
  }

  putQueueRow(row: QueueRow): void {
    this.queueWrites++
    this.write(() => this.st.upsertQueue.run({
      requestId: row.requestId,
      key: row.key,
      sessionId: row.sessionId,
      queuedAt: row.queuedAt,
      customerName: row.details.customerName,
      vehicle: row.details.vehicle,
      concern: row.details.concern,
      sessionType: row.details.sessionType,
      detail: row.detail,
      acknowledged: row.acknowledged ? 1 : 0,
      alertCount: row.alertCount,
      nextRepeatAt: row.nextRepeatAt,
      firstSeenAt: row.firstSeenAt,
      firstSource: row.firstSource,
      lastAlertAt: row.lastAlertAt,
      commitTs: row.commitTs,
    }))
    this.noteHeld((j) => j.noteRang(row))
  }

  deleteQueueRow(requestId: string): boolean {
    this.queueWrites++
    return this.write(() => this.st.deleteQueue.run(requestId).changes > 0)
  }

  /** Earliest pending repeat among unacknowledged requests, or null. */
  nextRepeatAt(): number | null {
    return (this.st.nextRepeat.get() as { t: number | null }).t
  }

  dueRepeats(now: number): QueueRow[] {
    return (this.st.dueRepeats.all(now) as Record<string, unknown>[]).map(rowToQueue)
  }

  // ---- tombstones ----------------------------------------------------------------------------------
  putTombstone(t: Tombstone): void {
    this.write(() => this.st.upsertTomb.run(t))
    this.noteHeld((j) => j.noteGone(t))
  }

  tombstonesFor(requestId: string): Tombstone[] {
    return (this.st.tombsFor.all(requestId) as Record<string, unknown>[]).map(rowToTombstone)
  }

  deleteTombstone(key: string): void {
    this.write(() => this.st.deleteTomb.run(key))
  }

  // ---- event log and sink attempts ----------------------------------------------------------------
  recordEvent(e: EventRecord): void {
    this.write(() => this.st.insertEvent.run(e.receivedAt, e.source, e.eventId, e.kind, e.requestId, e.dedupKey, e.outcome, e.reason))
  }

  /** Many events in one transaction (the fast path for reconcile and for bulk imports). */
  recordEvents(batch: readonly EventRecord[]): void {
    this.transaction(() => {
      for (const e of batch) this.recordEvent(e)
    })
  }

  recentEvents(limit = 100): EventRecord[] {
    return (this.st.recentEvents.all(limit) as Record<string, unknown>[]).map((r) => ({
      receivedAt: r.received_at as number,
      source: r.source as string,
      eventId: r.event_id as string,
      kind: r.kind as string,
      requestId: (r.request_id as string | null) ?? null,
      dedupKey: (r.dedup_key as string | null) ?? null,
      outcome: r.outcome as EventOutcome,
      reason: (r.reason as string | null) ?? null,
    }))
  }

  recordSinkAttempt(a: SinkAttempt): void {
    this.write(() => this.st.insertSink.run(a.at, a.sink, a.tier, a.alertKind, a.key, a.result, Math.round(a.durationMs), a.error))
  }

  recentSinkAttempts(limit = 100): SinkAttempt[] {
    return (this.st.recentSinks.all(limit) as Record<string, unknown>[]).map((r) => ({
      at: r.at as number,
      sink: r.sink as string,
      tier: r.tier as SinkTier,
      alertKind: r.alert_kind as SinkAttempt['alertKind'],
      key: (r.key as string | null) ?? null,
      result: r.result as SinkResult,
      durationMs: r.duration_ms as number,
      error: (r.error as string | null) ?? null,
    }))
  }

  // ---- flags and meta ------------------------------------------------------------------------------
  saveFlags(flags: FeatureFlags, fetchedAt: number = this.clock.now()): void {
    this.transaction(() => {
      for (const [name, value] of Object.entries(flags)) this.st.upsertFlag.run(name, value ? 1 : 0, fetchedAt)
    })
  }

  /** The cached flags (for an offline start), or null when none were ever saved. */
  loadFlags(): { flags: FeatureFlags; fetchedAt: number } | null {
    const rows = this.st.allFlags.all() as { name: string; value: number; fetched_at: number }[]
    const names: (keyof FeatureFlags)[] = [
      'mech_new_request_alerts',
      'mech_audio_alerts',
      'mech_browser_notifications',
      'mech_visual_indicators',
    ]
    const byName = new Map(rows.map((r) => [r.name, r]))
    if (!names.every((n) => byName.has(n))) return null
    const flags = Object.fromEntries(names.map((n) => [n, byName.get(n)!.value === 1])) as unknown as FeatureFlags
    return { flags, fetchedAt: Math.min(...names.map((n) => byName.get(n)!.fetched_at)) }
  }

  getMeta(key: string): string | null {
    return (this.st.getMeta.get(key) as { value: string } | undefined)?.value ?? null
  }

  setMeta(key: string, value: string | null): void {
    this.write(() => (value === null ? this.st.deleteMeta.run(key) : this.st.setMeta.run(key, value)))
  }

  // ---- housekeeping --------------------------------------------------------------------------------
  /** Deletes rows past their age or row cap. Called on open and periodically by the core. */
  prune(): PruneResult {
    const now = this.clock.now()
    const l = this.limits
    const capDelete = (table: string, cap: number): number =>
      this.db
        .prepare(`DELETE FROM ${table} WHERE id <= (SELECT id FROM ${table} ORDER BY id DESC LIMIT 1 OFFSET ?)`)
        .run(cap).changes
    return this.transaction(() => {
      // Rows are appended in time order, so "older than" is a prefix of the rowid order: delete up to
      // the first young row. This avoids a time index that every insert would have to maintain.
      const ageDelete = (table: string, col: string, cutoff: number): number =>
        this.db
          .prepare(
            `DELETE FROM ${table} WHERE id < coalesce((SELECT id FROM ${table} WHERE ${col} >= ? ORDER BY id LIMIT 1), (SELECT max(id) + 1 FROM ${table}))`,
          )
          .run(cutoff).changes
      const events = ageDelete('events', 'received_at', now - l.eventsMaxAgeMs) + capDelete('events', l.eventsMaxRows)
      const sinkAttempts =
        ageDelete('sink_attempts', 'at', now - l.sinkAttemptsMaxAgeMs) + capDelete('sink_attempts', l.sinkAttemptsMaxRows)
      const tombstones =
        this.db.prepare(`DELETE FROM tombstones WHERE removed_at < ?`).run(now - l.tombstonesMaxAgeMs).changes +
        this.db
          .prepare(
            `DELETE FROM tombstones WHERE key IN (SELECT key FROM tombstones ORDER BY removed_at DESC LIMIT -1 OFFSET ?)`,
          )
          .run(l.tombstonesMaxRows).changes
      if (events + sinkAttempts + tombstones > 0) {
        this.log.info('store: pruned old rows', { events, sinkAttempts, tombstones })
      }
      return { events, sinkAttempts, tombstones }
    })
  }

  counts(): { queue: number; events: number; sinkAttempts: number; tombstones: number } {
    const n = (t: string) => (this.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n
    return { queue: n('queue'), events: n('events'), sinkAttempts: n('sink_attempts'), tombstones: n('tombstones') }
  }

  schemaVersion(): number {
    return (this.db.prepare(`SELECT max(version) AS v FROM schema_version`).get() as { v: number }).v
  }

  get isOpen(): boolean {
    return !this.closed
  }

  close(): void {
    if (this.closed) return
    // What the current task decided is kept, and its side effects run while the store is still open.
    this.commitGroup()
    const held = this.heldState
    if (held !== null) {
      const failed = this.writeBackHeld()
      if (failed !== null) {
        const kept = this.journal === null ? 'may ring again after the next start' : `are kept from ringing again by the held journal, applied at the next start`
        this.log.error(`store: closing with writes held in memory that the file still cannot take (${failed}); they are lost — requests rung since ${new Date(held.since).toISOString()} ${kept}`, { path: this.path, reason: held.reason, journal: this.journal?.path })
        this.db.close()
      }
    }
    this.closed = true
    this.journal?.close()
    this.fileDb.close()
  }
}
