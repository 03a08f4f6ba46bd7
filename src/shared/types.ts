// Types shared by the engine, the hosts and the renderer. Pure data: no imports, no behaviour.
// The renderer only ever sees these shapes (through the preload bridge or the loopback server).

/** The link supervisor's states (src/core/link/supervisor.ts). */
export type LinkStateName = 'signed-out' | 'connecting' | 'live' | 'degraded' | 'offline'

/** The word a mechanic sees for each state (tray tooltip/menu and the queue window). */
export const LINK_STATE_LABEL: Record<LinkStateName, string> = {
  'signed-out': 'Signed out',
  connecting: 'Connecting…',
  live: 'Live',
  degraded: 'Degraded',
  offline: 'Offline',
}

export interface LinkState {
  state: LinkStateName
  /** Always a sentence a mechanic can read, e.g. "Reconnecting in 4 s (socket closed: 1006)". */
  reason: string
  /** Epoch ms when this state was entered. */
  since: number
}

/** Where a request fact came from. */
export type FactSource = 'broadcast' | 'db-broadcast' | 'postgres_changes' | 'reconcile'

export interface RequestDetails {
  customerName: string | null
  vehicle: string | null
  concern: string | null
  sessionType: string | null
}

export interface QueueItem {
  /** session_assignments.id */
  requestId: string
  /** Dedup key: request id and the version in which it became queued (`<id>@<queued_at>`). */
  key: string
  sessionId: string | null
  /** ISO time the request became queued (server clock). */
  queuedAt: string | null
  details: RequestDetails
  /** 'full' once customer/vehicle/concern are known, 'basic' until then. */
  detail: 'full' | 'basic'
  acknowledged: boolean
  /** How many times this request has rung on this workstation (first alert + repeats). */
  alertCount: number
  firstSeenAt: number
  firstSource: FactSource
  /**
   * false: restored from this workstation's store and not confirmed by the server since this start
   * (shown as "not confirmed yet"; it never rings until confirmed, and vanishes if the server no longer has it).
   */
  confirmed: boolean
}

export interface FeatureFlags {
  mech_new_request_alerts: boolean
  mech_audio_alerts: boolean
  mech_browser_notifications: boolean
  mech_visual_indicators: boolean
}

export const DEFAULT_FLAGS: FeatureFlags = {
  mech_new_request_alerts: true,
  mech_audio_alerts: true,
  mech_browser_notifications: true,
  mech_visual_indicators: true,
}

/** null: not paused. 'indefinite': paused until resumed. number: epoch ms when the pause ends. */
export type PauseUntil = null | 'indefinite' | number

/** A request another mechanic (or this one) just took: shown as "<customer> — taken by <name>" for a few seconds. */
export interface TakenNotice {
  requestId: string
  customerName: string | null
  /** The taker's display name, or null when the server did not name them. */
  takenBy: string | null
  /** Epoch ms when this workstation heard it. */
  at: number
}

export interface EngineSnapshot {
  link: LinkState
  queue: QueueItem[]
  flags: FeatureFlags
  paused: PauseUntil
  /** Signed-in mechanic's email, or null. */
  user: string | null
  health: HealthSummary
  /** Requests taken in the last few seconds (absent from hosts that do not track them). */
  taken?: TakenNotice[]
  /** Not receiving requests for a while (signed out, offline, …): the loud reminder's state; null while receiving. */
  outage?: OutageView | null
  /** The shop's workstations as the last check-in saw them; null until one answered (or on a project without the watch). */
  workstations?: WorkstationWatch | null
  /**
   * Claims made while the link was down (the outbox): pending ones, then how each ended for a while after.
   * Optional: a host or test engine without an outbox sends none.
   */
  outbox?: OutboxEntry[]
}

/** pending: waiting for the link; done: the claim went through; conflict: another mechanic had it (takenBy);
 * gone: cancelled or no longer waiting; failed: the server refused it for good (message says why). */
export type OutboxState = 'pending' | 'done' | 'conflict' | 'gone' | 'failed'

export interface OutboxEntry {
  /** Idempotency key of this intent (one per Take it, whatever the retries). */
  key: string
  action: 'accept'
  requestId: string
  customerName: string | null
  createdAt: number
  state: OutboxState
  /** Display name of the mechanic who had it, for a conflict (null when the server does not say). */
  takenBy: string | null
  /** What the mechanic reads once it ended, e.g. "Taken by Ana while you were offline". */
  message: string | null
  settledAt: number | null
}

