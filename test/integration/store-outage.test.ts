// The engine on the real local backend while its SQLite file stops taking writes — locked by another
// connection, read-only, full: requests still ring at once, the state is degraded with the reason, one health
// alert, and once the file is back what was held is written, so a restart rings none of those requests again
// and nothing recorded before the fault is lost.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { Engine, type EngineTuning } from '../../src/core/engine.js'
import { MemorySecretStore } from '../../src/core/memory-secret-store.js'
import { Store } from '../../src/core/store/store.js'
import { createRequest, engineSuite, MemoryLog, RecordingSink, sleep, until, waitForState, type NewRequest, type TestEngine } from './helpers.js'

let b: Backend
const { live } = engineSuite({ started: (x) => (b = x) })
const dirs: string[] = []
const others: Database.Database[] = []
afterEach(() => {
  for (const o of others.splice(0)) if (o.open) o.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

// Quick write-back retries, so "the store is back" is seen within a second of lifting the fault.
const tuning: EngineTuning = { stateCore: { storeRetry: { baseMs: 200, maxMs: 800, jitter: 0 } } }

interface Fault {
  reason: string
  apply(t: TestEngine): void
  lift(t: TestEngine): void
}

let otherConnection: Database.Database | null = null
const FAULTS: Record<string, Fault> = {
  'locked by another connection (BEGIN EXCLUSIVE)': {
    reason: 'database is locked',
    apply(t) {
      otherConnection = new Database(join(t.dataDir, 'bayalert.db'))
      otherConnection.exec('BEGIN EXCLUSIVE')
    },
    lift() {
      otherConnection!.exec('ROLLBACK')
      otherConnection!.close()
      otherConnection = null
    },
  },
  'read-only (query_only on the store connection, as a read-only file system refuses writes)': {
    reason: 'attempt to write a readonly database',
    apply: (t) => t.engine.core!.store.pragmaOnFile('query_only = 1'),
    lift: (t) => t.engine.core!.store.pragmaOnFile('query_only = 0'),
  },
  'full (max_page_count at the current size, as a full disk)': {
    reason: 'database or disk is full',
    apply: (t) => t.engine.core!.store.pragmaOnFile(`max_page_count = ${t.engine.core!.store.pragmaOnFile('page_count') as number}`),
    lift: (t) => t.engine.core!.store.pragmaOnFile('max_page_count = 1073741823'),
  },
}

const ringsOf = (t: TestEngine, id: string) => t.sink.rung().filter((r) => r === id).length
const storeAlerts = (t: TestEngine) => t.sink.alerts.filter((a) => a.kind === 'health' && /Local store unavailable/.test(a.title))

async function ringsOnce(t: TestEngine, what: string): Promise<{ request: NewRequest; ms: number }> {
  const committed = Date.now()
  const request = await createRequest(b, { name: what })
  await until(() => ringsOf(t, request.id) === 1, 10_000, `${what} rings`)
  const ring = t.sink.alerts.find((a) => a.requestId === request.id)!
  return { request, ms: ring.at - committed }
}

describe('the local store fails while requests arrive', () => {
  it.each(Object.keys(FAULTS))('%s: rings at once, degraded with the reason, one health alert, no second ring after the store is back or after a restart', async (name) => {
    const fault = FAULTS[name]!
    // The backend is shared by this file's tests: an earlier test's requests would ring as found after the restart.
    await b.sql.query(`update public.session_assignments set status = 'cancelled' where status = 'queued'`)
    const dataDir = mkdtempSync(join(tmpdir(), 'bayalert-outage-'))
    dirs.push(dataDir)
    const t = await live({ dataDir, tuning })
    const before = await ringsOnce(t, 'Before Fault')

    fault.apply(t)
    // A full file refuses only a write that needs a new page: requests keep arriving until one does (each rings).
    const during: { request: NewRequest; ms: number }[] = []
    for (let i = 0; i < 25 && (i === 0 || t.engine.core!.store.held === null); i++) during.push(await ringsOnce(t, `During Fault ${i + 1}`))
    expect(t.engine.core!.store.held?.reason).toBe(fault.reason)
    const hit = during[during.length - 1]!
    console.log(`${name}: healthy ring ${before.ms} ms after the commit; the request that met the fault rang ${hit.ms} ms after its commit (${during.length} request(s) until the store held)`)
    expect(hit.ms).toBeLessThan(3000)
    await waitForState(t.engine, 'degraded', 5000, new RegExp(`Local store unavailable: ${fault.reason}`))

    // More requests while held: each rings once, and still only one health alert.
    during.push(await ringsOnce(t, 'While Held'))
    expect(storeAlerts(t)).toHaveLength(1)
    expect(storeAlerts(t)[0]!.title).toBe(`Local store unavailable: ${fault.reason}`)

    fault.lift(t)
    await until(() => t.engine.core!.store.held === null, 5000, 'the held writes are written back')
    await waitForState(t.engine, 'live', 5000)
    await sleep(500)
    for (const r of [before, ...during]) expect(ringsOf(t, r.request.id), r.request.name).toBe(1)
    expect(storeAlerts(t)).toHaveLength(1)
    await t.stop()

    // A restart on the same data directory: every request is restored, confirmed by the server, and none rings.
    const again = await live({ dataDir, tuning })
    await sleep(1000)
    expect(again.sink.rung()).toEqual([])
    expect(again.engine.snapshot().queue.map((q) => q.requestId).sort()).toEqual([before, ...during].map((r) => r.request.id).sort())
    // Nothing recorded before the fault is lost: the first request's event is still in the log.
    expect(again.engine.core!.store.recentEvents(1000).some((e) => e.requestId === before.request.id && e.outcome === 'alerted')).toBe(true)
    await again.stop()
  })
})

describe('the local store cannot open at start', () => {
  it('locked by another program: offline with the reason, retried with backoff, one health alert; once free it starts, signs in and rings', async () => {
    await b.sql.query(`update public.session_assignments set status = 'cancelled' where status = 'queued'`)
    const dataDir = mkdtempSync(join(tmpdir(), 'bayalert-open-'))
    dirs.push(dataDir)
    const path = join(dataDir, 'bayalert.db')
    Store.open({ path, log: new MemoryLog() }).close()
    // An exclusive locking mode keeps even readers out: the store cannot open at all.
    const other = new Database(path)
    other.pragma('locking_mode = EXCLUSIVE')
    other.exec('BEGIN EXCLUSIVE')
    const sink = new RecordingSink()
    const log = new MemoryLog()
    const engine = new Engine(
      { supabaseUrl: b.url, anonKey: b.anonKey, dataDir, workstationId: 'ws-open', appVersion: 'test' },
      { secrets: new MemorySecretStore(), sinks: [sink], log },
      { ...tuning, stateCore: { ...tuning.stateCore, burstWindowMs: 300 } },
    )
    try {
      const started = engine.start()
      await waitForState(engine, 'offline', 5000, /^Local store cannot open: database is locked — trying again$/)
      // Backoff 200, 400, 800, 800 … ms: several tries in 3 s, one health alert for all of them.
      await sleep(3000)
      const tries = log.lines.filter((l) => /the local store cannot open; trying again/.test(l)).length
      expect(tries).toBeGreaterThanOrEqual(3)
      expect(tries).toBeLessThanOrEqual(8)
      expect(sink.alerts.filter((a) => a.kind === 'health')).toEqual([expect.objectContaining({ title: 'BayAlert cannot open its local store' })])
      expect(engine.snapshot().link.state).toBe('offline')

      other.exec('COMMIT')
      other.close()
      await started
      const user = b.demoUsers[0]!
      await engine.signIn(user.email, user.password)
      await waitForState(engine, 'live', 15_000)
      await engine.feed!.idle()
      const r = await createRequest(b, { name: 'After The Lock' })
      await until(() => sink.rung().includes(r.id), 10_000, 'a request rings once the store opened')
    } finally {
      if (other.open) other.close()
      await engine.stop()
    }
  })

  it('stopping while the store cannot open ends the retries and start() settles', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bayalert-open-'))
    dirs.push(dataDir)
    const path = join(dataDir, 'bayalert.db')
    Store.open({ path, log: new MemoryLog() }).close()
    const other = new Database(path)
    others.push(other)
    other.pragma('locking_mode = EXCLUSIVE')
    other.exec('BEGIN EXCLUSIVE')
    const engine = new Engine(
      { supabaseUrl: b.url, anonKey: b.anonKey, dataDir, workstationId: 'ws-open-2', appVersion: 'test' },
      { secrets: new MemorySecretStore(), sinks: [], log: new MemoryLog() },
      tuning,
    )
    const started = engine.start()
    await waitForState(engine, 'offline', 5000, /Local store cannot open/)
    await engine.stop()
    await expect(started).resolves.toBeUndefined()
    expect(engine.core).toBeNull()
    expect(engine.timers.count).toBe(0)
  })
})
