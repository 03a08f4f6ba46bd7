// Debian's Chromium for the UI tests (Playwright never downloads a browser here), with the flags this machine needs:
// without the background-networking ones Chromium keeps trying hosts a closed network refuses.
import type { Browser, Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
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
