// Debian's Chromium for the UI tests (Playwright never downloads a browser here), with the flags this machine needs:
// without the background-networking ones Chromium keeps trying hosts a closed network refuses.
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
export const haveChromium = existsSync(CHROMIUM)
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 })
}

/** Records every CSP violation of the page in `window.__csp` (read it back with page.evaluate). */
export async function recordCspViolations(page: Page): Promise<void> {
  // Runs in the page (this tsconfig has no DOM lib, hence `any`).
  await page.addInitScript(() => {
    const w = globalThis as any
    w.__csp = []
    w.document.addEventListener('securitypolicyviolation', (e: any) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`))
  })
}

/** Builds the renderer (the project's own vite config, client environment) into a new temporary directory. */
export async function buildRenderer(prefix: string): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), prefix))
  const { createBuilder } = await import('vite')
  const builder = await createBuilder({ configFile: resolve('vite.config.ts'), logLevel: 'warn', build: { outDir } })
  await builder.build(builder.environments.client!)
  return outDir
}
