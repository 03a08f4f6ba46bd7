// The engine's command and event surface, as the hosts (Electron main, headless CLI, tests) see it.
// Implemented by src/core/engine.ts. Hosts code against this interface only.
import type { AcceptResult, EngineSnapshot, HealthSummary, HistoryEntry, LinkState, PauseRequest } from '../shared/types.js'
import type { Alert, AlertSink, Clock, Logger, RetractEvent, SecretStore } from './ports.js'
import type { AlertPathSource } from './health/alert-path-announcer.js'

export interface EngineEvents {
  snapshot: EngineSnapshot
  alert: Alert
  /** A shown request's alert text changed (details arrived after a basic ring); not a ring. */
  update: Alert
  retract: RetractEvent
  state: LinkState
  health: HealthSummary
  error: { message: string; cause?: string }
}

export interface EngineHandle {
  /** Opens the store, restores the session (if any) and connects. Resolves once started, not once live. */
  start(): Promise<void>
  /** Removes channels, closes the socket, clears every timer, closes the store. Idempotent. */
  stop(): Promise<void>
  signIn(email: string, password: string): Promise<void>
  signOut(): Promise<void>
  snapshot(): EngineSnapshot
  acknowledge(requestId: string): Promise<void>
  accept(requestId: string): Promise<AcceptResult>
  pause(request: PauseRequest): Promise<void>
  resume(): Promise<void>
  reconnectNow(): Promise<void>
  /** OS resume / unlock: refresh the session first, then a fresh socket, then reconcile. */
  notifyResume(): void
  notifySuspend(): void
  /** Network came back (true) or went away (false). */
  notifyNetworkChange(online: boolean): void
  on<E extends keyof EngineEvents>(event: E, listener: (payload: EngineEvents[E]) => void): () => void
  /** The last day's requests, newest first (optional: a host's stand-in engine may have none). */
  history?(): Promise<HistoryEntry[]>
}

export interface EngineConfig {
  supabaseUrl: string
  anonKey: string
  /** Directory for the SQLite store (created if missing). */
  dataDir: string
  /** Stable id of this workstation (hostname-based by default). */
  workstationId: string
  appVersion: string
  /**
   * The better-sqlite3 native build to load when the host's ABI is not the one node_modules was built for
   * (Electron's main process in development: a build for Electron's ABI that `npm start` keeps in .cache/).
   * Unset: better-sqlite3 finds its own build.
   */
  sqliteNativeBinding?: string
  /** Optional overrides; defaults live in the engine. */
  heartbeatIntervalMs?: number
  /**
   * How often the workstation makes sure its queue is the server's (default 60 s): the period of the check-in, which
   * reads the queue only when the server's queue version moved — or, on a project without check_in, of a full read.
   */
  safetyReconcileMs?: number
  repeatIntervalMs?: number
  repeatMaxCount?: number
  /** Not receiving requests for this long raises the outage alarm (default 60 s); it repeats like a request. */
  outageAlertAfterMs?: number
  /** The mechanic's amber/red thresholds: repeats come sooner as a wait grows. Unset: every repeat one interval apart. */
  urgency?: { amberAfterMs: number; redAfterMs: number }
  /**
   * Channel joins per second the shop's Supabase plan allows (default 100, Free; Pro 500): after losing the server
   * the fleet spreads its rejoins to stay under it (hosts read BAYALERT_JOIN_BUDGET).
   */
  joinBudgetPerSec?: number
  /**
   * Escalation (src/core/desk/escalation.ts): a request waiting unclaimed this long (default 3 min) while fewer than
   * `escalateBelowLive` workstations are live (default 2) rings every `escalatedRepeatMs` (default 30 s), louder.
   */
  escalateAfterMs?: number
  escalateBelowLive?: number
  escalatedRepeatMs?: number
}

export interface EnginePorts {
  secrets: SecretStore
  sinks: AlertSink[]
  log: Logger
  clock?: Clock
  /**
   * The host's alert-path self-test (AlertPathMonitor): a verdict that finds something swallowing alerts raises
   * one health alert, withdrawn when it is OK again (src/core/health/alert-path-alarm.ts). Unset: no such alert.
   */
  alertPath?: AlertPathSource
}
