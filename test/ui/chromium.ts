// Debian's Chromium for the UI tests (Playwright never downloads a browser here), with the flags this machine needs:
// without the background-networking ones Chromium keeps trying hosts a closed network refuses.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { resolveInside, UI_CONTENT_TYPES } from '../../src/core/static-files.js'

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

/** Serves a built renderer directory on 127.0.0.1 (a free port): its base URL and the server to close. */
export async function serveRenderer(outDir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const file = resolveInside(outDir, path === '/' ? 'index.html' : path.slice(1))
    if (!file || !existsSync(file)) return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': UI_CONTENT_TYPES[extname(file).slice(1)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
}

/**
 * The preload's bridge reduced to forwarding: `window.__invoke(channel, ...args)` in the page reaches the handler
 * registered on the (mocked) ipcMain, with the trusted-sender event the preload's calls carry.
 */
export async function forwardInvokes(page: Page, handlers: Map<string, (event: unknown, ...args: unknown[]) => unknown>): Promise<void> {
  await page.exposeFunction('__invoke', async (channel: string, ...args: unknown[]) => {
    const handler = handlers.get(channel)
    if (!handler) throw new Error(`no handler for ${channel}`)
    return handler({ senderFrame: { url: 'app://bundle/index.html' } }, ...args)
  })
}
