// A workstation killed (SIGKILL) while another program holds its store locked: what it rang from the in-memory
// copy was never written to the file. The held journal next to the database keeps the ring marks, so the
// engine started again on the same data directory (the lock gone) does not ring those requests a second time,
// while a request that arrived while no engine ran still rings once.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { heldJournalPath } from '../../src/core/store/held-journal.js'
import { backend, createRequest, sleep, startEngine, waitForState, type TestEngine } from './helpers.js'
import { startHeadless } from './headless-child.js'

let b: Backend
beforeAll(async () => {
  b = await backend()
}, 120_000)
afterAll(async () => {
  await b?.stop()
})

const rangFor = (l: Record<string, unknown>, id: string) =>
  l.type === 'alert' && l.kind !== 'health' && (l.requestId === id || (Array.isArray(l.summaryOf) && l.summaryOf.includes(id)))

it('killed while its store is locked: after the restart the requests it rang do not ring again; one it never saw rings once', async () => {
  // Requests an earlier test file left queued would ring as found at the start.
  await b.sql.query(`update public.session_assignments set status = 'cancelled' where status = 'queued'`)
  const dataDir = mkdtempSync(join(tmpdir(), 'bayalert-journal-kill-'))
  const dbPath = join(dataDir, 'bayalert.db')
  const user = b.demoUsers[0]!
  const child = startHeadless({
    SUPABASE_URL: b.url,
    SUPABASE_ANON_KEY: b.anonKey,
    BAYALERT_EMAIL: user.email,
    BAYALERT_PASSWORD: user.password,
    BAYALERT_DATA_DIR: dataDir,
  })
  const { proc, waitLine } = child
  let other: Database.Database | null = null
  let again: TestEngine | null = null
  try {
    await waitLine((l) => l.type === 'state' && l.state === 'live', 45_000, 'the first run live')
    // Another program takes the write lock (reads still work in WAL mode): the store holds its writes in memory.
    other = new Database(dbPath)
    other.exec('BEGIN EXCLUSIVE')
    const rangBeforeKill = await createRequest(b, { name: 'Rang Before Kill' })
    await waitLine((l) => rangFor(l, rangBeforeKill.id), 15_000, 'the request rings while the store is locked')
    await waitLine((l) => l.type === 'state' && typeof l.reason === 'string' && l.reason.includes('Local store unavailable: database is locked'), 10_000, 'degraded with the store reason')
    expect(existsSync(heldJournalPath(dbPath))).toBe(true)

    proc.kill('SIGKILL')
    expect(await child.signal).toBe('SIGKILL')
    other.exec('ROLLBACK')
    other.close()
    const neverRang = await createRequest(b, { name: 'Queued While Down' })

    // The same data directory and backend, the lock gone.
    again = await startEngine(b, { dataDir })
    await waitForState(again.engine, 'live', 15_000)
    await again.engine.feed!.idle()
    await sleep(1500) // a second ring would be a burst flush (300 ms) or a repeat away at most
    expect(again.sink.rung()).toEqual([neverRang.id])
    const queue = again.engine.snapshot().queue
    expect(queue.map((q) => q.requestId).sort()).toEqual([rangBeforeKill.id, neverRang.id].sort())
    expect(queue.find((q) => q.requestId === rangBeforeKill.id)?.alertCount).toBe(1)
    expect(existsSync(heldJournalPath(dbPath))).toBe(false)
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    await child.exit
    if (other?.open) other.close()
    await again?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}, 120_000)
