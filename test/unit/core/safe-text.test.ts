import { describe, expect, it } from 'vitest'
import { escapeMarkup, safeDetails, safeText, validRequestId } from '../../../src/core/alerts/safe-text.js'

describe('safeText', () => {
  it('strips bidi overrides and invisible characters, neutralises controls', () => {
    expect(safeText('invoice\u202Efdp.exe', 80)).toBe('invoicefdp.exe')
    expect(safeText('\u2066a\u2069\u200Bb\uFEFF\u200E', 80)).toBe('ab')
    expect(safeText('line1\nline2\tx\u0007\u001b[2J\u009b', 80)).toBe('line1 line2 x [2J')
    expect(safeText('a\u2028b\u00a0c', 80)).toBe('a b c')
    expect(safeText('tag\udb40\udc41\udb40\udc42s', 80)).toBe('tags')
  })

  it('keeps ordinary non-Latin text and emoji intact; replaces lone surrogates', () => {
    expect(safeText('José Müller – 李小龍 🚗', 80)).toBe('José Müller – 李小龍 🚗')
    expect(safeText('مرحبا', 80)).toBe('مرحبا')
    expect(safeText('bad\ud800x\udc00', 80)).toBe('bad\ufffdx\ufffd')
  })

  it('caps length by code points without splitting a pair, and is fast on 1 MB', () => {
    expect(safeText('🚗'.repeat(100), 10)).toBe('🚗'.repeat(9) + '…')
    const t = performance.now()
    const s = safeText('x'.repeat(1 << 20) + '\u202E', 280)!
    expect(performance.now() - t).toBeLessThan(50)
    expect(Array.from(s)).toHaveLength(280)
    expect(s.endsWith('…')).toBe(true)
  })

  it('coerces numbers and booleans, drops everything else', () => {
    expect(safeText(2019, 10)).toBe('2019')
    expect(safeText(true, 10)).toBe('true')
    for (const v of [null, undefined, {}, [], NaN, Infinity, () => 1, Symbol('x'), 10n]) expect(safeText(v, 10)).toBeNull()
    expect(safeText('   \u200B ', 10)).toBeNull()
  })

  it('markup stays inert text; escapeMarkup is there for sinks that interpret markup', () => {
    expect(safeText('<b onload=x>hi</b>', 80)).toBe('<b onload=x>hi</b>')
    expect(escapeMarkup('<b a="1">&\'</b>')).toBe('&lt;b a=&quot;1&quot;&gt;&amp;&#39;&lt;/b&gt;')
  })
})

describe('safeDetails and ids', () => {
  it('only known fields, each capped', () => {
    expect(safeDetails({ customerName: 'A', extra: 'x', concern: 'c'.repeat(500) })).toEqual({ customerName: 'A', concern: 'c'.repeat(279) + '…' })
    expect(safeDetails('nope')).toEqual({})
    expect(safeDetails([1])).toEqual({})
  })

  it('request ids', () => {
    expect(validRequestId('3f2b8c1e-1d2a-4c1b-9a7e-0f1e2d3c4b5a')).toBe(true)
    expect(validRequestId('12345')).toBe(true)
    for (const v of ['', 'a b', 'x'.repeat(129), '<x>', 'id\u202E', 42, null]) expect(validRequestId(v)).toBe(false)
  })
})
