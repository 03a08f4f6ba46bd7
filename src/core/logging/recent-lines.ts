// The last N lines of the log, oldest first, across the live file and its rotated predecessors
// (bayalert.log, then .1, .2 … as rotating-file-stream's classical rotation names them). Reads at most
// maxBytes from the end of the files, so a diagnostics export stays small and fast whatever the log size.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_KEEP_FILES, LOG_FILE_NAME } from './log-file.js'

export interface RecentLines {
  lines: string[]
  /** Files that could not be read, with the cause (a missing rotated file is not a problem). */
  problems: string[]
}

function readTail(path: string, maxBytes: number): { text: string; truncated: boolean } | null {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
  try {
    const size = fstatSync(fd).size
    const len = Math.min(size, maxBytes)
    const buf = Buffer.alloc(len)
    let got = 0
    while (got < len) {
      const n = readSync(fd, buf, got, len - got, size - len + got)
      if (n === 0) break
      got += n
    }
    return { text: buf.subarray(0, got).toString('utf8'), truncated: len < size }
  } finally {
    closeSync(fd)
  }
}

export function readRecentLogLines(dir: string, maxLines: number, maxBytes = 1024 * 1024, keepFiles = DEFAULT_KEEP_FILES): RecentLines {
  const lines: string[] = []
  const problems: string[] = []
  let budget = maxBytes
  for (let i = 0; i <= keepFiles && lines.length < maxLines && budget > 0; i++) {
    const name = i === 0 ? LOG_FILE_NAME : `${LOG_FILE_NAME}.${i}`
    let tail: ReturnType<typeof readTail>
    try {
      tail = readTail(join(dir, name), budget)
    } catch (e) {
      problems.push(`${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
      continue
    }
    if (!tail) continue
    budget -= Buffer.byteLength(tail.text)
    const parts = tail.text.split('\n')
    // A tail cut mid-file starts inside a line (or right after a newline: then the part is empty): that
    // partial line is not a log entry.
    if (tail.truncated) parts.shift()
    const fileLines = parts.filter((l) => l.length > 0)
    lines.unshift(...fileLines.slice(-(maxLines - lines.length)))
  }
  return { lines, problems }
}
