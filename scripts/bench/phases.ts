// The measured phases. Each is bounded (sample counts, per-wait deadlines) and cleans up after itself.
import ws from 'ws'
import { createClient } from '@supabase/supabase-js'
import type { Backend } from '../../test/backend/index.js'
import type { EngineTuning } from '../../src/core/engine.js'
import type { DeliveryPaths } from '../../src/core/feed/feed.js'
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../../src/core/link/supervisor.js'
import { startOldDashboard } from './old-dashboard.js'
import { isLive, median, now, percentiles, round1, sleep, startBenchEngine, waitQueueHas, waitState, type BenchEngine, type Pct, type Writer } from './lib.js'

export interface LatencyResult extends Pct {
  /** Requests whose alert never came within the deadline. */
  missed: number
  /** Alerts that were summaries (coalesced) — excluded from the samples; should be 0. */
  summaries: number
  /** Single alerts that went out without details (basic). */
  basic: number
  /** commit → first realtime frame about the request reaching the engine's link (network + backend share). */
  toLink?: Pct
  /** that frame → alert (the engine's own share: parse, details read if any, store transaction, sink). */
  inEngine?: Pct
  /** commit → the shop backend's legacy public broadcast at the link, for comparison (it is only a hint now). */
  legacyToLink?: Pct
  /** Which source rang first, per sample. */
  firstSource?: Record<string, number>
  /** The slowest samples, for reading the tail. */
  worst?: { ms: number; source: string; toLinkMs: number | null; arrivals: Record<string, number> }[]
  note: string
}

export interface LatencyOptions {
  samples: number
  /** Requests before the recorded ones (JIT, pools, caches), not counted. */
  warmup: number
  /** Pause after each alert (and the cancel that follows it) before the next commit. */
  gapMs: number
  /** Desk burst window for the run (production 1000 ms); the gap keeps every sample outside it. */
  burstWindowMs: number
  timeoutMs: number
  verbose: boolean
  progress(msg: string): void
}

export const ALL_OFF: DeliveryPaths = { broadcast: false, dbBroadcast: false, postgresChanges: false, reconcile: false }

/**
 * commit → alert for one engine configuration. `triggerReconcile`: the bench calls feed.reconcile('manual')
 * the instant COMMIT returns (the reconcile-alone figure).
 */
export async function engineLatency(
  b: Backend,
  writer: Writer,
  name: string,
  o: LatencyOptions,
  /** fallback: put the link on its fallback first (postgres_changes on requests are subscribed only there). */
  cfg: { tuning?: EngineTuning; triggerReconcile?: boolean; fallback?: boolean; note: string },
): Promise<LatencyResult> {
  const t = await startBenchEngine(b, {
    name,
    verbose: o.verbose,
    tuning: { ...cfg.tuning, stateCore: { burstWindowMs: o.burstWindowMs, ...cfg.tuning?.stateCore } },
  })
  try {
    await waitState(t.engine, isLive, 20_000, `${name} live`)
    if (cfg.fallback) {
      t.engine.link!.reportPrivatePathBroken('bench: measuring the postgres_changes path')
      await waitState(t.engine, (s) => /^Receiving requests through postgres_changes/.test(s.reason), 20_000, `${name} on the fallback`)
    }
    await t.engine.feed!.idle()
    await sleep(300)
    // First trusted frame per request id on any path that is on, timestamped as the link hands it to the feed.
    // The legacy public broadcast is only a hint (it never rings): its arrival is kept apart, for comparison.
    const arrivals = new Map<string, number>()
    const legacyArrivals = new Map<string, number>()
    const bySource = new Map<string, Record<string, number>>()
    const paths = t.engine.feed!.paths
    const mark = (id: unknown, source: string) => {
      if (typeof id !== 'string') return
      const at = now()
      if (!arrivals.has(id)) arrivals.set(id, at)
      const r = bySource.get(id) ?? {}
      r[source] ??= at
      bySource.set(id, r)
    }
    const offs = [
      t.engine.link!.on('broadcast', (source, msg) => {
        const id = (msg as { payload?: { request?: { id?: unknown } } })?.payload?.request?.id
        if (source === 'db-broadcast' && paths.dbBroadcast) mark(id, source)
        else if (source === 'broadcast' && typeof id === 'string' && !legacyArrivals.has(id)) legacyArrivals.set(id, now())
      }),
      t.engine.link!.on('postgresChange', (table, msg) => {
        const m = msg as { eventType?: string; new?: { id?: unknown } }
        if (table === 'session_assignments' && paths.postgresChanges && m?.eventType === 'INSERT') mark(m.new?.id, 'postgres_changes')
      }),
    ]
    const worst: NonNullable<LatencyResult['worst']> = []
    const xs: number[] = []
    const toLink: number[] = []
    const inEngine: number[] = []
    const legacyToLink: number[] = []
    const firstSource: Record<string, number> = {}
    let missed = 0
    let summaries = 0
    let basic = 0
    for (let i = -o.warmup; i < o.samples; i++) {
      const w = await writer.commit()
      if (cfg.triggerReconcile) t.engine.feed!.reconcile('manual')
      const hit = await t.sink.waitFor(w.id, o.timeoutMs)
      if (i < 0) {
        // warm-up: not counted
      } else if (!hit) missed++
      else if (hit.alert.kind !== 'request') summaries++
      else {
        xs.push(hit.at - w.committedAt)
        if (hit.alert.detail !== 'full') basic++
        const src = hit.alert.items[0]?.firstSource ?? '?'
        firstSource[src] = (firstSource[src] ?? 0) + 1
        const arr = arrivals.get(w.id)
        if (arr !== undefined && arr <= hit.at) {
          toLink.push(arr - w.committedAt)
          inEngine.push(hit.at - arr)
        }
        const rel = Object.fromEntries(Object.entries(bySource.get(w.id) ?? {}).map(([k, v]) => [k, round1(v - w.committedAt)]))
        worst.push({ ms: round1(hit.at - w.committedAt), source: src, toLinkMs: arr === undefined ? null : round1(arr - w.committedAt), arrivals: rel })
        worst.sort((a, b) => b.ms - a.ms).splice(5)
      }
      arrivals.delete(w.id)
      bySource.delete(w.id)
      await w.broadcastSent
      await writer.cancel([w.id])
      await sleep(o.gapMs)
      // The legacy frame may come after the alert; by the end of the gap it has arrived.
      const legacyAt = legacyArrivals.get(w.id)
      if (i >= 0 && legacyAt !== undefined) legacyToLink.push(legacyAt - w.committedAt)
      legacyArrivals.delete(w.id)
      if (i >= 0 && (i + 1) % 25 === 0) o.progress(`${name}: ${i + 1}/${o.samples}`)
    }
    for (const off of offs) off()
    return {
      ...percentiles(xs),
      missed,
      summaries,
      basic,
      toLink: toLink.length ? percentiles(toLink) : undefined,
      inEngine: inEngine.length ? percentiles(inEngine) : undefined,
      legacyToLink: legacyToLink.length ? percentiles(legacyToLink) : undefined,
      firstSource,
      worst,
      note: cfg.note,
    }
  } finally {
    await t.stop()
  }
}

