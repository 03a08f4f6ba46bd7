/** @vitest-environment node */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'
import { memoryKv } from './fixtures.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { AlertPrefsService } = await import('../../../src/main/alert-prefs-service.js')
const { dashboardLink, openDashboard } = await import('../../../src/main/dashboard-link.js')
const { registerAlertPrefsHandlers } = await import('../../../src/main/alert-prefs-ipc.js')
const { DEFAULT_ALERT_PREFS } = await import('../../../src/shared/alert-prefs.js')

const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
const TEMPLATE = 'https://shop.example/requests/{requestId}'
const FRAME = { senderFrame: { url: 'app://bundle/index.html' } }

beforeEach(() => electron.resetElectronMock())

describe('AlertPrefsService', () => {
  it('saves only a fully valid set, stores only what differs from the defaults, and tells listeners', () => {
    const kv = memoryKv()
    const s = new AlertPrefsService(kv)
    const heard: unknown[] = []
    s.onChange((v) => heard.push(v))
    expect(s.save({ ...DEFAULT_ALERT_PREFS, volume: 5 })).toEqual({ ok: false, fields: { volume: expect.stringMatching(/10 to 100/) } })
    expect(kv.map.get('alertPrefs')).toBeUndefined()
    expect(heard).toEqual([])
    const r = s.save({ ...DEFAULT_ALERT_PREFS, sound: 'pulse', repeatIntervalSec: 60 })
    expect(r.ok).toBe(true)
    expect(kv.map.get('alertPrefs')).toEqual({ sound: 'pulse', repeatIntervalSec: 60 })
    expect(heard).toEqual([{ prefs: { ...DEFAULT_ALERT_PREFS, sound: 'pulse', repeatIntervalSec: 60 }, problems: [] }])
    expect(new AlertPrefsService(kv).get()).toMatchObject({ sound: 'pulse', repeatIntervalSec: 60 })
  })

  it("the administrator's repeat interval is the default under the mechanic's own; out of range it is ignored", () => {
    const kv = memoryKv()
    expect(new AlertPrefsService(kv, 300).get().repeatIntervalSec).toBe(300)
    expect(new AlertPrefsService(kv, 5).get().repeatIntervalSec).toBe(120)
    const s = new AlertPrefsService(kv, 300)
    s.save({ ...s.get(), volume: 50 })
    expect(kv.map.get('alertPrefs')).toEqual({ volume: 50 }) // the interval keeps following the administrator
    kv.set('alertPrefs', { repeatIntervalSec: 90 })
    expect(new AlertPrefsService(kv, 300).get().repeatIntervalSec).toBe(90)
  })

  it('a broken saved file starts with defaults and says what was replaced', () => {
    const kv = memoryKv()
    kv.set('alertPrefs', { sound: 'siren', volume: 70 })
    const s = new AlertPrefsService(kv)
    expect(s.get()).toMatchObject({ sound: 'request', volume: 70 })
    expect(s.view().problems).toEqual([expect.stringMatching(/^Saved sound was not usable/)])
  })
})

describe('dashboard link (the one external URL, allow-listed to the configured host)', () => {
  it('puts the percent-encoded id into the configured https link', () => {
    expect(dashboardLink(TEMPLATE, 'a1b2-c3')).toEqual({ ok: true, url: 'https://shop.example/requests/a1b2-c3' })
    expect(dashboardLink('https://shop.example/q?id={requestId}', 'x@evil.com:1')).toEqual({ ok: true, url: 'https://shop.example/q?id=x%40evil.com%3A1' })
  })
  it('opens nothing without a link, or with one that is not https on a fixed host', () => {
    expect(dashboardLink('', 'a')).toEqual({ ok: false, error: expect.stringMatching(/No shop dashboard link/) })
    expect(dashboardLink('http://shop.example/{requestId}', 'a').ok).toBe(false)
    expect(dashboardLink('https://{requestId}/', 'evil.com').ok).toBe(false)
    expect(dashboardLink('file:///{requestId}', 'a').ok).toBe(false)
  })
  it('openExternal is called only with the allowed URL, and its failure is answered', async () => {
    const open = vi.fn(async () => undefined)
    await openDashboard('javascript:alert(1)//{requestId}', 'a', open)
    expect(open).not.toHaveBeenCalled()
    expect(await openDashboard(TEMPLATE, 'a', open)).toEqual({ ok: true, url: 'https://shop.example/requests/a' })
    expect(open).toHaveBeenCalledWith('https://shop.example/requests/a')
    expect(await openDashboard(TEMPLATE, 'a', async () => Promise.reject(new Error('no browser')))).toEqual({ ok: false, error: 'Could not open the browser: no browser' })
  })
})

