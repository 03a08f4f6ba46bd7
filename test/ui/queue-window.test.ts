/** @vitest-environment node */
// The queue window as a mechanic uses it (issue 8, "a window worth looking at"), in Debian Chromium
// (playwright-core, no browser download) against the real loopback UI server and a fake engine:
// snapshots patch the list by request id (focus stays, no double take), the pause controls never move
// under the pointer and a paused workstation looks loud, waits turn amber and red between snapshots, one
// polite live region, buttons that name their customer, keyboard-only use, a layout for a 360-px tray
// popover and a 1280-px screen, light/dark/forced colours. Screenshots go to test/artifacts/.
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startUiServer, type UiServer } from '../../src/cli/ui-server.js'
import { UiPushSink } from '../../src/cli/ui-sink.js'
import type { AcceptResult, QueueItem } from '../../src/shared/types.js'
import { FakeEngine, makeItem } from '../mocks/fake-engine.js'
import { buildRenderer, haveChromium, launchChromium } from './chromium.js'

/** The sink the headless host registers with the alert pipeline: the page hears alerts only through it. */
const alerts = new UiPushSink()
const ARTIFACTS = resolve('test/artifacts')

const ago = (ms: number) => new Date(Date.now() - ms).toISOString()
const person = (requestId: string, customerName: string, waitedMs: number, over: Partial<QueueItem> = {}) =>
  makeItem({ requestId, queuedAt: ago(waitedMs), details: { customerName, vehicle: '2016 Toyota Corolla', concern: 'Brakes squeal when cold', sessionType: null }, ...over })

const DANA = person('r-dana', 'Dana Ortiz', 30_000)
const MARIA = person('r-maria', 'Maria Gonzalez', 3 * 60_000)
const OMAR = person('r-omar', 'Omar Haddad', 7 * 60_000)
const BASIC = makeItem({ requestId: 'r-basic', detail: 'basic', queuedAt: ago(10_000), details: { customerName: null, vehicle: null, concern: null, sessionType: null } })
const QUEUE = [DANA, MARIA, OMAR, BASIC]

/** A realistic bay for the screenshots, with ids no earlier test has taken. */
const detailed = (requestId: string, customerName: string, waitedMs: number, vehicle: string, concern: string, over: Partial<QueueItem> = {}) =>
  makeItem({ requestId, queuedAt: ago(waitedMs), details: { customerName, vehicle, concern, sessionType: 'video' }, ...over })
const SHOWCASE = [
  detailed('s-1', 'Maria Gonzalez', 6 * 60_000 + 20_000, '2018 Subaru Outback', 'Check engine light came on this morning; runs rough at idle'),
  detailed('s-2', 'Dana Ortiz', 3 * 60_000 + 5_000, '2014 Honda Civic', 'Grinding noise when braking', { alertCount: 2 }),
  detailed('s-3', 'Kwame Mensah', 2 * 60_000 + 30_000, '2012 Toyota Prius', 'Hybrid battery warning light', { acknowledged: true }),
  detailed('s-4', 'Sam Lee', 40_000, '2019 Ford F-150', 'Tyre pressure warning after a rotation'),
  detailed('s-5', 'Lena Fischer', 70_000, '2021 VW Golf', 'Wants a quote for winter tyres'),
  makeItem({ requestId: 's-6', detail: 'basic', queuedAt: ago(15_000), details: { customerName: null, vehicle: null, concern: null, sessionType: null } }),
]

/** Accessible-ish description of the focused element: its aria-label or its text. */
async function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const a = (globalThis as any).document.activeElement
    return a ? a.getAttribute('aria-label') || (a.textContent ?? '').trim() || a.tagName : ''
  })
}

async function rgb(page: Page, selector: string, prop: string): Promise<string> {
  return page.locator(selector).first().evaluate((e, p) => (globalThis as any).getComputedStyle(e)[p], prop)
}

