// The rules of safe text, pinned down as behaviour: which values become text, exactly where the cap falls,
// which characters are removed or turned into spaces (each range checked at its edges), and that a huge input
// is cut before any cleaning — shown by what the result is, not by how long it took.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { escapeMarkup, FIELD_LIMITS, safeDetails, safeText, validRequestId } from '../../../src/core/alerts/safe-text.js'

const codePoints = (s: string) => Array.from(s).length

describe('what becomes text', () => {
  it.each([
    [0, '0'],
    [-1.5, '-1.5'],
    [false, 'false'],
    [true, 'true'],
    ['  plain  ', 'plain'],
  ])('%j becomes %j', (value, text) => {
    expect(safeText(value, 10)).toBe(text)
  })

  it.each([NaN, Infinity, -Infinity, null, undefined, {}, [], ['a'], new Date(0)])('%j is dropped', (value) => {
    expect(safeText(value, 10)).toBeNull()
  })

  it('a value that is empty once cleaned is dropped, not shown blank', () => {
    for (const v of ['', '   ', '\n\t', '\u200b\u202e', '\u00a0\u3000']) expect(safeText(v, 10)).toBeNull()
  })
})

describe('the cap', () => {
  it('a value exactly at the cap is kept whole; one more character cuts it to cap-1 characters and the mark', () => {
    expect(safeText('a'.repeat(10), 10)).toBe('a'.repeat(10))
    expect(safeText('a'.repeat(11), 10)).toBe(`${'a'.repeat(9)}…`)
    expect(safeText('🚗'.repeat(10), 10)).toBe('🚗'.repeat(10))
    expect(safeText('🚗'.repeat(11), 10)).toBe(`${'🚗'.repeat(9)}…`)
  })

  it('the cap counts what is left after cleaning', () => {
    expect(safeText(`${'a'.repeat(10)}\u200b\u200b\u200b`, 10)).toBe('a'.repeat(10))
    expect(safeText(`  ${'a'.repeat(5)}     ${'b'.repeat(4)}  `, 10)).toBe('aaaaa bbbb')
  })

  it('a cut does not leave a space before the mark', () => {
    expect(safeText('aaaa bbbb', 6)).toBe('aaaa…')
  })

  it('a cap below two still keeps one character before the mark (never only "…")', () => {
    expect(safeText('ab', 1)).toBe('a…')
    expect(safeText('a', 1)).toBe('a')
  })

  it('each field has its own cap', () => {
    expect(FIELD_LIMITS).toEqual({ customerName: 80, vehicle: 80, concern: 280, sessionType: 40 })
    const long = 'z'.repeat(1000)
    const d = safeDetails({ customerName: long, vehicle: long, concern: long, sessionType: long })
    expect({ customerName: codePoints(d.customerName!), vehicle: codePoints(d.vehicle!), concern: codePoints(d.concern!), sessionType: codePoints(d.sessionType!) }).toEqual(FIELD_LIMITS)
  })
})

describe('the cut before cleaning (so a 1 MB value costs no more than a short one)', () => {
  // For a cap of 10 the raw window is 10 × 4 + 16 = 56 UTF-16 units: room for invisible characters that
  // are about to be removed, and nothing after it is ever looked at.
  const zw = '\u200b'

  it('a raw value of exactly the window is cleaned whole and not marked as cut', () => {
    expect(safeText(`abc${zw.repeat(53)}`, 10)).toBe('abc')
  })

  it('one unit more and it is cut: what is left is marked even when it is short', () => {
    expect(safeText(`abc${zw.repeat(54)}`, 10)).toBe('abc…')
    expect(safeText(`${zw.repeat(50)}abcdefg`, 10)).toBe('abcdef…')
  })

  it('a megabyte of blanks followed by text yields nothing: the text lies beyond the window', () => {
    expect(safeText(`${' '.repeat(1 << 20)}visible`, 280)).toBeNull()
    expect(safeText(`${zw.repeat(1 << 20)}visible`, 280)).toBeNull()
  })

  it('a megabyte of text yields exactly the cap, marked as cut, and a bidi override at its end never arrives', () => {
    const s = safeText(`${'x'.repeat(1 << 20)}\u202e`, 280)!
    expect(s).toBe(`${'x'.repeat(279)}…`)
  })
})

