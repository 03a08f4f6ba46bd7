// AlertPathProbe over a list of detectors: all run at once, each under its own deadline, and a detector
// that throws, rejects or overruns becomes an "unknown" with the cause instead of failing the run. check()
// therefore never rejects and never takes longer than the deadline (plus a tick).
import type { AlertPathProbe, AlertPathVerdict, Detector, DetectorResult, OsQuery } from './types.js'

export const DEFAULT_DETECTOR_DEADLINE_MS = 5000

export interface ProbeOptions {
  detectors: readonly Detector[]
  os: OsQuery
  now?: () => number
  deadlineMs?: number
}

export function createAlertPathProbe(o: ProbeOptions): AlertPathProbe {
  const now = o.now ?? Date.now
  const deadline = o.deadlineMs ?? DEFAULT_DETECTOR_DEADLINE_MS
  return {
    async check(trigger: string): Promise<AlertPathVerdict> {
      const results = await Promise.all(o.detectors.map((d) => runOne(d, o.os, deadline)))
      const verdict: AlertPathVerdict = { checkedAt: now(), trigger, findings: [], unknown: [] }
      results.forEach((r, i) => {
        const name = o.detectors[i]!.name
        verdict.findings.push(...r.findings)
        if (r.unknown) verdict.unknown.push({ detector: name, why: r.unknown })
      })
      return verdict
    },
  }
}

function runOne(d: Detector, os: OsQuery, deadlineMs: number): Promise<DetectorResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ findings: [], unknown: `no answer within ${deadlineMs} ms` }), deadlineMs)
    const settle = (r: DetectorResult) => {
      clearTimeout(timer)
      resolve(r)
    }
    try {
      d.detect(os).then(settle, (e: unknown) => settle({ findings: [], unknown: `the check failed (${(e as Error)?.message ?? String(e)})` }))
    } catch (e) {
      settle({ findings: [], unknown: `the check failed (${(e as Error)?.message ?? String(e)})` })
    }
  })
}

/** The verdict as one line for a tray tooltip, a status bar or a terminal: the findings' reasons, or "ok". */
export function describeVerdict(v: Pick<AlertPathVerdict, 'findings'>): string {
  if (v.findings.length === 0) return 'Alert path ok: nothing found that would swallow an alert.'
  return v.findings.map((f) => f.reason).join(' ')
}

/** True when notifications are known to be swallowed: the hosts then bring the queue window to the front on a ring. */
export function notificationsSwallowed(v: Pick<AlertPathVerdict, 'findings'> | null): boolean {
  return !!v && v.findings.some((f) => f.affects === 'notifications')
}