describe('IPC', () => {
  const setup = (template = '') => {
    const prefs = new AlertPrefsService(memoryKv())
    if (template) prefs.save({ ...prefs.get(), dashboardUrl: template })
    const testSound = vi.fn(() => true)
    registerAlertPrefsHandlers({ prefs, testSound, openExternal: (u) => electron.shell.openExternal(u), log })
    const call = (ch: string, ...args: unknown[]) => electron.ipcMain.handlers.get(ch)!(FRAME, ...args)
    return { prefs, testSound, call }
  }
  it('prefs:get / prefs:save answer per field; an unknown key is refused before the rules run', async () => {
    const { call } = setup()
    await expect(call('prefs:get')).resolves.toEqual({ prefs: DEFAULT_ALERT_PREFS, problems: [] })
    await expect(call('prefs:save', { ...DEFAULT_ALERT_PREFS, amberAfterMin: 9, redAfterMin: 3 })).resolves.toEqual({ ok: false, fields: { redAfterMin: expect.any(String) } })
    await expect(call('prefs:save', { ...DEFAULT_ALERT_PREFS, extra: 1 })).rejects.toThrow(/invalid arguments/)
  })
  it('dashboard:open opens the configured host only; a hostile id never reaches openExternal', async () => {
    const { call } = setup(TEMPLATE)
    await expect(call('dashboard:open', 'abc-1')).resolves.toEqual({ ok: true })
    expect(electron.shell.openExternal).toHaveBeenCalledWith('https://shop.example/requests/abc-1')
    await expect(call('dashboard:open', '../../etc/passwd')).rejects.toThrow(/invalid arguments/)
    await expect(call('dashboard:open', 'a b')).rejects.toThrow(/invalid arguments/)
    expect(electron.shell.openExternal).toHaveBeenCalledTimes(1)
  })
  it('prefs:test-sound plays through the sound sink and says when it could not', async () => {
    const { call, testSound } = setup()
    await expect(call('prefs:test-sound')).resolves.toEqual({ played: true, message: expect.any(String) })
    testSound.mockReturnValue(false)
    await expect(call('prefs:test-sound')).resolves.toMatchObject({ played: false })
  })
})

describe('start at login from Settings (login-item IPC)', () => {
  it('reads and sets the login item; a build that cannot is not touched; the OS refusing is answered as it is', async () => {
    const { registerLoginItemHandlers } = await import('../../../src/main/login-item-ipc.js')
    const item = { on: false, supported: true, takes: true }
    const set = vi.fn((on: boolean) => (item.takes ? (item.on = on) : item.on))
    registerLoginItemHandlers({ supported: () => item.supported, enabled: () => item.on, set }, log)
    const call = (ch: string, ...args: unknown[]) => electron.ipcMain.handlers.get(ch)!(FRAME, ...args)
    await expect(call('login-item:get')).resolves.toEqual({ supported: true, enabled: false })
    await expect(call('login-item:set', true)).resolves.toEqual({ supported: true, enabled: true })
    item.takes = false
    await expect(call('login-item:set', false)).resolves.toEqual({ supported: true, enabled: true })
    expect(log.warn).toHaveBeenCalledWith('start at login: the OS did not take the change', { wanted: false, now: true })
    item.supported = false
    set.mockClear()
    await expect(call('login-item:set', false)).resolves.toEqual({ supported: false, enabled: true })
    expect(set).not.toHaveBeenCalled()
    await expect(call('login-item:set', 'yes')).rejects.toThrow(/invalid arguments/)
  })
})
