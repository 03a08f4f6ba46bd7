// How the journal writes: a transaction's marks in one write; a disk that fills up in the middle of a line: the write takes part of the line and then fails with
// ENOSPC. The torn line is lost, but the next mark starts on a line of its own, so it — and every mark before —
// still applies. The one seam replaced is fs.writeSync, to produce that short write and failure on demand
// (a real full disk cannot be made to fail at a chosen byte in a test).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import type { QueueRow } from '../../../src/core/store/store.js'
import { captureLog } from './helpers.js'

/** fullAfter: bytes the disk still takes before ENOSPC (null: no limit); chunk: most bytes one write call takes (a short write). */
const disk = vi.hoisted(() => ({ fullAfter: null as number | null, chunk: null as number | null, calls: 0 }))
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  // Only the (fd, buffer, offset, length) form the journal calls.
  const writeSync = ((fd: number, buffer: Uint8Array, offset: number, length: number): number => {
    disk.calls++
    if (disk.chunk !== null) return fs.writeSync(fd, buffer, offset, Math.min(length, disk.chunk))
    if (disk.fullAfter === null) return fs.writeSync(fd, buffer, offset, length)
    if (disk.fullAfter === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
    const n = fs.writeSync(fd, buffer, offset, Math.min(length, disk.fullAfter))
    disk.fullAfter -= n
    return n
  }) as unknown as typeof fs.writeSync
  return { ...fs, default: { ...fs, writeSync }, writeSync }
})
const { HeldJournal } = await import('../../../src/core/store/held-journal.js')

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-journal-torn-'))
  disk.fullAfter = null
  disk.chunk = null
  disk.calls = 0
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const row = (id: string): QueueRow => ({
  requestId: id, key: `${id}@v`, sessionId: null, queuedAt: null, details: { customerName: null, vehicle: null, concern: null, sessionType: null },
  detail: 'basic', acknowledged: false, alertCount: 1, nextRepeatAt: null, firstSeenAt: 1, firstSource: 'broadcast', lastAlertAt: 1, commitTs: null,
})

it('a line torn by a full disk costs only itself: the next mark starts on a fresh line and applies', () => {
  const log = captureLog()
  const j = new HeldJournal({ path: join(dir, 'bayalert.db.held.jsonl'), log, clock: { now: () => 1 } })
  j.noteRang(row('r1'))
  j.flush()
  disk.fullAfter = 20 // the next line gets 20 bytes in, then the disk is full
  j.noteRang(row('r2'))
  j.flush()
  expect(j.problem).toMatch(/ENOSPC/)
  disk.fullAfter = null // space again
  j.noteRang(row('r3'))
  j.flush()
  expect(j.problem).toBeNull()
  const text = readFileSync(j.path, 'utf8')
  expect(text.split('\n')).toHaveLength(4) // r1, the torn fragment, r3, and the final newline
  const { entries, skipped } = j.read()
  expect(entries.map((e) => e.requestId)).toEqual(['r1', 'r3'])
  expect(skipped).toBe(1)
})

it('a short write (part of the line taken, no error) is written on to the end of the line', () => {
  const j = new HeldJournal({ path: join(dir, 'bayalert.db.held.jsonl'), log: captureLog(), clock: { now: () => 1 } })
  disk.chunk = 7
  j.noteRang(row('r1'))
  j.flush()
  j.noteRang(row('r2'))
  j.flush()
  expect(disk.calls).toBeGreaterThan(2)
  expect(j.problem).toBeNull()
  expect(j.read()).toMatchObject({ entries: [{ requestId: 'r1' }, { requestId: 'r2' }], skipped: 0 })
})

it('the marks of one transaction are appended with one write', () => {
  const j = new HeldJournal({ path: join(dir, 'bayalert.db.held.jsonl'), log: captureLog(), clock: { now: () => 1 } })
  for (const id of ['r1', 'r2', 'r3']) j.noteRang(row(id))
  expect(disk.calls).toBe(0)
  j.flush()
  expect(disk.calls).toBe(1)
  expect(j.read().entries.map((e) => e.requestId)).toEqual(['r1', 'r2', 'r3'])
  j.flush() // nothing staged: nothing written
  expect(disk.calls).toBe(1)
})

it('discarded marks (their transaction rolled back) are not written, and the same mark later is', () => {
  const j = new HeldJournal({ path: join(dir, 'bayalert.db.held.jsonl'), log: captureLog(), clock: { now: () => 1 } })
  j.noteRang(row('r1'))
  j.discard()
  j.flush()
  expect(j.exists()).toBe(false)
  j.noteRang(row('r1'))
  j.flush()
  expect(j.read().entries.map((e) => e.requestId)).toEqual(['r1'])
})
