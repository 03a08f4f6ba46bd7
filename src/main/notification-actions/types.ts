// The types every platform's notification actions share, and which alerts get a Take it button.
import type { NotificationConstructorOptions } from 'electron'
import type { Alert } from '../../core/ports.js'

export interface NotificationActionHandlers {
  take(requestId: string): void
  /** Show the queue window, on this request when there is one. */
  open(requestId: string | null): void
}

/** The part of an Electron Notification the seam uses (so tests can hand in any emitter). */
export interface ActionableNotification {
  on(event: 'click', listener: () => void): unknown
  on(event: 'action', listener: (details: { actionIndex?: number } | undefined, actionIndex?: number) => void): unknown
}

export interface PlatformActions {
  /** Options to merge into this alert's notification (may replace title/body with toast XML on Windows). */
  options(alert: Alert, base: NotificationConstructorOptions): NotificationConstructorOptions
  /** Listens on the shown notification for what the mechanic did. */
  wire(n: ActionableNotification, alert: Alert, handlers: NotificationActionHandlers): void
}

/** The request a Take it button would take: one request's own alert, never a summary or health alert. */
export function takeableRequest(alert: Alert): string | null {
  return (alert.kind === 'request' || alert.kind === 'repeat') && alert.requestId ? alert.requestId : null
}
