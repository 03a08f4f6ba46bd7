// The Test alert: one alert through every sink that can prove delivery, each proving it the way its platform
// allows (the notification's `show`/`failed` events, the sound page reporting playback, the notifier
// program's exit status). A sink whose platform gives no proof says "unproven" — never "delivered" on faith.
// Every proof runs under one deadline and in parallel; a proof that throws is a failure with its cause.
import type { Alert } from '../ports.js'

export type DeliveryOutcome = 'delivered' | 'failed' | 'unproven'

export interface DeliveryReport {
  sink: string
  outcome: DeliveryOutcome
  detail: string
}

export interface DeliveryProof {
  readonly sink: string
  prove(alert: Alert): Promise<Omit<DeliveryReport, 'sink'>>
}

export const TEST_ALERT_KEY = 'test-alert'

export const TEST_ALERT: Alert = {
  kind: 'request',
  key: TEST_ALERT_KEY,
  title: 'BayAlert test alert',
  body: 'This is how a waiting customer looks and sounds. Nothing is waiting.',
  detail: 'full',
  items: [],
  latencyMs: null,
}

export const DEFAULT_PROOF_DEADLINE_MS = 8000

export function runTestAlert(proofs: readonly DeliveryProof[], deadlineMs = DEFAULT_PROOF_DEADLINE_MS): Promise<DeliveryReport[]> {
  return Promise.all(
    proofs.map(
      (p) =>
        new Promise<DeliveryReport>((resolve) => {
          const timer = setTimeout(() => resolve({ sink: p.sink, outcome: 'unproven', detail: `no confirmation within ${Math.round(deadlineMs / 1000)} s` }), deadlineMs)
          const settle = (r: Omit<DeliveryReport, 'sink'>) => {
            clearTimeout(timer)
            resolve({ sink: p.sink, ...r })
          }
          const fail = (e: unknown) => settle({ outcome: 'failed', detail: String((e as Error)?.message ?? e) })
          try {
            p.prove(TEST_ALERT).then(settle, fail)
          } catch (e) {
            fail(e)
          }
        }),
    ),
  )
}

/** One line per sink: "notification: delivered (shown by the OS)". */
export function describeDeliveries(reports: readonly DeliveryReport[]): string {
  if (reports.length === 0) return 'no sink can take a test alert here'
  return reports.map((r) => `${r.sink}: ${r.outcome} (${r.detail})`).join('; ')
}
