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

  it.runIf(!bin)(`reports why the launch test is skipped: ${SKIP_REASON}`, () => {
    expect(bin).toBeUndefined()
    console.log(`test/e2e/electron.test.ts: skipped the launch test: ${SKIP_REASON}`)
  })
})
