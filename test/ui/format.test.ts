/** @vitest-environment node */
import { describe, expect, it } from 'vitest'
import { clockTime, detailText, excerpt, pauseText, safeLine, waitingText } from '../../src/renderer/format.js'

describe('renderer text helpers', () => {
  it('strips bidi overrides and controls, caps length', () => {
    expect(safeLine('a\u202Eb\u202Cc\u2067d\u2069')).toBe('abcd')
    expect(safeLine('x\u0000y\u0007z\n w')).toBe('xyz w')
    expect(safeLine('محمد علي')).toBe('محمد علي')
    expect(Array.from(safeLine('é'.repeat(500))).length).toBe(200)
    expect(safeLine(null)).toBe('')
  })
  it('excerpts a 1 MB concern without scanning it all and marks the cut', () => {
    const e = excerpt('word '.repeat(250_000))
    expect(e.length).toBe(240)
    expect(e.endsWith('…')).toBe(true)
    expect(excerpt('short')).toBe('short')
  })
  it('formats waiting and pause', () => {
    expect(waitingText(0, 30_000)).toBe('waiting < 1 min')
    expect(waitingText(0, 125 * 60_000)).toBe('waiting 2 h 5 min')
    expect(pauseText(null, 0)).toBe('Alerts on')
    expect(pauseText('indefinite', 0)).toBe('Alerts paused until you resume')
    // Local wall-clock time, 24-hour, whatever the locale; the minutes left round up and never show 0.
    const at = new Date(2026, 10, 30, 9, 5).getTime()
    expect(clockTime(at)).toBe('09:05')
    expect(clockTime(new Date(2026, 10, 30, 23, 59).getTime())).toBe('23:59')
    expect(pauseText(at, at - 90_000)).toBe('Alerts paused until 09:05 (2 min left)')
    expect(pauseText(at, at - 60_000)).toBe('Alerts paused until 09:05 (1 min left)')
    expect(pauseText(at, at - 1_000)).toBe('Alerts paused until 09:05 (1 min left)')
    expect(pauseText(at, at + 5_000)).toBe('Alerts paused until 09:05 (1 min left)')
  })
  it('says "details loading…" only while the link can still bring them', () => {
    expect(detailText('full', 'live')).toBeNull()
    expect(detailText('full', 'offline')).toBeNull()
    expect(detailText('basic', 'live')).toBe('details loading…')
    expect(detailText('basic', 'connecting')).toBe('details loading…')
    expect(detailText('basic', 'offline')).toBe('details not available (offline)')
    expect(detailText('basic', 'degraded')).toBe('details not available (degraded)')
    expect(detailText('basic', 'signed-out')).toBe('details not available (signed out)')
  })
})
