// Bench plumbing: machine facts, percentiles, a recording sink that timestamps alert() calls, an engine
// factory, and a writer that commits customer requests like the shop backend does (one transaction, then
// the legacy broadcast) and timestamps the moment COMMIT returned.
import { cpus, loadavg, totalmem } from 'node:os'
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Backend } from '../../test/backend/index.js'
import { fakeCustomer, insertQueuedBulk, insertRequest, rng, sendLegacyBroadcast } from '../../test/backend/simulate.js'
import { Engine, type EngineTuning } from '../../src/core/engine.js'
import type { Alert, AlertSink, Logger } from '../../src/core/ports.js'
import type { LinkState } from '../../src/shared/types.js'
import type { EngineConfig } from '../../src/core/engine-api.js'
import { MemorySecretStore as MemorySecrets } from '../../src/core/memory-secret-store.js'

export const now = (): number => performance.now()
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export interface Machine {
  cpu: string
  cores: number
  ramGb: number
  node: string
  platform: string
  /** 1/5/15-minute load average when the bench started: the figures of a shared machine depend on it. */
  loadAvg: string
}

export function machine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown'
  try {
    // Some hypervisors give os.cpus() a bare model; /proc/cpuinfo says the same, but try.
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m && m[1].trim().length > cpu.length) cpu = m[1].trim()
  } catch {
    /* not Linux */
  }
  return { cpu, cores: cpus().length, ramGb: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, platform: `${process.platform} ${process.arch}`, loadAvg: loadavg().map((x) => x.toFixed(2)).join(' ') }
}

export interface Pct {
  p50: number | null
  p95: number | null
  p99: number | null
  n: number
  min?: number | null
  max?: number | null
}

/** Nearest-rank percentiles (p99 of 100 samples is the 99th smallest). */
export function percentiles(xs: number[]): Pct {
  const s = [...xs].sort((a, b) => a - b)
  const at = (p: number) => (s.length ? round1(s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]) : null)
  return { p50: at(50), p95: at(95), p99: at(99), n: s.length, min: s.length ? round1(s[0]) : null, max: s.length ? round1(s[s.length - 1]) : null }
}

export function median(xs: number[]): number | null {
  return percentiles(xs).p50
}

export const round1 = (x: number): number => Math.round(x * 10) / 10


/** Keeps warnings and errors (printed with --verbose); drops debug/info. */
export class BenchLog implements Logger {
  readonly problems: string[] = []
  constructor(
    private readonly name: string,
    private readonly verbose: boolean,
  ) {}
  debug() {}
  info(m: string, f?: Record<string, unknown>) {
    if (this.verbose && process.env.BENCH_DEBUG) process.stderr.write(`[${this.name}] info ${m} ${f ? JSON.stringify(f) : ''}\n`)
  }
  warn(m: string, f?: Record<string, unknown>) {
    this.add('warn', m, f)
  }
  error(m: string, f?: Record<string, unknown>) {
    this.add('error', m, f)
  }
  private add(level: string, m: string, f?: Record<string, unknown>) {
    const line = `${level} ${m}${f ? ' ' + JSON.stringify(f) : ''}`
    if (this.problems.length < 200) this.problems.push(line)
    if (this.verbose) process.stderr.write(`[${this.name}] ${line}\n`)
  }
}

/** Timestamps every alert() call (performance.now(), same clock as the writer's commit time). */
export class TimingSink implements AlertSink {
  readonly name = 'bench-recorder'
  readonly tier = 'in-app' as const
  readonly alerts: { alert: Alert; at: number }[] = []
  private readonly waiters = new Map<string, (at: number, a: Alert) => void>()
  alert(a: Alert): void {
    const at = now()
    this.alerts.push({ alert: a, at })
    if (a.kind === 'health') return
    for (const id of a.requestId ? [a.requestId] : (a.summaryOf ?? [])) this.waiters.get(id)?.(at, a)
  }
  /** Resolves with the first alert naming `id` (single or summary), or null at the deadline. */
  waitFor(id: string, ms: number): Promise<{ at: number; alert: Alert } | null> {
    const hit = this.alerts.find((x) => x.alert.kind !== 'health' && (x.alert.requestId === id || x.alert.summaryOf?.includes(id)))
    if (hit) return Promise.resolve(hit)
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiters.delete(id)
        resolve(null)
      }, ms)
      this.waiters.set(id, (at, alert) => {
        clearTimeout(t)
        this.waiters.delete(id)
        resolve({ at, alert })
      })
    })
  }
}

export interface BenchEngine {
  engine: Engine
  sink: TimingSink
  log: BenchLog
  stop(): Promise<void>
}

