// Escalation's settings from the environment, for both hosts: BAYALERT_ESCALATE_AFTER_S (how long a request waits
// unclaimed before it escalates, seconds, default 180), BAYALERT_ESCALATE_BELOW_LIVE (escalate while fewer than this
// many workstations are live, default 2; 1 turns escalation off, since a workstation that checked in counts itself
// live) and BAYALERT_ESCALATE_REPEAT_S (how often an escalated request rings, seconds, default 30); and the other
// loud threshold, BAYALERT_OUTAGE_ALERT_S (how long a workstation may not receive requests before its reminder
// rings, seconds, default 60). A bad value keeps the default, with a sentence saying so.
import type { EngineConfig } from './engine-api.js'
import { DEFAULT_ESCALATION } from './desk/escalation.js'

type EscalationConfig = Pick<EngineConfig, 'escalateAfterMs' | 'escalateBelowLive' | 'escalatedRepeatMs' | 'outageAlertAfterMs'>

interface Rule {
  env: string
  key: keyof EscalationConfig
  min: number
  max: number
  /** Value → EngineConfig units. */
  scale: number
  what: string
  fallback: number
}

const RULES: Rule[] = [
  { env: 'BAYALERT_ESCALATE_AFTER_S', key: 'escalateAfterMs', min: 10, max: 3600, scale: 1000, what: 'seconds a request waits before it escalates', fallback: DEFAULT_ESCALATION.afterMs / 1000 },
  { env: 'BAYALERT_ESCALATE_BELOW_LIVE', key: 'escalateBelowLive', min: 1, max: 1000, scale: 1, what: 'workstations live below which requests escalate', fallback: DEFAULT_ESCALATION.belowLive },
  { env: 'BAYALERT_OUTAGE_ALERT_S', key: 'outageAlertAfterMs', min: 10, max: 3600, scale: 1000, what: 'seconds without receiving requests before the reminder rings', fallback: 60 },
  { env: 'BAYALERT_ESCALATE_REPEAT_S', key: 'escalatedRepeatMs', min: 5, max: 3600, scale: 1000, what: 'seconds between escalated rings', fallback: DEFAULT_ESCALATION.repeatMs / 1000 },
]

export function escalationFromEnv(env: NodeJS.ProcessEnv): { config: EscalationConfig; problems: string[] } {
  const config: EscalationConfig = {}
  const problems: string[] = []
  for (const r of RULES) {
    const raw = env[r.env]
    if (raw === undefined || raw.trim() === '') continue
    const n = Number(raw.trim())
    if (!Number.isInteger(n) || n < r.min || n > r.max) {
      problems.push(`${r.env} must be a whole number of ${r.what} from ${r.min} to ${r.max}; using ${r.fallback}.`)
      continue
    }
    config[r.key] = n * r.scale
  }
  return { config, problems }
}
