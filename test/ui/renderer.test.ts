/** @vitest-environment node */
// The queue UI in Debian Chromium (playwright-core, no browser download), served by the real loopback
// UI server with a fake engine: it renders the queue, treats hostile customer strings as text, obeys
// its CSP, sends commands to the engine and follows snapshot pushes. Built into a temp dir so a
// concurrent `vite build` by someone else cannot race it.
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startUiServer, type UiServer } from '../../src/cli/ui-server.js'
import { UiPushSink } from '../../src/cli/ui-sink.js'
import { FakeEngine, makeItem } from '../mocks/fake-engine.js'
import { buildRenderer, haveChromium, launchChromium, recordCspViolations } from './chromium.js'

/** The sink the headless host registers with the alert pipeline: the page hears alerts through it. */
const alerts = new UiPushSink()
const SHOT_DIR = resolve('test/artifacts')

const HOSTILE_NAME = '<img src=x onerror="window.__pwned=1">'
const RTL_VEHICLE = 'Civic \u202Egnp.exe\u202C 2014'
const BIG_CONCERN = '<script>window.__pwned=2</script>' + 'brakes squeal '.repeat(80_000) // ~1.1 MB

describe.skipIf(!haveChromium)(`queue UI in Chromium${haveChromium ? '' : ' (skipped: /usr/bin/chromium not installed — apt-get install -y chromium)'}`, () => {
  let outDir: string
  let engine: FakeEngine
  let server: UiServer
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    outDir = await buildRenderer('bayalert-renderer-')

    engine = new FakeEngine({
      queue: [
        makeItem({ requestId: 'r-1' }),
        makeItem({ requestId: 'r-2', details: { customerName: HOSTILE_NAME, vehicle: RTL_VEHICLE, concern: BIG_CONCERN, sessionType: null } }),
        makeItem({ requestId: 'r-3', detail: 'basic', details: { customerName: null, vehicle: null, concern: null, sessionType: null }, queuedAt: new Date(Date.now() - 12 * 60_000).toISOString() }),
      ],
    })
    server = await startUiServer({ engine, alerts, host: '127.0.0.1', port: 0, rendererDir: outDir })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 440, height: 720 } })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    await recordCspViolations(page)
    // The URL headless prints (its `queue UI:` line): the key is traded for a cookie on first load.
    await page.goto(server.url, { timeout: 15_000 })
    await page.locator('#queue li').nth(2).waitFor({ timeout: 10_000 })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    if (outDir) rmSync(outDir, { recursive: true, force: true })
  })

  it('opens from the printed URL, drops the key from the address bar, and keeps it out of page scripts', async () => {
    expect(server.url).toContain('?k=')
    expect(page.url()).toBe(`${server.origin}/`)
    expect(await page.evaluate(() => (globalThis as any).document.cookie)).toBe('') // HttpOnly
    const [cookie] = await page.context().cookies()
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', value: new URL(server.url).searchParams.get('k') })
  })

  it('a browser without the printed URL gets only the page that says where to find it', async () => {
    const stranger = await browser.newPage()
    try {
      const res = await stranger.goto(server.origin, { timeout: 15_000 })
      expect(res?.status()).toBe(401)
      await expect(stranger.locator('body').innerText()).resolves.toContain('Open the address printed by npm run headless (the line queue UI: …).')
      expect(await stranger.locator('#queue').count()).toBe(0)
      expect(await stranger.content()).not.toContain('Dana Ortiz')
    } finally {
      await stranger.close()
    }
  })

  it('renders the queue with customer, vehicle, concern excerpt, waiting time and detail marker', async () => {
    const first = page.locator('li[data-request-id="r-1"]')
    await expect(first.locator('.customer').textContent()).resolves.toBe('Dana Ortiz')
    await expect(first.locator('.vehicle').textContent()).resolves.toBe('2014 Honda Civic')
    await expect(first.locator('.concern').textContent()).resolves.toBe('Grinding noise when braking')
    await expect(first.locator('.waiting').textContent()).resolves.toBe('waiting 1 min')
    expect(await first.locator('.meta').isVisible()).toBe(false) // details known: nothing to say about them
    const basic = page.locator('li[data-request-id="r-3"]')
    await expect(basic.getAttribute('data-detail')).resolves.toBe('basic')
    await expect(basic.locator('.badge').first().textContent()).resolves.toBe('details loading…')
    await expect(basic.locator('.waiting').textContent()).resolves.toBe('waiting 12 min')
    await expect(page.locator('#link-state').textContent()).resolves.toBe('Live')
    await expect(page.title()).resolves.toBe('(3) BayAlert')
  })

  it('shows hostile strings as text: no element injected, no script run, no CSP violation', async () => {
    const row = page.locator('li[data-request-id="r-2"]')
    await expect(row.locator('.customer').textContent()).resolves.toBe(HOSTILE_NAME)
    // The RLO/PDF pair is dropped: the mechanic reads the real order ("gnp.exe"), not the spoofed "exe.png".
    await expect(row.locator('.vehicle').textContent()).resolves.toBe('Civic gnp.exe 2014')
    const concern = (await row.locator('.concern').textContent())!
    expect(concern.startsWith('<script>window.__pwned=2</script>')).toBe(true)
    expect(concern.length).toBeLessThanOrEqual(240)
    // At most four whole lines of it on the card.
    const [height, lineHeight] = await row.locator('.concern').evaluate((e) => [(e as any).clientHeight, parseFloat((globalThis as any).getComputedStyle(e).lineHeight)])
    expect(height).toBeLessThanOrEqual(4 * lineHeight + 1)
    expect(height).toBeGreaterThanOrEqual(4 * lineHeight - 1)
    expect(await page.locator('#queue img, #queue script').count()).toBe(0)
    // The RTL override stays inside its own bidi-isolated element.
    expect(await row.locator('.vehicle').evaluate((e) => (globalThis as any).getComputedStyle(e).unicodeBidi)).toBe('isolate')
    await page.waitForTimeout(200)
    expect(await page.evaluate(() => (globalThis as any).__pwned)).toBeUndefined()
    expect(await page.evaluate(() => (globalThis as any).__csp)).toEqual([])
    expect(pageErrors).toEqual([])
    mkdirSync(SHOT_DIR, { recursive: true })
    await page.screenshot({ path: join(SHOT_DIR, 'ui-hostile.png'), fullPage: true })
  })

  it('Acknowledge, Take it, pause, resume and reconnect call the engine', async () => {
    await page.locator('li[data-request-id="r-1"] button[data-action="acknowledge"]').click()
    await page.locator('li[data-request-id="r-2"] button[data-action="accept"]').click()
    await page.locator('button[data-pause="15"]').click()
    await page.locator('button[data-pause="60"]').click()
    await page.locator('button[data-pause="indefinite"]').click()
    await page.locator('#reconnect').click()
    await expect
      .poll(() => engine.calls.filter((c) => c.cmd !== 'start'), { timeout: 5000 })
      .toEqual([
        { cmd: 'acknowledge', requestId: 'r-1' },
        { cmd: 'accept', requestId: 'r-2' },
        { cmd: 'pause', request: { minutes: 15 } },
        { cmd: 'pause', request: { minutes: 60 } },
        { cmd: 'pause', request: { indefinite: true } },
        { cmd: 'reconnectNow' },
      ])
    await expect(page.locator('#message').textContent()).resolves.toBe('Taken — the session is yours.')
  })

  it('says plainly who won when someone else took it first', async () => {
    engine.acceptResult = { ok: false, reason: 'already-taken', message: 'Sam Okafor took it first.' }
    await page.locator('li[data-request-id="r-1"] button[data-action="accept"]').click()
    await page.locator('#message[data-kind="error"]').waitFor({ timeout: 5000 })
    await expect(page.locator('#message').textContent()).resolves.toBe('Sam Okafor took it first.')
    engine.acceptResult = { ok: true }
  })

  it('a request another mechanic took shows "<customer> — taken by <mechanic>" while the engine keeps the notice, and is announced so', async () => {
    const before = engine.snapshot().queue
    const gone = before.find((i) => i.requestId === 'r-1')!
    engine.push({ queue: before.filter((i) => i !== gone), taken: [{ requestId: 'r-1', customerName: gone.details.customerName, takenBy: 'Ana <b>Lima</b>', at: Date.now() }] })
    await page.locator('#taken li').first().waitFor({ timeout: 5000 })
    await expect(page.locator('#taken li').allTextContents()).resolves.toEqual([`${gone.details.customerName} — taken by Ana <b>Lima</b>`])
    expect(await page.locator('#taken b').count()).toBe(0) // text, never markup
    await expect(page.locator('#announce').textContent()).resolves.toBe(`${gone.details.customerName} was taken by Ana <b>Lima</b>.`)
    mkdirSync(SHOT_DIR, { recursive: true })
    await page.screenshot({ path: join(SHOT_DIR, 'queue-window-taken-by.png') })
    // The engine dropped the notice a few seconds later: the line goes.
    engine.push({ queue: before, taken: [] })
    await page.locator('#taken').waitFor({ state: 'hidden', timeout: 5000 })
    await page.locator('li[data-request-id="r-1"]').waitFor({ timeout: 5000 })
  })

  it('follows snapshot pushes: state line, pause state, queue changes, alert banner', async () => {
    engine.push({ link: { state: 'degraded', reason: 'Details cannot be read (RLS denied)', since: Date.now() }, paused: 'indefinite' })
    await page.locator('#link[data-state="degraded"]').waitFor({ timeout: 5000 })
    await expect(page.locator('#link-reason').textContent()).resolves.toBe('Details cannot be read (RLS denied)')
    await expect(page.locator('#pause-state').textContent()).resolves.toBe('Alerts paused until you resume')
    expect(await page.locator('#resume').isVisible()).toBe(true)
    await page.locator('#resume').click()
    await expect.poll(() => engine.calls.at(-1), { timeout: 5000 }).toEqual({ cmd: 'resume' })

    engine.push({
      link: { state: 'live', reason: 'Connected; both channels joined.', since: Date.now() },
      paused: null,
      queue: [engine.snap.queue[0]!, makeItem({ requestId: 'r-9', details: { customerName: 'Sam Lee', vehicle: '2019 Ford F-150', concern: 'Check engine light', sessionType: null } })],
    })
    alerts.alert({ kind: 'request', requestId: 'r-9', title: 'Sam Lee is waiting', body: '2019 Ford F-150 — Check engine light', detail: 'full', items: [], latencyMs: 40 })
    await page.locator('li[data-request-id="r-9"].fresh').waitFor({ timeout: 5000 })
    expect(await page.locator('#queue li').count()).toBe(2)
    await expect(page.locator('#alert-title').textContent()).resolves.toBe('Sam Lee is waiting')
    await expect(page.locator('#link-state').textContent()).resolves.toBe('Live')
    expect(await page.locator('#settings').isVisible()).toBe(false) // headless: no settings form

    mkdirSync(SHOT_DIR, { recursive: true })
    await page.screenshot({ path: join(SHOT_DIR, 'ui-queue.png'), fullPage: true })
    expect(await page.evaluate(() => (globalThis as any).__csp)).toEqual([])
  })

  it('marks a request restored from the last session as "not confirmed yet" until the server confirms it', async () => {
    const restored = makeItem({ requestId: 'r-old', confirmed: false })
    engine.push({ queue: [restored] })
    const row = page.locator('li[data-request-id="r-old"].unconfirmed')
    await row.waitFor({ timeout: 5000 })
    await expect(row.locator('.badge.unconfirmed').textContent()).resolves.toBe('not confirmed yet')
    engine.push({ queue: [{ ...restored, confirmed: true }] })
    await page.locator('li[data-request-id="r-old"]:not(.unconfirmed)').waitFor({ timeout: 5000 })
    expect(await page.locator('li[data-request-id="r-old"] .badge.unconfirmed').count()).toBe(0)
  })

  it('shows the empty state', async () => {
    engine.push({ queue: [] })
    await page.locator('#empty:not([hidden])').waitFor({ timeout: 5000 })
    await expect(page.title()).resolves.toBe('BayAlert')
  })

  it('after a restart (new secret) the open page turns into the page that says where the new address is', async () => {
    const port = Number(new URL(server.origin).port)
    await server.close()
    server = await startUiServer({ engine, host: '127.0.0.1', port, rendererDir: outDir })
    await page.getByText('Open the address printed by').waitFor({ timeout: 15_000 })
    expect(await page.locator('#queue').count()).toBe(0)
    expect(await page.content()).not.toContain('Dana Ortiz')
  })
})
