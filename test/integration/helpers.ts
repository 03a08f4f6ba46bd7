// Shared integration-test plumbing: a real local backend, the real engine (real supabase-js, real SQLite),
// recording sinks and event-driven waits with deadlines.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { startBackend, type Backend, type BackendOptions } from '../backend/index.js'
import { Engine, type EngineTuning } from '../../src/core/engine.js'
import type { EngineConfig, EngineEvents } from '../../src/core/engine-api.js'
import type { Alert, AlertSink, Logger, SinkTier } from '../../src/core/ports.js'
import type { LinkState } from '../../src/shared/types.js'
import { MemorySecretStore as MemorySecrets } from '../../src/core/memory-secret-store.js'


export class RecordingSink implements AlertSink {
  readonly alerts: (Alert & { at: number })[] = []
  readonly retracts: string[] = []
  constructor(
    readonly name = 'recorder',
    readonly tier: SinkTier = 'in-app',
    private readonly behaviour: 'ok' | 'throw' | 'hang' = 'ok',
  ) {}
  alert(a: Alert) {
    this.alerts.push({ ...a, at: Date.now() })
    if (this.behaviour === 'throw') throw new Error(`${this.name} exploded`)
    if (this.behaviour === 'hang') return new Promise<void>(() => {})
  }
  retract(id: string) {
    this.retracts.push(id)
  }
  /** Request ids rung (singles and summaries), in order. */
  rung(): string[] {
    return this.alerts.filter((a) => a.kind !== 'health').flatMap((a) => (a.requestId ? [a.requestId] : (a.summaryOf ?? [])))
  }
}

/** Keeps log lines in memory; printed when LOG=1 or on demand. */
export class MemoryLog implements Logger {
  readonly lines: string[] = []
  constructor(private readonly prefix = '') {}
  private add(level: string, msg: string, fields?: Record<string, unknown>) {
    const line = `${new Date().toISOString().slice(11, 23)} ${level} ${this.prefix}${msg}${fields ? ' ' + JSON.stringify(fields) : ''}`
    this.lines.push(line)
    if (process.env.LOG) process.stderr.write(line + '\n')
  }
  debug(m: string, f?: Record<string, unknown>) {
    this.add('debug', m, f)
  }
  info(m: string, f?: Record<string, unknown>) {
    this.add('info', m, f)
  }
  warn(m: string, f?: Record<string, unknown>) {
    this.add('warn', m, f)
  }
  error(m: string, f?: Record<string, unknown>) {
    this.add('error', m, f)
  }
  has(re: RegExp): boolean {
    return this.lines.some((l) => re.test(l))
  }
}

export async function backend(opts: BackendOptions = {}): Promise<Backend> {
  const lines: string[] = []
  return startBackend({ port: 0, log: (m) => (process.env.LOG ? process.stderr.write(`[backend] ${m}\n`) : lines.push(m)), ...opts })
}

export interface TestEngine {
  engine: Engine
  sink: RecordingSink
  log: MemoryLog
  secrets: MemorySecrets
  dataDir: string
  stop(): Promise<void>
}

