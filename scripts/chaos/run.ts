// One chaos run: the local backend (real PostgreSQL, its own cluster so it can be restarted) in this process, K
// headless workstations as child processes, the plan's customers, removals and faults played on their schedule,
// then every fault ended, a settle until the workstations are live and agree with the database (bounded), and the
// verdict.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { startBackend, type Backend } from '../../test/backend/index.js'
import { insertRequest, rng } from '../../test/backend/simulate.js'
import { inject } from './inject.js'
import { makePlan, type FaultClass, type Plan, type PlannedRequest } from './plan.js'
import { judge, type ClassCounts, type Failure, type FaultWindow, type RequestRecord, type WorkstationRecord } from './verdict.js'
import { Workstation } from './workstation.js'

export interface ChaosOptions {
  seed: number
  requests: number
  workstations: number
  arrivalGapMs?: number
  faultGapMs?: number
  /** Progress and problems (default: nothing). */
  log?: (msg: string) => void
  /** Every stderr line of every workstation (its warnings and errors), prefixed with its id. */
  workstationLog?: (msg: string) => void
}

export interface ChaosResult {
  seed: number
  requests: number
  workstations: number
  /** Faults injected (planned ones that could not be injected are not counted). */
  faults: number
  lost: number
  rungTwice: number
  staleRemovals: number
  silentFailures: number
  /** Workstation processes that ended on their own (the run starts them again). */
  exits: number
  byFault: Record<FaultClass | 'none', ClassCounts>
  queueMismatches: number
  /** How much the checks covered (a run whose checks saw nothing proves nothing). */
  coverage: { owedRings: number; removalChecks: number; silenceChecks: number; rings: number }
  /** Faults planned but not injected, with why (logged as they happened). */
  notInjected: number
  /** Stdout lines of a workstation that were not JSON. */
  badLines: number
  wallMs: number
  /** Each failure; `at` in ms after the plan started playing. */
  failures: Failure[]
  trace: ChaosTrace
}

/** Everything a run recorded, times in ms after the plan started playing: what `--trace FILE` writes and `--judge FILE` reads. */
export interface ChaosTrace {
  seed: number
  requests: number
  workstations: WorkstationRecord[]
  requestRecords: RequestRecord[]
  faults: FaultWindow[]
  endAt: number
  /** The database's queue once the run had settled. */
  finalDbQueue: string[]
  badLines: number
  wallMs: number
}

