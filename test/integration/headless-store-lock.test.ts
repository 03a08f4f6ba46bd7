// The headless CLI started on a data directory whose store another program holds locked: it does not exit
// and does not sit in "Starting…" — its state lines say offline with the reason, one health alert is printed,
// and once the lock is gone it starts, signs in and rings.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { Store } from '../../src/core/store/store.js'
import { backend, createRequest, MemoryLog } from './helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')
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
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/headless.ts', '--json', '--no-ui'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      BAYALERT_NO_NOTIFIER: '1',
      SUPABASE_URL: b.url,
      SUPABASE_ANON_KEY: b.anonKey,
      BAYALERT_EMAIL: user.email,
      BAYALERT_PASSWORD: user.password,
      BAYALERT_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Record<string, unknown>[] = []
  let stderr = ''
  let buf = ''
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    let i
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim()
      buf = buf.slice(i + 1)
      if (line) lines.push(JSON.parse(line) as Record<string, unknown>)
    }
  })
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)))
  const waitLine = async (pred: (l: Record<string, unknown>) => boolean, ms: number, what: string) => {
    const deadline = Date.now() + ms
    for (;;) {
      const hit = lines.find(pred)
      if (hit) return hit
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`timed out waiting for ${what}; stderr: ${stderr.slice(-2000)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
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
    await exited
    rmSync(dataDir, { recursive: true, force: true })
  }
})
