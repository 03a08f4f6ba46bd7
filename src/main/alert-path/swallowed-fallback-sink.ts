// The fallback when notifications are known to be swallowed (Do Not Disturb, Focus Assist, no notification
// daemon, notifications switched off): every ring brings the queue window to the front, so the alert is seen
// without a pop-up. Sound is not touched — it still plays through its own sink. Tier 'in-app': it obeys the
// master switch and pause like every sink, but not the notification flag (it stands in for the notification
// the OS would drop). Reads the cached self-test verdict; never waits for a check.
import type { Alert, AlertSink } from '../../core/ports.js'

export interface SwallowedFallbackOptions {
  swallowed: () => boolean
  bringToFront: () => void
}

export class SwallowedNotificationFallback implements AlertSink {
  readonly name = 'notification-fallback'
  readonly tier = 'in-app' as const
  /** Rings that were brought to the front because notifications are swallowed. */
  used = 0

  constructor(private readonly o: SwallowedFallbackOptions) {}

  alert(_alert: Alert): void {
    if (!this.o.swallowed()) return
    this.used++
    this.o.bringToFront()
  }
}
