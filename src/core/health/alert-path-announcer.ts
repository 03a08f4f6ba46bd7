// The engine's side of the alert-path self-test: every verdict the host's scheduler (AlertPathMonitor) hands
// out goes through AlertPathAlarm, and its decisions become one health alert (health.announce: counted,
// logged, rung through every sink — the sound sink with its health sound, the queue window — so it is heard
// even when the OS swallows pop-ups) or the withdrawal of that alert when the verdict is OK again.
// In the engine so that both hosts (Electron, headless) get it from the port alone.
import type { Logger } from '../ports.js'
import type { AlertPathVerdict } from '../alert-path/types.js'
import type { HealthMonitor } from './health.js'
import { ALERT_PATH_ALERT_KEY, AlertPathAlarm, alertPathAlertText } from './alert-path-alarm.js'

/** What the engine needs of the self-test scheduler (AlertPathMonitor has this shape). */
export interface AlertPathSource {
  /** The last verdict, or null before the first run finished. */
  current(): AlertPathVerdict | null
  /** Hears every run, changed or not (a Test alert's run too). Returns the unsubscribe. */
  onChange(listener: (v: AlertPathVerdict) => void): () => void
}

export interface AlertPathAnnouncerOptions {
  source: AlertPathSource
  health: Pick<HealthMonitor, 'announce' | 'count'>
  /** Takes the alert down in every sink (AlertPipeline.withdraw). */
  withdraw: (key: string) => Promise<void>
  log: Logger
}

/**
 * What has been said belongs to the self-test, not to one engine: the Electron host makes a new engine when the
 * shop or the alert preferences change, with the same scheduler, and the new one must not say the same problems
 * again (nor miss withdrawing them).
 */
const alarms = new WeakMap<AlertPathSource, AlertPathAlarm>()

function alarmOf(source: AlertPathSource): AlertPathAlarm {
  const known = alarms.get(source)
  if (known) return known
  const alarm = new AlertPathAlarm()
  alarms.set(source, alarm)
  return alarm
}

/** Subscribes to the verdicts (the current one first, if any) and returns the unsubscribe. */
export function announceAlertPath(o: AlertPathAnnouncerOptions): () => void {
  const alarm = alarmOf(o.source)
  const apply = (v: AlertPathVerdict) => {
    const d = alarm.decide(v)
    if (d.kind === 'raise') {
      o.log.warn('alert path: health alert', { trigger: v.trigger, why: d.why, problems: d.problems.map((p) => p.id) })
      o.health.announce('alert-path', alertPathAlertText(d.problems, d.why), ALERT_PATH_ALERT_KEY)
    } else if (d.kind === 'clear') {
      o.health.count('health:alert-path-cleared')
      o.log.info('alert path: ok again; health alert withdrawn', { trigger: v.trigger })
      void o.withdraw(ALERT_PATH_ALERT_KEY)
    }
  }
  const off = o.source.onChange(apply)
  const now = o.source.current()
  if (now) apply(now)
  return off
}
