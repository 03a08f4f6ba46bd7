// While the database file cannot be written (locked by another process, read-only, disk full), the store
// keeps deciding on an in-memory copy of it: these are the copy in and the write back out, plus which
// SQLite errors mean "the file is unavailable" (as opposed to a bug in a statement, which must surface).
import type Database from 'better-sqlite3'

type Db = Database.Database

/**
 * SQLite primary result codes (https://www.sqlite.org/rescode.html) that say the file cannot take writes now:
 * another connection holds the lock (BUSY, LOCKED), the file or file system is read-only (READONLY, PERM),
 * no space (FULL), the disk failed (IOERR, CANTOPEN, PROTOCOL, NOLFS), or it broke underneath (CORRUPT,
 * NOTADB). Extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_READONLY_DBMOVED, SQLITE_IOERR_WRITE …) share the
 * primary code's prefix.
 */
const UNAVAILABLE_PREFIXES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL', 'SQLITE_NOLFS', 'SQLITE_CORRUPT', 'SQLITE_NOTADB']

export function isStoreUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code
  if (typeof code !== 'string') return false
  return UNAVAILABLE_PREFIXES.some((p) => code === p || code.startsWith(`${p}_`))
}

/** SQLite's own words ("database is locked", "database or disk is full"), without the driver's prefixes. */
export function unavailableReason(err: unknown): string {
  const msg = String((err as Error)?.message ?? err).split('\n')[0]!.trim()
  return msg || String((err as { code?: unknown })?.code ?? 'unknown error')
}

/** Tables that hold the desk's state: copied in whole, and replaced in whole on the way back. */
const STATE_TABLES = ['queue', 'tombstones', 'flags', 'meta', 'outbox', 'history'] as const
/** Append-only logs: the copy starts empty, and what it gathered is appended on the way back. */
const LOG_TABLES = ['events', 'sink_attempts'] as const

function copyRows(from: Db, to: Db, table: string, withoutId: boolean): number {
  const rows = from.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]
  if (rows.length === 0) return 0
  const cols = Object.keys(rows[0]!).filter((c) => !(withoutId && c === 'id'))
  const insert = to.prepare(`INSERT OR REPLACE INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`)
  for (const r of rows) insert.run(cols.map((c) => r[c]))
  return rows.length
}

/**
 * Copies the state tables of `file` into the empty, migrated `memory`. Reading usually still works when
 * writing does not (WAL readers do not wait for the writer's lock; a full disk still reads); when it does
 * not, the copy starts empty and says so, and the write back then only adds to the file.
 */
export function copyIn(file: Db, memory: Db): { seeded: boolean; rows: number; cause: string | null } {
  try {
    let rows = 0
    memory.transaction(() => {
      for (const t of STATE_TABLES) rows += copyRows(file, memory, t, false)
    })()
    return { seeded: true, rows, cause: null }
  } catch (err) {
    return { seeded: false, rows: 0, cause: unavailableReason(err) }
  }
}

/**
 * Writes what `memory` holds into `file` in one IMMEDIATE transaction (all or nothing): the state tables are
 * replaced when the copy was seeded from the file (the copy is then the file plus everything decided since;
 * only this process writes its store), else merged in; the logs are appended. Throws when the file still
 * cannot take it; the caller keeps the copy and tries again later.
 */
export function writeBack(memory: Db, file: Db, seeded: boolean): { rows: number } {
  let rows = 0
  file.exec('BEGIN IMMEDIATE')
  try {
    for (const t of STATE_TABLES) {
      if (seeded) file.exec(`DELETE FROM ${t}`)
      rows += copyRows(memory, file, t, false)
    }
    for (const t of LOG_TABLES) rows += copyRows(memory, file, t, true)
    file.exec('COMMIT')
  } catch (err) {
    try {
      if (file.inTransaction) file.exec('ROLLBACK')
    } catch {
      // Nothing more to undo: a failed ROLLBACK leaves SQLite to roll back the journal on the next open.
    }
    throw err
  }
  return { rows }
}
