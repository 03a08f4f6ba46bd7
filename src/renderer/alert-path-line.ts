// What the queue window's status bar says about the alert-path self-test. Pure (no DOM), so it is tested
// under Node; alert-path-view.ts puts it on the page.
import type { AlertPathStatus } from '../shared/ipc.js'

export interface AlertPathLine {
  hidden: boolean
  text: string
  kind: 'warning' | 'failed' | 'ok'
}

/** What the status bar says: the findings while there are any, a failed Test alert's sinks, else nothing. */
export function alertPathLine(s: AlertPathStatus): AlertPathLine {
  if (s.state === 'warning') return { hidden: false, text: `⚠ ${s.text}`, kind: 'warning' }
  const failed = (s.deliveries ?? []).filter((d) => d.outcome === 'failed')
  if (failed.length) return { hidden: false, text: `⚠ The last test alert did not get through: ${failed.map((d) => `${d.sink} (${d.detail})`).join('; ')}`, kind: 'failed' }
  return { hidden: true, text: '', kind: 'ok' }
}
