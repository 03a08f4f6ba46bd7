// The alert-path self-test in the queue window's status bar: a warning line naming what swallows alerts on
// this workstation (Do Not Disturb, muted output, no tray host…), and the Test alert button. Electron host only:
// the headless bridge has no alert-path API, so both stay hidden there.
import type { AlertPathStatus, BayAlertHostApi } from '../shared/ipc.js'
import { alertPathLine } from './alert-path-line.js'

export interface AlertPathElements {
  line: HTMLElement
  button: HTMLButtonElement
}

export function wireAlertPath(host: BayAlertHostApi | undefined, els: AlertPathElements, showMessage: (text: string, kind?: 'info' | 'error') => void): void {
  if (!host?.getAlertPath || !host.testAlertPath) return
  const show = (s: AlertPathStatus) => {
    const l = alertPathLine(s)
    els.line.textContent = l.text
    els.line.dataset.kind = l.kind
    els.line.hidden = l.hidden
  }
  els.button.hidden = false
  void host.getAlertPath().then(show, (e) => showMessage(`Alert path status unavailable: ${String(e)}`, 'error'))
  host.onAlertPath?.(show)
  const test = host.testAlertPath.bind(host)
  els.button.addEventListener('click', () => {
    els.button.disabled = true
    void test()
      .then(
        (r) => {
          show(r.status)
          const failed = (r.status.deliveries ?? []).some((d) => d.outcome !== 'delivered') || r.status.state === 'warning'
          showMessage(r.summary, failed ? 'error' : 'info')
        },
        (e) => showMessage(`Test alert failed: ${e instanceof Error ? e.message : String(e)}`, 'error'),
      )
      .finally(() => (els.button.disabled = false))
  })
}
