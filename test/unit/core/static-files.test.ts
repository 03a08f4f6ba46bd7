import { describe, expect, it } from 'vitest'
import { decodeRequestPath, extensionOf, resolveInside, UI_CONTENT_TYPES } from '../../../src/core/static-files.js'

describe('resolveInside', () => {
  it('resolves paths strictly inside the root', () => {
    expect(resolveInside('/srv/root', 'index.html')).toBe('/srv/root/index.html')
    expect(resolveInside('/srv/root/', 'assets/a.js')).toBe('/srv/root/assets/a.js')
    expect(resolveInside('/srv/root', 'assets/../b.css')).toBe('/srv/root/b.css')
  })
  it.each(['', '.', '..', '../etc/passwd', 'assets/../../secret', '/etc/passwd', '../root-sibling/x.js'])('refuses %j', (child) => {
    expect(resolveInside('/srv/root', child)).toBeNull()
  })
})

describe('decodeRequestPath', () => {
  it('decodes once and maps / to /index.html', () => {
    expect(decodeRequestPath('/')).toEqual({ path: '/index.html' })
    expect(decodeRequestPath('')).toEqual({ path: '/index.html' })
    expect(decodeRequestPath('/a%20b.js')).toEqual({ path: '/a b.js' })
    expect(decodeRequestPath('/..%2f..%2fetc')).toEqual({ path: '/../../etc' }) // then refused by resolveInside
    expect(decodeRequestPath('/%252e')).toEqual({ path: '/%2e' })
  })
  it('refuses malformed escapes, NUL and backslashes', () => {
    expect(decodeRequestPath('/%E0%A4%A')).toEqual({ refused: 'undecodable' })
    expect(decodeRequestPath('/a%00.js')).toEqual({ refused: 'forbidden' })
    expect(decodeRequestPath('/%5c..%5cx.js')).toEqual({ refused: 'forbidden' })
  })
})

describe('content types', () => {
  it('by lower-case extension', () => {
    expect(UI_CONTENT_TYPES[extensionOf('/x/INDEX.HTML')]).toBe('text/html; charset=utf-8')
    expect(UI_CONTENT_TYPES[extensionOf('/s/request.wav')]).toBe('audio/wav')
    expect(UI_CONTENT_TYPES[extensionOf('/x/a.exe')]).toBeUndefined()
  })
})
