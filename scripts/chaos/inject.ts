// How each fault class of the chaos run is done to the local backend or to one workstation. Each injection
// returns its window (start/end on the chaos process's clock) and whether it was done at all: a fault that could
// not be injected is reported as such, never counted as injected.
import Database from 'better-sqlite3'
import { join } from 'node:path'
import type { Backend } from '../../test/backend/index.js'
import type { PlannedFault } from './plan.js'
import type { FaultWindow } from './verdict.js'
import type { Workstation } from './workstation.js'

export interface InjectContext {
  backend: Backend
  workstations: Workstation[]
  /** Deterministic per-fault numbers (latency, status) come from the plan's seed through this. */
  rand: () => number
  log: (msg: string) => void
  /** How long a restarted workstation may take to say `live` again before the run gives up waiting (ms). */
  restartLiveTimeoutMs?: number
  /** PostgreSQL restarts one at a time: a second waits until the first has brought the server back. */
  serial: { postgres: Promise<void> }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function inject(f: PlannedFault, c: InjectContext): Promise<FaultWindow> {
  const b = c.backend
  const start = Date.now()
  const window = (end: number, injected = true): FaultWindow => ({ fault: f.fault, start, end, workstation: f.workstation, injected })
  const ws = f.workstation === null ? null : c.workstations[f.workstation]!
  try {
    switch (f.fault) {
      case 'socketDrop':
        b.faults.dropSockets()
        return window(start + f.durationMs)
      case 'halfOpen':
        b.faults.halfOpen({ ms: f.durationMs })
        return window(start + f.durationMs)
      case 'refusedConnections':
        // Refused reconnects only matter to a client that has to reconnect: drop the sockets too.
        b.faults.refuseConnections({ ms: f.durationMs })
        b.faults.dropSockets()
        return window(start + f.durationMs)
      case 'realtimeRestart':
        await b.faults.restartRealtime()
        return window(Math.max(Date.now(), start + f.durationMs))
      case 'postgresRestart': {
        await c.serial.postgres
        const r = b.faults.beginRestartPostgres({ downMs: f.durationMs })
        c.serial.postgres = r.up.catch((e) => c.log(`PostgreSQL did not come back after a restart: ${(e as Error).message}`))
        await r.down
        return { ...window(start + f.durationMs), start: Date.now() }
      }
      case 'rest5xx': {
        const status = [500, 502, 503, 504][Math.floor(c.rand() * 4)]!
        b.faults.restErrors({ status, durationMs: f.durationMs })
        return window(start + f.durationMs)
      }
      case 'restLatency':
        b.faults.restLatency({ ms: 300 + Math.round(c.rand() * 1200), durationMs: f.durationMs })
        return window(start + f.durationMs)
      case 'rlsDeniesDetails':
        // What PostgREST answers when RLS or a revoked grant refuses the read: 403 with PostgreSQL's 42501.
        b.faults.restErrors({ status: 403, code: '42501', message: 'permission denied for function request_details', path: '/rpc/request_details', durationMs: f.durationMs })
        return window(start + f.durationMs)
      case 'tokenExpiry':
        b.faults.expireTokens()
        return window(start + f.durationMs)
      case 'duplicatedEvents':
        b.faults.realtimeMessages({ kind: f.messageKind, action: 'duplicate', count: 3 })
        return window(start + f.durationMs)
      case 'reorderedEvents':
        b.faults.realtimeMessages({ kind: f.messageKind, action: 'reorder', count: 2, delayMs: 1500 })
        return window(start + f.durationMs)
      case 'storeLocked':
        return await lockStore(ws!, f, c, window)
      case 'workstationKill': {
        if (!ws!.running) return window(start, false)
        await ws!.kill()
        await sleep(f.durationMs)
        ws!.start()
        // The fault lasts until the restarted workstation is live again (its catch-up is part of the fault).
        await ws!.waitFor(() => ws!.state === 'live', c.restartLiveTimeoutMs ?? 60_000, 'live after a restart').catch((e) => c.log((e as Error).message))
        return window(Date.now())
      }
    }
  } catch (e) {
    c.log(`could not inject ${f.fault} #${f.index}: ${(e as Error).message}`)
    return window(Date.now(), false)
  }
}

/**
 * Another process holds the workstation's SQLite database with an exclusive transaction (what a backup tool, a
 * virus scanner or a second copy of the app does): its writes wait out their busy timeout and fail.
 */
async function lockStore(ws: Workstation, f: PlannedFault, c: InjectContext, window: (end: number, injected?: boolean) => FaultWindow): Promise<FaultWindow> {
  let db: Database.Database | null = null
  try {
    db = new Database(join(ws.o.dataDir, 'bayalert.db'), { timeout: 1000 })
    db.exec('BEGIN EXCLUSIVE')
  } catch (e) {
    db?.close()
    c.log(`could not lock ${ws.id}'s store: ${(e as Error).message}`)
    return window(Date.now(), false)
  }
  const held = window(0)
  await sleep(f.durationMs)
  try {
    db.exec('ROLLBACK')
  } finally {
    db.close()
  }
  return { ...held, end: Date.now() }
}
