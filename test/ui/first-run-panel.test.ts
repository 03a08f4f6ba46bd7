/** @vitest-environment node */
// The first-run panel in Debian Chromium (playwright-core), against the REAL main-process IPC handlers,
// settings service and first-run service: window.bayalert in the page forwards each call to the handler
// registered on ipcMain (electron mocked at that seam), with the same trusted-sender event the preload's
// calls carry. Only the engine (FakeEngine), the sound window (a recording player) and the OS login item
// are fakes. Built into a temp dir so a concurrent `vite build` by someone else cannot race it.
import { rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import * as electron from '../mocks/electron.js'
import { FakeEngine } from '../mocks/fake-engine.js'
import type { EngineSnapshot } from '../../src/shared/types.js'
import { buildRenderer, forwardInvokes, haveChromium, launchChromium, serveRenderer } from './chromium.js'
vi.mock('electron', () => import('../mocks/electron.js'))

const { registerIpcHandlers } = await import('../../src/main/ipc-handlers.js')
const { EngineHost } = await import('../../src/main/engine-host.js')
const { SettingsService, settingsView } = await import('../../src/main/settings.js')
const { FirstRunService } = await import('../../src/main/first-run-service.js')
const { SoundSink } = await import('../../src/main/sound-sink.js')
const { LOCAL_DEFAULTS } = await import('../../src/core/config.js')


function jwt(claims: Record<string, unknown>): string {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b({ alg: 'HS256', typ: 'JWT' })}.${b(claims)}.c2lnbmF0dXJl`
}
const SERVICE = jwt({ role: 'service_role', exp: 2e9 })

/** Signing in makes it live, as the real engine does once the server accepts the password. */
class SigningEngine extends FakeEngine {
  override async signIn(email: string, password: string) {
    await super.signIn(email, password)
    this.push({ user: email, link: { state: 'live', reason: 'Connected; channel joined.', since: Date.now() } })
  }
}

describe.skipIf(!haveChromium)(`first-run panel in Chromium${haveChromium ? '' : ' (skipped: /usr/bin/chromium not installed — apt-get install -y chromium)'}`, () => {
  let outDir: string
  let server: Server
  let browser: Browser
  let page: Page
  const kv = new Map<string, unknown>()
  const played: string[] = []
  const login = { on: false }
  const pageErrors: string[] = []
  let engine: SigningEngine

  beforeAll(async () => {
    outDir = await buildRenderer('bayalert-first-run-')

    // The main process, as src/main/index.ts composes it, minus the OS.
    electron.resetElectronMock()
    const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
    const store = { get: (k: string) => kv.get(k), set: (k: string, v: unknown) => void kv.set(k, structuredClone(v)), delete: (k: string) => void kv.delete(k) }
    const settings = new SettingsService(store)
    const host = new EngineHost(() => (engine = new SigningEngine({ user: null, link: { state: 'signed-out', reason: 'Sign in', since: 0 } })), log)
    // As index.ts: a new engine only when the shop changes (saving the e-mail at sign-in is not a change).
    let configuredFor = ''
    settings.onChange((l) => {
      const key = `${l.settings.supabaseUrl} ${l.settings.anonKey}`
      if (!l.configured || key === configuredFor) return
      configuredFor = key
      void host.configure({ supabaseUrl: l.settings.supabaseUrl, anonKey: l.settings.anonKey, dataDir: '/tmp/x', workstationId: 'bay', appVersion: '0' })
    })
    const updateStatus = () => ({ phase: 'off' as const, version: null, text: 'Updates are off: no update feed is configured.' })
    const firstRun = new FirstRunService({
      kv: store,
      settings,
      snapshot: () => host.snapshot(),
      onSnapshot: (l) => host.onSnapshot(l),
      sound: new SoundSink({ player: { play: (s) => (played.push(s), true) }, enabled: () => settings.get().settings.soundEnabled }),
      notificationsSupported: () => true,
      secretStorage: async () => ({ protected: true, backend: 'test', message: null }),
      loginItem: { supported: () => true, enabled: () => login.on, set: (on) => (login.on = on) },
      updateStatus,
      provisionedStartAtLogin: undefined,
      isPackaged: true,
      envConfigured: false,
      log,
      liveWaitMs: 2000,
    })
    const view = async (l: Parameters<typeof settingsView>[0]) => settingsView(l, { protected: true, backend: 'test', message: null })
    // index.ts pushes 'settings:changed' to the window on every change; so does this harness.
    settings.onChange((l) => void view(l).then((v) => page.evaluate((sv) => (globalThis as any).__settingsListeners.forEach((f: any) => f(sv)), v).catch(() => {})))
    registerIpcHandlers({
      host,
      settings,
      view,
      updateStatus,
      firstRun,
      log,
    })

    let url: string
    ;({ server, url } = await serveRenderer(outDir))
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 440, height: 900 } })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    // The preload's bridge, reduced to forwarding: every call reaches the real handler with a trusted sender.
    await forwardInvokes(page, electron.ipcMain.handlers)
    host.onSnapshot((s: EngineSnapshot) => void page.evaluate((snap) => (globalThis as any).__snapshotListeners.forEach((l: any) => l(snap)), s).catch(() => {}))
    await page.addInitScript(() => {
      const w = globalThis as any
      const inv = (c: string, ...a: unknown[]) => w.__invoke(c, ...a)
      w.__csp = []
      w.document.addEventListener('securitypolicyviolation', (e: any) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`))
      w.__snapshotListeners = []
      w.__settingsListeners = []
      w.bayalert = {
        getSnapshot: () => inv('engine:get-snapshot'),
        acknowledge: (id: string) => inv('queue:acknowledge', id),
        accept: (id: string) => inv('queue:accept', id),
        pause: (r: unknown) => inv('alerts:pause', r),
        resume: () => inv('alerts:resume'),
        reconnectNow: () => inv('link:reconnect'),
        onSnapshot: (l: unknown) => (w.__snapshotListeners.push(l), () => {}),
        // The preload's onFocusRequest: main pushes 'queue:focus' when a notification was clicked.
        onFocusRequest: (l: unknown) => ((w.__focusListener = l), () => {}),
        host: {
          getSettings: () => inv('settings:get'),
          saveSettings: (s: unknown) => inv('settings:save', s),
          signIn: (e: string, p: string) => inv('session:sign-in', e, p),
          signOut: () => inv('session:sign-out'),
          onSettingsChanged: (l: unknown) => (w.__settingsListeners.push(l), () => {}),
          getUpdateStatus: () => inv('updates:get-status'),
          onUpdateStatus: () => () => {},
          getFirstRunState: () => inv('first-run:get-state'),
          testAlert: () => inv('first-run:test-alert'),
          finishFirstRun: (c: unknown) => inv('first-run:finish', c),
        },
      }
    })
    await page.goto(url, { timeout: 15_000 })
    await page.locator('#first-run[data-step="connect"]').waitFor({ timeout: 10_000 })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => (server ? server.close(r) : r(null)))
    if (outDir) rmSync(outDir, { recursive: true, force: true })
  })

  it('opens on "connect" when no shop is configured', async () => {
    expect(await page.locator('#first-run').isVisible()).toBe(true)
    expect(await page.locator('.fr-step[data-step="connect"]').isVisible()).toBe(true)
    expect(await page.locator('.fr-step[data-step="sign-in"]').isVisible()).toBe(false)
  })

  it('a pasted service-role key is refused next to the key field and nothing is saved', async () => {
    await page.locator('#fr-paste').fill(`SUPABASE_URL=https://xyz.supabase.co\nSUPABASE_ANON_KEY=${SERVICE}`)
    await page.locator('#fr-connect').click()
    await page.locator('#fr-key-problem:not([hidden])').waitFor({ timeout: 5000 })
    expect(await page.locator('#fr-key-problem').textContent()).toMatch(/service-role\/secret key, which bypasses row-level security/)
    expect(await page.locator('#fr-url-problem').isHidden()).toBe(true)
    expect(kv.has('settings')).toBe(false)
    expect(await page.locator('#first-run').getAttribute('data-step')).toBe('connect')
  })

  it('the backend’s printed lines connect: URL and anon key only, the rest named as ignored', async () => {
    const printed = [
      `SUPABASE_URL=${LOCAL_DEFAULTS.supabaseUrl}`,
      `SUPABASE_ANON_KEY=${LOCAL_DEFAULTS.anonKey}`,
      `SUPABASE_SERVICE_ROLE_KEY=${SERVICE}`,
      'DEMO_MECHANIC_1=mechanic1@bayalert.test:bayalert-demo-1',
      'READY',
    ].join('\n')
    await page.locator('#fr-paste').fill(printed)
    await page.locator('#fr-connect').click()
    await page.locator('#first-run[data-step="sign-in"]').waitFor({ timeout: 5000 })
    expect(kv.get('settings')).toEqual({ supabaseUrl: LOCAL_DEFAULTS.supabaseUrl, anonKey: LOCAL_DEFAULTS.anonKey, email: '', soundEnabled: true })
    expect(await page.locator('#fr-notes').textContent()).toMatch(/^Ignored and not kept: SUPABASE_SERVICE_ROLE_KEY, DEMO_MECHANIC_1\./)
    expect(await page.locator('#fr-paste').inputValue()).toBe('')
    expect(await page.locator('#fr-key-problem').isHidden()).toBe(true)
  })

  it('signs in, plays the test alert through the sound sink, and finishes with start at login on by default', async () => {
    await page.locator('#fr-email').fill('mechanic1@bayalert.test')
    await page.locator('#fr-password').fill('bayalert-demo-1')
    await page.locator('#fr-signin').click()
    await page.locator('#first-run[data-step="test-alert"]').waitFor({ timeout: 5000 })
    expect(engine.calls).toContainEqual({ cmd: 'signIn', email: 'mechanic1@bayalert.test' })

    expect(await page.locator('#fr-heard').isDisabled()).toBe(true)
    await page.locator('#fr-test').click()
    await expect.poll(() => played, { timeout: 5000 }).toEqual(['request'])
    await expect.poll(() => page.locator('#fr-test-message').textContent(), { timeout: 5000 }).toBe('Playing the test alert now. Did you hear it?')
    await page.locator('#fr-heard').click()

    await page.locator('#first-run[data-step="finish"]').waitFor({ timeout: 5000 })
    expect(await page.locator('#fr-login').isChecked()).toBe(true)
    await page.locator('#fr-finish').click()
    await page.locator('#fr-checks li').first().waitFor({ timeout: 10_000 })
    expect(login.on).toBe(true)
    const rows = await page.locator('#fr-checks li').evaluateAll((lis) => lis.map((li: any) => [li.dataset.check, li.dataset.status]))
    expect(Object.fromEntries(rows)).toEqual({
      shop: 'ok',
      'sign-in': 'ok',
      realtime: 'ok',
      alerts: 'ok',
      sound: 'ok',
      notifications: 'ok',
      'sign-in storage': 'ok',
      'start at login': 'ok',
      updates: 'warn',
    })
    expect(kv.get('firstRun')).toEqual({ completedAt: expect.any(String) })
    await page.locator('#fr-done').click()
    expect(await page.locator('#first-run').isHidden()).toBe(true)
    expect(await page.evaluate(() => (globalThis as any).__csp)).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('the settings form shows a refused key next to the key field and keeps the saved one', async () => {
    const before = structuredClone(kv.get('settings'))
    // Opened already when the window loaded unconfigured; make sure it is open whatever happened since.
    await page.evaluate(() => ((globalThis as any).document.getElementById('settings').open = true))
    await page.locator('#s-key').fill(jwt({ role: 'authenticated', sub: 'u1' }))
    await page.locator('#settings-form button[type="submit"]').click()
    await page.locator('#s-key-problem:not([hidden])').waitFor({ timeout: 5000 })
    expect(await page.locator('#s-key-problem').textContent()).toMatch(/JWT for role "authenticated", not "anon"/)
    expect(await page.locator('#s-url-problem').isHidden()).toBe(true)
    expect(await page.locator('#settings-problems li').count()).toBe(0)
    expect(kv.get('settings')).toEqual(before)
    // A good key clears the message.
    await page.locator('#s-key').fill(LOCAL_DEFAULTS.anonKey)
    await page.locator('#settings-form button[type="submit"]').click()
    await page.locator('#s-key-problem[hidden]').waitFor({ state: 'attached', timeout: 5000 })
    await expect.poll(() => page.locator('#message').textContent(), { timeout: 5000 }).toBe('Settings saved.')
  })
  it('the shortcut field refuses a bare key next to the field, saves a good one, and the view shows it', async () => {
    await page.evaluate(() => ((globalThis as any).document.getElementById('settings').open = true))
    await expect(page.locator('#s-shortcut').inputValue()).resolves.toBe('CommandOrControl+Alt+T')
    const before = structuredClone(kv.get('settings'))
    await page.locator('#s-shortcut').fill('T')
    await page.locator('#settings-form button[type="submit"]').click()
    await page.locator('#s-shortcut-problem:not([hidden])').waitFor({ timeout: 5000 })
    expect(await page.locator('#s-shortcut-problem').textContent()).toMatch(/at least one modifier/)
    expect(kv.get('settings')).toEqual(before)
    await page.locator('#s-shortcut').fill('Alt+Shift+F9')
    await page.locator('#settings-form button[type="submit"]').click()
    await page.locator('#s-shortcut-problem[hidden]').waitFor({ state: 'attached', timeout: 5000 })
    expect((kv.get('settings') as { globalShortcut?: string }).globalShortcut).toBe('Alt+Shift+F9')
  })

  it('a notification click (queue:focus) brings that request into view with its Take it focused', async () => {
    const { makeItem } = await import('../mocks/fake-engine.js')
    const ids = Array.from({ length: 12 }, (_, i) => `f-${i}`)
    engine.push({ queue: ids.map((requestId) => makeItem({ requestId })) })
    await page.locator('li[data-request-id="f-11"]').waitFor({ timeout: 5000 })
    await page.evaluate(() => (globalThis as any).__focusListener('f-11'))
    await expect
      .poll(() => page.evaluate(() => (globalThis as any).document.activeElement?.closest('li')?.dataset.requestId + ' ' + (globalThis as any).document.activeElement?.dataset.action))
      .toBe('f-11 accept')
    expect(await page.locator('li[data-request-id="f-11"] button[data-action="accept"]').isVisible()).toBe(true)
    // A request that is gone by then is said, not silently ignored.
    await page.evaluate(() => (globalThis as any).__focusListener('gone-0'))
    await expect.poll(() => page.locator('#message').textContent()).toBe('That request is no longer waiting.')
  })
})
