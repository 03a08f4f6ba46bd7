// AlertSink → native notifications (Electron Notification in the main process).
// - Keep a reference to every shown notification until it closes: the typings note that GC'd
//   notifications disappear on macOS, and we need the object to close() it on retract (mattermost keeps
//   allActiveNotifications for the same reason).
// - Linux: urgency 'critical' so libnotify servers keep it on screen instead of expiring it.
// - Windows: toasts need app.setAppUserModelId() matching the Start-menu shortcut (index.ts; electron#10864)
//   and are swallowed by Focus Assist without any error (chrisknepper/android-messages-desktop#34) — not
//   detectable here; the alert-path self-test (src/core/alert-path) reports what the shell admits to.
// - The sound sink owns audio, so notifications are silent: one ring per request, not two.
// - update(): a request that rang basic ("Details are still loading") got its details. Electron cannot
//   change a shown notification's text, so the old one is closed and a new silent one with the full text
//   takes its slot. Only a request with its own toast on screen is replaced: one dismissed by the user
//   stays dismissed, and a summary toast is left alone (the queue window shows the details).
// - Delivery: the OS says a notification was shown ('show') or could not be ('failed'; Windows and macOS, and
//   Linux when libnotify refuses). A failure is counted and handed to onFailed, which brings the queue window
//   to the front so the ring is still seen; the Test alert's proof() waits for one of the two.
import { Notification, type NotificationConstructorOptions } from 'electron'
import type { Alert, AlertSink, Logger } from '../core/ports.js'
import { platformActions, type NotificationActionHandlers } from './notification-actions/index.js'
import type { DeliveryProof } from '../core/alert-path/test-alert.js'

export interface NotificationSinkOptions {
  platform: NodeJS.Platform
  showQueue: () => void
  log: Logger
  /** Take it / open on a request from the notification (notification-actions/); without it a click shows the queue. */
  actions?: NotificationActionHandlers
  /** The OS refused to show a notification (its 'failed' event), with the OS's reason. */
  onFailed?: (reason: string) => void
}

export function notificationOptions(alert: Alert, platform: NodeJS.Platform): NotificationConstructorOptions {
  const opts: NotificationConstructorOptions = {
    title: alert.title.slice(0, 200),
    body: alert.body.slice(0, 1000),
    silent: true,
  }
  if (platform === 'linux') opts.urgency = alert.kind === 'health' ? 'normal' : 'critical'
  // Stay in view until dismissed on Windows too ('never' keeps the toast up; default expires in ~7 s).
  if (platform === 'win32' || platform === 'linux') opts.timeoutType = alert.kind === 'health' ? 'default' : 'never'
  return opts
}

function slotFor(alert: Alert): string {
  if (alert.kind === 'summary') return 'summary'
  if (alert.kind === 'health') return 'health'
  return `request:${alert.requestId ?? alert.key ?? 'unknown'}`
}

export class NotificationSink implements AlertSink {
  readonly name = 'notification'
  readonly tier = 'notification' as const
  /** Slot → live notification. One per request: a repeat replaces the previous toast. */
  readonly active = new Map<string, { n: Notification; covers: Set<string>; key?: string }>()
  /** Notifications the OS reported as failed since start. */
  failures = 0

  constructor(private readonly opts: NotificationSinkOptions) {}

  alert(alert: Alert): void {
    if (!Notification.isSupported()) throw new Error('native notifications are not supported on this system')
    this.show(slotFor(alert), alert)
  }

  update(alert: Alert): void {
    if (alert.kind !== 'request' && alert.kind !== 'repeat') return
    const slot = slotFor(alert)
    if (!this.active.has(slot)) return
    if (!Notification.isSupported()) throw new Error('native notifications are not supported on this system')
    this.show(slot, alert)
  }

  /** The Test alert's proof: show it and wait for the OS's 'show' or 'failed' (runTestAlert owns the deadline). */
  proof(): DeliveryProof {
    return {
      sink: this.name,
      prove: (alert) => {
        if (!Notification.isSupported()) return Promise.resolve({ outcome: 'failed' as const, detail: 'native notifications are not supported on this system' })
        const n = this.show(slotFor(alert), alert)
        return new Promise((resolve) => {
          n.once('show', () => resolve({ outcome: 'delivered', detail: 'the OS reports it shown' }))
          n.once('failed', (_e, error) => resolve({ outcome: 'failed', detail: `the OS refused it: ${String(error)}` }))
        })
      },
    }
  }

  private show(slot: string, alert: Alert): Notification {
    this.close(slot)
    const base = notificationOptions(alert, this.opts.platform)
    const actions = this.opts.actions
    const platform = platformActions(this.opts.platform)
    const n = new Notification(actions ? platform.options(alert, base) : base)
    const covers = new Set(alert.kind === 'summary' ? (alert.summaryOf ?? []) : alert.requestId ? [alert.requestId] : [])
    this.active.set(slot, { n, covers, ...(alert.key ? { key: alert.key } : {}) })
    if (actions) platform.wire(n, alert, actions)
    else n.on('click', () => this.opts.showQueue())
    n.on('close', () => {
      if (this.active.get(slot)?.n === n) this.active.delete(slot)
    })
        n.on('failed', (_e, error) => {
      this.failures++
      this.opts.log.warn('notification failed', { error: String(error), failures: this.failures })
      this.opts.onFailed?.(String(error))
    })
    n.show()
    return n
  }

  retract(requestId: string): void {
    this.close(`request:${requestId}`)
    const summary = this.active.get('summary')
    if (summary) {
      summary.covers.delete(requestId)
      if (summary.covers.size === 0) this.close('summary')
    }
  }

  /** A health alert's condition is over: close its notification, unless a later health alert has replaced it. */
  withdraw(key: string): void {
    if (this.active.get('health')?.key === key) this.close('health')
  }

  private close(slot: string): void {
    const entry = this.active.get(slot)
    if (!entry) return
    this.active.delete(slot)
    entry.n.close()
  }
}
