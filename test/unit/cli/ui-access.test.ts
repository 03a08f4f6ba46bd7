// Who may use the headless UI server, as rules: fresh secrets per run and scope, which proof unlocks which
// scope (cookie under its own name only, or a bearer header), and the cookie's attributes.
import { describe, expect, it } from 'vitest'
import { createUiAccess, parseCookies } from '../../../src/cli/ui-access.js'

describe('ui access', () => {
  it('two 256-bit base64url secrets per run, different per scope and per run', () => {
    const a = createUiAccess(4000)
    const b = createUiAccess(4000)
    for (const s of [a.secret('queue'), a.secret('wallboard')]) expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.secret('queue')).not.toBe(a.secret('wallboard'))
    expect(a.secret('queue')).not.toBe(b.secret('queue'))
    // A random source that repeats itself is refused rather than giving the wallboard the queue's rights.
    expect(() => createUiAccess(4000, (n) => Buffer.alloc(n, 7))).toThrow(/must differ/)
  })

  it('a presented key unlocks exactly its scope; near misses, empty and oversized keys unlock nothing', () => {
    const a = createUiAccess(4000)
    const q = a.secret('queue')
    expect(a.scopeOfKey(q)).toBe('queue')
    expect(a.scopeOfKey(a.secret('wallboard'))).toBe('wallboard')
    expect(a.scopeOfKey(q.slice(0, -1))).toBeNull()
    expect(a.scopeOfKey(`${q} `)).toBeNull()
    expect(a.scopeOfKey(q.toUpperCase() === q ? q.toLowerCase() : q.toUpperCase())).toBeNull()
    expect(a.scopeOfKey('')).toBeNull()
    expect(a.scopeOfKey('x'.repeat(257))).toBeNull()
    expect(createUiAccess(4000).scopeOfKey(q)).toBeNull() // another run's secret
  })

  it('cookies count only under their own port-named cookie; the bearer header works for either scope', () => {
    const a = createUiAccess(4000)
    const [q, w] = [a.secret('queue'), a.secret('wallboard')]
    expect(a.cookieName('queue')).toBe('bayalert-4000-queue')
    expect(a.cookieName('wallboard')).toBe('bayalert-4000-wallboard')
    expect(a.scopeOf({ cookie: `bayalert-4000-queue=${q}` })).toBe('queue')
    expect(a.scopeOf({ cookie: `bayalert-4000-wallboard=${w}` })).toBe('wallboard')
    expect(a.scopeOf({ cookie: `bayalert-4000-queue=${w}` })).toBeNull() // wallboard secret under the queue name
    expect(a.scopeOf({ cookie: `bayalert-4000-wallboard=${q}` })).toBeNull()
    expect(a.scopeOf({ cookie: `bayalert-4001-queue=${q}` })).toBeNull()
    expect(a.scopeOf({ cookie: `bayalert-4000-wallboard=${w}; bayalert-4000-queue=${q}` })).toBe('queue') // the wider wins
    expect(a.scopeOf({ cookie: `bayalert-4000-queue=nope; bayalert-4000-queue=${q}` })).toBe('queue') // a stale duplicate first
    expect(a.scopeOf({ authorization: `Bearer ${q}` })).toBe('queue')
    expect(a.scopeOf({ authorization: `bearer ${w}` })).toBe('wallboard')
    expect(a.scopeOf({ authorization: `Bearer ${w}`, cookie: `bayalert-4000-queue=${q}` })).toBe('queue')
    expect(a.scopeOf({ authorization: `Basic ${q}` })).toBeNull()
    expect(a.scopeOf({ authorization: `Bearer ${q} extra` })).toBeNull()
    expect(a.scopeOf({})).toBeNull()
  })

  it('the cookie is HttpOnly, SameSite=Strict, Path=/ and a session cookie', () => {
    const a = createUiAccess(4000)
    expect(a.setCookie('queue')).toBe(`bayalert-4000-queue=${a.secret('queue')}; HttpOnly; SameSite=Strict; Path=/`)
    expect(a.setCookie('wallboard')).toBe(`bayalert-4000-wallboard=${a.secret('wallboard')}; HttpOnly; SameSite=Strict; Path=/`)
  })

  it('parseCookies: name=value pairs in order, values as sent, junk skipped, at most 50', () => {
    expect(parseCookies(undefined)).toEqual([])
    expect(parseCookies(' a=1 ; b = x=y ;junk; =v; c=')).toEqual([
      ['a', '1'],
      ['b', 'x=y'],
      ['c', ''],
    ])
    expect(parseCookies(Array.from({ length: 80 }, (_, i) => `n${i}=v`).join('; '))).toHaveLength(50)
  })
})
