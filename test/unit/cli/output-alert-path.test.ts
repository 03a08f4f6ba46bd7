// The headless alert-path line: a new JSON type ('alert-path') beside the existing six, none renamed; written
// when the verdict changes, not on every hourly run; a text line that says what swallows alerts.
import { describe, expect, it } from 'vitest'
import { TerminalOutput } from '../../../src/cli/output.js'
import type { AlertPathVerdict } from '../../../src/core/alert-path/types.js'

const v = (over: Partial<AlertPathVerdict> = {}): AlertPathVerdict => ({ checkedAt: 0, trigger: 'start', findings: [], unknown: [], ...over })
const MUTED = { id: 'audio-muted' as const, affects: 'sound' as const, reason: 'The sound output is muted (or at zero volume): alert sounds are silent.' }

describe('TerminalOutput.alertPath', () => {
  it('JSON: one "alert-path" line with ok, trigger, findings and unknown; repeated verdicts are not repeated', () => {
    const lines: string[] = []
    const out = new TerminalOutput({ json: true, tty: false, out: (l) => lines.push(l) })
    out.alertPath(v({ findings: [MUTED], unknown: [{ detector: 'linux: GNOME show-banners', why: 'gsettings did not answer within 3000 ms' }] }))
    out.alertPath(v({ trigger: 'hourly', findings: [MUTED], unknown: [{ detector: 'linux: GNOME show-banners', why: 'gsettings did not answer within 3000 ms' }] }))
    out.alertPath(v({ trigger: 'hourly' }))
    const parsed = lines.map((l) => JSON.parse(l))
    expect(parsed).toHaveLength(2)
    expect(parsed[0]).toEqual({
      ts: expect.any(String),
      type: 'alert-path',
      ok: false,
      trigger: 'start',
      findings: [MUTED],
      unknown: [{ detector: 'linux: GNOME show-banners', why: 'gsettings did not answer within 3000 ms' }],
    })
    expect(parsed[1]).toMatchObject({ type: 'alert-path', ok: true, trigger: 'hourly', findings: [], unknown: [] })
  })
  it('text: the reason of each finding, or ok and what could not be told', () => {
    const lines: string[] = []
    const out = new TerminalOutput({ json: false, tty: false, out: (l) => lines.push(l) })
    out.alertPath(v({ findings: [MUTED] }))
    out.alertPath(v({ unknown: [{ detector: 'linux: audio output', why: 'x' }] }))
    expect(lines).toEqual([`⚠ alert path: ${MUTED.reason}`, 'alert path: ok (could not tell: linux: audio output)'])
  })
})
