// The rotating log file: <dir>/bayalert.log plus bayalert.log.1 … .N, each capped at maxBytes
// (rotating-file-stream 3, "classical" rotation: the newest old file is .1). It runs in this thread as a
// plain Writable: pino's own file transports (pino.transport, pino-roll as a transport) run in a worker
// thread that loads its entry file by path at run time, which a bundled main process inside an asar
// archive does not have as a real file (pino docs, "Bundling support"). This works the same under plain
// Node and in Electron's main process.
//
// A log file must never be the reason a workstation stops ringing: a failed open or write (disk full,
// read-only volume, the directory replaced by a file) is counted, reported once per outage through
// onFailure, and the lines written meanwhile are dropped and counted; the file is reopened after
// retryMs. Nothing here throws to the caller.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import { createStream } from 'rotating-file-stream'

export const LOG_FILE_NAME = 'bayalert.log'
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024
/** Rotated files kept besides the live one: 5 files in all, at most 25 MB. */
export const DEFAULT_KEEP_FILES = 4

export interface LogFileOptions {
  dir: string
  maxBytes?: number
  keepFiles?: number
  /** How long to wait after a failure before opening the file again (default 30 s). */
  retryMs?: number
  now?: () => number
  /** Called once per outage with the cause (e.g. to write one line to stderr). Never with log content. */
  onFailure?: (cause: string) => void
  /** The seam for tests that need a stream failing the way a full disk does. */
  openStream?: (dir: string, fileName: string, maxBytes: number, keepFiles: number) => Writable
}

export interface LogFileStats {
  path: string
  /** Failed opens and writes since start. */
  failures: number
  /** Lines that could not be written (during an outage, or lost in a failed write). */
  droppedLines: number
  lastFailure: string | null
}

function openRotating(dir: string, fileName: string, maxBytes: number, keepFiles: number): Writable {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  return createStream(fileName, { path: dir, size: `${Math.max(1, Math.ceil(maxBytes / 1024))}K`, rotate: keepFiles, mode: 0o600 })
}

export class RotatingLogFile {
  readonly path: string
  private stream: Writable | null = null
  private retryAt = 0
  private inOutage = false
  private pending = 0
  private readonly idle = new Set<() => void>()
  private failures = 0
  private dropped = 0
  private lastFailure: string | null = null
  private closed = false
  private readonly now: () => number

  constructor(private readonly o: LogFileOptions) {
    this.path = join(o.dir, LOG_FILE_NAME)
    this.now = o.now ?? Date.now
  }

  /** One complete line (with its newline). Never throws. */
  write(line: string): void {
    if (this.closed) return
    const stream = this.ensureOpen()
    if (!stream) {
      this.dropped++
      return
    }
    this.pending++
    try {
      stream.write(line, (err) => {
        this.pending--
        if (err) {
          this.dropped++
          this.fail(stream, err)
        } else if (this.inOutage && stream === this.stream) {
          this.inOutage = false
        }
        this.maybeIdle()
      })
    } catch (err) {
      this.pending--
      this.dropped++
      this.fail(stream, err)
      this.maybeIdle()
    }
  }

  stats(): LogFileStats {
    return { path: this.path, failures: this.failures, droppedLines: this.dropped, lastFailure: this.lastFailure }
  }

  /**
   * Resolves when every line handed to write() so far is on disk or counted as dropped — or after
   * timeoutMs, so that quitting never waits on a hung disk.
   */
  flush(timeoutMs?: number): Promise<void> {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.idle.delete(done)
        resolve()
      }
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs)
      this.idle.add(done)
    })
  }

  /** Flushes (bounded by timeoutMs) and closes; later writes are ignored. */
  async close(timeoutMs = 2000): Promise<void> {
    await this.flush(timeoutMs)
    this.closed = true
    const s = this.stream
    this.stream = null
    if (s && !s.destroyed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs)
        s.end(() => (clearTimeout(timer), resolve()))
      })
    }
  }

  private ensureOpen(): Writable | null {
    if (this.stream) return this.stream
    if (this.now() < this.retryAt) return null
    let stream: Writable
    try {
      stream = (this.o.openStream ?? openRotating)(this.o.dir, LOG_FILE_NAME, this.o.maxBytes ?? DEFAULT_MAX_BYTES, this.o.keepFiles ?? DEFAULT_KEEP_FILES)
    } catch (err) {
      this.fail(null, err)
      return null
    }
    // rotating-file-stream reports a failed open, write or rotation as 'error' and then destroys itself;
    // without a listener that 'error' would be an uncaught exception.
    stream.on('error', (err) => this.fail(stream, err))
    this.stream = stream
    return stream
  }

  private fail(stream: Writable | null, err: unknown): void {
    if (stream !== null && stream !== this.stream) return // a stream already given up on
    const cause = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? err.name}: ${err.message}` : String(err)
    this.failures++
    this.lastFailure = cause
    if (stream) {
      this.stream = null
      try {
        if (!stream.destroyed) stream.destroy()
      } catch {
        // already failing; nothing more to do with it
      }
    }
    this.retryAt = this.now() + (this.o.retryMs ?? 30_000)
    if (!this.inOutage) {
      this.inOutage = true
      try {
        this.o.onFailure?.(cause)
      } catch {
        // the reporter must not turn a log failure into a crash either
      }
    }
  }

  private maybeIdle(): void {
    if (this.pending !== 0) return
    const waiting = [...this.idle]
    this.idle.clear()
    for (const resolve of waiting) resolve()
  }
}
