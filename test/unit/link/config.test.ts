import { mkdtempSync, chmodSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { classifyKey, keyProblem, LOCAL_DEFAULTS, redact, redactText, validateSettings } from '../../../src/core/config.js'

function jwt(claims: Record<string, unknown>): string {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b({ alg: 'HS256', typ: 'JWT' })}.${b(claims)}.c2lnbmF0dXJl`
}
const dir = mkdtempSync(join(tmpdir(), 'bayalert-config-'))
const good = { supabaseUrl: 'https://xyz.supabase.co', anonKey: jwt({ role: 'anon', exp: 2e9 }), email: 'm@shop.test', password: 'pw', dataDir: dir }

describe('validateSettings', () => {
  it('accepts a good anon JWT and an sb_publishable_ key', () => {
    expect(validateSettings(good)).toMatchObject({ ok: true, settings: { keyKind: 'anon-jwt', supabaseUrl: 'https://xyz.supabase.co' } })
    expect(validateSettings({ ...good, anonKey: 'sb_publishable_abc123' })).toMatchObject({ ok: true, settings: { keyKind: 'publishable' } })
    expect(validateSettings({ ...good, ...LOCAL_DEFAULTS })).toMatchObject({ ok: true })
  })

  it.each([
    ['a service-role JWT', jwt({ role: 'service_role', exp: 2e9 })],
    ['an sb_secret_ key', 'sb_secret_abcdef0123'],
  ])('refuses %s with one clear message that does not echo the key', (_n, key) => {
    const r = validateSettings({ ...good, anonKey: key })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.problems).toHaveLength(1)
    expect(r.problems[0]!.field).toBe('anonKey')
    expect(r.problems[0]!.message).toMatch(/service-role|secret/)
    expect(r.problems[0]!.message).not.toContain(key)
  })

  it('refuses an authenticated-user JWT and garbage keys', () => {
    const r1 = validateSettings({ ...good, anonKey: jwt({ role: 'authenticated' }) })
    expect(!r1.ok && r1.problems[0]!.message).toMatch(/role "authenticated"/)
    const r2 = validateSettings({ ...good, anonKey: 'not-a-key' })
    expect(!r2.ok && r2.problems[0]!.message).toMatch(/neither a JWT/)
  })

  it.each(['ftp://x.y', 'not a url', 'ws://127.0.0.1:54321', 'https://user:pw@x.co'])('refuses the URL %s', (u) => {
    const r = validateSettings({ ...good, supabaseUrl: u })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.problems).toHaveLength(1)
      expect(r.problems[0]!.field).toBe('supabaseUrl')
    }
  })

  it('reports every missing field once', () => {
    const r = validateSettings({})
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.problems.map((p) => p.field).sort()).toEqual(['anonKey', 'dataDir', 'email', 'password', 'supabaseUrl'])
  })

  it('refuses an unwritable data dir', () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    const r = validateSettings({ ...good, dataDir: join(file, 'sub') })
    expect(!r.ok && r.problems[0]!.message).toMatch(/not writable/)
    if (process.getuid?.() !== 0) {
      const ro = mkdtempSync(join(tmpdir(), 'bayalert-ro-'))
      chmodSync(ro, 0o500)
      expect(validateSettings({ ...good, dataDir: ro }).ok).toBe(false)
    }
  })

  it('classifies keys', () => {
    expect(classifyKey(LOCAL_DEFAULTS.anonKey).kind).toBe('anon-jwt')
  })
})

describe('classifyKey / keyProblem: the one key classifier', () => {
  const anon = jwt({ iss: 'supabase', ref: 'xyz', role: 'anon', iat: 1.7e9, exp: 2e9 })
  const b64 = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url')
  it.each([
    ['an anon JWT', anon, 'anon-jwt', null],
    ['the local demo anon key', LOCAL_DEFAULTS.anonKey, 'anon-jwt', null],
    ['a publishable key', 'sb_publishable_AbC123_x-Y', 'publishable', null],
    ['whitespace around a valid key', `  ${anon}\n\t`, 'anon-jwt', null],
    ['whitespace around a publishable key', ' sb_publishable_abc ', 'publishable', null],
    ['a service_role JWT', jwt({ role: 'service_role' }), 'service-role', /service-role\/secret key/],
    ['a supabase_admin JWT', jwt({ role: 'supabase_admin' }), 'service-role', /service-role\/secret key/],
    ['an sb_secret_ key', 'sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz', 'secret', /service-role\/secret key/],
    ['an authenticated-role JWT', jwt({ role: 'authenticated', sub: 'u1' }), 'other-role', /JWT for role "authenticated", not "anon"/],
    ['a JWT with no role', jwt({ iss: 'x' }), 'other-role', /JWT for role "\(none\)", not "anon"/],
    ['a JWT whose role is hostile text', jwt({ role: '\u001b[2Jadmin\u202e' + 'x'.repeat(500) }), 'other-role', /role "\[2Jadminx+…", not "anon"/],
    ['garbage', 'not-a-key', 'invalid', /neither a JWT nor an sb_publishable_ key/],
    ['an empty key', '', 'invalid', /is missing/],
    ['only whitespace', ' \n ', 'invalid', /is missing/],
    ['a publishable prefix with nothing after it', 'sb_publishable_', 'invalid', /neither a JWT/],
    ['a publishable key with a space inside', 'sb_publishable_ab cd', 'invalid', /neither a JWT/],
    ['a JWT with a bad base64 payload', `${b64({ alg: 'HS256' })}.eyJyb2xl!!IjoiYW5vbiJ9.c2ln`, 'invalid', /neither a JWT/],
    ['a JWT whose payload is base64 of non-JSON', `${b64({ alg: 'HS256' })}.${b64('role=anon')}.c2ln`, 'invalid', /neither a JWT/],
    ['a 3-part non-JSON token', 'abc.def.ghi', 'invalid', /neither a JWT/],
    ['a JWT with a non-JSON header', `${b64('hello')}.${b64({ role: 'anon' })}.c2ln`, 'invalid', /neither a JWT/],
    ['a JWT whose payload is a JSON array', `${b64({ alg: 'HS256' })}.${b64(['anon'])}.c2ln`, 'invalid', /neither a JWT/],
    ['a JWT with an empty signature', `${b64({ alg: 'none' })}.${b64({ role: 'anon' })}.`, 'invalid', /neither a JWT/],
    ['two parts', `${b64({ alg: 'HS256' })}.${b64({ role: 'anon' })}`, 'invalid', /neither a JWT/],
    ['an absurdly long key', `${anon}${'A'.repeat(9000)}`, 'invalid', /neither a JWT/],
  ])('%s', (_n, key, kind, problem) => {
    expect(classifyKey(key).kind).toBe(kind)
    const p = keyProblem(key, 'The anon key')
    if (problem === null) expect(p).toBeNull()
    else {
      expect(p).toMatch(problem)
      expect(p!.startsWith('The anon key ')).toBe(true)
      if (key.trim().length > 16) expect(p).not.toContain(key.trim()) // (shorter ones are words of the message itself)
      expect(p).not.toMatch(/[\u0000-\u001f\u202a-\u202e]/)
    }
  })

  it('reports the role of a JWT it recognises', () => {
    expect(classifyKey(jwt({ role: 'service_role' }))).toEqual({ kind: 'service-role', role: 'service_role' })
    expect(classifyKey(jwt({ role: 'authenticated' }))).toEqual({ kind: 'other-role', role: 'authenticated' })
    expect(classifyKey(jwt({ role: 7 }))).toEqual({ kind: 'other-role', role: undefined })
  })

  it('settings use the trimmed key', () => {
    const r = validateSettings({ ...good, anonKey: `  ${good.anonKey}\n` })
    expect(r.ok && r.settings.anonKey).toBe(good.anonKey)
  })
})

describe('redaction', () => {
  it('never leaves a token, key or password in text', () => {
    const token = jwt({ role: 'authenticated', sub: 'u' })
    const text = `GET /x?apikey=sb_secret_abc123&x=1 Authorization: Bearer ${token} {"password":"hunter2","refresh_token":"r-tok-1"}`
    const out = redactText(text)
    expect(out).not.toContain(token)
    expect(out).not.toContain('sb_secret_abc123')
    expect(out).not.toContain('hunter2')
    expect(out).not.toContain('r-tok-1')
    expect(redact('abcdefghij')).toBe('abcd…(redacted 10 chars)')
  })

  it('removes an opaque Bearer credential (not a JWT) in any letter case (auth schemes are case-insensitive, RFC 7235 §2.1)', () => {
    expect(redactText('header Authorization: Bearer abc.DEF~g+h/i== sent')).not.toMatch(/abc\.DEF|g\+h\/i/)
    expect(redactText('bearer op4que-tok3n then')).toBe('Bearer (redacted) then')
    expect(redactText('Bearer')).toBe('Bearer')
  })
})