export async function startEngine(
  b: Backend,
  opts: { user?: number; sinks?: AlertSink[]; tuning?: EngineTuning; config?: Partial<EngineConfig>; dataDir?: string; secrets?: MemorySecrets; signIn?: boolean } = {},
): Promise<TestEngine> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'bayalert-it-'))
  const sink = new RecordingSink()
  const log = new MemoryLog()
  const secrets = opts.secrets ?? new MemorySecrets()
  const engine = new Engine(
    {
      supabaseUrl: b.url,
      anonKey: b.anonKey,
      dataDir,
      workstationId: `ws-${randomUUID().slice(0, 8)}`,
      appVersion: 'test',
      ...opts.config,
    },
    { secrets, sinks: [sink, ...(opts.sinks ?? [])], log },
    { ...opts.tuning, stateCore: { burstWindowMs: 300, ...opts.tuning?.stateCore } },
  )
  await engine.start()
  const user = b.demoUsers[opts.user ?? 0]!
  if (opts.signIn !== false && !engine.link!.currentUser) await engine.signIn(user.email, user.password)
  return {
    engine,
    sink,
    log,
    secrets,
    dataDir,
    async stop() {
      await engine.stop()
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * The hooks a file of engine-on-a-backend tests shares: one backend for the file (started before all, stopped
 * after all; `started` hands it to the file), faults cleared and the test's engines stopped after each test
 * (their logs printed when DUMP is set; `running` holds them), then the file's own `afterEach`. `live()` starts an engine on the
 * file's backend (or `on`), stops it after the test, and resolves once it is live and its startup reconcile has run.
 */
export function engineSuite(opts: { started: (b: Backend) => void; afterEach?: (b: Backend) => Promise<unknown> }) {
  let b: Backend
  const running: TestEngine[] = []
  beforeAll(async () => {
    b = await backend()
    opts.started(b)
  }, 120_000)
  afterEach(async () => {
    b.faults.clear()
    for (const t of running.splice(0)) {
      if (process.env.DUMP) console.log(t.log.lines.join('\n'))
      await t.stop()
    }
    await opts.afterEach?.(b)
  })
  afterAll(async () => {
    await b?.stop()
  })
  async function live(engineOpts: Parameters<typeof startEngine>[1] = {}, on: Backend = b): Promise<TestEngine> {
    const t = await startEngine(on, engineOpts)
    running.push(t)
    await waitForState(t.engine, 'live', 15_000)
    await t.engine.feed!.idle() // the startup reconcile has run
    return t
  }
  return { live, running }
}

/** Resolves when `pred` holds for an engine event (or already holds via `now`), else rejects at the deadline. */
export function waitForEvent<E extends keyof EngineEvents>(
  engine: Engine,
  event: E,
  pred: (p: EngineEvents[E]) => boolean,
  ms: number,
  what: string,
  now?: () => boolean,
): Promise<EngineEvents[E] | undefined> {
  return new Promise((resolve, reject) => {
    if (now?.()) return resolve(undefined)
    const timer = setTimeout(() => {
      off()
      reject(new Error(`timed out after ${ms} ms waiting for ${what} (state: ${engine.snapshot().link.state} — ${engine.snapshot().link.reason})`))
    }, ms)
    const off = engine.on(event, (p) => {
      if (!pred(p)) return
      clearTimeout(timer)
      off()
      resolve(p)
    })
  })
}

export function waitForState(engine: Engine, state: LinkState['state'], ms: number, reason?: RegExp): Promise<unknown> {
  const ok = (s: LinkState) => s.state === state && (!reason || reason.test(s.reason))
  return waitForEvent(engine, 'state', ok, ms, `state ${state}${reason ? ` ${reason}` : ''}`, () => ok(engine.snapshot().link))
}

/** Polls `pred` every 20 ms until true or the deadline (for conditions no event announces). */
export async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await pred()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

export interface NewRequest {
  id: string
  sessionId: string
  intakeId: string
  name: string
}

/** Runs `fn` on one pooled connection inside begin … commit; rolls back if it throws, and always releases the connection. */
export async function inTransaction<T>(b: Backend, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await b.sql.connect()
  try {
    await c.query('begin')
    const result = await fn(c)
    await c.query('commit')
    return result
  } catch (e) {
    await c.query('rollback').catch(() => {})
    throw e
  } finally {
    c.release()
  }
}

/** A customer asks for a session: intake + session + queued assignment, in one transaction (like the shop backend). */
export async function createRequest(b: Backend, over: { name?: string; concern?: string; make?: string; model?: string; year?: number; status?: string } = {}): Promise<NewRequest> {
  const id = randomUUID()
  const sessionId = randomUUID()
  const intakeId = randomUUID()
  const name = over.name ?? `Customer ${id.slice(0, 4)}`
  await inTransaction(b, async (c) => {
    await c.query('insert into public.intakes (id, name, concern, vehicle_make, vehicle_model, vehicle_year) values ($1,$2,$3,$4,$5,$6)', [
      intakeId,
      name,
      over.concern ?? 'Strange noise',
      over.make ?? 'Honda',
      over.model ?? 'Civic',
      over.year ?? 2019,
    ])
    await c.query('insert into public.sessions (id, type, intake_id) values ($1, $2, $3)', [sessionId, 'diagnostic', intakeId])
    await c.query('insert into public.session_assignments (id, session_id, status) values ($1, $2, $3)', [id, sessionId, over.status ?? 'queued'])
  })
  return { id, sessionId, intakeId, name }
}

export async function setStatus(b: Backend, id: string, status: string, mechanicId: string | null = null): Promise<void> {
  await b.sql.query('update public.session_assignments set status = $2, mechanic_id = coalesce($3, mechanic_id) where id = $1', [id, status, mechanicId])
}

export async function setFlag(b: Backend, key: string, enabled: boolean): Promise<void> {
  await b.sql.query('update public.feature_flags set enabled = $2 where key = $1', [key, enabled])
}

/**
 * Puts a live engine on the fallback (postgres_changes on requests) the way the feed's check-in does when the
 * private broadcast stops delivering, and resolves once the fallback's subscriptions are confirmed and the
 * reconcile that follows has run. For tests of the postgres_changes path itself: on the one trusted path a
 * workstation does not subscribe to it.
 */
export async function onFallback(t: TestEngine, reason = 'test: exercising the postgres_changes path'): Promise<void> {
  t.engine.link!.reportPrivatePathBroken(reason)
  await waitForState(t.engine, 'degraded', 15_000, /^Receiving requests through postgres_changes/)
  await t.engine.feed!.idle()
}

// The migration's realtime.messages policy that lets mechanics receive `shop:requests`
// (supabase/migrations/*_realtime.sql). Tests drop it to make the server refuse the private channel.
const SHOP_POLICY_SQL = `create policy "mechanics receive shop:requests" on realtime.messages for select to authenticated
  using (realtime.topic() = 'shop:requests' and extension = 'broadcast' and public.is_mechanic())`

/** Refuses the private `shop:requests` channel to mechanics (their join gets "Unauthorized"). */
export async function dropShopPolicy(b: Backend): Promise<void> {
  await b.sql.query(`drop policy if exists "mechanics receive shop:requests" on realtime.messages`)
}

/** Puts the migration's policy back (idempotent: safe whether or not it was dropped). */
export async function restoreShopPolicy(b: Backend): Promise<void> {
  await b.sql.query(`drop policy if exists "mechanics receive shop:requests" on realtime.messages; ${SHOP_POLICY_SQL}`)
}
