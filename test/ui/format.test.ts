/** @vitest-environment node */
import { describe, expect, it } from 'vitest'
import { excerpt, pauseText, safeLine, waitingText } from '../../src/renderer/format.js'

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
    expect(pauseText(90_000, 0)).toBe('Alerts paused — 2 min left')
  })
})
