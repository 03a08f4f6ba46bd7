// AlertSink → the queue window. A request stays on screen until someone takes it (BayAlert's promise:
// none missed, none forgotten), so a
// request alert brings the queue window up without stealing focus (showInactive) and tells the page
// which request rang so it can highlight it. The list itself comes from snapshot pushes, not from here.
import type { Alert, AlertSink } from '../core/ports.js'
import type { InAppAlert } from '../shared/ipc.js'

export interface InAppSinkOptions {
  showInactive: () => void
  send: (alert: InAppAlert) => void
  now?: () => number
}

export class InAppSink implements AlertSink {
  readonly name = 'in-app'
  readonly tier = 'in-app' as const
  constructor(private readonly opts: InAppSinkOptions) {}

  alert(alert: Alert): void {
    if (alert.kind !== 'health') this.opts.showInactive()
    this.opts.send({ title: alert.title, body: alert.body, requestId: alert.requestId ?? null, at: (this.opts.now ?? Date.now)() })
  }

  /** Details arrived for a request that rang basic: push the new text, without bringing the window up. */
  update(alert: Alert): void {
    this.opts.send({ title: alert.title, body: alert.body, requestId: alert.requestId ?? null, at: (this.opts.now ?? Date.now)() })
  }
}
