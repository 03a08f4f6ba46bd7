// The engine's ports: everything the host hands in. The engine imports nothing from Electron;
// each host (Electron main, headless Node, tests) implements these.
import type { FeatureFlags, QueueItem } from '../shared/types.js'

/** Key/value secret storage. Electron: safeStorage-encrypted; headless: a 0600 file; tests: memory. */
export interface SecretStore {
  getItem(key: string): Promise<string | null>
  setItem(key: string, value: string): Promise<void>
  removeItem(key: string): Promise<void>
}

export type AlertKind = 'request' | 'summary' | 'repeat' | 'health'

export interface Alert {
  kind: AlertKind
  /** Set for request and repeat alerts. */
  requestId?: string
  key?: string
  title: string
  /** Plain text; customer-supplied parts already made safe (control chars stripped, length capped). */
  body: string
  detail: 'full' | 'basic'
  /** For summary alerts: the request ids it stands for. */
  summaryOf?: string[]
  items: QueueItem[]
  /** Commit → alert latency in ms, when the commit time is known. */
  latencyMs: number | null
  /**
   * Escalated (src/core/desk/escalation.ts): a request waited past the threshold while too few workstations are
   * live. Sinks make it louder: full volume, an urgent notification, a marked terminal line.
   */
  escalated?: boolean
}

/** Which feature flag gates a sink (TIER_FLAG; 'in-app' and 'terminal' only obey the master switch). */
export type SinkTier = 'notification' | 'sound' | 'attention' | 'in-app' | 'terminal'

export const TIER_FLAG: Record<SinkTier, keyof FeatureFlags | null> = {
  notification: 'mech_browser_notifications',
  sound: 'mech_audio_alerts',
  attention: 'mech_visual_indicators',
  'in-app': null,
  terminal: null,
}

/**
 * Why a request's alert was withdrawn: another mechanic (or this one) took it, the customer cancelled, it
 * was deleted or is no longer in the server's queue ('removed'), or it was acknowledged here (it stays queued).
 */
export type RetractWhy = 'taken' | 'cancelled' | 'removed' | 'acknowledged'

/** A request's alert was withdrawn, and why. takenBy: the taker's display name when the removal named them (null: nobody by name). */
export interface RetractEvent {
  requestId: string
  why: RetractWhy
  takenBy?: string | null
}

export interface AlertSink {
  readonly name: string
  readonly tier: SinkTier
  alert(alert: Alert): void | Promise<void>
  /**
   * This request's alert text changed (its details arrived after it rang basic): replace what this sink
   * shows for `alert.requestId`, silently — never ring, sound or flash again. Sinks that show nothing
   * per request (sound, attention) leave it out. Gated by the same flags as alert().
   */
  update?(alert: Alert): void | Promise<void>
  /** The request left the queue (taken, cancelled) or was acknowledged: withdraw what this sink shows. */
  retract?(requestId: string): void | Promise<void>
  /** Queue length changed: badge counts, tray icons. */
  queueChanged?(count: number): void | Promise<void>
  /**
   * The condition of the health alert with this key is over (e.g. the alert path is OK again): take down what
   * this sink still shows for it. Sinks that show nothing lasting leave it out.
   */
  withdraw?(key: string): void | Promise<void>
}

export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}