/** The verdict on a trace (a run just recorded, or a trace file judged again). */
export function resultOf(t: ChaosTrace): ChaosResult {
  const verdict = judge(t.workstations, t.requestRecords, t.faults, { ringWithinMs: RING_WITHIN_MS, leaveWithinMs: LEAVE_WITHIN_MS, finalDbQueue: t.finalDbQueue, endAt: t.endAt })
  return {
    seed: t.seed,
    requests: t.requests,
    workstations: t.workstations.length,
    faults: t.faults.filter((f) => f.injected).length,
    ...verdict.counts,
    byFault: verdict.byFault,
    queueMismatches: verdict.queueMismatches,
    coverage: { ...verdict.coverage, rings: t.workstations.reduce((n, w) => n + w.rings.length, 0) },
    notInjected: t.faults.filter((f) => !f.injected).length,
    badLines: t.badLines,
    wallMs: t.wallMs,
    failures: verdict.failures,
    trace: t,
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const RING_WITHIN_MS = 5000
const LEAVE_WITHIN_MS = 2000

/** Retries a database write through a PostgreSQL restart (bounded: 60 s). */
async function persist<T>(what: string, f: () => Promise<T>, log: (m: string) => void): Promise<T> {
  const until = Date.now() + 60_000
  for (let attempt = 1; ; attempt++) {
    try {
      return await f()
    } catch (e) {
      if (Date.now() > until) throw new Error(`${what} failed for 60 s: ${(e as Error).message}`, { cause: e })
      if (attempt === 1) log(`${what}: ${(e as Error).message}; retrying`)
      await sleep(200)
    }
  }
}

/** A demo mechanic takes the request through the shop's own accept_request, as PostgREST would run it. */
async function take(sql: pg.Pool, id: string, mechanicId: string): Promise<boolean> {
  const c = await sql.connect()
  try {
    await c.query('begin')
    await c.query("select set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub: mechanicId, role: 'authenticated' })])
    await c.query('set local role authenticated')
    const r = await c.query<{ res: { ok: boolean } }>('select public.accept_request($1) as res', [id])
    await c.query('commit')
    return r.rows[0]!.res.ok
  } catch (e) {
    await c.query('rollback').catch(() => undefined)
    throw e
  } finally {
    c.release()
  }
}

/** The customer (the shop's backend) cancels. */
async function cancel(sql: pg.Pool, id: string): Promise<boolean> {
  const r = await sql.query("update public.session_assignments set status = 'cancelled' where id = $1 and status = 'queued'", [id])
  return r.rowCount === 1
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? (() => undefined)
  const began = Date.now()
  const plan = makePlan({ seed: o.seed, requests: o.requests, workstations: o.workstations, arrivalGapMs: o.arrivalGapMs, faultGapMs: o.faultGapMs })
  // The backend's own lines (every fault it applies, every refused request) would drown the run's; its failures
  // show in the workstations' behaviour, which is what is judged.
  const b = await startBackend({ port: 0, dedicatedCluster: true, log: () => undefined })
  const root = mkdtempSync(join(tmpdir(), 'bayalert-chaos-'))
  const stations = Array.from({ length: o.workstations }, (_, i) => {
    const user = b.demoUsers[i % b.demoUsers.length]!
    const onStderr = o.workstationLog ? (line: string) => o.workstationLog!(`ws-${i + 1}: ${line}`) : undefined
    // A workstation whose process ends on its own is started again a second later, as a service manager would.
    const onExit = (why: string) => log(`chaos-ws-${i + 1} ended on its own (${why}); starting it again in 1 s`)
    return new Workstation({ index: i, dataDir: join(root, `ws-${i + 1}`), url: b.url, anonKey: b.anonKey, email: user.email, password: user.password, onStderr, onExit, restartAfterMs: 1000 })
  })
  try {
    for (const w of stations) w.start()
    await Promise.all(stations.map((w) => w.waitFor(() => w.state === 'live', 120_000, 'live at start')))
    log(`${stations.length} workstations live; playing ${plan.requests.length} requests and ${plan.faults.length} faults (seed ${plan.seed})`)
    const played = await play(plan, b, stations, log)
    b.faults.clear({ quiet: true })
    await played.postgresBack
    for (const w of stations) if (!w.running) w.start()
    const endAt = await settle(b, stations, log)
    const finalDbQueue = await queuedIds(b.sql)
    const rel = (t: number) => t - played.t0
    const trace: ChaosTrace = {
      seed: o.seed,
      requests: o.requests,
      workstations: stations.map((w) => {
        const r = w.record()
        return {
          index: r.index,
          states: r.states.map((x) => ({ ...x, t: rel(x.t) })),
          rings: r.rings.map((x) => ({ ...x, t: rel(x.t) })),
          queues: r.queues.map((x) => ({ ...x, t: rel(x.t) })),
          exits: (r.exits ?? []).map((x) => ({ ...x, t: rel(x.t) })),
        }
      }),
      requestRecords: played.requests.map((r) => ({ ...r, queuedAt: rel(r.queuedAt), removedAt: r.removedAt === null ? null : rel(r.removedAt), removalStartedAt: r.removalStartedAt === null ? null : rel(r.removalStartedAt) })),
      faults: played.faults.map((f) => ({ ...f, start: rel(f.start), end: rel(f.end) })),
      endAt: rel(endAt),
      finalDbQueue,
      badLines: stations.reduce((n, w) => n + w.badLines.length, 0),
      wallMs: Date.now() - began,
    }
    return resultOf(trace)
  } finally {
    await Promise.all(stations.map((w) => w.stop()))
    await b.stop()
    rmSync(root, { recursive: true, force: true })
  }
}

interface Played {
  t0: number
  requests: RequestRecord[]
  faults: FaultWindow[]
  postgresBack: Promise<void>
}

/** Plays the plan in real time from now. */
async function play(plan: Plan, b: Backend, stations: Workstation[], log: (m: string) => void): Promise<Played> {
  const t0 = Date.now()
  const at = (ms: number) => sleep(Math.max(0, t0 + ms - Date.now()))
  const requests: RequestRecord[] = []
  const faults: FaultWindow[] = []
  const serial = { postgres: Promise.resolve() }
  const rand = rng(plan.seed ^ 0x5eed)

  const oneRequest = async (p: PlannedRequest) => {
    await at(p.at)
    const row = await persist(`request ${p.index}`, () => insertRequest(b.sql, p.customer), log)
    const rec: RequestRecord = { id: row.id, queuedAt: Date.now(), removedAt: null, removalStartedAt: null }
    requests.push(rec)
    if (p.fate === 'stays') return
    await sleep(p.after)
    rec.removalStartedAt = Date.now()
    const mechanic = b.demoUsers[p.takenBy % b.demoUsers.length]!
    const done = await persist(`${p.fate === 'taken' ? 'take' : 'cancel'} of request ${p.index}`, () => (p.fate === 'taken' ? take(b.sql, row.id, mechanic.id) : cancel(b.sql, row.id)), log)
    if (done) rec.removedAt = Date.now()
    else {
      rec.removalStartedAt = null
      log(`request ${p.index} could not be ${p.fate} (no longer queued?)`)
    }
  }
  await Promise.all([
    ...plan.requests.map(oneRequest),
    ...plan.faults.map(async (f) => {
      await at(f.at)
      log(`fault #${f.index} ${f.fault}${f.workstation !== null ? ` on workstation ${f.workstation + 1}` : ''} for ${f.durationMs} ms`)
      faults.push(await inject(f, { backend: b, workstations: stations, rand, log, serial }))
    }),
  ])
  return { t0, requests, faults, postgresBack: serial.postgres }
}

/**
 * After the last fault: until every workstation is live and shows the database's queue (at most 60 s), and at least
 * long enough that a request queued at the very end was owed a ring.
 */
async function settle(b: Backend, stations: Workstation[], log: (m: string) => void): Promise<number> {
  const from = Date.now()
  const until = from + 60_000
  for (;;) {
    await sleep(500)
    if (Date.now() - from < RING_WITHIN_MS + 1000) continue
    let db: string[]
    try {
      db = (await queuedIds(b.sql)).sort()
    } catch (e) {
      log(`settle: reading the queue failed: ${(e as Error).message}`)
      continue
    }
    const agree = stations.every((w) => w.state === 'live' && JSON.stringify([...w.queue].sort()) === JSON.stringify(db))
    if (agree) return Date.now()
    if (Date.now() > until) {
      log(`settle: after 60 s not every workstation is live with the database's queue (${stations.map((w) => `${w.id} ${w.state} ${w.queue.length}/${db.length}`).join(', ')})`)
      return Date.now()
    }
  }
}

async function queuedIds(sql: pg.Pool): Promise<string[]> {
  const r = await sql.query<{ id: string }>("select id from public.session_assignments where status = 'queued'")
  return r.rows.map((x) => x.id)
}
