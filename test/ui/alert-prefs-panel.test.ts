/** @vitest-environment node */
// The "Alerts" preferences panel of the queue window in Debian Chromium (playwright-core), against the REAL
// main-process handlers (src/main/alert-prefs-ipc.ts, the preferences service, the dashboard allow-list) with
// electron mocked at that seam: window.bayalert.host forwards each preferences call to the handler registered
// on ipcMain, with the trusted-sender event the preload's calls carry. The queue comes from a fixed snapshot
// (a request queued 3 minutes ago); settings and first run, which this test is not about, answer in the page.
import { mkdirSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import * as electron from '../mocks/electron.js'
import { makeItem, makeSnapshot } from '../mocks/fake-engine.js'
import { buildRenderer, forwardInvokes, haveChromium, launchChromium, serveRenderer } from './chromium.js'
vi.mock('electron', () => import('../mocks/electron.js'))

const { registerAlertPrefsHandlers } = await import('../../src/main/alert-prefs-ipc.js')
const { registerLoginItemHandlers } = await import('../../src/main/login-item-ipc.js')
const { AlertPrefsService } = await import('../../src/main/alert-prefs-service.js')
const { SoundSink } = await import('../../src/main/sound-sink.js')

const ARTIFACTS = resolve('test/artifacts')
const REQUEST_ID = '0b6f3c52-9d7e-4c1a-8f00-5a1f2e3d4c5b'

describe.skipIf(!haveChromium)(`alert preferences panel in Chromium${haveChromium ? '' : ' (skipped: /usr/bin/chromium not installed — apt-get install -y chromium)'}`, () => {
  let outDir: string
  let server: Server
  let browser: Browser
  let page: Page
  const kv = new Map<string, unknown>()
  const played: [string, number][] = []
  const pageErrors: string[] = []
  const loginItem = { on: false }

  beforeAll(async () => {
    outDir = await buildRenderer('bayalert-prefs-')
    electron.resetElectronMock()
    electron.shell.openExternal.mockResolvedValue(undefined)
    const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
    const store = { get: (k: string) => kv.get(k), set: (k: string, v: unknown) => void kv.set(k, structuredClone(v)), delete: (k: string) => void kv.delete(k) }
    const prefs = new AlertPrefsService(store)
    const sound = new SoundSink({ player: { play: (s, v) => (played.push([s, v]), true) }, enabled: () => true, prefs: () => prefs.get() })
    registerAlertPrefsHandlers({ prefs, testSound: () => sound.test(), openExternal: (u) => electron.shell.openExternal(u), log })
    registerLoginItemHandlers({ supported: () => true, enabled: () => loginItem.on, set: (on) => (loginItem.on = on) }, log)

    let url: string
    ;({ server, url } = await serveRenderer(outDir))
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 440, height: 1100 } })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await forwardInvokes(page, electron.ipcMain.handlers)
    const snapshot = makeSnapshot({ queue: [makeItem({ requestId: REQUEST_ID, queuedAt: new Date(Date.now() - 3 * 60_000).toISOString() })] })
    await page.addInitScript((snap) => {
      const w = globalThis as any
      const inv = (c: string, ...a: unknown[]) => w.__invoke(c, ...a)
      const settings = { supabaseUrl: 'https://xyz.supabase.co', anonKey: 'k', email: '', soundEnabled: true, problems: [], fields: {}, secretStorage: { protected: true, backend: 'test', message: null }, configured: true, provisioning: { source: null, fields: [] } }
      w.bayalert = {
        getSnapshot: async () => snap,
        acknowledge: async () => undefined,
        accept: async () => ({ ok: true }),
        pause: async () => undefined,
        resume: async () => undefined,
        reconnectNow: async () => undefined,
        onSnapshot: () => () => {},
        host: {
          getSettings: async () => settings,
          saveSettings: async () => ({ ok: true, settings }),
          signIn: async () => ({ ok: true }),
          signOut: async () => undefined,
          onSettingsChanged: () => () => {},
          getUpdateStatus: async () => ({ phase: 'off', version: null, text: 'Updates are off.' }),
          onUpdateStatus: () => () => {},
          getFirstRunState: async () => ({ step: null, startAtLoginDefault: true, loginItemSupported: true }),
          testAlert: async () => ({ played: true, message: '' }),
          finishFirstRun: async () => [],
          getAlertPrefs: () => inv('prefs:get'),
          saveAlertPrefs: (p: unknown) => inv('prefs:save', p),
          onAlertPrefsChanged: () => () => {},
          testSound: () => inv('prefs:test-sound'),
          openDashboard: (id: string) => inv('dashboard:open', id),
          getStartAtLogin: () => inv('login-item:get'),
          setStartAtLogin: (on: boolean) => inv('login-item:set', on),
        },
      }
    }, snapshot)
    await page.goto(url, { timeout: 15_000 })
    await page.locator('#alert-prefs:not([hidden])').waitFor({ timeout: 10_000 })
    await page.locator('#alert-prefs summary').click()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => (server ? server.close(r) : r(null)))
    if (outDir) rmSync(outDir, { recursive: true, force: true })
  })

  const card = () => page.locator(`.item[data-request-id="${REQUEST_ID}"]`)

  it('opens on the defaults: a 3-minute wait is amber (2 and 5 minutes), no dashboard action', async () => {
    expect(await page.locator('#p-sound').inputValue()).toBe('request')
    expect(await page.locator('#p-repeatIntervalSec').inputValue()).toBe('120')
    expect(await page.locator('#p-volume-value').textContent()).toBe('80 %')
    expect(await card().getAttribute('data-urgency')).toBe('amber')
    expect(await card().locator('[data-action="dashboard"]').isHidden()).toBe(true)
  })

  it('red not after amber: said next to the red field as it is typed, and the save is refused with nothing stored', async () => {
    await page.locator('#p-amberAfterMin').fill('6')
    await page.locator('#p-redAfterMin').fill('6')
    await page.locator('#p-redAfterMin-problem:not([hidden])').waitFor({ timeout: 5000 })
    expect(await page.locator('#p-redAfterMin-problem').textContent()).toBe('Red must come after amber: use more minutes than for amber.')
    expect(await page.locator('#p-redAfterMin').getAttribute('aria-invalid')).toBe('true')
    await page.locator('#p-dashboardUrl').fill('http://shop.example/r/{requestId}')
    expect(await page.locator('#p-dashboardUrl-problem').textContent()).toMatch(/https:\/\//)
    await page.locator('#alert-prefs-form button[type="submit"]').click()
    await expect.poll(() => page.locator('#message').textContent()).toMatch(/not saved/)
    expect(kv.has('alertPrefs')).toBe(false)
  })

  it('a good set is saved: the wait is re-coloured by the new thresholds and the card offers the dashboard, which opens the allowed URL', async () => {
    await page.locator('#p-amberAfterMin').fill('4')
    await page.locator('#p-redAfterMin').fill('10')
    await page.locator('#p-dashboardUrl').fill('https://shop.example/requests/{requestId}')
    await page.locator('#p-sound').selectOption('bell')
    await page.locator('#p-repeatIntervalSec').fill('60')
    expect(await page.locator('#alert-prefs-form .field-problem:not([hidden])').count()).toBe(0)
    await page.locator('#alert-prefs-form button[type="submit"]').click()
    await expect.poll(() => page.locator('#message').textContent()).toBe('Alert preferences saved.')
    expect(kv.get('alertPrefs')).toEqual({ sound: 'bell', repeatIntervalSec: 60, amberAfterMin: 4, redAfterMin: 10, dashboardUrl: 'https://shop.example/requests/{requestId}' })
    expect(await card().getAttribute('data-urgency')).toBe('calm')
    const dash = card().locator('[data-action="dashboard"]')
    expect(await dash.isVisible()).toBe(true)
    expect(await dash.getAttribute('aria-label')).toBe('Open in dashboard: Dana Ortiz')
    await dash.click()
    await expect.poll(() => electron.shell.openExternal.mock.calls).toEqual([[`https://shop.example/requests/${REQUEST_ID}`]])
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'alert-preferences.png'), fullPage: true })
  })

  it('Test plays the saved sound at the saved volume', async () => {
    await page.locator('#p-volume').fill('40')
    expect(await page.locator('#p-volume-value').textContent()).toBe('40 %')
    await page.locator('#alert-prefs-form button[type="submit"]').click()
    await expect.poll(() => (kv.get('alertPrefs') as { volume?: number }).volume).toBe(40)
    await page.locator('#p-test-sound').click()
    await expect.poll(() => played).toEqual([['bell', 0.4]])
    expect(pageErrors).toEqual([])
  })

  it('Settings: Start BayAlert when I log in sets the OS login item at once', async () => {
    await page.locator('#settings summary').click()
    const box = page.locator('#s-login')
    await box.waitFor({ timeout: 5000 })
    expect(await box.isChecked()).toBe(false)
    await box.check()
    await expect.poll(() => loginItem.on).toBe(true)
    await box.uncheck()
    await expect.poll(() => loginItem.on).toBe(false)
    expect(pageErrors).toEqual([])
  })
})
