// Store throughput, for scripts/bench.ts and the unit test that prints it. Real better-sqlite3 on a
// real file in a temp dir (WAL, synchronous=NORMAL), the same code paths the engine uses.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { QueuedFact } from '../facts.js'
import type { Logger } from '../ports.js'
import { AlertPipeline } from '../alerts/pipeline.js'
import { RequestDesk } from '../desk/request-desk.js'
import { Store } from './store.js'
import { DEFAULT_FLAGS } from '../../shared/types.js'

export interface StoreBenchmark {
  n: number
  /** store.recordEvent, one autocommit transaction per event (the slowest honest path). */
  eventsPerSecSingle: number
  /** store.recordEvents in batches of 500 (reconcile path). */
  eventsPerSecBatched: number
  /**
   * The desk's full path (bench figure desk.factsPerSec): desk.ingest of queued facts as fast as they come,
   * half new requests, half enrichments of them (pipeline without sinks), through rules, store, event log
   * and ringer; facts of one task share a group commit (≤ 256 each), the last one committed inside the timing.
   */
  deskFactsPerSec: number
  /** The same per CPU-second of this process (user + system): steadier than wall time on a shared machine. */
  deskFactsPerCpuSec: number
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }

export function benchmarkStore(n = 20_000): StoreBenchmark {
  const dir = mkdtempSync(join(tmpdir(), 'bayalert-bench-'))
  try {
    const store = Store.open({ path: join(dir, 'bench.db'), log: quiet })
    const ev = (i: number) => ({
      receivedAt: Date.now(),
      source: 'postgres_changes',
      eventId: `2025-01-01T00:00:00Z:${i}`,
      kind: 'queued',
      requestId: `req-${i}`,
      dedupKey: `req-${i}@2025-01-01T00:00:00.000000Z`,
      outcome: 'duplicate' as const,
      reason: null,
    })
    let t = performance.now()
    for (let i = 0; i < n; i++) store.recordEvent(ev(i))
    const single = n / ((performance.now() - t) / 1000)

    t = performance.now()
    for (let i = 0; i < n; i += 500) store.recordEvents(Array.from({ length: Math.min(500, n - i) }, (_, j) => ev(i + j)))
    const batched = n / ((performance.now() - t) / 1000)

    // Repeats off and a long burst window: this measures the store decisions, not timers.
    const pipeline = new AlertPipeline({ sinks: [], flags: () => DEFAULT_FLAGS, log: quiet, store })
    const desk = new RequestDesk({ store, pipeline, log: quiet, repeatMaxCount: 0, burstWindowMs: 60_000 })
    const facts: QueuedFact[] = Array.from({ length: n }, (_, i) => ({
      kind: 'queued',
      source: i % 2 ? 'broadcast' : 'postgres_changes',
      eventId: `e${i}`,
      commitTs: null,
      receivedAt: Date.now(),
      requestId: `r${Math.floor(i / 2)}`,
      queuedAt: '2025-01-01T00:00:00.000000Z', // canonical, as the parsers hand it over
      sessionId: null,
      details: i % 2 ? { customerName: 'Dana', vehicle: '2019 Civic', concern: 'Brakes squeal' } : null,
    }))
    t = performance.now()
    const cpu0 = process.cpuUsage()
    for (const f of facts) desk.ingest(f)
    store.commitGroup()
    const deskRate = n / ((performance.now() - t) / 1000)
    const cpu = process.cpuUsage(cpu0)
    const deskCpuRate = n / ((cpu.user + cpu.system) / 1e6)
    desk.stop()
    store.close()
    return {
      n,
      eventsPerSecSingle: Math.round(single),
      eventsPerSecBatched: Math.round(batched),
      deskFactsPerSec: Math.round(deskRate),
      deskFactsPerCpuSec: Math.round(deskCpuRate),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
