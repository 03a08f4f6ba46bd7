import { mkdtempSync, chmodSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { classifyKey, LOCAL_DEFAULTS, redact, redactText, validateSettings } from '../../../src/core/config.js'

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
})
