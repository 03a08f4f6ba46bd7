import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ALERT_PREFS_LIMITS, checkAlertPrefs, dashboardUrlProblem, DEFAULT_ALERT_PREFS, loadAlertPrefs, urgencyThresholds } from '../../../src/shared/alert-prefs.js'

const good = { ...DEFAULT_ALERT_PREFS }

describe('checkAlertPrefs', () => {
  it('accepts the defaults and trims the dashboard link', () => {
    expect(checkAlertPrefs(good)).toEqual({ ok: true, prefs: good })
    const r = checkAlertPrefs({ ...good, dashboardUrl: '  https://shop.example/r/{requestId}\n' })
    expect(r).toEqual({ ok: true, prefs: { ...good, dashboardUrl: 'https://shop.example/r/{requestId}' } })
  })

  it.each([
    ['volume', 9, false], ['volume', 10, true], ['volume', 100, true], ['volume', 101, false], ['volume', 55.5, false],
    ['repeatIntervalSec', 29, false], ['repeatIntervalSec', 30, true], ['repeatIntervalSec', 1800, true], ['repeatIntervalSec', 1801, false],
    ['amberAfterMin', 0, false], ['amberAfterMin', 1, true], ['amberAfterMin', 60, true], ['amberAfterMin', 61, false],
    ['redAfterMin', 240, true], ['redAfterMin', 241, false], ['redAfterMin', '5', false],
    ['sound', 'bell', true], ['sound', 'pulse', true], ['sound', 'health', false], ['sound', '../x', false],
  ] as const)('%s = %j → %s (boundaries)', (field, value, ok) => {
    const over = field === 'amberAfterMin' ? { redAfterMin: 240 } : field === 'redAfterMin' ? { amberAfterMin: 1 } : {}
    const r = checkAlertPrefs({ ...good, ...over, [field]: value })
    expect(r.ok).toBe(ok)
    if (!r.ok) expect(Object.keys(r.fields)).toEqual([field])
  })

  it('red must come after amber: equal is refused, on the red field, with a sentence a mechanic can act on', () => {
    expect(checkAlertPrefs({ ...good, amberAfterMin: 5, redAfterMin: 5 })).toEqual({ ok: false, fields: { redAfterMin: 'Red must come after amber: use more minutes than for amber.' } })
    expect(checkAlertPrefs({ ...good, amberAfterMin: 5, redAfterMin: 6 }).ok).toBe(true)
  })

  it('reports every bad field at once, and never throws on any input', () => {
    const r = checkAlertPrefs({ sound: 1, volume: 'x', repeatIntervalSec: null, amberAfterMin: NaN, redAfterMin: Infinity, dashboardUrl: 3 })
    expect(r.ok ? [] : Object.keys(r.fields).sort()).toEqual(['amberAfterMin', 'dashboardUrl', 'redAfterMin', 'repeatIntervalSec', 'sound', 'volume'])
    fc.assert(fc.property(fc.anything(), (v) => void checkAlertPrefs(v)), { numRuns: 300 })
  })
})

describe('dashboardUrlProblem', () => {
  it.each([
    ['', null],
    ['https://shop.example/requests/{requestId}', null],
    ['https://shop.example/q?id={requestId}&x=1', null],
    ['http://shop.example/r/{requestId}', /https/],
    ['https://shop.example/r/', /\{requestId\}/],
    ['https://{requestId}.shop.example/', /fixed host/],
    ['https://shop.example{requestId}/', /fixed host/],
    ['https://user:pw@shop.example/{requestId}', /user name or password/],
    ['javascript:alert(1)//{requestId}', /https/],
    ['file:///etc/{requestId}', /https/],
    ['not a url {requestId}', /not a valid URL/],
  ])('%j', (url, expected) => {
    const p = dashboardUrlProblem(url)
    if (expected === null) expect(p).toBeNull()
    else expect(p).toMatch(expected)
  })
  it('is refused over the length limit', () => {
    expect(dashboardUrlProblem(`https://shop.example/${'a'.repeat(ALERT_PREFS_LIMITS.dashboardUrl.max)}{requestId}`)).toMatch(/longer than 2048/)
  })
})

describe('loadAlertPrefs', () => {
  it('keeps each good saved value, gives each bad one its default and names it; nothing saved is the defaults', () => {
    expect(loadAlertPrefs(undefined)).toEqual({ prefs: good, problems: [] })
    const r = loadAlertPrefs({ sound: 'bell', volume: 5, repeatIntervalSec: 60, dashboardUrl: 'http://x/{requestId}' })
    expect(r.prefs).toEqual({ ...good, sound: 'bell', repeatIntervalSec: 60 })
    expect(r.problems).toHaveLength(2)
    expect(r.problems.join(' ')).toMatch(/volume.*dashboardUrl/)
  })
  it('thresholds each fine alone but red before amber: both defaults, said once', () => {
    const r = loadAlertPrefs({ amberAfterMin: 10, redAfterMin: 4 })
    expect(r.prefs).toMatchObject({ amberAfterMin: 2, redAfterMin: 5 })
    expect(r.problems).toEqual(['Saved urgency thresholds had red before amber; the defaults are used.'])
  })
  it('a file that is not an object: defaults and one problem; other defaults can be supplied (provisioning)', () => {
    expect(loadAlertPrefs('garbage')).toEqual({ prefs: good, problems: ['Saved alert preferences were not an object; the defaults are used.'] })
    expect(loadAlertPrefs({}, { ...good, repeatIntervalSec: 300 }).prefs.repeatIntervalSec).toBe(300)
  })
})

it('urgencyThresholds: minutes to the milliseconds urgencyOf takes', () => {
  expect(urgencyThresholds({ amberAfterMin: 3, redAfterMin: 7 })).toEqual({ amberAfterMs: 180_000, redAfterMs: 420_000 })
})
