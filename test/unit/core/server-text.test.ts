// Server-supplied text gets the customer-text cleaning before it becomes a reason, a terminal line or a
// notification: a hostile server message (a screen-clearing escape, a bidi override, 100 kB) arrives as
// one short, plain, readable line — and still says what the server said.
import { describe, expect, it } from 'vitest'
import { serverText, SERVER_TEXT_MAX } from '../../../src/core/server-text.js'
import { classifyRestError, describeRestError } from '../../../src/core/link/rest.js'
import { HealthMonitor } from '../../../src/core/health/health.js'
import type { Alert } from '../../../src/core/ports.js'
import { captureLog } from './helpers.js'

const HOSTILE = '\u001b[2J\u001b[31mPWNED\u202Eexe.txt\u202C\u2066x\u2069 ' + 'A'.repeat(100 * 1024)
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/

function expectClean(s: string, max: number): void {
  expect(s).not.toMatch(UNSAFE)
  expect(Array.from(s).length).toBeLessThanOrEqual(max)
  expect(s).toContain('PWNED') // cleaned, not dropped: the mechanic still reads what the server said
}

describe('serverText', () => {
  it('a hostile message becomes one short plain line', () => {
    const s = serverText(HOSTILE)
    expectClean(s, SERVER_TEXT_MAX)
    expect(s.startsWith(' ')).toBe(false)
    expect(s.startsWith('[2J [31mPWNEDexe.txtx AAAA')).toBe(true)
    expect(s.endsWith('…')).toBe(true)
    expect(Array.from(s)).toHaveLength(SERVER_TEXT_MAX)
  })

  it('honours its cap exactly and leaves ordinary text alone', () => {
    expect(serverText('permission denied for table intakes')).toBe('permission denied for table intakes')
    expect(serverText('x'.repeat(10), 10)).toBe('x'.repeat(10))
    expect(serverText('x'.repeat(11), 10)).toBe('x'.repeat(9) + '…')
  })

  it('redacts tokens and keys, even when invisible characters were placed inside them to hide them', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlc2lnbmF0dXJl'
    const hidden = token.slice(0, 30) + '\u200b' + token.slice(30)
    for (const s of [serverText(`bad token ${token}`), serverText(`bad token ${hidden}`), serverText('key sb_secret_abcdef0123456 refused')]) {
      expect(s).not.toContain(token)
      expect(s).not.toContain('sb_secret_abcdef0123456')
      expect(s).toMatch(/redacted/)
    }
  })

  it('has nothing to say for non-text', () => {
    for (const v of [undefined, null, {}, ['x'], '   ', '\u202e']) expect(serverText(v)).toBe('')
    expect(serverText(503)).toBe('503')
  })
})

describe('PostgREST errors', () => {
  it('a hostile message, hint and code are cleaned before any reason is built from them', () => {
    const e = classifyRestError(500, { code: 'PGRST\u001b[2J' + 'X'.repeat(5000), message: HOSTILE, hint: '\u202Ehint' })
    expectClean(e.message, SERVER_TEXT_MAX)
    expect(e.code).not.toMatch(UNSAFE)
    expect(e.code.length).toBeLessThanOrEqual(16)
    expect(e.kind).toBe('server')
    expectClean(describeRestError(e), 400)
  })

  it('an error without a message still reads as its status', () => {
    expect(classifyRestError(502, { message: '\u0007' }).message).toBe('HTTP 502')
  })
})

describe('health reasons', () => {
  it('a hostile fetch cause reaches the degraded reason and the health alert cleaned', () => {
    const alerts: Alert[] = []
    const h = new HealthMonitor({ log: captureLog(), minSamples: 1 })
    h.on((e) => e.type === 'alert' && alerts.push(e.alert))
    h.recordFetch(false, 12, `queued_requests: ${HOSTILE}`)
    expect(alerts).toHaveLength(1)
    expectClean(alerts[0]!.body, 600)
    expectClean(h.degradedReason()!, 600)
  })

  it('a hostile sink error is cleaned too', () => {
    const h = new HealthMonitor({ log: captureLog(), minSamples: 1 })
    h.recordSink('notify', false, HOSTILE)
    expectClean(h.degradedReason()!, 600)
  })
})