export async function startBenchEngine(
  b: Backend,
  opts: { name: string; tuning?: EngineTuning; user?: number; safetyReconcileMs?: number; verbose?: boolean; config?: Partial<EngineConfig> },
): Promise<BenchEngine> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bayalert-bench-'))
  const sink = new TimingSink()
  const log = new BenchLog(opts.name, !!opts.verbose)
  const engine = new Engine(
    { supabaseUrl: b.url, anonKey: b.anonKey, dataDir, workstationId: `bench-${randomUUID().slice(0, 8)}`, appVersion: 'bench', safetyReconcileMs: opts.safetyReconcileMs, ...opts.config },
    { secrets: new MemorySecrets(), sinks: [sink], log },
    opts.tuning,
  )
  await engine.start()
  const u = b.demoUsers[opts.user ?? 0]!
  await engine.signIn(u.email, u.password)
  return {
    engine,
    sink,
    log,
    async stop() {
      await engine.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Resolves when the engine's displayed state satisfies `pred` (checked now and on every state event). */
export function waitState(engine: Engine, pred: (s: LinkState) => boolean, ms: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    if (pred(engine.snapshot().link)) return resolve(now())
    const t = setTimeout(() => {
      off()
      reject(new Error(`timed out after ${ms} ms waiting for ${what} (state ${engine.snapshot().link.state}: ${engine.snapshot().link.reason})`))
    }, ms)
    const off = engine.on('state', (s) => {
      if (!pred(s)) return
      const at = now()
      clearTimeout(t)
      off()
      resolve(at)
    })
  })
}

export const isLive = (s: LinkState): boolean => s.state === 'live'

/** Resolves (with the time) when the engine's local queue holds every id, else rejects at the deadline. */
export function waitQueueHas(engine: Engine, ids: string[], ms: number, what: string): Promise<number> {
  const want = new Set(ids)
  const has = (items: { requestId: string }[]) => {
    let n = 0
    for (const i of items) if (want.has(i.requestId)) n++
    return n === want.size
  }
  return new Promise((resolve, reject) => {
    if (has(engine.snapshot().queue)) return resolve(now())
    const t = setTimeout(() => {
      off()
      const n = engine.snapshot().queue.filter((q) => want.has(q.requestId)).length
      reject(new Error(`timed out after ${ms} ms waiting for ${what} (${n}/${want.size} in the local queue)`))
    }, ms)
    const off = engine.on('snapshot', (s) => {
      if (!has(s.queue)) return
      const at = now()
      clearTimeout(t)
      off()
      resolve(at)
    })
  })
}

/** Writes requests as the shop backend does (test/backend/simulate.ts insertRequest, then the legacy broadcast). */
export class Writer {
  private readonly rand = rng(20260101)
  constructor(private readonly b: Backend) {}

  /** One request in one transaction; `committedAt` = performance.now() once COMMIT returned. */
  async commit(opts: { legacyBroadcast?: boolean } = {}): Promise<{ id: string; committedAt: number; broadcastSent: Promise<number> }> {
    const row = await insertRequest(this.b.sql, fakeCustomer(this.rand))
    // Only synchronous work (row to JSON, client release) lies between COMMIT returning and this: no alert can
    // be delivered in between, and the gap is microseconds.
    const committedAt = now()
    // As the shop's own backend still does after each commit (post-mortem, "Backend Still Calls Deprecated Broadcast").
    // A failed broadcast is reported on stderr ([simulate] …) and resolves to its HTTP status (0 if never sent).
    const broadcastSent = opts.legacyBroadcast === false ? Promise.resolve(0) : sendLegacyBroadcast({ url: this.b.url, serviceKey: this.b.serviceRoleKey }, 'new_request', row)
    return { id: row.id, committedAt, broadcastSent }
  }

  /** Takes requests out of the queue (cancelled), so queues stay shop-sized between samples. */
  async cancel(ids: string[]): Promise<void> {
    if (ids.length) await this.b.sql.query(`update public.session_assignments set status = 'cancelled' where id = any($1::uuid[]) and status = 'queued'`, [ids])
  }

  async cancelAllQueued(): Promise<number> {
    const r = await this.b.sql.query(`update public.session_assignments set status = 'cancelled' where status = 'queued'`)
    return r.rowCount ?? 0
  }

  /** n queued requests in one statement set (backfill), returns their ids. */
  async bulkQueued(n: number): Promise<string[]> {
    const client = await this.b.sql.connect()
    try {
      await client.query('begin')
      const ids = await insertQueuedBulk(client, n, 'Backfill')
      await client.query('commit')
      return ids
    } catch (e) {
      await client.query('rollback').catch(() => undefined)
      throw e
    } finally {
      client.release()
    }
  }
}
