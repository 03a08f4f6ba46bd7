// Composition of the engine's state core: store → desk → alert pipeline → sinks, with health wired in.
// engine.ts constructs this once; the link/feed side calls desk.ingest / desk.reconcile and
// health.recordFetch, and the hosts see desk events.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { AlertSink, Logger } from '../ports.js'
import { systemClock } from '../ports.js'
import { AlertPipeline, type PipelineOptions } from '../alerts/pipeline.js'
import { HealthMonitor, type HealthOptions } from '../health/health.js'
import { Store, type PruneLimits } from '../store/store.js'
import { HeldJournal, heldJournalPath } from '../store/held-journal.js'
import { RequestDesk, type DeskOptions } from './request-desk.js'
import { systemTimers, type TimerHandle } from './timers.js'
import { StoreOutage } from './store-outage.js'
import type { BackoffPolicy } from '../link/backoff.js'

/** Clock and timers (shared by every part), the desk's repeat/burst tuning and the pipeline's sink timeout, as DeskOptions and PipelineOptions document them. */
export interface StateCoreOptions
  extends Pick<DeskOptions, 'clock' | 'timers' | 'repeatIntervalMs' | 'repeatMaxCount' | 'urgency' | 'burstWindowMs' | 'burstThreshold' | 'unconfirmedNoticeMs'>,
    Pick<PipelineOptions, 'sinkTimeoutMs'> {
  /** SQLite file (its directory is created), or ':memory:'. Conventionally `<dataDir>/bayalert.db`. */
  dbPath: string
  sinks: AlertSink[]
  log: Logger
  /** How often old rows are pruned while running (default 1 h; also pruned on open). */
  pruneIntervalMs?: number
  limits?: Partial<PruneLimits>
  /** better-sqlite3 native build for this host's ABI (StoreOptions.nativeBinding). */
  nativeBinding?: string
  health?: Omit<HealthOptions, 'log' | 'clock'>
  /** How long a write waits for another connection's lock before the store holds writes in memory (StoreOptions.busyTimeoutMs). */
  busyTimeoutMs?: number
  /** Backoff of the write-back retries while the store holds writes in memory (default STORE_RETRY_BACKOFF). */
  storeRetry?: BackoffPolicy
}

export interface StateCore {
  store: Store
  desk: RequestDesk
  pipeline: AlertPipeline
  health: HealthMonitor
  /** Stops timers and closes the store. Idempotent. */
  close(): void
}

export function openStateCore(opts: StateCoreOptions): StateCore {
  const clock = opts.clock ?? systemClock
  const timers = opts.timers ?? systemTimers
  // Directories created here are owner-only like the database in them (an existing one is left as is:
  // it may be a data directory the host chose and manages).
  if (opts.dbPath !== ':memory:') mkdirSync(dirname(opts.dbPath), { recursive: true, mode: 0o700 })
  const journal = opts.dbPath === ':memory:' ? null : new HeldJournal({ path: heldJournalPath(opts.dbPath), log: opts.log, clock })
  const store = Store.open({ path: opts.dbPath, log: opts.log, clock, limits: opts.limits, nativeBinding: opts.nativeBinding, busyTimeoutMs: opts.busyTimeoutMs, heldJournal: journal ?? undefined })
  const health = new HealthMonitor({ ...opts.health, log: opts.log, clock })
  if (store.movedAsideTo) health.count('store:rebuilt')
  // The desk owns the flags; the pipeline reads them at delivery time through this late binding.
  let desk: RequestDesk | null = null
  const pipeline = new AlertPipeline({
    sinks: opts.sinks,
    flags: () => desk!.flags(),
    log: opts.log,
    store,
    health,
    clock,
    timers,
    sinkTimeoutMs: opts.sinkTimeoutMs,
  })
  desk = new RequestDesk({
    store,
    pipeline,
    log: opts.log,
    health,
    clock,
    timers,
    repeatIntervalMs: opts.repeatIntervalMs,
    repeatMaxCount: opts.repeatMaxCount,
    urgency: opts.urgency,
    burstWindowMs: opts.burstWindowMs,
    burstThreshold: opts.burstThreshold,
    unconfirmedNoticeMs: opts.unconfirmedNoticeMs,
  })
  const offHealth = health.on((e) => {
    if (e.type === 'alert') void pipeline.deliver(e.alert)
  })
  const outage = new StoreOutage({ store, journal, health, log: opts.log, clock, timers, retry: opts.storeRetry })
  const pruneEvery = opts.pruneIntervalMs ?? 3600_000
  let pruneTimer: TimerHandle | null = null
  let closed = false
  const schedulePrune = () => {
    pruneTimer = timers.setTimeout(() => {
      if (closed) return
      try {
        store.prune()
      } catch (err) {
        health.count('store:error')
        opts.log.error('store: prune failed', { cause: String((err as Error)?.message ?? err) })
      }
      schedulePrune()
    }, pruneEvery)
  }
  schedulePrune()
  return {
    store,
    desk,
    pipeline,
    health,
    close() {
      if (closed) return
      closed = true
      if (pruneTimer !== null) timers.clearTimeout(pruneTimer)
      offHealth()
      outage.stop()
      // Facts decided in this task get their effects (rings, retracts) while everything is still up.
      store.commitGroup()
      desk!.stop()
      store.close()
    },
  }
}
