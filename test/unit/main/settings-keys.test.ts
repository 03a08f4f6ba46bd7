/** @vitest-environment node */
// The Electron settings accept only the project's public key and a safe shop URL, wherever the value comes
// from: the settings panel over IPC, the saved settings read at start, or the environment. The key kinds are
// the same as the core classifier's table (test/unit/link/config.test.ts).
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'
import { FakeEngine } from '../../mocks/fake-engine.js'
import { jwt, memoryKv, registerIpcForTests } from './fixtures.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { EngineHost } = await import('../../../src/main/engine-host.js')
const { loadSettings, SettingsService } = await import('../../../src/main/settings.js')


const ANON = jwt({ iss: 'supabase', ref: 'xyz', role: 'anon', exp: 2e9 })
const URL_OK = 'https://xyz.supabase.co'

// [name, key, accepted, message pattern when refused]
const KEYS: Array<[string, string, boolean, RegExp | null]> = [
  ['an anon JWT', ANON, true, null],
  ['an sb_publishable_ key', 'sb_publishable_AbC123_xyz', true, null],
  ['a service_role JWT', jwt({ role: 'service_role', exp: 2e9 }), false, /The anon key is a service-role\/secret key, which bypasses row-level security/],
  ['a supabase_admin JWT', jwt({ role: 'supabase_admin' }), false, /service-role\/secret key/],
  ['an authenticated JWT', jwt({ role: 'authenticated', sub: 'u1' }), false, /The anon key is a JWT for role "authenticated", not "anon"/],
  ['a JWT with no role', jwt({ iss: 'supabase' }), false, /JWT for role "\(none\)"/],
  ['an sb_secret_ key', 'sb_secret_AbC123_xyz', false, /service-role\/secret key/],
  ['garbage', 'not-a-key', false, /neither a JWT nor an sb_publishable_ key/],
  ['a key with spaces inside', 'eyJ abc.def', false, /neither a JWT nor an sb_publishable_ key/],
  ['an empty key', '', false, /The anon key is missing/],
  ['whitespace', '   \n\t', false, /The anon key is missing/],
]

describe('settings service: keys', () => {
  it.each(KEYS)('%s from the settings panel', (_name, key, accepted, message) => {
    const kv = memoryKv()
    const svc = new SettingsService(kv)
    const changed = vi.fn()
    svc.onChange(changed)
    const r = svc.save({ supabaseUrl: URL_OK, anonKey: key, email: '', soundEnabled: true })
    if (accepted) {
      expect(r).toMatchObject({ ok: true, loaded: { configured: true, settings: { anonKey: key } } })
      expect(kv.map.get('settings')).toMatchObject({ anonKey: key })
      expect(changed).toHaveBeenCalledTimes(1)
      return
    }
    expect(r.ok).toBe(false)
    if (r.ok) return
    // One message, next to the key field, that never repeats the key.
    expect(Object.keys(r.fields)).toEqual(['anonKey'])
    expect(r.fields.anonKey).toMatch(message!)
    expect(r.problems).toEqual([r.fields.anonKey])
    if (key.trim()) expect(r.fields.anonKey).not.toContain(key.trim())
    // Nothing refused is saved, and nothing downstream hears about it.
    expect(kv.map.has('settings')).toBe(false)
    expect(changed).not.toHaveBeenCalled()
    expect(svc.get().configured).toBe(false)
  })

  it.each(KEYS)('%s in the saved settings at start', (_name, key, accepted, message) => {
    const loaded = loadSettings({ supabaseUrl: URL_OK, anonKey: key, email: '', soundEnabled: true })
    if (accepted) {
      expect(loaded).toMatchObject({ configured: true, settings: { anonKey: key }, problems: [] })
      return
    }
    expect(loaded.settings.anonKey).toBe('')
    expect(loaded.configured).toBe(false)
    if (key === '' || !key.trim()) return // an empty saved key is "not configured yet", not a problem
    expect(loaded.fields.anonKey).toMatch(message!)
    expect(loaded.fields.anonKey).toMatch(/^Saved settings: .*Not used until it is fixed\.$/)
  })

  it.each(KEYS.filter(([, key]) => key.trim() !== ''))('%s in SUPABASE_ANON_KEY overrides nothing when refused', (_name, key, accepted) => {
    const loaded = loadSettings({ supabaseUrl: URL_OK, anonKey: 'sb_publishable_saved' }, { SUPABASE_ANON_KEY: key })
    if (accepted) {
      expect(loaded.settings.anonKey).toBe(key)
      return
    }
    // The environment's key is refused; the app does not fall back to using it partially.
    expect(loaded.settings.anonKey).toBe('')
    expect(loaded.configured).toBe(false)
    expect(loaded.fields.anonKey).toMatch(/^SUPABASE_ANON_KEY \(environment\): /)
  })

  it.each([
    ['a service_role JWT', jwt({ role: 'service_role' })],
    ['an sb_secret_ key', 'sb_secret_AbC123_xyz'],
  ])('%s saved by an earlier version is deleted from disk at start, and said', (_name, key) => {
    const kv = memoryKv()
    kv.set('settings', { supabaseUrl: URL_OK, anonKey: key, email: 'm@shop.test', soundEnabled: false })
    const svc = new SettingsService(kv)
    expect(kv.map.get('settings')).toEqual({ supabaseUrl: URL_OK, email: 'm@shop.test', soundEnabled: false })
    expect(svc.removedSecretKey()).toBe(true)
    expect(svc.get().fields.anonKey).toMatch(/has been deleted/)
    expect(svc.get().problems[0]).toMatch(/has been deleted/)
    expect(JSON.stringify(svc.get())).not.toContain(key)
  })

  it('other refused saved keys (no bypass of row-level security) are left on disk, unused', () => {
    const kv = memoryKv()
    kv.set('settings', { supabaseUrl: URL_OK, anonKey: jwt({ role: 'authenticated' }) })
    const svc = new SettingsService(kv)
    expect(svc.removedSecretKey()).toBe(false)
    expect(kv.map.get('settings')).toMatchObject({ anonKey: expect.any(String) })
    expect(svc.get().configured).toBe(false)
  })

  it('trims a key pasted with a trailing newline and saves it trimmed', () => {
    const kv = memoryKv()
    const r = new SettingsService(kv).save({ supabaseUrl: ` ${URL_OK} `, anonKey: `${ANON}\n`, email: ' m@shop.test ', soundEnabled: false })
    expect(r.ok).toBe(true)
    expect(kv.map.get('settings')).toEqual({ supabaseUrl: URL_OK, anonKey: ANON, email: 'm@shop.test', soundEnabled: false })
  })

  it('refuses a value of the wrong shape without writing', () => {
    const kv = memoryKv()
    const svc = new SettingsService(kv)
    expect(svc.save({ supabaseUrl: URL_OK, anonKey: ANON, email: '', soundEnabled: 'yes' })).toMatchObject({ ok: false })
    expect(svc.save(null)).toMatchObject({ ok: false })
    expect(kv.map.has('settings')).toBe(false)
  })
})

