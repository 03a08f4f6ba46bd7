/** @vitest-environment node */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'
import { FakeEngine, makeItem } from '../../mocks/fake-engine.js'
import { memoryKv, registerIpcForTests } from './fixtures.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { EngineHost } = await import('../../../src/main/engine-host.js')
const { SettingsService } = await import('../../../src/main/settings.js')
const { isTrustedSender, push } = await import('../../../src/main/typed-ipc.js')
const { LOCAL_DEFAULTS } = await import('../../../src/core/config.js')
const { INVOKE_CONTRACT } = await import('../../../src/shared/ipc-schemas.js')

const trusted = { senderFrame: { url: 'app://bundle/index.html' } }
const lines: string[] = []
const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn((m: string, f?: object) => lines.push(`${m} ${JSON.stringify(f)}`)), error: vi.fn() }


let engine: FakeEngine
async function setup() {
  electron.resetElectronMock()
  lines.length = 0
  engine = new FakeEngine({ queue: [makeItem({ requestId: 'r-1' })] })
  const host = new EngineHost(() => engine, log)
  await host.configure({ supabaseUrl: 'http://127.0.0.1:1', anonKey: 'k', dataDir: '/tmp/x', workstationId: 'w', appVersion: '0' })
  const settings = new SettingsService(memoryKv(), { SUPABASE_URL: 'http://127.0.0.1:54321', SUPABASE_ANON_KEY: LOCAL_DEFAULTS.anonKey })
  await registerIpcForTests({ host, settings, kv: memoryKv(), log })
}
const call = (channel: string, event: unknown, ...args: unknown[]): Promise<any> => Promise.resolve(electron.ipcMain.handlers.get(channel)!(event, ...args))

beforeEach(setup)

describe('isTrustedSender', () => {
  it('trusts only app://bundle frames', () => {
    expect(isTrustedSender({ url: 'app://bundle/index.html' })).toBe(true)
    expect(isTrustedSender({ url: 'app://bundle/sound.html' })).toBe(true)
    expect(isTrustedSender({ url: 'https://evil.example/' })).toBe(false)
    expect(isTrustedSender({ url: 'file:///tmp/index.html' })).toBe(false)
    expect(isTrustedSender({ url: 'http://127.0.0.1:5173/' })).toBe(false)
    expect(isTrustedSender(null)).toBe(false)
  })
})

