/** @vitest-environment node */
// Full-app smoke test through Playwright's _electron — only where an Electron binary exists. Electron
// >= 42 downloads its binary lazily at require('electron') time and this environment cannot download,
// so the binary is located without touching electron/index.js (which would start that download) and the test says
// plainly that it skipped otherwise. CI machines with the binary run it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { electronInfo, electronPackageDir, findElectronBinary } from '../../scripts/launcher/electron-binary.mjs'
import { ensureElectronSqlite } from '../../scripts/launcher/electron-sqlite.mjs'
import { SQLITE_BINDING_ENV } from '../../scripts/launcher/plan.mjs'
import { runProcess } from '../../scripts/launcher/run-process.mjs'
import { startBackend } from '../backend/index.js'
import { createRequest } from '../integration/helpers.js'

const electronDir = electronPackageDir(resolve('.'))
// vitest sets ELECTRON_OVERRIDE_DIST_PATH to a path that does not exist (so that nothing downloads in unit
// tests); the binary is looked for where install.js puts it.
const bin = electronDir ? findElectronBinary(electronDir, { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: '' }) : undefined
const SKIP_REASON =
  'Electron binary not installed (node_modules/electron/path.txt or dist/ missing; `npx install-electron` downloads it, which needs internet)'

describe('Electron app', () => {
  it.skipIf(!bin)(bin ? 'launches: tray app with a secure queue window' : `skipped: ${SKIP_REASON}`, async () => {
    expect(existsSync(resolve('out/main/index.cjs')), 'run `npx vite build` first').toBe(true)
    const { _electron } = await import('playwright-core')
    // The main process loads better-sqlite3 built for Electron's ABI, made (or reused) as `npm start` does.
    const sqlite = await ensureElectronSqlite({ root: resolve('.'), electron: electronInfo(electronDir!), runProcess, say: (m) => console.log(m) })
    expect(sqlite.ok, sqlite.ok ? '' : sqlite.reason).toBe(true)
    const userData = mkdtempSync(join(tmpdir(), 'bayalert-e2e-'))
    const app = await _electron.launch({
      executablePath: bin!,
      args: ['.', `--user-data-dir=${userData}`, '--no-sandbox', '--disable-gpu'],
      env: {
        ...process.env,
        NODE_ENV: 'test',
        BAYALERT_DATA_DIR: join(userData, 'data'),
        SUPABASE_URL: '',
        SUPABASE_ANON_KEY: '',
        [SQLITE_BINDING_ENV]: String(sqlite.path),
      },
      timeout: 30_000,
    })
    try {
      // Unconfigured first run: the queue window opens with the settings form.
      const page = await app.firstWindow({ timeout: 20_000 })
      expect(page.url()).toBe('app://bundle/index.html')
      await page.locator('#link-state').waitFor({ timeout: 10_000 })
      expect(await page.locator('#link-state').textContent()).toBe('Signed out')
      expect(await page.locator('#settings').isVisible()).toBe(true)
      // No shop and not npm start's demo environment: the first-run panel opens on "connect".
      await page.locator('#first-run[data-step="connect"]').waitFor({ timeout: 10_000 })
      // Security: no Node in the page, and navigation away is blocked.
      expect(await page.evaluate(() => typeof (globalThis as any).require)).toBe('undefined')
      expect(await page.evaluate(() => typeof (globalThis as any).bayalert.getSnapshot)).toBe('function')
      await page.evaluate(() => ((globalThis as any).location.href = 'https://example.com/')).catch(() => {})
      await new Promise((r) => setTimeout(r, 300))
      expect(page.url()).toBe('app://bundle/index.html')
      expect(await page.evaluate(() => typeof (globalThis as any).process)).toBe('undefined')
      // Queue window plus the hidden sound window; the app keeps running with no visible window.
      expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBeGreaterThanOrEqual(2)
      expect(await app.evaluate(({ app }) => app.getName())).toBeTruthy()
    } finally {
      await app.close().catch(() => {})
      rmSync(userData, { recursive: true, force: true })
    }
  }, 90_000)

  // A signed-in workstation against the local shop backend: a request queued in the database shows a native
  // notification naming the customer, a card in the queue window, and "1 waiting" in the tray menu. The
  // notification and the menu are observed by wrapping Notification.prototype.show and Tray.prototype.setContextMenu
  // in the main process (Playwright's app.evaluate); nothing in the app is changed for the test.
  it.skipIf(!bin)(bin ? 'rings: a queued request → notification, queue card and tray menu' : `skipped: ${SKIP_REASON}`, async () => {
    expect(existsSync(resolve('out/main/index.cjs')), 'run `npx vite build` first').toBe(true)
    const { _electron } = await import('playwright-core')
    const sqlite = await ensureElectronSqlite({ root: resolve('.'), electron: electronInfo(electronDir!), runProcess, say: (m) => console.log(m) })
    expect(sqlite.ok, sqlite.ok ? '' : sqlite.reason).toBe(true)
    const b = await startBackend({ port: 0 })
    const userData = mkdtempSync(join(tmpdir(), 'bayalert-e2e-ring-'))
    const mechanic = b.demoUsers[0]!
    const app = await _electron.launch({
      executablePath: bin!,
      args: ['.', `--user-data-dir=${userData}`, '--no-sandbox', '--disable-gpu'],
      env: {
        ...process.env,
        NODE_ENV: 'test',
        BAYALERT_DATA_DIR: join(userData, 'data'),
        SUPABASE_URL: b.url,
        SUPABASE_ANON_KEY: b.anonKey,
        BAYALERT_EMAIL: mechanic.email,
        BAYALERT_PASSWORD: mechanic.password,
        [SQLITE_BINDING_ENV]: String(sqlite.path),
      },
      timeout: 30_000,
    })
    try {
      await app.evaluate(({ Notification, Tray }) => {
        const g = globalThis as unknown as { shown: string[]; menus: string[][] }
        g.shown = []
        g.menus = []
        const show = Notification.prototype.show
        Notification.prototype.show = function (this: Electron.Notification) {
          g.shown.push(`${this.title} ${this.body}`)
          return show.call(this)
        }
        const setMenu = Tray.prototype.setContextMenu
        Tray.prototype.setContextMenu = function (this: Electron.Tray, menu: Electron.Menu | null) {
          if (menu) g.menus.push(menu.items.map((i) => i.label))
          return setMenu.call(this, menu)
        }
      })
      const page = await app.firstWindow({ timeout: 20_000 })
      await page.locator('#link[data-state="live"]').waitFor({ timeout: 30_000 })
      const r = await createRequest(b, { name: 'Electron Ellie', concern: 'Squeaky brakes' })
      await page.locator(`[data-request-id="${r.id}"]`).waitFor({ timeout: 10_000 })
      expect(await page.locator(`[data-request-id="${r.id}"]`).textContent()).toContain('Electron Ellie')
      await expect
        .poll(() => app.evaluate(() => (globalThis as unknown as { shown: string[] }).shown), { timeout: 10_000 })
        .toEqual(expect.arrayContaining([expect.stringContaining('Electron Ellie')]))
      await expect
        .poll(() => app.evaluate(() => (globalThis as unknown as { menus: string[][] }).menus.at(-1) ?? []), { timeout: 10_000 })
        .toEqual(expect.arrayContaining(['Show queue (1 waiting)', 'Quit BayAlert']))
    } finally {
      await app.close().catch(() => {})
      await b.stop()
      rmSync(userData, { recursive: true, force: true })
    }
  }, 120_000)

  it.runIf(!bin)(`reports why the launch and ring tests are skipped: ${SKIP_REASON}`, () => {
    expect(bin).toBeUndefined()
    console.log(`test/e2e/electron.test.ts: skipped the launch and ring tests: ${SKIP_REASON}`)
  })
})
