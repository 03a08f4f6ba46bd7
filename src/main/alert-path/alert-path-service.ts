// The alert-path self-test in the Electron host: the platform's detectors plus the Electron-only ones, run by
// the self-test scheduler (start, resume, hourly) in the background; its verdict becomes the status the tray
// and the queue window show. test() is the Test alert — a fresh self-test and one alert through every sink
// that can prove delivery (notification show/failed, the sound page's answer, the tray icon) — from the tray
// menu or the window's button. Nothing here sits on the alert path: sinks read current() synchronously.
import { platformDetectors } from '../../core/alert-path/detectors.js'
import { AlertPathMonitor, type MonitorTimers } from '../../core/alert-path/monitor.js'
import { realOsQuery } from '../../core/alert-path/os-query.js'
import { createAlertPathProbe, describeVerdict, notificationsSwallowed } from '../../core/alert-path/probe.js'
import { describeDeliveries, runTestAlert, type DeliveryProof, type DeliveryReport } from '../../core/alert-path/test-alert.js'
import type { AlertPathProbe, AlertPathVerdict } from '../../core/alert-path/types.js'
import type { Logger } from '../../core/ports.js'
import type { AlertPathStatus, AlertPathTestResult } from '../../shared/ipc.js'
import { notificationPermissionDetector, type NotificationFacts } from './notification-permission.js'

export interface AlertPathServiceOptions {
  probe: AlertPathProbe
  /** The sinks' proofs, asked for at each Test alert (a window recreated since start gives a fresh one). */
  proofs: () => DeliveryProof[]
  /** Every status change: the tray's warning state and the window's status line. */
  onStatus: (status: AlertPathStatus) => void
  log: Logger
  timers?: MonitorTimers
  proofDeadlineMs?: number
}

/** The window's and tray's view of a verdict (null: the first run has not finished). */
export function statusFrom(v: AlertPathVerdict | null, deliveries: DeliveryReport[] | null): AlertPathStatus {
  if (!v) return { state: 'checking', checkedAt: null, trigger: null, text: 'Checking that alerts can reach you…', findings: [], unknown: [], deliveries }
  return {
    state: v.findings.length ? 'warning' : 'ok',
    checkedAt: v.checkedAt,
    trigger: v.trigger,
    text: describeVerdict(v),
    findings: v.findings,
    unknown: v.unknown,
    deliveries,
  }
}

export class AlertPathService {
  readonly monitor: AlertPathMonitor
  private deliveries: DeliveryReport[] | null = null
  private lastKey = ''

  constructor(private readonly o: AlertPathServiceOptions) {
    this.monitor = new AlertPathMonitor({ probe: o.probe, log: o.log, timers: o.timers })
    this.monitor.onChange(() => this.publish())
  }

  start(): void {
    this.monitor.start()
  }

  onResume(): void {
    this.monitor.onResume()
  }

  stop(): void {
    this.monitor.stop()
  }

  status(): AlertPathStatus {
    return statusFrom(this.monitor.current(), this.deliveries)
  }

  /** Notifications are known to be swallowed right now (the fallback brings the queue window to the front). */
  notificationsSwallowed(): boolean {
    return notificationsSwallowed(this.monitor.current())
  }

  /** The Test alert. Never rejects: a sink that fails is a line of the result. */
  async test(): Promise<AlertPathTestResult> {
    const [, deliveries] = await Promise.all([this.monitor.run('test'), runTestAlert(this.o.proofs(), this.o.proofDeadlineMs)])
    this.deliveries = deliveries
    const failed = deliveries.filter((d) => d.outcome !== 'delivered')
    if (failed.length) this.o.log.warn('test alert: not every sink proved delivery', { deliveries })
    else this.o.log.info('test alert: every sink proved delivery', { sinks: deliveries.map((d) => d.sink) })
    this.publish()
    const status = this.status()
    const summary = `${failed.length ? 'Test alert: not everything got through' : 'Test alert: everything got through'} — ${describeDeliveries(deliveries)}.${status.state === 'warning' ? ` ${status.text}` : ''}`
    return { status, summary }
  }

  private publish(): void {
    const s = this.status()
    const key = JSON.stringify([s.state, s.findings, s.unknown, s.deliveries])
    if (key === this.lastKey) return
    this.lastKey = key
    this.o.onStatus(s)
  }
}

export interface ElectronAlertPathOptions extends Omit<AlertPathServiceOptions, 'probe'> {
  notificationFacts: NotificationFacts
  appId: string
}

/** The Electron host's service: this platform's detectors with the tray check, plus the notification facts. */
export function createElectronAlertPath(o: ElectronAlertPathOptions): AlertPathService {
  const platform = o.notificationFacts.platform
  const detectors = [notificationPermissionDetector(o.notificationFacts), ...platformDetectors({ platform, tray: true, appId: o.appId })]
  return new AlertPathService({ ...o, probe: createAlertPathProbe({ detectors, os: realOsQuery(platform) }) })
}
