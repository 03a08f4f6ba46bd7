/** @vitest-environment node */
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'
import { FakeEngine } from '../../mocks/fake-engine.js'
import { memoryKv } from './fixtures.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { SafeStorageSecretStore } = await import('../../../src/main/secret-store.js')
const { loadSettings, SettingsService } = await import('../../../src/main/settings.js')
const { autostartDesktopEntry, getStartAtLogin, loginItemSupported, quoteExecArg, setStartAtLogin } = await import('../../../src/main/login-item.js')
const { wirePowerEvents } = await import('../../../src/main/power.js')
const { createConsoleLogger } = await import('../../../src/main/logger.js')
const { EngineHost, NOT_CONFIGURED } = await import('../../../src/main/engine-host.js')

const lines: string[] = []
const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn((m: string, f?: object) => lines.push(`${m} ${JSON.stringify(f ?? {})}`)), error: vi.fn() }
const tmp = mkdtempSync(join(tmpdir(), 'bayalert-main-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

beforeEach(() => {
  electron.resetElectronMock()
  lines.length = 0
})

describe('SafeStorageSecretStore', () => {
  it('round-trips through encryptStringAsync and stores only ciphertext', async () => {
    const kv = memoryKv()
    const s = new SafeStorageSecretStore(electron.safeStorage, kv, 'linux', log)
    await s.setItem('sb-auth-token', 'refresh-123')
    expect(JSON.stringify(kv.map.get('secrets'))).not.toContain('refresh-123')
    expect(await s.getItem('sb-auth-token')).toBe('refresh-123')
    expect(await s.getItem('missing')).toBeNull()
    await s.removeItem('sb-auth-token')
    expect(await s.getItem('sb-auth-token')).toBeNull()
    expect(await s.status()).toEqual({ protected: true, backend: 'gnome_libsecret', message: null })
  })
  it('warns (log and UI) when Linux has no keyring: basic_text', async () => {
    electron.safeStorage.getSelectedStorageBackend.mockReturnValue('basic_text')
    const s = new SafeStorageSecretStore(electron.safeStorage, memoryKv(), 'linux', log)
    const st = await s.status()
    electron.safeStorage.getSelectedStorageBackend.mockReturnValue('gnome_libsecret')
    expect(st.protected).toBe(false)
    expect(st.message).toMatch(/No system keyring/)
    expect(lines.join()).toContain('basic_text')
  })
  it('drops undecryptable data and reports it as absent, without logging the value', async () => {
    const kv = memoryKv()
    kv.set('secrets', { token: Buffer.from('garbage-from-another-machine').toString('base64'), other: 42 })
    const s = new SafeStorageSecretStore(electron.safeStorage, kv, 'win32', log)
    expect(await s.getItem('token')).toBeNull()
    expect(kv.map.get('secrets')).toEqual({})
    expect(lines.join()).toContain('could not be decrypted')
    expect(lines.join()).not.toContain('garbage')
  })
  it('re-encrypts when safeStorage asks to', async () => {
    const kv = memoryKv()
    const s = new SafeStorageSecretStore(electron.safeStorage, kv, 'darwin', log)
    await s.setItem('t', 'v')
    electron.safeStorage.decryptStringAsync.mockResolvedValueOnce({ result: 'v', shouldReEncrypt: true })
    expect(await s.getItem('t')).toBe('v')
    expect(electron.safeStorage.encryptStringAsync).toHaveBeenCalledTimes(2)
  })
  it('keeps secrets in memory only when encryption is unavailable', async () => {
    electron.safeStorage.isAsyncEncryptionAvailable.mockResolvedValue(false)
    const kv = memoryKv()
    const s = new SafeStorageSecretStore(electron.safeStorage, kv, 'linux', log)
    await s.setItem('t', 'v')
    electron.safeStorage.isAsyncEncryptionAvailable.mockResolvedValue(true)
    expect(kv.map.has('secrets')).toBe(false)
    expect(await s.getItem('t')).toBe('v')
    expect((await s.status()).message).toMatch(/memory only/)
  })
})

describe('settings', () => {
  const KEY = 'sb_publishable_shop123'
  it('keeps good values, defaults bad ones, and says why', () => {
    const r = loadSettings({ supabaseUrl: 'ftp://x', anonKey: KEY, email: 'not an email', soundEnabled: 'yes' })
    expect(r.settings).toEqual({ supabaseUrl: '', anonKey: KEY, email: '', soundEnabled: true, globalShortcut: 'CommandOrControl+Alt+T' })
    expect(r.configured).toBe(false)
    expect(r.problems).toHaveLength(3)
    expect(Object.keys(r.fields).sort()).toEqual(['email', 'soundEnabled', 'supabaseUrl'])
    expect(r.fields.supabaseUrl).toMatch(/https/)
  })
  it('refuses plain http except on loopback; treats garbage as empty', () => {
    expect(loadSettings({ supabaseUrl: 'http://shop.example', anonKey: KEY }).settings.supabaseUrl).toBe('')
    expect(loadSettings({ supabaseUrl: 'http://127.0.0.1:54321', anonKey: KEY }).configured).toBe(true)
    expect(loadSettings({ supabaseUrl: 'https://user:pw@x.supabase.co', anonKey: KEY }).problems[0]).toMatch(/user name/)
    expect(loadSettings('garbage').problems).toEqual(['Saved settings were not an object and were ignored.'])
    expect(loadSettings(undefined)).toEqual({ settings: { supabaseUrl: '', anonKey: '', email: '', soundEnabled: true, globalShortcut: 'CommandOrControl+Alt+T' }, problems: [], fields: {}, configured: false, provisioning: { source: null, fields: [] } })
  })
  it('environment overrides saved values', () => {
    const r = loadSettings({ supabaseUrl: 'https://a.supabase.co', anonKey: 'sb_publishable_a' }, { SUPABASE_URL: 'http://127.0.0.1:9', SUPABASE_ANON_KEY: 'sb_publishable_b', BAYALERT_EMAIL: 'm@x.io' })
    expect(r.settings).toMatchObject({ supabaseUrl: 'http://127.0.0.1:9', anonKey: 'sb_publishable_b', email: 'm@x.io' })
  })
  it('save validates strictly and notifies listeners', () => {
    const kv = memoryKv()
    const svc = new SettingsService(kv)
    const changed = vi.fn()
    svc.onChange(changed)
    expect(svc.save({ supabaseUrl: 'nope', anonKey: KEY, email: '', soundEnabled: true })).toMatchObject({ ok: false, fields: { supabaseUrl: expect.any(String) } })
    expect(kv.map.has('settings')).toBe(false)
    const ok = svc.save({ supabaseUrl: 'https://abc.supabase.co', anonKey: KEY, email: 'm@shop.io', soundEnabled: false })
    expect(ok.ok).toBe(true)
    expect(changed).toHaveBeenCalledOnce()
    expect(svc.get().settings.soundEnabled).toBe(false)
  })
})

describe('login item', () => {
  const env = (platform: NodeJS.Platform, isPackaged = true) => ({ platform, isPackaged, appData: tmp, execPath: '/opt/Bay Alert/bayalert' })
  it('is skipped when not packaged', () => {
    expect(loginItemSupported(env('linux', false))).toBe(false)
    expect(setStartAtLogin(env('darwin', false), true)).toBe(false)
    expect(electron.app.setLoginItemSettings).not.toHaveBeenCalled()
  })
  it('darwin uses mainAppService, win32 passes --hidden', () => {
    setStartAtLogin(env('darwin'), true)
    expect(electron.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: true, type: 'mainAppService' })
    setStartAtLogin(env('win32'), false)
    expect(electron.app.setLoginItemSettings).toHaveBeenLastCalledWith({ openAtLogin: false, args: ['--hidden'] })
  })
  it('linux writes and removes an XDG autostart entry with a quoted Exec', () => {
    expect(setStartAtLogin(env('linux'), true)).toBe(true)
    const file = join(tmp, 'autostart', 'com.bayalert.BayAlert.desktop')
    expect(readFileSync(file, 'utf8')).toContain('Exec="/opt/Bay Alert/bayalert" --hidden')
    expect(getStartAtLogin(env('linux'))).toBe(true)
    expect(setStartAtLogin(env('linux'), false)).toBe(false)
    expect(existsSync(file)).toBe(false)
    expect(autostartDesktopEntry('/tmp/x.AppImage')).toMatch(/^\[Desktop Entry\]/)
    expect(quoteExecArg('a"b$c`d\\e')).toBe('"a\\"b\\$c\\`d\\\\e"')
  })
})

describe('power events', () => {
  it('resume/unlock → notifyResume, suspend → notifySuspend; unlock only where it exists', () => {
    const engine = new FakeEngine()
    const stop = wirePowerEvents({ engine: () => engine, power: electron.powerMonitor, isOnline: () => true, linkState: () => 'live', platform: 'win32' })
    electron.powerMonitor.emit('suspend')
    electron.powerMonitor.emit('resume')
    electron.powerMonitor.emit('unlock-screen')
    expect(engine.calls.map((c) => c.cmd)).toEqual(['notifySuspend', 'notifyResume', 'notifyResume'])
    stop()
    expect(electron.powerMonitor.listenerCount('resume')).toBe(0)
    electron.powerMonitor.on.mockClear()
    wirePowerEvents({ engine: () => engine, power: electron.powerMonitor, isOnline: () => true, linkState: () => 'live', platform: 'linux' })()
    expect(electron.powerMonitor.on).not.toHaveBeenCalledWith('unlock-screen', expect.anything())
  })
  it('polls net.isOnline only while the link is down and reports changes', () => {
    vi.useFakeTimers()
    try {
      const engine = new FakeEngine()
      let state: 'live' | 'offline' = 'live'
      let online = false
      const isOnline = vi.fn(() => online)
      const stop = wirePowerEvents({ engine: () => engine, power: electron.powerMonitor, isOnline, linkState: () => state, platform: 'linux', pollMs: 1000 })
      vi.advanceTimersByTime(3000)
      expect(isOnline).not.toHaveBeenCalled()
      state = 'offline'
      vi.advanceTimersByTime(1000)
      vi.advanceTimersByTime(1000)
      online = true
      vi.advanceTimersByTime(1000)
      vi.advanceTimersByTime(1000)
      expect(engine.calls).toEqual([{ cmd: 'notifyNetworkChange', online: false }, { cmd: 'notifyNetworkChange', online: true }])
      stop()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('logger', () => {
  it('redacts secret-looking fields', () => {
    const out: string[] = []
    createConsoleLogger('t', (l) => out.push(l)).info('x', { password: 'p', refresh_token: 't', anonKey: 'k', channel: 'c' })
    const rec = JSON.parse(out[0]!)
    expect(rec).toMatchObject({ password: '[redacted]', refresh_token: '[redacted]', anonKey: '[redacted]', channel: 'c' })
  })
})

describe('EngineHost', () => {
  it('reports a readable signed-out state when unconfigured and swaps engines on reconfigure', async () => {
    const made: FakeEngine[] = []
    const host = new EngineHost(() => (made.push(new FakeEngine()), made.at(-1)!), log)
    expect(host.snapshot().link).toMatchObject({ state: 'signed-out', reason: NOT_CONFIGURED })
    await expect(host.acknowledge('r')).rejects.toThrow(/No shop configured/)
    expect(await host.accept('r')).toMatchObject({ ok: false, reason: 'offline' })
    const seen = vi.fn()
    host.onSnapshot(seen)
    const cfg = { supabaseUrl: 'https://a', anonKey: 'k', dataDir: '/d', workstationId: 'w', appVersion: '1' }
    await host.configure(cfg)
    await host.configure({ ...cfg, supabaseUrl: 'https://b' })
    expect(made[0]!.calls.map((c) => c.cmd)).toEqual(['start', 'stop'])
    expect(made[0]!.listenerCount('snapshot')).toBe(0)
    made[1]!.push({ paused: 'indefinite' })
    expect(seen).toHaveBeenLastCalledWith(expect.objectContaining({ paused: 'indefinite' }))
  })
  it("a real engine whose store another program holds locked at start: configure does not wait for it, the tray's snapshot says offline with the reason, and the engine starts once the lock is gone", async () => {
    const { Engine } = await import('../../../src/core/engine.js')
    const { MemorySecretStore } = await import('../../../src/core/memory-secret-store.js')
    const { Store } = await import('../../../src/core/store/store.js')
    const { default: Database } = await import('better-sqlite3')
    const dataDir = mkdtempSync(join(tmp, 'locked-'))
    Store.open({ path: join(dataDir, 'bayalert.db'), log }).close()
    const other = new Database(join(dataDir, 'bayalert.db'))
    other.pragma('locking_mode = EXCLUSIVE')
    other.exec('BEGIN EXCLUSIVE')
    const engines: InstanceType<typeof Engine>[] = []
    const host = new EngineHost((cfg) => {
      const e = new Engine(cfg, { secrets: new MemorySecretStore(), sinks: [], log }, { stateCore: { storeRetry: { baseMs: 50, maxMs: 100, jitter: 0 } } })
      engines.push(e)
      return e
    }, log)
    const seen: string[] = []
    host.onSnapshot((s) => seen.push(`${s.link.state}: ${s.link.reason}`))
    try {
      await host.configure({ supabaseUrl: 'http://127.0.0.1:9', anonKey: 'k', dataDir, workstationId: 'w', appVersion: '1' })
      expect(host.snapshot().link).toMatchObject({ state: 'offline', reason: 'Local store cannot open: database is locked — trying again' })
      expect(seen).toContain('offline: Local store cannot open: database is locked — trying again')
      expect(engines[0]!.core).toBeNull()
      other.exec('COMMIT')
      other.close()
      await vi.waitFor(() => expect(engines[0]!.core).not.toBeNull(), { timeout: 5000 })
      await vi.waitFor(() => expect(host.snapshot().link.reason).not.toMatch(/Local store/), { timeout: 5000 })
    } finally {
      if (other.open) other.close()
      await host.stop()
    }
  })

  it('acknowledgeAll skips acknowledged items and survives one failure', async () => {
    const e = new FakeEngine()
    const { makeItem } = await import('../../mocks/fake-engine.js')
    e.snap.queue = [makeItem({ requestId: 'a' }), makeItem({ requestId: 'b', acknowledged: true }), makeItem({ requestId: 'c' })]
    const orig = e.acknowledge.bind(e)
    e.acknowledge = async (id: string) => {
      if (id === 'a') throw new Error('boom')
      return orig(id)
    }
    const host = new EngineHost(() => e, log)
    await host.configure({ supabaseUrl: 'https://a', anonKey: 'k', dataDir: '/d', workstationId: 'w', appVersion: '1' })
    await host.acknowledgeAll()
    expect(e.calls.filter((c) => c.cmd === 'acknowledge')).toEqual([{ cmd: 'acknowledge', requestId: 'c' }])
  })
})
