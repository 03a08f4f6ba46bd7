// Escalation's environment settings: whole numbers within their ranges (ends included), seconds turned into ms;
// anything else keeps the engine's default and says why, naming the variable and the default.
import { describe, expect, it } from 'vitest'
import { escalationFromEnv } from '../../../src/core/escalation-config.js'

describe('escalationFromEnv', () => {
  it('unset or blank: nothing set, no problem', () => {
    expect(escalationFromEnv({})).toEqual({ config: {}, problems: [] })
    expect(escalationFromEnv({ BAYALERT_ESCALATE_AFTER_S: '  ' })).toEqual({ config: {}, problems: [] })
  })

  it('reads each within its range, ends included', () => {
    expect(escalationFromEnv({ BAYALERT_ESCALATE_AFTER_S: '10', BAYALERT_ESCALATE_BELOW_LIVE: '1', BAYALERT_ESCALATE_REPEAT_S: '5' }).config).toEqual({ escalateAfterMs: 10_000, escalateBelowLive: 1, escalatedRepeatMs: 5_000 })
    expect(escalationFromEnv({ BAYALERT_ESCALATE_AFTER_S: '3600', BAYALERT_ESCALATE_BELOW_LIVE: '1000', BAYALERT_ESCALATE_REPEAT_S: ' 3600 ' }).config).toEqual({ escalateAfterMs: 3_600_000, escalateBelowLive: 1000, escalatedRepeatMs: 3_600_000 })
  })

  it('out of range, fractional or not a number: the default, with a sentence naming the variable', () => {
    const bad = escalationFromEnv({ BAYALERT_ESCALATE_AFTER_S: '9', BAYALERT_ESCALATE_BELOW_LIVE: '0', BAYALERT_ESCALATE_REPEAT_S: '2.5' })
    expect(bad.config).toEqual({})
    expect(bad.problems).toEqual([
      'BAYALERT_ESCALATE_AFTER_S must be a whole number of seconds a request waits before it escalates from 10 to 3600; using 180.',
      'BAYALERT_ESCALATE_BELOW_LIVE must be a whole number of workstations live below which requests escalate from 1 to 1000; using 2.',
      'BAYALERT_ESCALATE_REPEAT_S must be a whole number of seconds between escalated rings from 5 to 3600; using 30.',
    ])
    expect(escalationFromEnv({ BAYALERT_ESCALATE_AFTER_S: '3601', BAYALERT_ESCALATE_BELOW_LIVE: 'two', BAYALERT_ESCALATE_REPEAT_S: '3601' }).problems).toHaveLength(3)
  })
})

describe('BAYALERT_OUTAGE_ALERT_S', () => {
  it('seconds without receiving before the reminder, 10 to 3600; outside that the default (60) with a sentence', async () => {
    const { escalationFromEnv } = await import('../../../src/core/escalation-config.js')
    expect(escalationFromEnv({ BAYALERT_OUTAGE_ALERT_S: '10' }).config).toEqual({ outageAlertAfterMs: 10_000 })
    expect(escalationFromEnv({ BAYALERT_OUTAGE_ALERT_S: '3600' }).config).toEqual({ outageAlertAfterMs: 3_600_000 })
    const bad = escalationFromEnv({ BAYALERT_OUTAGE_ALERT_S: '9' })
    expect(bad.config).toEqual({})
    expect(bad.problems).toEqual(['BAYALERT_OUTAGE_ALERT_S must be a whole number of seconds without receiving requests before the reminder rings from 10 to 3600; using 60.'])
  })
})
