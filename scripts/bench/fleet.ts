// The fleet figures: K real engines in this process against the local backend, measured from what the backend
// counts as Supabase would bill it (GET /_control/stats): joins at start and after a realtime restart, realtime
// messages per request per workstation, idle REST calls per workstation per minute, the time until every
// workstation is live after the restart, and the peak joins in any 1-second window against the join budget.
import type { Backend } from '../../test/backend/index.js'
import type { LinkState } from '../../src/shared/types.js'
import { DEFAULT_JOIN_BUDGET_PER_SEC } from '../../src/core/link/join-window.js'
import { isLive, round1, startBenchEngine, waitQueueHas, waitState, type BenchEngine, type Writer } from './lib.js'

export interface FleetOptions {
  workstations: number
  /** Joins per second the engines are told the project allows. */
  joinBudgetPerSec?: number
  /** Check-in period (production: 60 s). */
  checkInMs?: number
  /** Idle window for the REST count (≥ one check-in period). */
  idleMs?: number
  requests?: number
  verbose?: boolean
  progress(m: string): void
}

export interface FleetResult {
  workstations: number
  joinBudgetPerSec: number
  joinsPerWorkstation: number
  rejoinsPerWorkstation: number
  messagesPerRequestPerWorkstation: number
  idleRestPerWorkstationPerMin: number
  allLiveAfterRestartMs: number | null
  peakJoinsPerSec: number
  /** Peak joins/s while the fleet started (the engines were started at most 10 at a time). */
  peakJoinsPerSecAtStart: number
  startMs: number
  notLiveAfterRestart: number
  idleWindowMs: number
  checkInMs: number
  requests: number
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export async function measureFleet(b: Backend, writer: Writer, o: FleetOptions): Promise<FleetResult> {
  const k = o.workstations
  const budget = o.joinBudgetPerSec ?? DEFAULT_JOIN_BUDGET_PER_SEC
  const checkInMs = o.checkInMs ?? 60_000
  const idleMs = o.idleMs ?? 60_000
  const nReq = o.requests ?? 5
  const engines: BenchEngine[] = []
  await writer.cancelAllQueued()
  try {
    // ── start ──
    const s0 = b.stats()
    const startAt = Date.now()
    const t0 = performance.now()
    for (let i = 0; i < k; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, k - i) }, (_, j) =>
          startBenchEngine(b, {
            name: `fleet-${i + j}`,
            user: (i + j) % b.demoUsers.length,
            verbose: o.verbose,
            tuning: { workstationHeartbeatMs: checkInMs },
            config: { joinBudgetPerSec: budget },
          }),
        ),
      )
      engines.push(...batch)
    }
    await Promise.all(engines.map((e) => waitState(e.engine, isLive, 60_000, 'live')))
    const startMs = Math.round(performance.now() - t0)
    // Every engine's first check-in (2 s after sign-in) and the read it triggers.
    await Promise.all(engines.map(async (e) => {
      const deadline = Date.now() + 30_000
      while ((e.engine.checkIn?.stats.checkIns ?? 0) + (e.engine.checkIn?.stats.failed ?? 0) < 1 && Date.now() < deadline) await sleep(100)
      await e.engine.feed!.idle()
    }))
    await sleep(1000)
    const s1 = b.stats(startAt)
    const joinsPerWorkstation = (s1.realtime.joins - s0.realtime.joins) / k
    o.progress(`fleet: ${k} engines live in ${startMs} ms; ${round1(joinsPerWorkstation)} joins each; peak ${s1.realtime.peakJoinsPerSec} joins/s`)

    // ── idle ──
    o.progress(`fleet: idle REST calls over ${idleMs / 1000} s (check-in every ${checkInMs / 1000} s)`)
    const i0 = b.stats().rest.requests
    await sleep(idleMs)
    const idleCalls = b.stats().rest.requests - i0
    const idleRestPerWorkstationPerMin = idleCalls / k / (idleMs / 60_000)

    // ── messages per request ──
    const m0 = b.stats().realtime.messagesOut
    const ids: string[] = []
    for (let i = 0; i < nReq; i++) {
      ids.push((await writer.commit()).id)
      await sleep(300)
    }
    await Promise.all(engines.map((e) => waitQueueHas(e.engine, ids, 30_000, 'the fleet requests')))
    await sleep(1500) // the slower paths (postgres_changes after its RLS check) arrive too
    const messagesPerRequestPerWorkstation = (b.stats().realtime.messagesOut - m0) / nReq / k
    o.progress(`fleet: ${round1(messagesPerRequestPerWorkstation)} realtime messages per request per workstation`)

    // ── realtime restart ──
    const wentDown = new Set<BenchEngine>()
    const liveAgainAt = new Map<BenchEngine, number>()
    const offs = engines.map((e) =>
      e.engine.on('state', (s: LinkState) => {
        if (!isLive(s)) wentDown.add(e)
        else if (wentDown.has(e) && !liveAgainAt.has(e)) liveAgainAt.set(e, Date.now())
      }),
    )
    const r0 = b.stats()
    const restartAt = Date.now()
    o.progress('fleet: restarting realtime')
    await b.faults.restartRealtime()
    const deadline = Date.now() + 180_000
    while (liveAgainAt.size < k && Date.now() < deadline) await sleep(100)
    for (const off of offs) off()
    const allLiveAfterRestartMs = liveAgainAt.size === k ? Math.max(...liveAgainAt.values()) - restartAt : null
    await sleep(2000)
    const r1 = b.stats(restartAt)
    const rejoinsPerWorkstation = (r1.realtime.joins - r0.realtime.joins) / k
    o.progress(`fleet: all live ${allLiveAfterRestartMs ?? 'never'} ms after the restart; ${round1(rejoinsPerWorkstation)} rejoins each; peak ${r1.realtime.peakJoinsPerSec} joins/s (budget ${budget})`)
    await writer.cancel(ids)
    return {
      workstations: k,
      joinBudgetPerSec: budget,
      joinsPerWorkstation: round1(joinsPerWorkstation),
      rejoinsPerWorkstation: round1(rejoinsPerWorkstation),
      messagesPerRequestPerWorkstation: round1(messagesPerRequestPerWorkstation),
      idleRestPerWorkstationPerMin: Math.round(idleRestPerWorkstationPerMin * 100) / 100,
      allLiveAfterRestartMs,
      peakJoinsPerSec: r1.realtime.peakJoinsPerSec,
      peakJoinsPerSecAtStart: s1.realtime.peakJoinsPerSec,
      startMs,
      notLiveAfterRestart: k - liveAgainAt.size,
      idleWindowMs: idleMs,
      checkInMs,
      requests: nReq,
    }
  } finally {
    await Promise.all(engines.map((e) => e.stop().catch(() => undefined)))
  }
}