function luminance(color: string): number {
  const [r, g, b] = color.match(/\d+/g)!.map(Number)
  return (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255
}

describe.skipIf(!haveChromium)(`queue window in Chromium${haveChromium ? '' : ' (skipped: /usr/bin/chromium not installed — apt-get install -y chromium)'}`, () => {
  let outDir: string
  let engine: FakeEngine
  let server: UiServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const pageErrors: string[] = []

  async function openPage(ctx: BrowserContext): Promise<Page> {
    const p = await ctx.newPage()
    p.on('pageerror', (e) => pageErrors.push(e.message))
    await p.goto(server.url, { timeout: 15_000 })
    await p.locator('#queue li').nth(QUEUE.length - 1).waitFor({ timeout: 10_000 })
    return p
  }

  /** The showcase bay, notices put away: what the screenshots show. */
  async function showcase(p: Page = page): Promise<void> {
    engine.push({ queue: SHOWCASE, paused: null, link: { state: 'live', reason: 'Connected', since: Date.now() } })
    await expect.poll(() => p.locator('#queue li').count()).toBe(SHOWCASE.length)
    await p.locator('#alert-banner, #message').evaluateAll((els) => els.forEach((e) => ((e as any).hidden = true)))
  }

  /** Puts the fake engine back to the starting queue and waits until the page shows it. */
  async function reset(p: Page = page): Promise<void> {
    engine.acceptResult = { ok: true }
    engine.push({ queue: QUEUE, paused: null, link: { state: 'live', reason: 'Connected', since: Date.now() } })
    await expect.poll(() => p.locator('#queue li').evaluateAll((els) => els.map((e) => (e as any).dataset.requestId))).toEqual(QUEUE.map((i) => i.requestId))
  }

  beforeAll(async () => {
    outDir = await buildRenderer('bayalert-queue-window-')
    engine = new FakeEngine({ queue: QUEUE })
    server = await startUiServer({ engine, alerts, host: '127.0.0.1', port: 0, rendererDir: outDir })
    browser = await launchChromium()
    context = await browser.newContext({ viewport: { width: 440, height: 800 } })
    page = await openPage(context)
    mkdirSync(ARTIFACTS, { recursive: true })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    if (outDir) rmSync(outDir, { recursive: true, force: true })
  })

  describe('keyed updates', () => {
    it('a snapshot patches the list: the focused Take it keeps its focus and stays the same element', async () => {
      await reset()
      const take = page.locator('li[data-request-id="r-maria"] button[data-action="accept"]')
      await take.focus()
      await take.evaluate((b) => ((b as any).__marker = 'same button'))
      // A new request arrives first in the queue, one leaves, and Maria's details and wait change.
      engine.push({ queue: [person('r-new', 'Sam Lee', 5_000), DANA, { ...MARIA, alertCount: 2 }, BASIC] })
      await page.locator('li[data-request-id="r-new"]').waitFor({ timeout: 5000 })
      await expect.poll(() => page.locator('#queue li').count()).toBe(4)
      await expect(page.locator('li[data-request-id="r-maria"] .meta').textContent()).resolves.toBe('rang 2×')
      expect(await page.evaluate(() => (globalThis as any).document.activeElement?.__marker)).toBe('same button')
      expect(await focused(page)).toBe('Take it: Maria Gonzalez')
    })

    it('when the focused card leaves, focus moves to the next card instead of vanishing', async () => {
      await reset()
      await page.locator('li[data-request-id="r-maria"] button[data-action="acknowledge"]').focus()
      engine.push({ queue: [DANA, OMAR, BASIC] })
      await expect.poll(() => page.locator('li[data-request-id="r-maria"]').count()).toBe(0)
      expect(await focused(page)).toBe('Take it: Omar Haddad')
      // The last card leaving: focus goes to the list's heading, not to the page's start.
      await page.locator('li[data-request-id="r-basic"] button[data-action="accept"]').focus()
      engine.push({ queue: [DANA, OMAR] })
      await expect.poll(() => page.locator('li[data-request-id="r-basic"]').count()).toBe(0)
      expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('queue-heading')
    })

    it('a double click takes once, even when a snapshot arrives while the take is in flight', async () => {
      await reset()
      const before = engine.calls.filter((c) => c.cmd === 'accept').length
      let release!: (r: AcceptResult) => void
      const original = engine.accept.bind(engine)
      engine.accept = async (id: string) => {
        engine.calls.push({ cmd: 'accept', requestId: id })
        return new Promise<AcceptResult>((r) => (release = r))
      }
      try {
        const take = page.locator('li[data-request-id="r-omar"] button[data-action="accept"]')
        await take.dblclick()
        // A snapshot while the claim is in flight must not hand back an enabled button.
        engine.push({ queue: [...QUEUE] })
        await page.waitForTimeout(300)
        expect(await take.isDisabled()).toBe(true)
        await take.click({ force: true })
        await take.evaluate((b) => (b as any).click())
        expect(engine.calls.filter((c) => c.cmd === 'accept').length - before).toBe(1)
        release({ ok: true })
        await expect.poll(() => page.locator('#message').textContent()).toBe('Taken — the session is yours.')
        // Taken: the button stays off until the card goes, so a late click cannot claim again.
        expect(await take.isDisabled()).toBe(true)
      } finally {
        engine.accept = original
      }
    })

    it('a take that failed for a reason worth retrying (offline) gives the button back', async () => {
      await reset()
      engine.acceptResult = { ok: false, reason: 'offline', message: 'Offline: not sent.' }
      const take = page.locator('li[data-request-id="r-dana"] button[data-action="accept"]')
      await take.click()
      await expect.poll(() => page.locator('#message').textContent()).toBe('Offline: not sent.')
      await expect.poll(() => take.isDisabled()).toBe(false)
      engine.acceptResult = { ok: false, reason: 'already-taken', message: 'Sam Okafor took it first.' }
      await take.click()
      await expect.poll(() => page.locator('#message').textContent()).toBe('Sam Okafor took it first.')
      expect(await take.isDisabled()).toBe(true)
    })
  })

  describe('the first ten minutes', () => {
    it('double-clicking Resume resumes once and never pauses again: the pause controls do not move', async () => {
      await reset()
      const boxes = () => page.locator('.pause-buttons button').evaluateAll((els) => els.map((e) => {
        const r = (e as any).getBoundingClientRect()
        return [Math.round(r.x), Math.round(r.y), Math.round(r.width), Math.round(r.height)]
      }))
      const on = await boxes()
      const cardTop = () => page.locator('#queue li').first().evaluate((e) => Math.round((e as any).getBoundingClientRect().y))
      const top = await cardTop()
      engine.push({ paused: 'indefinite' })
      await page.locator('body[data-paused="yes"]').waitFor({ timeout: 5000 })
      expect(await boxes()).toEqual(on)
      expect(await cardTop()).toBe(top) // the loud bar is no taller than the calm one
      // The engine answers a resume with a snapshot at once, as the real one does.
      const original = engine.resume.bind(engine)
      engine.resume = async () => {
        engine.calls.push({ cmd: 'resume' })
        engine.push({ paused: null })
      }
      try {
        const from = engine.calls.length
        const box = (await page.locator('#resume').boundingBox())!
        await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
        await page.locator('body[data-paused="no"]').waitFor({ timeout: 5000 })
        await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2) // the second click of a double click
        await page.waitForTimeout(300)
        expect(engine.calls.slice(from)).toEqual([{ cmd: 'resume' }])
        expect(await boxes()).toEqual(on)
      } finally {
        engine.resume = original
      }
    })

    it('an alert banner or an action result floats over the window: no card moves when one appears, a tap puts it away', async () => {
      await reset()
      const cardBoxes = () => page.locator('#queue li').evaluateAll((els) => els.map((e) => Math.round((e as any).getBoundingClientRect().y)))
      await page.locator('#message').evaluate((m) => ((m as any).hidden = true))
      await page.locator('#alert-banner').evaluate((m) => ((m as any).hidden = true))
      const before = await cardBoxes()
      alerts.alert({ kind: 'request', requestId: 'r-dana', title: 'Dana Ortiz is waiting', body: '2016 Toyota Corolla', detail: 'full', items: [], latencyMs: 1 })
      await page.locator('#alert-banner:not([hidden])').waitFor({ timeout: 5000 })
      const original = engine.acknowledge.bind(engine)
      engine.acknowledge = async () => {
        throw new Error('the link dropped while sending, so this result is long enough to wrap in a narrow window')
      }
      try {
        await page.locator('li[data-request-id="r-maria"] button[data-action="acknowledge"]').click()
        await page.locator('#message:not([hidden])').waitFor({ timeout: 5000 })
      } finally {
        engine.acknowledge = original
      }
      expect(await cardBoxes()).toEqual(before)
      await page.screenshot({ path: join(ARTIFACTS, 'queue-notices.png') })
      await page.locator('#alert-banner').click()
      await page.locator('#message').click()
      expect(await page.locator('#alert-banner').isVisible()).toBe(false)
      expect(await page.locator('#message').isVisible()).toBe(false)
    })

    it('a paused workstation looks loud: a red-orange bar saying until when, not the calm one', async () => {
      await showcase()
      const calm = await rgb(page, '.pause', 'backgroundColor')
      const until = Date.now() + 23 * 60_000 - 1_000
      engine.push({ paused: until })
      await page.locator('body[data-paused="yes"]').waitFor({ timeout: 5000 })
      const d = new Date(until)
      const hhmm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
      await expect(page.locator('#pause-state').textContent()).resolves.toBe(`Alerts paused until ${hhmm} (23 min left)`)
      const loud = await rgb(page, '.pause', 'backgroundColor')
      expect(loud).not.toBe(calm)
      const [r, g] = loud.match(/\d+/g)!.map(Number)
      expect(r).toBeGreaterThan(150)
      expect(g).toBeLessThan(110)
      expect(await page.locator('#resume').isVisible()).toBe(true)
      await page.screenshot({ path: join(ARTIFACTS, 'queue-paused.png'), fullPage: true })
      engine.push({ paused: null })
      await page.locator('body[data-paused="no"]').waitFor({ timeout: 5000 })
      expect(await page.locator('#resume').isVisible()).toBe(false)
    })

    it('new-request alerts switched off for the shop look as loud as a pause, and say requests still show', async () => {
      await reset()
      const calm = await rgb(page, '.pause', 'backgroundColor')
      engine.push({ flags: { ...engine.snap.flags, mech_new_request_alerts: false } })
      await page.locator('body[data-silenced="yes"]').waitFor({ timeout: 5000 })
      await expect(page.locator('#pause-state').textContent()).resolves.toBe('Alerts switched off for your shop — new requests still show here')
      expect(await rgb(page, '.pause', 'backgroundColor')).not.toBe(calm)
      expect(await page.locator('#resume').isVisible()).toBe(false) // nothing to resume here: the shop decides
      engine.push({ flags: { ...engine.snap.flags, mech_new_request_alerts: true } })
      await page.locator('body[data-silenced="no"]').waitFor({ timeout: 5000 })
      await expect(page.locator('#pause-state').textContent()).resolves.toBe('Alerts on')
      expect(await rgb(page, '.pause', 'backgroundColor')).toBe(calm)
    })

    it('says "details loading…" only while details can still come, and never "full details"', async () => {
      await reset()
      const badge = page.locator('li[data-request-id="r-basic"] .badge.detail-basic')
      await expect(badge.textContent()).resolves.toBe('details loading…')
      expect(await page.locator('li[data-request-id="r-dana"] .meta').isVisible()).toBe(false)
      engine.push({ link: { state: 'offline', reason: 'Network down', since: Date.now() } })
      await expect.poll(() => badge.textContent()).toBe('details not available (offline)')
      expect(await page.locator('body').innerText()).not.toContain('full details')
    })

    // Headless Chromium never asks for /favicon.ico, so the request check alone could not catch the 404 a
    // desktop browser gets; the page declaring its icon inline is what prevents it there.
    it('the icon is inline: no favicon request and no failed request on load', async () => {
      const fresh = await context.newPage()
      const bad: string[] = []
      fresh.on('response', (r) => {
        if (r.status() >= 400) bad.push(`${r.status()} ${r.url()}`)
      })
      fresh.on('request', (r) => {
        if (r.url().includes('favicon')) bad.push(`asked for ${r.url()}`)
      })
      try {
        await fresh.goto(`${server.origin}/`, { timeout: 15_000 })
        await fresh.locator('#queue li').first().waitFor({ timeout: 10_000 })
        await fresh.waitForTimeout(500)
        expect(bad).toEqual([])
        const icons = await fresh.locator('link[rel="icon"]').evaluateAll((els) => els.map((e) => e.getAttribute('href')))
        expect(icons).toHaveLength(1)
        expect(icons[0]).toMatch(/^data:image\/svg\+xml,/)
      } finally {
        await fresh.close()
      }
    })
  })

  describe('urgency', () => {
    it('a card turns amber at 2 min and red at 5 min by itself, without a snapshot; the banner of a newer alert gets its full time', async () => {
      const ctx = await browser.newContext({ viewport: { width: 440, height: 800 } })
      try {
        await ctx.clock.install({ time: Date.now() })
        await reset()
        engine.push({ queue: [person('r-clock', 'Ana Ruiz', 2 * 60_000 - 20_000)] })
        const p = await ctx.newPage()
        await p.goto(server.url, { timeout: 15_000 })
        const card = p.locator('li[data-request-id="r-clock"]')
        await card.waitFor({ timeout: 10_000 })
        await expect(card.getAttribute('data-urgency')).resolves.toBe('calm')
        await p.clock.runFor(25_000)
        await expect(card.getAttribute('data-urgency')).resolves.toBe('amber')
        await expect(card.locator('.waiting').textContent()).resolves.toBe('waiting 2 min')
        expect(await rgb(p, 'li[data-request-id="r-clock"]', 'borderLeftColor')).toBe('rgb(240, 180, 41)')
        await p.clock.runFor(3 * 60_000)
        await expect(card.getAttribute('data-urgency')).resolves.toBe('red')
        expect(await rgb(p, 'li[data-request-id="r-clock"]', 'borderLeftColor')).toBe('rgb(255, 90, 95)')

        // Alert A, then 10 s later alert B: A's 15-s timer must not hide B's banner 5 s after it came.
        alerts.alert({ kind: 'request', requestId: 'r-clock', title: 'Ana Ruiz is waiting', body: 'A', detail: 'full', items: [], latencyMs: 1 })
        await p.locator('#alert-title', { hasText: 'Ana Ruiz is waiting' }).waitFor({ timeout: 5000 })
        await p.clock.runFor(10_000)
        alerts.alert({ kind: 'request', requestId: 'r-clock', title: 'Ana Ruiz is still waiting', body: 'B', detail: 'full', items: [], latencyMs: 1 })
        await p.locator('#alert-title', { hasText: 'Ana Ruiz is still waiting' }).waitFor({ timeout: 5000 })
        await p.clock.runFor(6_000)
        expect(await p.locator('#alert-banner').isVisible()).toBe(true)
        await p.clock.runFor(10_000)
        expect(await p.locator('#alert-banner').isVisible()).toBe(false)
      } finally {
        await ctx.close()
      }
    })
  })

  describe('accessibility', () => {
    it('one polite live region announces new and removed requests, also while alerts are paused', async () => {
      await reset()
      // The settings and first-run forms (Electron only) keep their own field alerts; the queue has one region.
      const live = await page.locator('[aria-live], [role="status"], [role="alert"], [role="log"]').evaluateAll((els) =>
        els.filter((e) => !e.closest('#settings, #alert-prefs, #first-run')).map((e) => `${(e as any).id}:${e.getAttribute('aria-live')}`),
      )
      expect(live).toEqual(['announce:polite'])
      engine.push({ paused: 'indefinite', queue: [...QUEUE, person('r-sam', 'Sam Lee', 1_000)] })
      await expect.poll(() => page.locator('#announce').textContent()).toBe('New request: Sam Lee. 5 waiting.')
      engine.push({ queue: QUEUE.filter((i) => i.requestId !== 'r-maria') })
      await expect.poll(() => page.locator('#announce').textContent()).toBe('2 requests are no longer waiting. 3 waiting.')
      engine.push({ queue: [] })
      await expect.poll(() => page.locator('#announce').textContent()).toBe('3 requests are no longer waiting. No one is waiting.')
    })

    it('every action button names its customer for screen readers', async () => {
      await reset()
      expect(await page.getByRole('button', { name: 'Take it: Maria Gonzalez', exact: true }).count()).toBe(1)
      expect(await page.getByRole('button', { name: 'Acknowledge: Maria Gonzalez', exact: true }).count()).toBe(1)
      expect(await page.getByRole('button', { name: 'Take it: a customer (name loading)', exact: true }).count()).toBe(1)
      // Visible buttons only: "Open in dashboard" exists only with a dashboard link (alert-prefs-panel.test.ts).
      const labels = await page.locator('#queue button:not([hidden])').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))
      expect(labels).toHaveLength(QUEUE.length * 2)
      for (const l of labels) expect(l).toMatch(/^(Take it|Acknowledge): \S/)
    })

    it('keyboard only: Tab walks every card in order, Enter takes, Space acknowledges, and the focus ring shows', async () => {
      await reset()
      await page.locator('#queue-heading').focus()
      const order: string[] = []
      for (let i = 0; i < QUEUE.length * 2; i++) {
        await page.keyboard.press('Tab')
        order.push(await focused(page))
      }
      expect(order).toEqual(QUEUE.flatMap((item) => {
        const name = item.details.customerName ?? 'a customer (name loading)'
        return [`Take it: ${name}`, `Acknowledge: ${name}`]
      }))
      const ring = await page.evaluate(() => {
        const s = (globalThis as any).getComputedStyle((globalThis as any).document.activeElement)
        return [s.outlineStyle, parseFloat(s.outlineWidth)]
      })
      expect(ring[0]).toBe('solid')
      expect(ring[1]).toBeGreaterThanOrEqual(2)
      const from = engine.calls.length
      await page.locator('li[data-request-id="r-omar"] button[data-action="acknowledge"]').focus()
      await page.keyboard.press('Space')
      await page.keyboard.press('Shift+Tab')
      expect(await focused(page)).toBe('Take it: Omar Haddad')
      await page.keyboard.press('Enter')
      await expect.poll(() => engine.calls.slice(from)).toEqual([
        { cmd: 'acknowledge', requestId: 'r-omar' },
        { cmd: 'accept', requestId: 'r-omar' },
      ])
    })

    it('light and dark follow the OS; forced colours keep urgency visible without colour', async () => {
      await showcase()
      await page.emulateMedia({ colorScheme: 'light' })
      expect(luminance(await rgb(page, 'body', 'backgroundColor'))).toBeGreaterThan(0.85)
      expect(luminance(await rgb(page, '.customer', 'color'))).toBeLessThan(0.2)
      await page.screenshot({ path: join(ARTIFACTS, 'queue-light.png'), fullPage: true })
      await page.emulateMedia({ colorScheme: 'dark' })
      expect(luminance(await rgb(page, 'body', 'backgroundColor'))).toBeLessThan(0.15)
      expect(luminance(await rgb(page, '.customer', 'color'))).toBeGreaterThan(0.8)
      await page.screenshot({ path: join(ARTIFACTS, 'queue-dark.png'), fullPage: true })
      await page.emulateMedia({ forcedColors: 'active' })
      try {
        expect(await rgb(page, 'li[data-request-id="s-1"]', 'borderLeftStyle')).toBe('double')
        expect(await rgb(page, 'li[data-request-id="s-2"]', 'borderLeftStyle')).toBe('dashed')
        expect(await rgb(page, 'li[data-request-id="s-4"]', 'borderLeftStyle')).toBe('solid')
      } finally {
        await page.emulateMedia({ forcedColors: 'none', colorScheme: null })
      }
    })
  })

  describe('layout', () => {
    it('a 360-px tray popover: one column, nothing cut off or scrolling sideways, names at least 22 px', async () => {
      await showcase()
      await page.setViewportSize({ width: 360, height: 720 })
      try {
        expect(await page.evaluate(() => (globalThis as any).document.scrollingElement.scrollWidth)).toBeLessThanOrEqual(360)
        const sizes = await page.locator('.customer').evaluateAll((els) => els.map((e) => parseFloat((globalThis as any).getComputedStyle(e).fontSize)))
        for (const px of sizes) expect(px).toBeGreaterThanOrEqual(22)
        const xs = await page.locator('#queue li').evaluateAll((els) => els.map((e) => Math.round((e as any).getBoundingClientRect().x)))
        expect(new Set(xs).size).toBe(1)
        const cut = await page.locator('button:visible').evaluateAll((els) => els.filter((e: any) => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > 360).map((e) => e.textContent))
        expect(cut).toEqual([])
        await page.screenshot({ path: join(ARTIFACTS, 'queue-360.png'), fullPage: true })
      } finally {
        await page.setViewportSize({ width: 440, height: 800 })
      }
    })

    it('a 1280-px screen: cards in a grid with Take it beside the name, every card in view', async () => {
      await showcase()
      await page.setViewportSize({ width: 1280, height: 800 })
      try {
        const boxes = await page.locator('#queue li').evaluateAll((els) => els.map((e) => (e as any).getBoundingClientRect().toJSON()))
        expect(new Set(boxes.map((b: any) => Math.round(b.x))).size).toBeGreaterThanOrEqual(3)
        for (const b of boxes) expect(b.bottom).toBeLessThanOrEqual(800)
        const card = page.locator('li[data-request-id="s-1"]')
        const name = (await card.locator('.customer').boundingBox())!
        const take = (await card.locator('button[data-action="accept"]').boundingBox())!
        expect(take.y).toBeLessThan(name.y + name.height) // on the name's line, not below the card text
        expect(take.x).toBeGreaterThan(name.x + name.width)
        expect(take.x - (name.x + name.width)).toBeLessThan(260)
        await page.screenshot({ path: join(ARTIFACTS, 'queue-1280.png'), fullPage: true })
        await page.emulateMedia({ colorScheme: 'dark' })
        await page.screenshot({ path: join(ARTIFACTS, 'queue-1280-dark.png') })
        await page.emulateMedia({ colorScheme: null })
      } finally {
        await page.setViewportSize({ width: 440, height: 800 })
      }
    })
  })

  it('no page error in any of the above', () => {
    expect(pageErrors).toEqual([])
  })
})
