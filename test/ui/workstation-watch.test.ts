/** @vitest-environment node */
// The workstation watch in Debian Chromium (playwright-core), served by the real loopback UI server with a fake
// engine: the queue window's status bar says "2 of 3 workstations live — Bay 3 silent since 10:42" and lists every
// workstation; the wallboard says the same line; nothing is shown before a check-in told who is live, and the line's
// slot does not move the controls below it when it fills. Hostile names from the database stay text.
import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startUiServer, type UiServer } from '../../src/cli/ui-server.js'
import type { WorkstationWatch } from '../../src/shared/types.js'
import { FakeEngine } from '../mocks/fake-engine.js'
import { buildRenderer, haveChromium, launchChromium } from './chromium.js'

const since = new Date(2026, 10, 30, 10, 42, 10).getTime() // the page runs in this machine's time zone too
const HOSTILE = '<img src=x onerror="window.__pwned=1">Bay 9'

const watch: WorkstationWatch = {
  live: 2,
  total: 3,
  silent: [{ name: 'Bay 3', since }],
  list: [
    { name: 'Bay 1', mechanic: 'Alex Rivera', state: 'live', version: '0.1.0', lastSeen: since + 600_000, live: true },
    { name: HOSTILE, mechanic: null, state: 'degraded', version: null, lastSeen: since + 600_000, live: true },
    { name: 'Bay 3', mechanic: 'Jordan Lee', state: 'live', version: '0.1.0', lastSeen: since, live: false },
  ],
}

describe.skipIf(!haveChromium)(`workstation watch in Chromium${haveChromium ? '' : ' (skipped: /usr/bin/chromium not installed — apt-get install -y chromium)'}`, () => {
  let outDir: string
  let engine: FakeEngine
  let server: UiServer
  let browser: Browser
  let page: Page
  let board: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    outDir = await buildRenderer('bayalert-watch-')
    engine = new FakeEngine({ workstations: null })
    server = await startUiServer({ engine, host: '127.0.0.1', port: 0, rendererDir: outDir })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 900, height: 720 } })
    board = await browser.newPage({ viewport: { width: 1280, height: 720 } })
    for (const p of [page, board]) p.on('pageerror', (e) => pageErrors.push(e.message))
    await page.goto(server.url, { timeout: 15_000 })
    await board.goto(server.wallboardUrl, { timeout: 15_000 })
    await page.locator('#link-state').filter({ hasText: /Live/ }).waitFor({ timeout: 10_000 })
    await board.locator('#board-state').filter({ hasText: /Live/ }).waitFor({ timeout: 10_000 })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    if (outDir) rmSync(outDir, { recursive: true, force: true })
  })

  it('says nothing before a check-in, then "2 of 3 workstations live", naming the silent one, without moving the controls', async () => {
    await expect(page.locator('#workstations').textContent()).resolves.toBe('')
    await expect(page.locator('#ws-panel').isHidden()).resolves.toBe(true)
    const before = await page.locator('#resume').boundingBox()
    engine.push({ workstations: watch })
    await page.locator('#workstations').filter({ hasText: 'workstations live' }).waitFor({ timeout: 5000 })
    await expect(page.locator('#workstations').textContent()).resolves.toBe('2 of 3 workstations live — Bay 3 silent since 10:42')
    await expect(page.locator('#workstations').getAttribute('data-silent')).resolves.toBe('yes')
    expect(await page.locator('#resume').boundingBox()).toEqual(before)
  })

  it('lists every workstation in the window: name, mechanic, state or silent since, version', async () => {
    await expect(page.locator('#ws-panel').isVisible()).resolves.toBe(true)
    const rows = await page.locator('#ws-list li').evaluateAll((els) => els.map((e) => [(e as any).dataset.live, e.textContent]))
    expect(rows).toEqual([
      ['yes', 'Bay 1Alex Riveralivev0.1.0'],
      ['yes', `${HOSTILE}degraded`],
      ['no', 'Bay 3Jordan Leesilent since 10:42v0.1.0'],
    ])
    expect(await page.evaluate(() => (globalThis as any).__pwned)).toBeUndefined()
    await expect(page.locator('#ws-list img').count()).resolves.toBe(0)
  })

  it('the wallboard shows the same line, and both calm down when all are live again', async () => {
    await board.locator('#board-workstations').filter({ hasText: 'live' }).waitFor({ timeout: 5000 })
    await expect(board.locator('#board-workstations').textContent()).resolves.toBe('2 of 3 workstations live — Bay 3 silent since 10:42')
    engine.push({ workstations: { live: 3, total: 3, silent: [], list: watch.list.map((e) => ({ ...e, live: true })) } })
    await board.locator('#board-workstations').filter({ hasText: /^3 of 3 workstations live$/ }).waitFor({ timeout: 5000 })
    await page.locator('#workstations').filter({ hasText: /^3 of 3 workstations live$/ }).waitFor({ timeout: 5000 })
    await expect(board.locator('#board-workstations').getAttribute('data-silent')).resolves.toBe('no')
    expect(pageErrors).toEqual([])
  })
})
