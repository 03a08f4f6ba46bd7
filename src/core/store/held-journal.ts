// While the store holds its writes in memory (the database file locked, read-only or full: store.ts,
// holdInMemory), a process that is killed loses what the copy held — and the requests it had rung ring a
// second time after the restart. This journal, a JSON-lines file next to the database, keeps the few facts
// that prevent that: which request (and version) rang how often and when it repeats next, and which versions
// left the queue. The marks of one transaction are staged and appended with one write and one fsync when it
// commits (flush) — before the rings they record are delivered; a 300-request summary costs one fsync, not 300.
// It is removed once the held state is written back; a journal found at open was left by a killed process and
// is applied to the store before anything is decided (applyHeldJournal).
//
// A journal that cannot be written (the same full or read-only disk) never blocks a ring: the failure is
// logged, told to the listener (counted and shown with the degraded reason) and the ring goes on.
import { chmodSync, closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import type { FactSource } from '../../shared/types.js'
import type { Logger } from '../ports.js'
import type { QueueRow, Tombstone } from './store.js'

/** The journal of the database at `dbPath`: `<dbPath>.held.jsonl` (not `-journal`, which is SQLite's rollback journal). */
export function heldJournalPath(dbPath: string): string {
  return `${dbPath}.held.jsonl`
}

/** 1 MiB ≈ 4,000 ring marks: hours of a busy shop's rings while the store is held. */
export const HELD_JOURNAL_MAX_BYTES = 1024 * 1024

/** A request rang (or was acknowledged): what the store must know so a restart neither rings it again nor loses its repeats. */
export interface RangMark {
  t: 'rang'
  at: number
  requestId: string
  key: string
  queuedAt: string | null
  sessionId: string | null
  /** Whether it rang with its details ('full'): a restart must not send a "details arrived" update for it. */
  detail: 'full' | 'basic'
  acknowledged: boolean
  alertCount: number
  lastAlertAt: number | null
  nextRepeatAt: number | null
  firstSeenAt: number
  firstSource: FactSource
}

/** A version left the queue (taken, cancelled, re-queued): its tombstone keeps a late duplicate from ringing. */
export interface GoneMark extends Tombstone {
  t: 'gone'
  at: number
}

export type HeldJournalEntry = RangMark | GoneMark

/** The store operations a journal is applied through (the Store itself). */
export interface HeldJournalTarget {
  getQueueRow(requestId: string): QueueRow | undefined
  putQueueRow(row: QueueRow): void
  deleteQueueRow(requestId: string): boolean
  putTombstone(t: Tombstone): void
}

export interface HeldJournalOptions {
  path: string
  log: Logger
  clock: { now(): number }
  maxBytes?: number
}

const SOURCES: ReadonlySet<string> = new Set<FactSource>(['broadcast', 'db-broadcast', 'postgres_changes', 'reconcile'])
const PRIVATE_MODE = 0o600

export class HeldJournal {
  readonly path: string
  private readonly maxBytes: number
  private fd: number | null = null
  private bytes = 0
  /** The last line written per request: a mark that says nothing new (details arrived, a re-decided group) is not written again. */
  private readonly lastRang = new Map<string, string>()
  /** Marks of the open transaction, written by flush(). */
  private staged: HeldJournalEntry[] = []
  /** The staged rang marks per request, as lastRang keeps them (without the time). */
  private readonly stagedRang = new Map<string, string>()
  /** A write failed part way: the next line starts on a fresh line, so only the torn one is lost. */
  private torn = false
  private trouble: string | null = null
  private readonly listeners = new Set<(problem: string) => void>()

  constructor(private readonly o: HeldJournalOptions) {
    this.path = o.path
    this.maxBytes = o.maxBytes ?? HELD_JOURNAL_MAX_BYTES
  }

  /** Why the last flush failed (unwritable, full), or null while flushes succeed. */
  get problem(): string | null {
    return this.trouble
  }

  /** Told every time a flush fails, with why. */
  onProblem(listener: (problem: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Stages that the row rang or was acknowledged; a row that never rang is not a mark (a restart rings it once, as owed). */
  noteRang(row: QueueRow): void {
    if (row.alertCount === 0 && !row.acknowledged) return
    const mark: Omit<RangMark, 'at'> = {
      t: 'rang',
      requestId: row.requestId,
      key: row.key,
      queuedAt: row.queuedAt,
      sessionId: row.sessionId,
      detail: row.detail,
      acknowledged: row.acknowledged,
      alertCount: row.alertCount,
      lastAlertAt: row.lastAlertAt,
      nextRepeatAt: row.nextRepeatAt,
      firstSeenAt: row.firstSeenAt,
      firstSource: row.firstSource,
    }
    const same = JSON.stringify(mark)
    if ((this.stagedRang.get(row.requestId) ?? this.lastRang.get(row.requestId)) === same) return
    this.staged.push({ ...mark, at: this.o.clock.now() })
    this.stagedRang.set(row.requestId, same)
  }

  /** Stages that a version left the queue. */
  noteGone(t: Tombstone): void {
    this.staged.push({ t: 'gone', at: this.o.clock.now(), key: t.key, requestId: t.requestId, queuedAt: t.queuedAt, removedAt: t.removedAt, removedCommitTs: t.removedCommitTs, reason: t.reason })
  }

  /**
   * Appends the staged marks with one write and one fsync (the store calls it when their transaction committed,
   * before the rings). Never throws: a journal that cannot take them is logged and listeners are told; the marks
   * are dropped then and a later mark of the same request is tried again.
   */
  flush(): void {
    if (this.staged.length === 0) return
    const written = this.append(this.staged.map((e) => `${JSON.stringify(e)}\n`).join(''))
    if (written) for (const [id, mark] of this.stagedRang) this.lastRang.set(id, mark)
    this.discard()
  }

  /** Drops the staged marks: their transaction rolled back, so they did not happen. */
  discard(): void {
    this.staged = []
    this.stagedRang.clear()
  }

  /** Whether a journal file exists (left by a killed process, or being written). */
  exists(): boolean {
    return existsSync(this.path)
  }

  /** The entries of the file, in order; a line that is not a whole, valid entry (torn by a kill) is skipped with a log line. */
  read(): { entries: HeldJournalEntry[]; skipped: number } {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0 }
      throw err
    }
    const entries: HeldJournalEntry[] = []
    let skipped = 0
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return
      const entry = parseEntry(line)
      if (entry) entries.push(entry)
      else {
        skipped++
        // Not the line itself: it may carry a tombstone's reason; its number and length find it.
        this.o.log.warn('store: skipped a held-journal line that is not a whole entry (torn by a kill?)', { path: this.path, line: i + 1, length: line.length })
      }
    })
    return { entries, skipped }
  }

  /** Deletes the file (its content is in the database now) and starts afresh. */
  remove(): void {
    this.closeFile()
    this.lastRang.clear()
    this.discard()
    this.torn = false
    this.trouble = null
    rmSync(this.path, { force: true })
  }

  /** Closes the file without removing it (the store closing with writes still held: the next start applies it). */
  close(): void {
    this.closeFile()
  }

  private closeFile(): void {
    if (this.fd === null) return
    try {
      closeSync(this.fd)
    } catch (err) {
      // Every line was fsynced when written; nothing is lost with the descriptor.
      this.o.log.warn('store: could not close the held journal', { path: this.path, cause: String((err as Error)?.message ?? err) })
    }
    this.fd = null
  }

  /** Appends whole lines and fsyncs them. False (logged, listeners told) when the journal cannot take them; never throws. */
  private append(lines: string): boolean {
    const line = `${this.torn ? '\n' : ''}${lines}`
    try {
      const fd = this.open()
      const size = Buffer.byteLength(line)
      if (this.bytes + size > this.maxBytes) {
        this.fail(`the journal reached its cap of ${this.maxBytes} bytes; rings are not journaled until the store can be written`, null)
        return false
      }
      this.torn = true
      // A write may take part of the buffer (a disk filling up): the rest is written on, or the error it meets thrown.
      const bytes = Buffer.from(line)
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off)
      fsyncSync(fd)
      this.torn = false
      this.bytes += size
      if (this.trouble !== null) {
        this.o.log.info('store: the held journal takes writes again', { path: this.path })
        this.trouble = null
      }
      return true
    } catch (err) {
      this.fail(`could not write ${this.path}: ${String((err as Error)?.message ?? err)}`, (err as NodeJS.ErrnoException).code ?? null)
      return false
    }
  }

  private open(): number {
    if (this.fd !== null) return this.fd
    const created = !existsSync(this.path)
    const fd = openSync(this.path, 'a', PRIVATE_MODE)
    try {
      // Owner-only like the database (it names requests); a file left with wider bits by an older run is tightened.
      if (process.platform !== 'win32' && (fstatSync(fd).mode & 0o777) !== PRIVATE_MODE) chmodSync(this.path, PRIVATE_MODE)
      this.bytes = fstatSync(fd).size
    } catch (err) {
      closeSync(fd)
      throw err
    }
    const notSynced = created ? syncDirectory(this.path) : null
    if (notSynced !== null) this.o.log.warn('store: could not sync the held journal\'s directory; a power cut could lose the new file\'s name', { path: this.path, cause: notSynced })
    this.fd = fd
    return fd
  }

  /** Logged at error when the problem is new (a full disk fails every append the same way: one line, not one per ring); listeners hear every failure, to count it. */
  private fail(problem: string, code: string | null): void {
    const again = this.trouble === problem
    this.trouble = problem
    const msg = `store: a ring mark could not be journaled (${problem}); if BayAlert is killed before the store can be written, those requests may ring again after the restart`
    if (again) this.o.log.debug(msg, { path: this.path, code })
    else this.o.log.error(msg, { path: this.path, code })
    for (const l of [...this.listeners]) {
      try {
        l(problem)
      } catch (err) {
        this.o.log.error('store: a held-journal listener threw', { cause: String((err as Error)?.stack ?? err) })
      }
    }
  }
}

