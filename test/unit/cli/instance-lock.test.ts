// The data-directory lock of headless, in one process: who holds it, when a lock is stale, and that a run
// only ever removes its own lock. Two real processes: test/integration/headless-restart.test.ts.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireInstanceLock, heldMessage, linuxProcessStartedAt, LOCK_FILE, processExists, type LockOptions } from '../../../src/cli/instance-lock.js'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-lock-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const alive = (pids: number[]) => (pid: number) => pids.includes(pid)
const at = (iso: string) => () => new Date(iso)
const lock = (d: string, o: LockOptions) => acquireInstanceLock(d, { startedAtOf: () => null, ...o }) // start times unknown unless a test says

describe('instance lock', () => {
  it('the first run takes it (pid and start time in a 0600 file); a second, while the first lives, is told who holds it', () => {
    const first = lock(dir, { pid: 101, now: at('2026-11-30T08:00:00.000Z'), isAlive: alive([101]) })
    expect(first).toMatchObject({ ok: true, tookOverFrom: null })
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toEqual({ pid: 101, startedAt: '2026-11-30T08:00:00.000Z' })
    expect(statSync(join(dir, LOCK_FILE)).mode & 0o777).toBe(0o600)

    const second = lock(dir, { pid: 202, isAlive: alive([101, 202]) })
    expect(second).toEqual({ ok: false, holder: { pid: 101, startedAt: '2026-11-30T08:00:00.000Z' } })
    if (!second.ok) {
      expect(heldMessage(second.holder)).toBe(
        'BayAlert is already running headless with this data directory (pid 101, since 2026-11-30T08:00:00.000Z). Stop it or use --data-dir.',
      )
    }
    // The refused run left the holder's lock alone and no temp file behind.
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(101)
    expect(readdirSync(dir)).toEqual([LOCK_FILE])
  })

  it('release removes the lock, and the next run takes it with nothing to take over', () => {
    const first = lock(dir, { pid: 101, isAlive: alive([101]) })
    if (!first.ok) throw new Error('expected the lock')
    first.release()
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false)
    expect(lock(dir, { pid: 202, isAlive: alive([202]) })).toMatchObject({ ok: true, tookOverFrom: null })
  })

  it('a lock whose process is gone is taken over, and the caller learns whose it was', () => {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 101, startedAt: '2026-11-29T08:00:00.000Z' }))
    const r = lock(dir, { pid: 202, now: at('2026-11-30T09:00:00.000Z'), isAlive: alive([202]) })
    expect(r).toMatchObject({ ok: true, tookOverFrom: { pid: 101, startedAt: '2026-11-29T08:00:00.000Z' } })
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toEqual({ pid: 202, startedAt: '2026-11-30T09:00:00.000Z' })
  })

  it.each([
    ['empty', ''],
    ['not JSON', 'garbage'],
    ['no pid', '{"startedAt":"x"}'],
    ['pid 0', '{"pid":0,"startedAt":"x"}'],
    ['pid as text', '{"pid":"101","startedAt":"x"}'],
    ['no start time', '{"pid":101}'],
  ])('an unreadable lock (%s) is taken over as such', (_n, text) => {
    writeFileSync(join(dir, LOCK_FILE), text)
    const r = lock(dir, { pid: 202, isAlive: () => true })
    expect(r).toMatchObject({ ok: true, tookOverFrom: 'unreadable' })
  })

  it('a lock naming this very pid is a previous life of the pid (containers reuse pid 1), not a holder', () => {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, startedAt: '2026-11-29T08:00:00.000Z' }))
    expect(lock(dir, { pid: 1, isAlive: () => true })).toMatchObject({ ok: true, tookOverFrom: { pid: 1 } })
  })

  it('release never removes a lock another run holds now', () => {
    const first = lock(dir, { pid: 101, isAlive: alive([]) })
    if (!first.ok) throw new Error('expected the lock')
    // 101 looked dead to 202 (say it hung past a restart): 202 took over. 101's late release must not free 202's lock.
    const second = lock(dir, { pid: 202, isAlive: alive([202]) })
    expect(second.ok).toBe(true)
    first.release()
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(202)
  })

  it('a live pid that started after the lock was written is another process that got the pid (after a restart): stale', () => {
    const LOCKED = '2026-11-30T08:00:00.000Z'
    const write = () => writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 101, startedAt: LOCKED }))
    const tryWith = (started: number | null) => {
      write()
      return lock(dir, { pid: 202, isAlive: alive([101, 202]), startedAtOf: (p) => (p === 101 ? started : null) })
    }
    const t = Date.parse(LOCKED)
    expect(tryWith(t - 1500).ok).toBe(false) // the holder started, then took the lock: it runs
    expect(tryWith(t + 2000).ok).toBe(false) // within the slack for /proc's whole-second boot time
    expect(tryWith(t + 2001)).toMatchObject({ ok: true, tookOverFrom: { pid: 101 } })
    expect(tryWith(null).ok).toBe(false) // no start time from the OS: the pid alone decides
  })

  it('linuxProcessStartedAt: this process started a moment ago; no such process is null', () => {
    const started = linuxProcessStartedAt(process.pid)
    if (process.platform !== 'linux') return expect(started).toBeNull()
    expect(started).not.toBeNull()
    expect(started!).toBeLessThanOrEqual(Date.now())
    expect(started!).toBeGreaterThan(Date.now() - process.uptime() * 1000 - 2000)
    expect(linuxProcessStartedAt(2 ** 22 + 1)).toBeNull() // above Linux's pid_max limit
  })

  it('processExists: this process yes, a process that has exited no', () => {
    expect(processExists(process.pid)).toBe(true)
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    expect(processExists(Number(gone.stdout))).toBe(false)
  })

  it('an unwritable data directory is an error, not a lock', () => {
    expect(() => lock(join(dir, 'missing', 'sub'), { pid: 1 })).toThrow(/ENOENT/)
  })
})