/** One workstation of the shop, as the workstation watch shows it (names, state, version, last seen — nothing else). */
export interface WorkstationEntry {
  /** The workstation id (BAYALERT_WORKSTATION_ID, e.g. "Bay 3"). */
  name: string
  /** Display name of the mechanic signed in on it at its last check-in, or null. */
  mechanic: string | null
  /** Its state word at its last check-in (live, degraded, …), or null. */
  state: string | null
  version: string | null
  /** Epoch ms (this machine's clock) of its last check-in. */
  lastSeen: number
  /** false: silent for more than three check-in periods. */
  live: boolean
}

/** "3 of 4 workstations live"; the silent ones named with the time they went quiet. */
export interface WorkstationWatch {
  live: number
  total: number
  /** Silent workstations, the longest silent first; since = their last check-in (epoch ms, this machine's clock). */
  silent: { name: string; since: number }[]
  /** Every workstation: live ones first, then by name. */
  list: WorkstationEntry[]
}

export interface HealthSummary {
  /** Counters keyed "<source>:<outcome>", e.g. "postgres_changes:alerted". */
  counters: Record<string, number>
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; count: number }
  fetchFailureRate: number
  sinkFailureRate: number
  degradedReason: string | null
}

export type PauseRequest = { minutes: 15 } | { minutes: 60 } | { indefinite: true }

/** What one sink did with a request's rings: how many went out, failed (error or timeout), or were skipped by a flag. */
export interface HistorySinkResult {
  sink: string
  ok: number
  failed: number
  skipped: number
}

/** One request this workstation saw in the last day (newest first in a list). */
export interface HistoryEntry {
  requestId: string
  customerName: string | null
  /** The path that brought it first. */
  source: FactSource
  /** Epoch ms when this workstation first saw it. */
  seenAt: number
  /** Epoch ms of its first ring here, or null (never rang: paused, switched off, or gone first). */
  alertedAt: number | null
  /** 'summary' when it rang inside a burst of several (its latency is then the burst's slowest). */
  alertKind: 'request' | 'summary' | null
  /** Server commit → ring on this workstation, in ms; null when unknown (a backlog found later). */
  latencyMs: number | null
  sinks: HistorySinkResult[]
  acknowledgedAt: number | null
  endedAt: number | null
  /** taken, cancelled, removed (deleted or no longer in the server's queue); null while still waiting. */
  ended: 'taken' | 'cancelled' | 'removed' | null
  /** Display name of who took it, when known; 'you' is takenByMe. */
  takenBy: string | null
  takenByMe: boolean
}

export type AcceptResult =
  /** queued: the link was down, so the claim waits in the outbox and is sent when it is back. */
  | { ok: true; queued?: true }
  | { ok: false; reason: 'already-taken' | 'not-found' | 'offline' | 'error'; message: string }

/**
 * The one API the queue UI uses. In Electron it is the preload bridge over IPC (window.bayalert);
 * headless it is the same interface over the loopback HTTP/WebSocket server.
 */
export interface BayAlertApi {
  getSnapshot(): Promise<EngineSnapshot>
  acknowledge(requestId: string): Promise<void>
  accept(requestId: string): Promise<AcceptResult>
  pause(request: PauseRequest): Promise<void>
  resume(): Promise<void>
  reconnectNow(): Promise<void>
  /** Returns an unsubscribe function. */
  onSnapshot(listener: (snapshot: EngineSnapshot) => void): () => void
  /** The last day's requests, newest first (absent on a host without history). */
  getHistory?(): Promise<HistoryEntry[]>
}

/** The "not receiving requests" alarm (src/core/health/outage-alarm.ts) as hosts show it. */
export interface OutageView {
  /** When the workstation stopped receiving (epoch ms). */
  since: number
  reason: string
  /** The health alert rang (the threshold passed). */
  alerted: boolean
  /** The mechanic acknowledged it: no more repeats for this outage. */
  acknowledged: boolean
}

/** The id a host acknowledges the not-receiving reminder by, through the same acknowledge call as a request (never a uuid). */
export const OUTAGE_ALARM_ID = 'bayalert:not-receiving'

/** The reminder rang and nobody acknowledged it yet: what "Acknowledge all" and the tray's attention count. */
export function outageUnacknowledged(o: OutageView | null | undefined): boolean {
  return !!o && o.alerted && !o.acknowledged
}
