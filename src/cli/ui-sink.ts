// The loopback queue UI as an ordinary alert sink: tier 'in-app', exactly like the Electron queue window's
// sink (src/main/in-app-sink.ts), so the pipeline gates it by the same flags, isolates and times it out,
// records its attempts, and hands it silent updates (details after a basic ring). The headless host
// registers it with the engine before the UI server exists; the server attaches its WebSocket push once it
// listens, and until then (or with no tab open) an alert reaches nobody, as a closed window would.
import type { Alert, AlertSink } from '../core/ports.js'
import type { InAppAlert } from '../shared/ipc.js'

export class UiPushSink implements AlertSink {
  readonly name = 'queue-ui'
  readonly tier = 'in-app' as const
  private push: ((alert: InAppAlert) => void) | null = null

  constructor(private readonly now: () => number = Date.now) {}

  /** The UI server's push (one at a time); returns the detach function. */
  attach(push: (alert: InAppAlert) => void): () => void {
    this.push = push
    return () => {
      if (this.push === push) this.push = null
    }
  }

  alert(alert: Alert): void {
    this.push?.(this.toInApp(alert))
  }

  /** The new text replaces what the page shows for that request. */
  update(alert: Alert): void {
    this.push?.(this.toInApp(alert))
  }

  private toInApp(a: Alert): InAppAlert {
    return { title: a.title, body: a.body, requestId: a.requestId ?? null, at: this.now() }
  }
}