/** The old dashboard (scripts/bench/old-dashboard.ts) on its own supabase-js client, signed in as a mechanic. */
export async function oldDashboardLatency(b: Backend, writer: Writer, o: LatencyOptions): Promise<LatencyResult> {
  const sb = createClient(b.url, b.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: ws as never },
  })
  const u = b.demoUsers[0]!
  const { error } = await sb.auth.signInWithPassword({ email: u.email, password: u.password })
  if (error) throw new Error(`old dashboard sign-in: ${error.message}`)
  // A browser tab that signed in earlier: the socket carries the user's token before the join.
  await sb.realtime.setAuth()
  const waiters = new Map<string, (at: number) => void>()
  const seen = new Map<string, number>()
  const dash = startOldDashboard(sb, (a) => {
    const at = now()
    seen.set(a.requestId, at)
    waiters.get(a.requestId)?.(at)
  })
  try {
    await Promise.race([dash.ready, sleep(20_000).then(() => Promise.reject(new Error('old dashboard: no postgres_changes system ok within 20 s')))])
    await sleep(300)
    const xs: number[] = []
    let missed = 0
    for (let i = -o.warmup; i < o.samples; i++) {
      const w = await writer.commit()
      const at = await new Promise<number | null>((resolve) => {
        const got = seen.get(w.id)
        if (got !== undefined) return resolve(got)
        const timer = setTimeout(() => resolve(null), o.timeoutMs)
        waiters.set(w.id, (x) => {
          clearTimeout(timer)
          resolve(x)
        })
      })
      waiters.delete(w.id)
      if (i < 0) {
        // warm-up: not counted
      } else if (at === null) missed++
      else xs.push(at - w.committedAt)
      await w.broadcastSent
      await writer.cancel([w.id])
      await sleep(o.gapMs)
      if (i >= 0 && (i + 1) % 25 === 0) o.progress(`oldDashboard: ${i + 1}/${o.samples}`)
    }
    return {
      ...percentiles(xs),
      missed,
      summaries: 0,
      basic: 0,
      note: `postgres_changes, then sessions and intakes fetched one after the other (2 REST round trips); ${dash.failedFetches} failed fetches`,
    }
  } finally {
    await dash.stop().catch(() => undefined)
    await sb.realtime.disconnect()
    await sb.auth.signOut().catch(() => undefined)
  }
}

export interface Trials {
  median: number | null
  trials: number[]
  note: string
}

