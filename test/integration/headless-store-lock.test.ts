// The headless CLI started on a data directory whose store another program holds locked: it does not exit
// and does not sit in "Starting…" — its state lines say offline with the reason, one health alert is printed,
// and once the lock is gone it starts, signs in and rings.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { Store } from '../../src/core/store/store.js'
import { backend, createRequest, MemoryLog } from './helpers.js'
import { startHeadless } from './headless-child.js'

let b: Backend
beforeAll(async () => {
  b = await backend()
}, 120_000)
afterAll(async () => {
  await b?.stop()
})

it('headless: offline with the reason and one health alert while the store is locked, then live and ringing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bayalert-headless-lock-'))
  const path = join(dataDir, 'bayalert.db')
  Store.open({ path, log: new MemoryLog() }).close()
  const other = new Database(path)
  other.pragma('locking_mode = EXCLUSIVE')
  other.exec('BEGIN EXCLUSIVE')
  const user = b.demoUsers[0]!
  const child = startHeadless({
    SUPABASE_URL: b.url,
    SUPABASE_ANON_KEY: b.anonKey,
    BAYALERT_EMAIL: user.email,
    BAYALERT_PASSWORD: user.password,
    BAYALERT_DATA_DIR: dataDir,
  })
  const { proc, lines, waitLine } = child
  try {
    await waitLine((l) => l.type === 'state' && l.state === 'offline' && l.reason === 'Local store cannot open: database is locked — trying again', 30_000, 'offline with the reason')
    await waitLine((l) => l.type === 'alert' && l.kind === 'health' && l.title === 'BayAlert cannot open its local store', 5000, 'the health alert')
    // The first retries come after 1 s and 2 s: by 3.5 s the store has been tried again at least twice.
    await new Promise((r) => setTimeout(r, 3500))
    expect(proc.exitCode).toBeNull()
    expect(lines.filter((l) => l.type === 'alert' && l.kind === 'health')).toHaveLength(1)

    other.exec('COMMIT')
    other.close()
    await waitLine((l) => l.type === 'state' && l.state === 'live', 45_000, 'live once the store opened')
    const r = await createRequest(b, { name: 'After Headless Lock' })
    await waitLine((l) => l.type === 'alert' && (l.requestId === r.id || (Array.isArray(l.summaryOf) && l.summaryOf.includes(r.id))), 15_000, 'the request rings')
  } finally {
    if (other.open) other.close()
    proc.kill('SIGTERM')
    await child.exit
    rmSync(dataDir, { recursive: true, force: true })
  }
})