/**
 * A new file's directory entry survives a power cut only once the directory is synced (POSIX; Windows cannot open a
 * directory). Null when synced (or not needed), else why not.
 */
function syncDirectory(file: string): string | null {
  if (process.platform === 'win32') return null
  try {
    const fd = openSync(dirname(file), 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    return null
  } catch (err) {
    // The lines themselves are synced; at worst a power cut loses the new file's name, as without the journal.
    return String((err as Error)?.message ?? err)
  }
}

const isStr = (v: unknown): v is string => typeof v === 'string'
const isStrOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string'
const isInt = (v: unknown): v is number => Number.isSafeInteger(v)
const isIntOrNull = (v: unknown): v is number | null => v === null || Number.isSafeInteger(v)

/** One line as an entry, or null when it is not a whole, valid one. */
export function parseEntry(line: string): HeldJournalEntry | null {
  let v: Record<string, unknown>
  try {
    const parsed: unknown = JSON.parse(line)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null
    v = parsed as Record<string, unknown>
  } catch {
    return null
  }
  if (!isInt(v.at) || !isStr(v.requestId) || !isStr(v.key) || !isStrOrNull(v.queuedAt)) return null
  if (v.t === 'rang') {
    if (!isStrOrNull(v.sessionId) || (v.detail !== 'full' && v.detail !== 'basic') || typeof v.acknowledged !== 'boolean') return null
    if (!isInt(v.alertCount) || v.alertCount < 0 || !isIntOrNull(v.lastAlertAt) || !isIntOrNull(v.nextRepeatAt) || !isInt(v.firstSeenAt)) return null
    if (!isStr(v.firstSource) || !SOURCES.has(v.firstSource)) return null
    return {
      t: 'rang', at: v.at, requestId: v.requestId, key: v.key, queuedAt: v.queuedAt, sessionId: v.sessionId, detail: v.detail,
      acknowledged: v.acknowledged, alertCount: v.alertCount, lastAlertAt: v.lastAlertAt, nextRepeatAt: v.nextRepeatAt,
      firstSeenAt: v.firstSeenAt, firstSource: v.firstSource as FactSource,
    }
  }
  if (v.t === 'gone') {
    if (!isInt(v.removedAt) || !isStrOrNull(v.removedCommitTs) || !isStrOrNull(v.reason)) return null
    return { t: 'gone', at: v.at, key: v.key, requestId: v.requestId, queuedAt: v.queuedAt, removedAt: v.removedAt, removedCommitTs: v.removedCommitTs, reason: v.reason }
  }
  return null
}

/**
 * Applies the entries in order (the caller wraps them in one transaction). Everything in a journal happened
 * after the store's last write to the file, so each entry wins over what the file says: a rang mark sets the
 * request's ring count and schedule (inserting a row without details when the file never saw it — the next
 * reconcile fills them in and confirms it), a gone mark tombstones its version and removes it from the queue.
 */
export function applyHeldJournal(entries: readonly HeldJournalEntry[], store: HeldJournalTarget): { rang: number; gone: number } {
  let rang = 0
  let gone = 0
  for (const e of entries) {
    if (e.t === 'gone') {
      store.putTombstone({ key: e.key, requestId: e.requestId, queuedAt: e.queuedAt, removedAt: e.removedAt, removedCommitTs: e.removedCommitTs, reason: e.reason })
      if (store.getQueueRow(e.requestId)?.key === e.key) store.deleteQueueRow(e.requestId)
      gone++
      continue
    }
    const before = store.getQueueRow(e.requestId)
    const marks = { key: e.key, queuedAt: e.queuedAt, acknowledged: e.acknowledged, alertCount: e.alertCount, lastAlertAt: e.lastAlertAt, nextRepeatAt: e.nextRepeatAt }
    store.putQueueRow(
      before
        ? { ...before, ...marks, sessionId: before.sessionId ?? e.sessionId, detail: before.detail === 'full' ? 'full' : e.detail }
        : {
            ...marks,
            requestId: e.requestId,
            sessionId: e.sessionId,
            details: { customerName: null, vehicle: null, concern: null, sessionType: null },
            detail: e.detail,
            firstSeenAt: e.firstSeenAt,
            firstSource: e.firstSource,
            commitTs: null,
          },
    )
    rang++
  }
  return { rang, gone }
}
