// A database file this process may not open is not a corrupt one: the store refuses to start on it with the
// reason (the engine then retries, offline) instead of moving it aside and losing the queue and its dedup
// history. Real files and real permissions: as root (who may open anything) the opening process is a child
// running as the unprivileged user 65534.
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { Store } from '../../../src/core/store/store.js'
import { captureLog } from './helpers.js'

const ROOT = resolve(import.meta.dirname, '../../..')
const STORE = join(ROOT, 'src/core/store/store.ts')
let dir: string
let path: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-perm-'))
  path = join(dir, 'bayalert.db')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

/** Opens the store as a user without permission on the file; returns what the open threw (or 'opened'). */
function openWithoutPermission(): { code?: string; message?: string; opened?: boolean } {
  if (process.getuid?.() !== 0) {
    chmodSync(path, 0)
    try {
      Store.open({ path, log: captureLog() }).close()
      return { opened: true }
    } catch (err) {
      return { code: (err as { code?: string }).code, message: (err as Error).message }
    }
  }
  // The directory is writable for the other user (so moving the file aside would succeed); the file is root's, 0600.
  chmodSync(dir, 0o777)
  const script = `
    const { Store } = await import(${JSON.stringify(STORE)})
    const log = { debug() {}, info() {}, warn() {}, error() {} }
    try { Store.open({ path: ${JSON.stringify(path)}, log }).close(); console.log(JSON.stringify({ opened: true })) }
    catch (err) { console.log(JSON.stringify({ code: err.code, message: err.message })) }`
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, uid: 65534, gid: 65534, encoding: 'utf8', timeout: 60_000 })
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { code?: string; message?: string; opened?: boolean }
}

it('a file without read/write permission is refused with the reason and left where it is, not moved aside as corrupt', () => {
  const s = Store.open({ path, log: captureLog() })
  s.putQueueRow({
    requestId: 'r1', key: 'r1@', sessionId: null, queuedAt: null,
    details: { customerName: null, vehicle: null, concern: null, sessionType: null },
    detail: 'basic', acknowledged: false, alertCount: 1, nextRepeatAt: null, firstSeenAt: 1, firstSource: 'broadcast', lastAlertAt: null, commitTs: null,
  })
  s.close()
  const result = openWithoutPermission()
  expect(result.opened).toBeUndefined()
  expect(result.code).toBe('SQLITE_CANTOPEN')
  expect(result.message).toMatch(/no permission to read and write .*bayalert\.db: (EACCES|EPERM)/)
  expect(readdirSync(dir).filter((f) => f.includes('.corrupt-'))).toEqual([])
  // Once the permission is back, everything recorded is still there.
  chmodSync(path, 0o600)
  const again = Store.open({ path, log: captureLog() })
  expect(again.listQueue().map((r) => r.requestId)).toEqual(['r1'])
  again.close()
})
