/** @vitest-environment node */
// The alert path in the queue window, in Debian Chromium (playwright-core), against the REAL main-process
// alert-path IPC handlers and service: window.bayalert.host forwards each call to the handler registered on
// ipcMain (electron mocked at that seam) with the trusted sender the preload's calls carry, and the service's
// status pushes reach the page as the preload's 'alert-path:status' listener would. The probe is scripted;
// the notification proof is the real NotificationSink's, answered by the mocked Notification's events.
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import * as electron from '../mocks/electron.js'
import { makeSnapshot } from '../mocks/fake-engine.js'
import type { AlertPathVerdict, Finding } from '../../src/core/alert-path/types.js'
import { buildRenderer, haveChromium, launchChromium } from './chromium.js'
vi.mock('electron', () => import('../mocks/electron.js'))

const { AlertPathService } = await import('../../src/main/alert-path/alert-path-service.js')
const { registerAlertPathIpc } = await import('../../src/main/alert-path/alert-path-ipc.js')
const { NotificationSink } = await import('../../src/main/notification-sink.js')
const { resolveInside, UI_CONTENT_TYPES } = await import('../../src/core/static-files.js')

const DND: Finding = { id: 'do-not-disturb', affects: 'notifications', reason: 'Do Not Disturb is on (GNOME): alerts show no pop-up — the queue window is brought to the front instead.' }

describe.skipIf(!haveChromium)(`alert path in the queue window${haveChromium ? '' : ' (skipped: /usr/bin/chromium not installed — apt-get install -y chromium)'}`, () => {
  let outDir: string
  let server: Server
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []
  let findings: Finding[] = [DND]
  let service: InstanceType<typeof AlertPathService>

  beforeAll(async () => {
    outDir = await buildRenderer('bayalert-alert-path-')
    electron.resetElectronMock()
    const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
    const notifications = new NotificationSink({ platform: 'linux', showQueue: () => {}, log })
    service = new AlertPathService({
      probe: { check: async (trigger): Promise<AlertPathVerdict> => ({ checkedAt: Date.now(), trigger, findings, unknown: [] }) },
      proofs: () => [notifications.proof(), { sink: 'sound', prove: async () => ({ outcome: 'failed', detail: 'the sound did not play: NotAllowedError' }) }],
      onStatus: (st) => void page?.evaluate((s) => (globalThis as any).__alertPathListeners.forEach((l: any) => l(s)), st).catch(() => {}),
      log,
      timers: { every: () => () => {} },
      proofDeadlineMs: 3000,
    })
    registerAlertPathIpc({ service, sound: { onPlayed: () => {} }, log })

    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
      const file = resolveInside(outDir, path === '/' ? 'index.html' : path.slice(1))
      if (!file || !existsSync(file)) return void res.writeHead(404).end()
      res.writeHead(200, { 'content-type': UI_CONTENT_TYPES[extname(file).slice(1)] ?? 'application/octet-stream' }).end(readFileSync(file))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 440, height: 720 } })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await page.exposeFunction('__invoke', async (channel: string, ...args: unknown[]) => {
      const handler = electron.ipcMain.handlers.get(channel)
      if (!handler) throw new Error(`no handler for ${channel}`)
      return handler({ senderFrame: { url: 'app://bundle/index.html' } }, ...args)
    })
    const snapshot = makeSnapshot({ user: 'm@shop.example', link: { state: 'live', reason: 'Connected', since: 0 } })
    await page.addInitScript((snap) => {
      const w = globalThis as any
      const inv = (c: string, ...a: unknown[]) => w.__invoke(c, ...a)
      w.__alertPathListeners = []
      w.bayalert = {
        getSnapshot: async () => snap,
        acknowledge: async () => {},
        accept: async () => ({ ok: true }),
        pause: async () => {},
        resume: async () => {},
        reconnectNow: async () => {},
        onSnapshot: () => () => {},
        host: {
          getSettings: () => new Promise(() => {}),
          saveSettings: async () => ({ ok: false, problems: [], fields: {} }),
          signIn: async () => ({ ok: true }),
          signOut: async () => {},
          onSettingsChanged: () => () => {},
          getUpdateStatus: async () => ({ phase: 'off', version: null, text: '' }),
          onUpdateStatus: () => () => {},
          getFirstRunState: async () => ({ step: null, startAtLoginDefault: false, loginItemSupported: false }),
          testAlert: async () => ({ played: false, message: '' }),
          finishFirstRun: async () => [],
          getAlertPath: () => inv('alert-path:get-status'),
          onAlertPath: (l: unknown) => (w.__alertPathListeners.push(l), () => {}),
          testAlertPath: () => inv('alert-path:test'),
        },
      }
    }, snapshot)
    const { port } = server.address() as AddressInfo
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: 15_000 })
    await page.locator('#test-alert:not([hidden])').waitFor({ timeout: 10_000 })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => (server ? server.close(r) : r(null)))
    if (outDir) rmSync(outDir, { recursive: true, force: true })
  })

  it('before the first self-test finishes the status bar says nothing; its warning then appears with the reason', async () => {
    expect(await page.locator('#alert-path').isHidden()).toBe(true)
    service.start()
    await page.locator('#alert-path:not([hidden])').waitFor({ timeout: 5000 })
    expect(await page.locator('#alert-path').textContent()).toBe(`⚠ ${DND.reason}`)
    expect(await page.locator('#alert-path').getAttribute('data-kind')).toBe('warning')
  })

  it('Test alert: the button runs it through the real handler; the result names each sink and the failed one stays in the status bar', async () => {
    findings = []
    await page.locator('#test-alert').click()
    // The real NotificationSink showed the test notification; the OS (mocked) confirms it.
    await expect.poll(() => electron.FakeNotification.instances.length, { timeout: 5000 }).toBe(1)
    expect(electron.FakeNotification.instances[0]!.options.title).toBe('BayAlert test alert')
    electron.FakeNotification.instances[0]!.emit('show', {})
    await page.locator('#message:not([hidden])').waitFor({ timeout: 5000 })
    expect(await page.locator('#message').textContent()).toBe(
      'Test alert: not everything got through — notification: delivered (the OS reports it shown); sound: failed (the sound did not play: NotAllowedError).',
    )
    expect(await page.locator('#message').getAttribute('data-kind')).toBe('error')
    expect(await page.locator('#alert-path').textContent()).toBe('⚠ The last test alert did not get through: sound (the sound did not play: NotAllowedError)')
    expect(await page.locator('#test-alert').isDisabled()).toBe(false)
    expect(pageErrors).toEqual([])
  })
})