describe('characters', () => {
  it.each([
    ['\u0000', 'NUL'],
    ['\u001f', 'last C0 control'],
    ['\u007f', 'DEL'],
    ['\u0080', 'first C1 control'],
    ['\u009f', 'last C1 control'],
    ['\n', 'newline'],
    ['\u001b', 'ESC'],
  ])('%j (%s) becomes a space between words', (c) => {
    expect(safeText(`a${c}b`, 10)).toBe('a b')
  })

  it.each([
    ['\u061c', 'Arabic letter mark'],
    ['\u200b', 'zero width space'],
    ['\u200f', 'right-to-left mark'],
    ['\u202a', 'first bidi embedding'],
    ['\u202e', 'right-to-left override'],
    ['\u2060', 'word joiner'],
    ['\u2064', 'invisible plus'],
    ['\u2066', 'first bidi isolate'],
    ['\u2069', 'pop directional isolate'],
    ['\u206f', 'last deprecated format character'],
    ['\ufeff', 'byte order mark'],
    ['\ufff9', 'first interlinear annotation'],
    ['\ufffb', 'last interlinear annotation'],
    ['\udb40\udc00', 'first tag character'],
    ['\udb40\udc7f', 'cancel tag'],
  ])('%j (%s) is removed without a trace', (c) => {
    expect(safeText(`a${c}b`, 10)).toBe('ab')
  })

  it.each([
    ['\u0020', 'space'],
    ['~', 'last ASCII printable'],
    ['\u00a1', 'first Latin-1 printable after NBSP'],
    ['\u2010', 'hyphen after the zero-width range'],
    ['\u2030', 'per mille after the bidi range'],
    ['\u2070', 'superscript zero after the format range'],
    ['\ufffc', 'object replacement after the annotations'],
    ['\ufffd', 'replacement character'],
    ['\udb40\udd00', 'variation selector 17, outside the tag block'],
  ])('%j (%s) is kept', (c) => {
    expect(safeText(`a${c}b`, 10)).toBe(`a${c}b`)
  })

  it.each([
    ['\u00a0', 'no-break space'],
    ['\u1680', 'ogham space'],
    ['\u2000', 'en quad'],
    ['\u200a', 'hair space'],
    ['\u2028', 'line separator'],
    ['\u2029', 'paragraph separator'],
    ['\u202f', 'narrow no-break space'],
    ['\u205f', 'math space'],
    ['\u3000', 'ideographic space'],
  ])('%j (%s) becomes one ordinary space', (c) => {
    expect(safeText(`a${c}${c}b`, 10)).toBe('a b')
  })

  it('lone surrogates become U+FFFD wherever they stand; pairs are kept', () => {
    expect(safeText('\udc00abc', 10)).toBe('\ufffdabc')
    expect(safeText('abc\ud800', 10)).toBe('abc\ufffd')
    expect(safeText('\ud800\ud800\udc00', 10)).toBe('\ufffd\ud800\udc00')
    expect(safeText('\ud83d\ude97', 10)).toBe('🚗')
  })
})

describe('safe text for every input', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc.string({ unit: fc.constantFrom('a', ' ', '\u202e', '\u200b', '\n', '\u0085', '\ud800', '\udc00', '🚗', '\udb40\udc41', '\u3000'), maxLength: 400 }),
  )
  const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/
  const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

  it('never exceeds its cap, never holds a control, invisible or bidi character or a lone surrogate, never has blank edges', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 300 }), (text, cap) => {
        const out = safeText(text, cap)
        if (out === null) return
        expect(codePoints(out)).toBeLessThanOrEqual(cap)
        expect(out).not.toMatch(FORBIDDEN)
        expect(out).not.toMatch(LONE)
        expect(out).toBe(out.trim())
        expect(out).not.toMatch(/\s\s/)
        expect(out.length).toBeGreaterThan(0)
      }),
    )
  })

  it('is idempotent: clean text stays as it is', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 2, max: 300 }), (text, cap) => {
        const once = safeText(text, cap)
        if (once === null || once.endsWith('…')) return
        expect(safeText(once, cap)).toBe(once)
      }),
    )
  })
})

describe('safeDetails', () => {
  it('a field that is present but unusable is known to be empty (null); an absent one stays unknown', () => {
    expect(safeDetails({ customerName: undefined, vehicle: { make: 'Ford' }, concern: 42 })).toEqual({ customerName: null, vehicle: null, concern: '42' })
    expect(safeDetails({})).toEqual({})
    expect(safeDetails(null)).toEqual({})
    expect(safeDetails(7)).toEqual({})
  })
})

describe('escapeMarkup', () => {
  it.each([
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
    ['&lt;', '&amp;lt;'],
    ['a<b>c<d>', 'a&lt;b&gt;c&lt;d&gt;'],
  ])('%s is shown as %s', (input, out) => {
    expect(escapeMarkup(input)).toBe(out)
  })
})

describe('validRequestId', () => {
  it('accepts uuids, numbers as text and slugs up to 128 characters of [A-Za-z0-9_.:-]', () => {
    for (const id of ['a', 'A-z_0.9:x', 'x'.repeat(128), '3f2b8c1e-1d2a-4c1b-9a7e-0f1e2d3c4b5a']) expect(validRequestId(id)).toBe(true)
  })

  it('refuses the empty id, 129 characters, any other character and non-strings', () => {
    for (const id of ['', 'x'.repeat(129), 'a/b', 'a b', 'a\nb', 'ä', 'a+b', 'a@b', '(a)']) expect(validRequestId(id)).toBe(false)
    for (const id of [1, null, undefined, ['a'], { id: 'a' }]) expect(validRequestId(id)).toBe(false)
  })
})
