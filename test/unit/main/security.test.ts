/** @vitest-environment node */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { CONTENT_SECURITY_POLICY, hardenWebContents, installSessionSecurity, isAppUrl, secureWebPreferences } = await import('../../../src/main/security.js')
const { createQueueWindowController, queueWindowOptions, soundWindowOptions, wallboardWindowOptions } = await import('../../../src/main/windows.js')

beforeEach(() => electron.resetElectronMock())

describe('secureWebPreferences / window options', () => {
  it('isolates, sandboxes and disables node in every window', () => {
    for (const opts of [queueWindowOptions('/p.cjs', false), soundWindowOptions('/p.cjs', false), wallboardWindowOptions('/p.cjs', false)]) {
      const wp = opts.webPreferences!
      expect(wp).toMatchObject({ preload: '/p.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false })
      expect(wp.allowRunningInsecureContent).toBe(false)
      expect(opts.show).toBe(false)
    }
  })
  it('lets only the sound window autoplay, and keeps it unthrottled and off the taskbar', () => {
    expect(soundWindowOptions('/p', false).webPreferences).toMatchObject({ autoplayPolicy: 'no-user-gesture-required', backgroundThrottling: false })
    expect(soundWindowOptions('/p', false).skipTaskbar).toBe(true)
    expect(queueWindowOptions('/p', false).webPreferences!.autoplayPolicy).toBeUndefined()
  })
  it('extra options cannot switch the security flags off', () => {
    const wp = secureWebPreferences('/p', false, { backgroundThrottling: false, ...({ sandbox: false } as object) })
    // Only the two allowed keys are typed; at runtime a spread could override — assert the factory's own
    // flags as used by the window builders.
    expect(queueWindowOptions('/p', false).webPreferences!.sandbox).toBe(true)
    expect(wp.contextIsolation).toBe(true)
  })
})

describe('CSP', () => {
  it('is strict: no inline script, nothing remote, no base/form tricks', () => {
    const d = Object.fromEntries(CONTENT_SECURITY_POLICY.split('; ').map((p) => [p.split(' ')[0], p.split(' ').slice(1).join(' ')]))
    expect(d['default-src']).toBe("'none'")
    expect(d['script-src']).toBe("'self'")
    expect(d['connect-src']).toBe("'none'")
    expect(d['base-uri']).toBe("'none'")
    expect(d['form-action']).toBe("'none'")
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-(inline|eval)/)
  })
})

describe('isAppUrl', () => {
  it('accepts only app://bundle', () => {
    expect(isAppUrl('app://bundle/index.html')).toBe(true)
    expect(isAppUrl('app://evil/index.html')).toBe(false)
    expect(isAppUrl('https://bundle/index.html')).toBe(false)
    expect(isAppUrl('file:///work/out/renderer/index.html')).toBe(false)
    expect(isAppUrl('app://x@bundle/')).toBe(false)
    expect(isAppUrl('')).toBe(false)
    expect(isAppUrl(undefined)).toBe(false)
  })
})

describe('hardenWebContents', () => {
  it('blocks navigation, redirects, window.open and webview attach', () => {
    const wc = new electron.FakeWebContents()
    const log = vi.fn()
    hardenWebContents(wc as never, log)
    for (const ev of ['will-navigate', 'will-redirect']) {
      const e = { preventDefault: vi.fn() }
      wc.emit(ev, e, 'https://evil.example/')
      expect(e.preventDefault).toHaveBeenCalled()
    }
    const w = { preventDefault: vi.fn() }
    wc.emit('will-attach-webview', w, {}, {})
    expect(w.preventDefault).toHaveBeenCalled()
    const openHandler = wc.setWindowOpenHandler.mock.calls[0]![0] as (d: { url: string }) => unknown
    expect(openHandler({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(log).toHaveBeenCalledWith('blocked navigation', 'https://evil.example/')
  })
})

describe('installSessionSecurity', () => {
  it('denies every permission request and check', () => {
    const s = electron.session.defaultSession
    installSessionSecurity(s as never)
    const req = s.setPermissionRequestHandler.mock.calls[0]![0] as (w: unknown, p: string, cb: (ok: boolean) => void) => void
    const cb = vi.fn()
    req({}, 'notifications', cb)
    req({}, 'media', cb)
    expect(cb.mock.calls).toEqual([[false], [false]])
    const check = s.setPermissionCheckHandler.mock.calls[0]![0] as () => boolean
    expect(check()).toBe(false)
  })
})

describe('queue window', () => {
  it('hides instead of closing until quitting, and is recreated after destroy', () => {
    const q = createQueueWindowController('/p.cjs', false, 'app://bundle/index.html')
    q.show()
    const win = electron.FakeBrowserWindow.instances[0]!
    expect(win.loadURL).toHaveBeenCalledWith('app://bundle/index.html')
    expect(win.show).toHaveBeenCalled()
    const e = { preventDefault: vi.fn() }
    win.emit('close', e)
    expect(e.preventDefault).toHaveBeenCalled()
    expect(win.hide).toHaveBeenCalled()
    q.allowClose()
    const e2 = { preventDefault: vi.fn() }
    win.emit('close', e2)
    expect(e2.preventDefault).not.toHaveBeenCalled()
    win.destroy()
    expect(q.existing()).toBeNull()
    q.showInactive()
    expect(electron.FakeBrowserWindow.instances).toHaveLength(2)
    expect(electron.FakeBrowserWindow.instances[1]!.showInactive).toHaveBeenCalled()
  })
})
