/** @vitest-environment node */
// The wallboard in Debian Chromium (playwright-core, no browser download), opened from the URL headless
// prints on its `wallboard:` line and served by the real loopback UI server with a fake engine: large
// names, longest wait first, the link state, no controls, hostile customer strings inert, and a session
// that cannot run a command even from the page's own script. Writes test/artifacts/wallboard.png.
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startUiServer, type UiServer } from '../../src/cli/ui-server.js'
import { FakeEngine, makeItem } from '../mocks/fake-engine.js'
import { buildRenderer, haveChromium, launchChromium, recordCspViolations } from './chromium.js'

const ARTIFACTS = resolve('test/artifacts')

const HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">Mallory'
const RTL_VEHICLE = 'Civic \u202Egnp.exe\u202C 2014'
const HOSTILE_CONCERN = '<script>window.__pwned=2</script>' + 'rattle '.repeat(50_000)
const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString()

describe.skipIf(!haveChromium)(`wallboard in Chromium${haveChromium ? '' : ' (skipped: /usr/bin/chromium not installed — apt-get install -y chromium)'}`, () => {
  let outDir: string
  let engine: FakeEngine
  let server: UiServer
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    outDir = await buildRenderer('bayalert-wallboard-')

    // Queue order (as the engine keeps it) is not wait order.
    engine = new FakeEngine({
      queue: [
        makeItem({ requestId: 'r-new', queuedAt: ago(0.5), details: { customerName: 'Sam Lee', vehicle: '2019 Ford F-150', concern: 'Check engine light', sessionType: null } }),
        makeItem({ requestId: 'r-hostile', queuedAt: ago(3), details: { customerName: HOSTILE_NAME, vehicle: RTL_VEHICLE, concern: HOSTILE_CONCERN, sessionType: null } }),
        makeItem({ requestId: 'r-oldest', queuedAt: ago(12), details: { customerName: 'Dana Ortiz', vehicle: '2014 Honda Civic', concern: 'Grinding noise when braking', sessionType: null } }),
        makeItem({ requestId: 'r-basic', detail: 'basic', queuedAt: ago(6), acknowledged: true, details: { customerName: null, vehicle: null, concern: null, sessionType: null } }),
      ],
    })
    server = await startUiServer({ engine, host: '127.0.0.1', port: 0, rendererDir: outDir })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await recordCspViolations(page)
    await page.goto(server.wallboardUrl, { timeout: 15_000 })
    await page.locator('#board li').nth(3).waitFor({ timeout: 10_000 })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    if (outDir) rmSync(outDir, { recursive: true, force: true })
  })

  it('opens from the printed wallboard URL and drops the key from the address bar', () => {
    expect(page.url()).toBe(`${server.origin}/wallboard`)
  })

  it('lists the longest wait first, with name, what, wait and urgency', async () => {
    const ids = await page.locator('#board li').evaluateAll((els) => els.map((e) => (e as any).dataset.requestId))
    expect(ids).toEqual(['r-oldest', 'r-basic', 'r-hostile', 'r-new'])
    const oldest = page.locator('li[data-request-id="r-oldest"]')
    await expect(oldest.locator('.row-name').textContent()).resolves.toBe('Dana Ortiz')
    await expect(oldest.locator('.row-what').textContent()).resolves.toBe('2014 Honda Civic — Grinding noise when braking')
    await expect(oldest.locator('.row-wait').textContent()).resolves.toBe('12 min')
    await expect(page.locator('li[data-request-id="r-new"] .row-wait').textContent()).resolves.toBe('< 1 min')
    const urgency = await page.locator('#board li').evaluateAll((els) => els.map((e) => (e as any).dataset.urgency))
    expect(urgency).toEqual(['red', 'red', 'amber', 'calm'])
    await expect(page.locator('li[data-request-id="r-basic"] .row-name').textContent()).resolves.toBe('Customer (details loading…)')
    await expect(page.locator('#board-count').textContent()).resolves.toBe('4 waiting')
    // The queue window's urgency colours (src/renderer/urgency-colors.css), so a card and the board match.
    const stripes = await page.locator('#board li').evaluateAll((els) => els.map((e) => (globalThis as any).getComputedStyle(e).borderLeftColor))
    expect(stripes).toEqual(['rgb(255, 90, 95)', 'rgb(255, 90, 95)', 'rgb(240, 180, 41)', 'rgb(47, 191, 113)'])
    await expect(page.locator('#board-state').textContent()).resolves.toBe('Live')
  })

  it('names are legible across a bay: at least 32 px, and never cut off', async () => {
    const sizes = await page.locator('.row-name').evaluateAll((els) => els.map((e) => parseFloat((globalThis as any).getComputedStyle(e).fontSize)))
    expect(sizes).toHaveLength(4)
    for (const px of sizes) expect(px).toBeGreaterThanOrEqual(32)
    const clipped = await page.locator('.row-name').evaluateAll((els) => els.filter((e: any) => e.scrollWidth > e.clientWidth + 1).length)
    expect(clipped).toBe(0)
  })

  it('is read-only: no control on the page, and its session cannot run a command', async () => {
    expect(await page.locator('button, input, select, textarea, form, a[href], [role=button], [onclick], [tabindex]').count()).toBe(0)
    const before = engine.calls.length
    const refused = await page.evaluate(async () => {
      const api = (globalThis as any).bayalert
      const out: string[] = []
      for (const call of [() => api.accept('r-oldest'), () => api.acknowledge('r-oldest'), () => api.pause({ indefinite: true }), () => api.resume(), () => api.reconnectNow()]) {
        try {
          await call()
          out.push('ran')
        } catch (e) {
          out.push(String((e as Error).message))
        }
      }
      return out
    })
    expect(refused).toEqual(Array(5).fill('the wallboard is read-only'))
    expect(engine.calls.length).toBe(before)
  })

  it('shows hostile customer strings as text: no element injected, no script run, no CSP violation', async () => {
    const row = page.locator('li[data-request-id="r-hostile"]')
    await expect(row.locator('.row-name').textContent()).resolves.toBe(HOSTILE_NAME)
    const what = (await row.locator('.row-what').textContent())!
    // The RLO/PDF pair is dropped: the real order ("gnp.exe") shows, not the spoofed "exe.png".
    expect(what.startsWith('Civic gnp.exe 2014 — <script>window.__pwned=2</script>')).toBe(true)
    expect(what.length).toBeLessThan(200)
    expect(await row.locator('.row-name').evaluate((e) => (globalThis as any).getComputedStyle(e).unicodeBidi)).toBe('isolate')
    expect(await page.locator('#board img, #board script').count()).toBe(0)
    await page.waitForTimeout(200)
    expect(await page.evaluate(() => (globalThis as any).__pwned)).toBeUndefined()
    expect(await page.evaluate(() => (globalThis as any).__csp)).toEqual([])
    expect(pageErrors).toEqual([])
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'wallboard.png'), fullPage: true })
  })

  it('re-colours a row within 5 s of its threshold, without a snapshot', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } })
    const saved = engine.snap.queue
    try {
      await ctx.clock.install({ time: Date.now() })
      engine.push({ queue: [makeItem({ requestId: 'r-tick', queuedAt: ago(2 - 4 / 60), details: { customerName: 'Ana Ruiz', vehicle: null, concern: null, sessionType: null } })] })
      const p = await ctx.newPage()
      await p.goto(server.wallboardUrl, { timeout: 15_000 })
      const row = p.locator('li[data-request-id="r-tick"]')
      await row.waitFor({ timeout: 10_000 })
      await expect(row.getAttribute('data-urgency')).resolves.toBe('calm')
      await p.clock.runFor(5_500)
      await expect(row.getAttribute('data-urgency')).resolves.toBe('amber')
      await expect(row.locator('.row-wait').textContent()).resolves.toBe('2 min')
    } finally {
      await ctx.close()
      engine.push({ queue: saved })
    }
  })

  it('follows pushes: the link state and its reason, the pause, the queue emptying', async () => {
    engine.push({ link: { state: 'offline', reason: 'Network down: reconnecting in 4 s', since: Date.now() }, paused: 'indefinite' })
    await page.locator('#board-link[data-state="offline"]').waitFor({ timeout: 5000 })
    await expect(page.locator('#board-state').textContent()).resolves.toBe('Offline')
    await expect(page.locator('#board-reason').textContent()).resolves.toBe('Network down: reconnecting in 4 s')
    await expect(page.locator('#board-paused').textContent()).resolves.toBe('Alerts paused until you resume')
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTIFACTS, 'wallboard-offline.png'), fullPage: true })
    // One polite live region says who left; the list itself is not live (its waits tick every few seconds).
    const live = await page.locator('[aria-live], [role="status"], [role="alert"], [role="log"]').evaluateAll((els) => els.map((e) => e.id))
    expect(live).toEqual(['board-announce'])
    engine.push({ link: { state: 'live', reason: 'Connected', since: Date.now() }, paused: null, queue: [] })
    await expect.poll(() => page.locator('#board-announce').textContent()).toBe('4 requests are no longer waiting. No one is waiting.')
    await page.locator('#board-empty:not([hidden])').waitFor({ timeout: 5000 })
    expect(await page.locator('#board li').count()).toBe(0)
    await expect(page.locator('#board-reason').textContent()).resolves.toBe('')
    await expect(page.title()).resolves.toBe('BayAlert wallboard')

    // A realistic bay for the README's screenshot; the count in the bar follows it.
    const bay = (id: string, name: string, min: number, vehicle: string, concern: string) =>
      makeItem({ requestId: id, queuedAt: ago(min), details: { customerName: name, vehicle, concern, sessionType: null } })
    engine.push({ queue: [
      bay('b-1', 'Maria Gonzalez', 6.3, '2018 Subaru Outback', 'Check engine light, rough idle'),
      bay('b-2', 'Dana Ortiz', 3.1, '2014 Honda Civic', 'Grinding noise when braking'),
      bay('b-3', 'Sam Lee', 0.7, '2019 Ford F-150', 'Tyre pressure warning'),
    ] })
    await expect.poll(() => page.locator('#board-count').textContent()).toBe('3 waiting')
    await page.screenshot({ path: join(ARTIFACTS, 'wallboard-bay.png') })
  })

  it('a request someone took reads "<customer> — taken by <mechanic>" in large type while the notice lasts', async () => {
    const saved = engine.snap.queue
    const gone = saved[0]!
    engine.push({ queue: saved.slice(1), taken: [{ requestId: gone.requestId, customerName: gone.details.customerName, takenBy: 'Ana Lima', at: Date.now() }] })
    const line = page.locator('#board-taken li')
    await line.first().waitFor({ timeout: 5000 })
    await expect(line.allTextContents()).resolves.toEqual([`${gone.details.customerName} — taken by Ana Lima`])
    expect(parseFloat(await line.first().evaluate((e) => (globalThis as any).getComputedStyle(e).fontSize))).toBeGreaterThanOrEqual(32)
    await expect.poll(() => page.locator('#board-announce').textContent()).toMatch(new RegExp(`^${gone.details.customerName} was taken by Ana Lima\\.`))
    engine.push({ queue: saved, taken: [] })
    await page.locator('#board-taken').waitFor({ state: 'hidden', timeout: 5000 })
  })
})
