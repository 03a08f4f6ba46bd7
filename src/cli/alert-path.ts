// The alert-path self-test in the headless host and the doctor: the probe over this platform's detectors
// (no tray check: headless has no tray), the doctor's "alert path" and "test alert" lines, and the proof
// the OS notifier gives for a test alert (its program's exit status: the notifier accepted the alert).
import { createAlertPathProbe, describeVerdict } from '../core/alert-path/probe.js'
import { platformDetectors } from '../core/alert-path/detectors.js'
import { realOsQuery } from '../core/alert-path/os-query.js'
import { describeDeliveries, type DeliveryProof, type DeliveryReport } from '../core/alert-path/test-alert.js'
import type { AlertPathProbe, AlertPathVerdict } from '../core/alert-path/types.js'
import type { AlertSink } from '../core/ports.js'

/** The AUMID the headless PowerShell toast uses (notifier.ts CreateToastNotifier('BayAlert')). */
export const HEADLESS_TOAST_APP_ID = 'BayAlert'

/** This machine's probe, and how many checks it runs (a platform without any is said so by the doctor). */
export function headlessAlertPath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  popups = true,
): { probe: AlertPathProbe; detectorCount: number } {
  const detectors = platformDetectors({ platform, tray: false, appId: HEADLESS_TOAST_APP_ID, popups })
  return { probe: createAlertPathProbe({ detectors, os: realOsQuery(platform, env) }), detectorCount: detectors.length }
}

export interface AlertPathCheck {
  name: string
  status: 'ok' | 'warn' | 'fail'
  detail: string
}

/** What could not be told, as a clause: "; could not tell: linux: audio output (pactl is not installed)". */
function unknownClause(v: AlertPathVerdict): string {
  if (v.unknown.length === 0) return ''
  return `; could not tell: ${v.unknown.map((u) => `${u.detector} (${u.why})`).join(', ')}`
}

/**
 * The doctor's line. Something that swallows alerts is a warning, not a failure: the mechanic can still be
 * reached (terminal, sound, the queue window), and the doctor's exit status is about whether the app can work.
 */
export function alertPathCheck(v: AlertPathVerdict, detectorCount: number): AlertPathCheck {
  if (detectorCount === 0) return { name: 'alert path', status: 'warn', detail: 'no alert-path checks exist for this platform: Do Not Disturb and muted sound go unnoticed' }
  if (v.findings.length) return { name: 'alert path', status: 'warn', detail: `${describeVerdict(v)}${unknownClause(v)}` }
  return { name: 'alert path', status: 'ok', detail: `nothing found that would swallow an alert (${detectorCount} checks)${unknownClause(v)}` }
}

/** The doctor's "test alert" line: fails when any sink failed; warns when nothing could prove delivery. */
export function testAlertCheck(reports: readonly DeliveryReport[], noNotifierWhy: string | null): AlertPathCheck {
  if (reports.length === 0) return { name: 'test alert', status: 'warn', detail: `no OS notifier to test${noNotifierWhy ? ` (${noNotifierWhy})` : ''}; alerts go to the terminal and the queue UI only` }
  const status = reports.some((r) => r.outcome === 'failed') ? 'fail' : reports.every((r) => r.outcome === 'delivered') ? 'ok' : 'warn'
  return { name: 'test alert', status, detail: describeDeliveries(reports) }
}

/** The OS notifier's proof: its program ran and exited 0 (notify-send/osascript/PowerShell accepted the alert). */
export function notifierProof(sink: AlertSink): DeliveryProof {
  return {
    sink: sink.name,
    async prove(alert) {
      await sink.alert(alert)
      return { outcome: 'delivered', detail: 'the notifier accepted it; look for the pop-up' }
    },
  }
}