describe('settings service: the shop URL', () => {
  it.each([
    ['https://xyz.supabase.co', true],
    ['https://shop.example:8443/base', true],
    ['http://127.0.0.1:54321', true],
    ['http://localhost:54321', true],
    ['http://[::1]:54321', true],
    ['http://xyz.supabase.co', false],
    ['http://192.168.1.20:54321', false],
    ['http://127.0.0.1.evil.example', false],
    ['ftp://xyz.supabase.co', false],
    ['javascript:alert(1)', false],
    ['https://user:pw@xyz.supabase.co', false],
    ['not a url', false],
    ['', false],
  ])('%s → accepted %s', (url, accepted) => {
    const r = new SettingsService(memoryKv()).save({ supabaseUrl: url, anonKey: ANON, email: '', soundEnabled: true })
    expect(r.ok).toBe(accepted)
    if (!r.ok) expect(Object.keys(r.fields)).toEqual(['supabaseUrl'])
  })
})

describe('settings:save over IPC', () => {
  const trusted = { senderFrame: { url: 'app://bundle/index.html' } }
  let kv: ReturnType<typeof memoryKv>
  let engine: FakeEngine
  const call = (event: unknown, ...args: unknown[]): Promise<any> => Promise.resolve(electron.ipcMain.handlers.get('settings:save')!(event, ...args))
  const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }

  beforeEach(async () => {
    electron.resetElectronMock()
    kv = memoryKv()
    engine = new FakeEngine()
    const host = new EngineHost(() => engine, log)
    const settings = new SettingsService(kv)
    await registerIpcForTests({ host, settings, kv, log })
  })

  it.each(KEYS)('%s', async (_name, key, accepted, message) => {
    const r = await call(trusted, { supabaseUrl: URL_OK, anonKey: key, email: '', soundEnabled: true })
    if (accepted) {
      expect(r).toMatchObject({ ok: true, settings: { anonKey: key, configured: true, fields: {} } })
      return
    }
    expect(r).toEqual({ ok: false, problems: [expect.stringMatching(message!)], fields: { anonKey: expect.stringMatching(message!) } })
    expect(kv.map.has('settings')).toBe(false)
  })

  it('still refuses an untrusted sender before looking at the key', async () => {
    await expect(call({ senderFrame: { url: 'https://evil.example/' } }, { supabaseUrl: URL_OK, anonKey: ANON, email: '', soundEnabled: true })).rejects.toThrow(
      /untrusted sender/,
    )
    expect(kv.map.has('settings')).toBe(false)
  })

  it.each([
    [{ supabaseUrl: URL_OK, anonKey: ANON, email: '', soundEnabled: true, extra: 1 }],
    [{ supabaseUrl: URL_OK, anonKey: ANON, email: '' }],
    [{ supabaseUrl: URL_OK, anonKey: 42, email: '', soundEnabled: true }],
    [{ supabaseUrl: URL_OK, anonKey: 'a'.repeat(4097), email: '', soundEnabled: true }],
    [[URL_OK, ANON]],
  ])('still refuses a malformed argument: %j', async (arg) => {
    await expect(call(trusted, arg)).rejects.toThrow(/invalid arguments/)
    expect(kv.map.has('settings')).toBe(false)
  })
})