/** halfOpen fault (sockets stay open, nothing answered, heartbeats included) → the engine leaves `live`. */
export async function halfOpenDetection(b: Backend, t: BenchEngine, trials: number, progress: (m: string) => void): Promise<Trials> {
  const out: number[] = []
  for (let i = 0; i < trials; i++) {
    await waitState(t.engine, isLive, 30_000, 'live before half-open')
    // Spread the fault over the heartbeat phase: detection depends on where in it the link dies (1× to 2× the interval).
    await sleep(700 + ((i * 1337) % DEFAULT_HEARTBEAT_INTERVAL_MS))
    const t0 = now()
    b.faults.halfOpen({ ms: 30_000 })
    try {
      const t1 = await waitState(t.engine, (s) => s.state !== 'live', 30_000, 'leaving live after half-open')
      out.push(round1(t1 - t0))
      progress(`half-open ${i + 1}/${trials}: left live after ${Math.round(t1 - t0)} ms (${t.engine.snapshot().link.state}: ${t.engine.snapshot().link.reason})`)
    } finally {
      b.faults.halfOpen({ ms: 0 }) // ends it now
    }
  }
  await waitState(t.engine, isLive, 30_000, 'live after half-open')
  return { median: median(out), trials: out, note: `halfOpen fault at a varied phase of the ${DEFAULT_HEARTBEAT_INTERVAL_MS} ms heartbeat → first state change away from live; ${trials} trials` }
}

/**
 * Outage: refuseConnections(outageMs) + dropSockets; 3 requests committed while it lasts. The link is back
 * when the refusal ends; measured until the local queue holds all 3.
 */
export async function outageRecovery(
  b: Backend,
  writer: Writer,
  t: BenchEngine,
  o: { trials: number; outageMs: number; perOutage: number; progress(m: string): void },
): Promise<Trials & { reconnectMs: number[] }> {
  const out: number[] = []
  const reconnect: number[] = []
  for (let i = 0; i < o.trials; i++) {
    await waitState(t.engine, isLive, 30_000, 'live before outage')
    await t.engine.feed!.idle()
    await sleep(500)
    const t0 = now()
    b.faults.refuseConnections({ ms: o.outageMs })
    b.faults.dropSockets()
    const back = t0 + o.outageMs
    await waitState(t.engine, (s) => s.state !== 'live', 5000, 'link down')
    const ids: string[] = []
    for (let k = 0; k < o.perOutage; k++) {
      const w = await writer.commit()
      ids.push(w.id)
      await w.broadcastSent
      if (k < o.perOutage - 1) await sleep(Math.min(300, o.outageMs / (2 * o.perOutage)))
    }
    if (now() > back) o.progress(`warning: the requests took longer to commit than the outage lasted`)
    const liveAt = waitState(t.engine, (s) => s.state === 'live' && now() > back, o.outageMs + 30_000, 'live after outage').catch((e: unknown) => {
      // The trial still counts for the queue; its reconnect time is NaN, and the report says why.
      o.progress(`warning: outage ${i + 1}/${o.trials}: ${(e as Error).message}`)
      return NaN
    })
    const done = await waitQueueHas(t.engine, ids, o.outageMs + 30_000, 'requests committed during the outage')
    out.push(round1(done - back))
    reconnect.push(round1((await liveAt) - back))
    o.progress(`outage ${i + 1}/${o.trials}: all ${ids.length} in the local queue ${Math.round(done - back)} ms after the link was back`)
    await writer.cancel(ids)
    await sleep(300)
  }
  return {
    median: median(out),
    trials: out,
    reconnectMs: reconnect,
    note: `refuseConnections ${o.outageMs} ms + dropSockets, ${o.perOutage} requests committed during it; from the refusal's end to all in the local queue; ${o.trials} outages`,
  }
}

/** n queued requests waiting in the database; a fresh engine (empty store) starts and signs in → all n local. */
export async function backfill(
  b: Backend,
  writer: Writer,
  o: { n: number; trials: number; verbose: boolean; progress(m: string): void },
): Promise<Trials & { signInMs: number[]; reconcileMs: number[] }> {
  const out: number[] = []
  const signIn: number[] = []
  const rec: number[] = []
  for (let i = 0; i < o.trials; i++) {
    await writer.cancelAllQueued()
    const ids = await writer.bulkQueued(o.n)
    await sleep(300)
    const t0 = now()
    const t = await startBenchEngine(b, { name: 'backfill', verbose: o.verbose, tuning: { workstationHeartbeatMs: 0 } })
    const tSigned = now()
    try {
      const done = await waitQueueHas(t.engine, ids, 30_000, `${o.n} backfilled requests`)
      out.push(round1(done - t0))
      signIn.push(round1(tSigned - t0))
      rec.push(t.engine.feed!.reconciler.stats.lastMs)
      o.progress(`backfill ${i + 1}/${o.trials}: ${o.n} in the local queue ${Math.round(done - t0)} ms after start (start+sign-in ${Math.round(tSigned - t0)} ms)`)
      await t.engine.feed!.idle()
    } finally {
      await t.stop()
    }
  }
  await writer.cancelAllQueued()
  return {
    median: median(out),
    trials: out,
    signInMs: signIn,
    reconcileMs: rec,
    note: `${o.n} queued rows in the database; engine.start() + signIn() on an empty store → all ${o.n} in the local queue (startup reconcile, keyset pages of 1,000); ${o.trials} runs`,
  }
}