describe('handlers', () => {
  it('registers every contract channel', () => {
    expect([...electron.ipcMain.handlers.keys()].sort()).toEqual(
      ['alerts:pause', 'alerts:resume', 'engine:get-snapshot', 'history:get', 'link:reconnect', 'queue:accept', 'queue:acknowledge', 'session:sign-in', 'session:sign-out', 'settings:get', 'settings:save', 'updates:get-status', 'first-run:get-state', 'first-run:test-alert', 'first-run:finish'].sort(),
    )
  })

  it('passes valid calls from the bundle to the engine', async () => {
    await call('queue:acknowledge', trusted, 'r-1')
    expect(await call('queue:accept', trusted, 'r-1')).toEqual({ ok: true })
    await call('alerts:pause', trusted, { minutes: 15 })
    await call('alerts:pause', trusted, { minutes: 60 })
    await call('alerts:pause', trusted, { indefinite: true })
    await call('alerts:resume', trusted)
    await call('link:reconnect', trusted)
    expect(engine.calls.filter((c) => c.cmd !== 'start')).toEqual([
      { cmd: 'acknowledge', requestId: 'r-1' },
      { cmd: 'accept', requestId: 'r-1' },
      { cmd: 'pause', request: { minutes: 15 } },
      { cmd: 'pause', request: { minutes: 60 } },
      { cmd: 'pause', request: { indefinite: true } },
      { cmd: 'resume' },
      { cmd: 'reconnectNow' },
    ])
    expect((await call('engine:get-snapshot', trusted)).queue[0].requestId).toBe('r-1')
  })

  it('rejects an untrusted frame before anything runs', async () => {
    for (const url of ['https://evil.example/', 'file:///x/index.html', 'app://evil/index.html']) {
      await expect(call('queue:acknowledge', { senderFrame: { url } }, 'r-1')).rejects.toThrow(/untrusted sender/)
    }
    await expect(call('engine:get-snapshot', { senderFrame: null })).rejects.toThrow(/untrusted sender/)
    expect(engine.calls.filter((c) => c.cmd !== 'start')).toEqual([])
    expect(lines.some((l) => l.includes('untrusted sender') && l.includes('https://evil.example'))).toBe(true)
  })

  it.each([
    ['queue:acknowledge', []],
    ['queue:acknowledge', ['']],
    ['queue:acknowledge', ['x'.repeat(129)]],
    ['queue:acknowledge', ['<img src=x onerror=alert(1)>']],
    ['queue:acknowledge', ['../../etc']],
    ['queue:acknowledge', [42]],
    ['queue:acknowledge', ['r-1', 'extra']],
    ['queue:accept', [{ toString: () => 'r-1' }]],
    ['alerts:pause', [{ minutes: 30 }]],
    ['alerts:pause', [{ minutes: '15' }]],
    ['alerts:pause', [{ minutes: 15, indefinite: true }]],
    ['alerts:pause', [{ indefinite: false }]],
    ['alerts:pause', [[15]]],
    ['alerts:pause', [null]],
    ['alerts:resume', ['now']],
    ['settings:save', [{ supabaseUrl: 'javascript:alert(1)', anonKey: 'k', email: '', soundEnabled: 'yes' }]],
    ['settings:save', [{ supabaseUrl: 'https://x.supabase.co', anonKey: 'k', email: '', soundEnabled: true, extra: 1 }]],
    ['session:sign-in', ['not-an-email', 'pw']],
    ['session:sign-in', ['a@b.co', '']],
    ['first-run:finish', [{ startAtLogin: 'yes', soundHeard: null }]],
    ['first-run:finish', [{ startAtLogin: true }]],
    ['first-run:finish', [{ startAtLogin: true, soundHeard: null, extra: 1 }]],
    ['first-run:test-alert', ['now']],
  ])('rejects %s with %j', async (channel, args) => {
    await expect(call(channel, trusted, ...args)).rejects.toThrow(/invalid arguments/)
    expect(engine.calls.filter((c) => c.cmd !== 'start')).toEqual([])
  })

  it('never logs argument values (a password in a bad call stays out of the log)', async () => {
    await expect(call('session:sign-in', trusted, 'bad', 'hunter2-secret')).rejects.toThrow()
    expect(lines.join('\n')).not.toContain('hunter2')
    expect(lines.join('\n')).toContain('[string(3), string(14)]')
  })

  it('sign-in returns a result instead of throwing, and settings:save reports problems', async () => {
    expect(await call('session:sign-in', trusted, 'mech@shop.example', 'pw')).toEqual({ ok: true })
    expect(engine.calls).toContainEqual({ cmd: 'signIn', email: 'mech@shop.example' })
    const view = await call('settings:get', trusted)
    expect(view).toMatchObject({ supabaseUrl: 'http://127.0.0.1:54321', configured: true, secretStorage: { protected: true } })
    // Well-formed but unusable content comes back as a message per field (test/unit/main/settings-keys.test.ts has the table).
    expect(await call('settings:save', trusted, { supabaseUrl: 'javascript:alert(1)', anonKey: LOCAL_DEFAULTS.anonKey, email: '', soundEnabled: true })).toEqual({
      ok: false,
      problems: [expect.stringMatching(/https/)],
      fields: { supabaseUrl: expect.stringMatching(/https/) },
    })
  })
})

