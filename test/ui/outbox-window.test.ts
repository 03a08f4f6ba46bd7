/** @vitest-environment node */
// The outbox as a mechanic meets it, in Debian Chromium against the real engine, the real loopback UI server and the
// local backend: Take it pressed while the link is down is saved and shown as waiting, and once the link is back it
// ends as taken — or, when another mechanic took that customer meanwhile, as a conflict that names them. The History
// panel then lists the day's requests with their source, latency, what each sink did and who took each.
// Screenshots go to test/artifacts/.
import { createClient } from '@supabase/supabase-js'
import { mkdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import WebSocket from 'ws'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startUiServer, type UiServer } from '../../src/cli/ui-server.js'
import { UiPushSink } from '../../src/cli/ui-sink.js'
import type { Backend } from '../backend/index.js'
import { HistorySchema } from '../../src/shared/ipc-schemas.js'
import { backend, createRequest, setStatus, startEngine, type TestEngine, until, waitForState } from '../integration/helpers.js'
import { buildRenderer, haveChromium, launchChromium } from './chromium.js'

const ARTIFACTS = resolve('test/artifacts')

describe.skipIf(!haveChromium)(`outbox and history in the queue window${haveChromium ? '' : ' (skipped: /usr/bin/chromium not installed — apt-get install -y chromium)'}`, () => {
  let b: Backend
  let t: TestEngine
  let outDir: string
  let server: UiServer
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    ;[b, outDir] = await Promise.all([backend(), buildRenderer('bayalert-outbox-ui-')])
    const alerts = new UiPushSink()
    t = await startEngine(b, { sinks: [alerts] })
    await waitForState(t.engine, 'live', 20_000)
    server = await startUiServer({ engine: t.engine, alerts, host: '127.0.0.1', port: 0, rendererDir: outDir })
    browser = await launchChromium()
    page = await browser.newPage({ viewport: { width: 440, height: 760 } })
    page.on('pageerror', (e) => pageErrors.push(e.message))
    // Everything the live region says, in order (it holds only the latest sentence; a screen reader reads each).
    await page.addInitScript(() => {
      const w = globalThis as any
      w.__said = []
      w.document.addEventListener('DOMContentLoaded', () => {
        const region = w.document.getElementById('announce')
        new w.MutationObserver(() => w.__said.push(region.textContent)).observe(region, { childList: true, characterData: true, subtree: true })
      })
    })
    await page.goto(server.url, { timeout: 15_000 })
    mkdirSync(ARTIFACTS, { recursive: true })
  }, 120_000)

  afterEach(() => b?.faults.clear())

  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await t?.stop()
    b?.faults.clear()
    await b?.stop()
    if (outDir) rmSync(outDir, { recursive: true, force: true })
  })

  /** Realtime refuses connections and drops its sockets: the window shows the link down. */
  async function linkDown(): Promise<void> {
    b.faults.refuseConnections({ ms: 120_000 })
    b.faults.dropSockets()
    await page.locator('#link:not([data-state="live"]):not([data-state="degraded"])').waitFor({ timeout: 15_000 })
  }

  async function cardOf(requestId: string) {
    const card = page.locator(`li[data-request-id="${requestId}"]`)
    await card.waitFor({ timeout: 15_000 })
    return card
  }

  it('Take it while the link is down: saved and shown as waiting, then taken once the link is back', async () => {
    const r = await createRequest(b, { name: 'Maria Gonzalez', make: 'Subaru', model: 'Outback', year: 2018 })
    const card = await cardOf(r.id)
    await linkDown()
    await card.getByRole('button', { name: 'Take it: Maria Gonzalez' }).click()
    await expect.poll(() => page.locator('#message').textContent(), { timeout: 5000 }).toBe('Saved — it will be taken as soon as the link is back.')
    const line = page.locator('#outbox li', { hasText: 'Maria Gonzalez' })
    await line.waitFor({ timeout: 5000 })
    expect(await line.getAttribute('data-state')).toBe('pending')
    await expect(line.textContent()).resolves.toBe('Maria Gonzalez Take it saved — sent when the link is back')
    await expect(page.locator('#outbox-heading').textContent()).resolves.toBe('Waiting to send (1)')
    // The card cannot be taken a second time while its claim waits.
    expect(await card.getByRole('button', { name: 'Take it: Maria Gonzalez' }).isDisabled()).toBe(true)
    await page.locator('#message').click() // put the notice away for the screenshot
    await page.screenshot({ path: join(ARTIFACTS, 'outbox-pending.png'), fullPage: true })

    b.faults.clear()
    await page.locator('#outbox li[data-state="done"]', { hasText: 'Maria Gonzalez' }).waitFor({ timeout: 30_000 })
    await expect(line.textContent()).resolves.toBe('Maria Gonzalez Taken — the session is yours')
    await expect(page.locator('#outbox-heading').textContent()).resolves.toBe('Sent after the outage')
    await page.locator(`li[data-request-id="${r.id}"]`).waitFor({ state: 'detached', timeout: 15_000 })
    const row = (await b.sql.query('select status, mechanic_id from public.session_assignments where id = $1', [r.id])).rows[0]
    expect(row).toEqual({ status: 'accepted', mechanic_id: b.demoUsers[0]!.id })
    expect(pageErrors).toEqual([])
  }, 90_000)

  it('taken by another mechanic during the outage: the window says who, and the live region announces it', async () => {
    await waitForState(t.engine, 'live', 30_000)
    const r = await createRequest(b, { name: 'Dana Ortiz', make: 'Honda', model: 'Civic', year: 2014 })
    const card = await cardOf(r.id)
    await linkDown()
    await card.getByRole('button', { name: 'Take it: Dana Ortiz' }).click()
    await page.locator('#outbox li[data-state="pending"]', { hasText: 'Dana Ortiz' }).waitFor({ timeout: 5000 })

    // Sam takes Dana from his own device while this workstation's link is down.
    const other = b.demoUsers[1]!
    const sam = createClient(b.url, b.anonKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
    await sam.auth.signInWithPassword({ email: other.email, password: other.password })
    expect((await sam.rpc('accept_request', { p_request_id: r.id })).data).toMatchObject({ ok: true })

    b.faults.clear()
    const conflict = page.locator('#outbox li[data-state="conflict"]', { hasText: 'Dana Ortiz' })
    await conflict.waitFor({ timeout: 30_000 })
    await expect(conflict.textContent()).resolves.toBe(`Dana Ortiz Taken by ${other.name} while you were offline`)
    const said = () => page.evaluate(() => (globalThis as any).__said as string[])
    await until(async () => (await said()).some((s) => s.includes(`Dana Ortiz: Taken by ${other.name} while you were offline.`)), 10_000, 'the announcement')
    await page.locator(`li[data-request-id="${r.id}"]`).waitFor({ state: 'detached', timeout: 15_000 })
    await page.locator('#message').evaluate((m) => ((m as unknown as { hidden: boolean }).hidden = true))
    await page.screenshot({ path: join(ARTIFACTS, 'outbox-conflict.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  }, 90_000)

  it('History: each request of the day with its source, latency, sinks and who took it — or that the customer cancelled', async () => {
    await waitForState(t.engine, 'live', 30_000)
    const gone = await createRequest(b, { name: 'Kwame Mensah' })
    await cardOf(gone.id)
    await setStatus(b, gone.id, 'cancelled')
    await page.locator(`li[data-request-id="${gone.id}"]`).waitFor({ state: 'detached', timeout: 15_000 })

    // What the engine serves is what the IPC contract says.
    expect(HistorySchema.safeParse(await t.engine.history()).error?.issues ?? []).toEqual([])

    await page.locator('#history summary').click()
    const row = (name: string) => page.locator('#history li', { hasText: name })
    await row('Kwame Mensah').waitFor({ timeout: 5000 })
    const text = async (name: string, cls: string) => (await row(name).locator(`.${cls}`).textContent()) ?? ''

    await expect(text('Maria Gonzalez', 'history-outcome')).resolves.toBe('taken by you')
    await expect(text('Dana Ortiz', 'history-outcome')).resolves.toBe(`taken by ${b.demoUsers[1]!.name}`)
    await expect(text('Kwame Mensah', 'history-outcome')).resolves.toBe('cancelled by the customer')
    for (const name of ['Maria Gonzalez', 'Dana Ortiz', 'Kwame Mensah']) {
      // Each rang live on this workstation: the source is one of the live paths, with a measured latency.
      expect(await text(name, 'history-ring')).toMatch(/^rang after \d+(\.\d)? (ms|s) · via (db-broadcast|postgres_changes|broadcast)$/)
      // The test engine's in-app recorder showed it once.
      expect(await text(name, 'history-sinks')).toMatch(/recorder: 1 shown/)
    }
    // Newest first.
    const names = await page.locator('#history li strong').allTextContents()
    expect(names.indexOf('Kwame Mensah')).toBeLessThan(names.indexOf('Dana Ortiz'))
    expect(names.indexOf('Dana Ortiz')).toBeLessThan(names.indexOf('Maria Gonzalez'))
    await expect(page.locator('#history .history-status').textContent()).resolves.toBe(`${names.length} in the last 24 hours`)
    await page.locator('#alert-banner').evaluate((m) => ((m as unknown as { hidden: boolean }).hidden = true))
    await page.screenshot({ path: join(ARTIFACTS, 'history.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  }, 90_000)
})