describe('the contract', () => {
  // diagnostics:export is registered by src/main/diagnostics-export.ts (test/unit/main/diagnostics-export.test.ts),
  // the alert preferences and dashboard channels by src/main/alert-prefs-ipc.ts (test/unit/main/alert-prefs.test.ts),
  // the alert-path channels by src/main/alert-path/alert-path-ipc.ts (test/unit/main/alert-path.test.ts).
  const OWN_MODULE = ['diagnostics:export', 'prefs:get', 'prefs:save', 'prefs:test-sound', 'dashboard:open', 'login-item:get', 'login-item:set', 'alert-path:get-status', 'alert-path:test', 'sound:played']
  it('every channel with a handler has a schema and every schema a handler', () => {
    expect([...electron.ipcMain.handlers.keys(), ...OWN_MODULE].sort()).toEqual(Object.keys(INVOKE_CONTRACT).sort())
  })

  // One valid call per channel; each handler's answer must be what its result schema says (the types the
  // renderer compiles against are derived from those schemas, so a handler drifting from them is caught here).
  const validCalls: [keyof typeof INVOKE_CONTRACT, unknown[]][] = [
    ['engine:get-snapshot', []],
    ['queue:acknowledge', ['r-1']],
    ['queue:accept', ['r-1']],
    ['alerts:pause', [{ minutes: 60 }]],
    ['alerts:resume', []],
    ['link:reconnect', []],
    ['history:get', []],
    ['settings:get', []],
    ['settings:save', [{ supabaseUrl: 'https://shop.supabase.co', anonKey: LOCAL_DEFAULTS.anonKey, email: 'mech@shop.example', soundEnabled: false }]],
    ['settings:save', [{ supabaseUrl: 'http://evil.example', anonKey: 'nope', email: 'x', soundEnabled: true }]],
    ['session:sign-in', ['mech@shop.example', 'pw']],
    ['session:sign-out', []],
    ['updates:get-status', []],
    ['first-run:get-state', []],
    ['first-run:test-alert', []],
    ['first-run:finish', [{ startAtLogin: false, soundHeard: true }]],
  ]
  it.each(validCalls)('%s answers a valid call with a result its schema accepts', async (channel, args) => {
    const result = await call(channel, trusted, ...args)
    const parsed = INVOKE_CONTRACT[channel].result.safeParse(result)
    expect(parsed.error?.issues ?? [], JSON.stringify(result)).toEqual([])
  })

  it('a rejection says where the arguments are wrong, never what they were', async () => {
    await expect(call('alerts:pause', trusted, { minutes: 30 })).rejects.toThrow(/invalid arguments for alerts:pause: args\[0\]: matches none of the allowed forms/)
    await expect(call('queue:acknowledge', trusted, 'r-1', 'hunter2')).rejects.toThrow(/args: Too big: expected array to have <=1 items/)
    const err = await call('first-run:finish', trusted, { startAtLogin: true, soundHeard: null, 'secret-hunter2': 1 }).catch((e: Error) => e)
    expect(String(err)).toMatch(/args\[0\]: 1 unexpected key\(s\)/)
    expect(String(err) + lines.join('\n')).not.toContain('hunter2')
    expect(lines.some((l) => l.includes('"reason":"args[0]: 1 unexpected key(s)"'))).toBe(true)
  })

  it('the handler receives the parsed copy, not the caller\'s object', async () => {
    const request = { minutes: 15 }
    await call('alerts:pause', trusted, request)
    const seen = engine.calls.find((c) => c.cmd === 'pause') as { request: object }
    expect(seen.request).toEqual({ minutes: 15 })
    expect(seen.request).not.toBe(request)
  })
})

describe('push', () => {
  it('skips destroyed targets', () => {
    const wc = new electron.FakeWebContents()
    push(wc as never, 'sound:play', 'request', 0.8)
    expect(wc.send).toHaveBeenCalledWith('sound:play', 'request', 0.8)
    wc.destroyed = true
    push(wc as never, 'sound:play', 'request', 0.8)
    expect(wc.send).toHaveBeenCalledTimes(1)
    push(null, 'sound:play', 'request', 0.8)
  })
})
