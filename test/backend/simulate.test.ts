// Customers end to end: simulate.ts → Postgres (one transaction) → the migration's trigger → Realtime private topic
// 'shop:requests', and the legacy 'session_requests_feed' HTTP broadcast — received by real supabase-js clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { startBackend, type Backend } from './index.js'
import { acceptRequest, cancelRequest, fakeCustomer, rng, sendLegacyBroadcast, simulateRequests, type RequestRow } from './simulate.js'
import { signedIn } from './helpers.js'

let b: Backend
const clients: SupabaseClient[] = []

beforeAll(async () => {
  b = await startBackend({ port: 0 })
})
afterAll(async () => {
  for (const c of clients) await c.removeAllChannels().catch(() => undefined)
  await b?.stop()
})

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Subscribe and resolve with the final status (SUBSCRIBED, CHANNEL_ERROR, …), bounded. */
function subscribe(ch: RealtimeChannel, ms = 10_000): Promise<{ status: string; err?: Error }> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve({ status: 'DEADLINE' }), ms)
    ch.subscribe((status, err) => {
      clearTimeout(t)
      resolve({ status, err })
    })
  })
}

describe('fakeCustomer', () => {
  it('is varied and realistic', () => {
    const r = rng(1)
    const cs = Array.from({ length: 50 }, () => fakeCustomer(r))
    expect(new Set(cs.map((c) => c.name)).size).toBeGreaterThan(30)
    expect(new Set(cs.map((c) => c.vehicle_make)).size).toBeGreaterThan(6)
    expect(new Set(cs.map((c) => c.concern)).size).toBeGreaterThan(12)
    for (const c of cs) {
      expect(c.vehicle_year).toBeGreaterThanOrEqual(2004)
      expect(c.vehicle_year).toBeLessThanOrEqual(2024)
      expect(c.name).toMatch(/\S+ \S+/)
    }
  })
})

describe('requests reach mechanics', () => {
  it('shop:requests (private, trigger-fed) and session_requests_feed (legacy) both deliver new_request; front desk is refused', async () => {
    if (!b.realtime) throw new Error('realtime server not available: test/backend/realtime/index.ts did not load')
    const mech = await signedIn(b, b.demoUsers[0])
    const desk = await signedIn(b, b.frontDeskUser)
    clients.push(mech, desk)
    await mech.realtime.setAuth() // supabase/supabase-js#1553: join with the user token
    await desk.realtime.setAuth()

    const shop: { event: string; payload: { request: RequestRow } }[] = []
    const legacy: { event: string; payload: { request: RequestRow } }[] = []
    const shopCh = mech.channel('shop:requests', { config: { private: true } }).on('broadcast', { event: '*' }, (m) => shop.push(m as never))
    const legacyCh = mech.channel('session_requests_feed').on('broadcast', { event: '*' }, (m) => legacy.push(m as never))
    expect((await subscribe(shopCh)).status).toBe('SUBSCRIBED')
    expect((await subscribe(legacyCh)).status).toBe('SUBSCRIBED')
    const deskJoin = await subscribe(desk.channel('shop:requests', { config: { private: true } }))
    expect(deskJoin.status).not.toBe('SUBSCRIBED')

    const rows = await simulateRequests({ url: b.url, serviceKey: b.serviceRoleKey, sql: b.sql }, { count: 3, seed: 5 })
    await waitFor(() => shop.length >= 3 && legacy.length >= 3, 10_000, '3 + 3 broadcasts')
    expect(shop.map((m) => m.event)).toEqual(['new_request', 'new_request', 'new_request'])
    expect(shop.map((m) => m.payload.request.id)).toEqual(rows.map((r) => r.id))
    expect(shop[0].payload.request).toMatchObject({ customer_name: rows[0].customer_name, vehicle_make: rows[0].vehicle_make, status: 'queued' })
    expect(legacy.map((m) => m.event)).toEqual(['new_request', 'new_request', 'new_request'])
    expect(legacy.map((m) => m.payload.request.id)).toEqual(rows.map((r) => r.id))

    // Another mechanic takes the oldest; the customer cancels the next.
    const acc = await acceptRequest({ url: b.url, serviceKey: b.serviceRoleKey }, 'oldest')
    expect(acc).toMatchObject({ id: rows[0].id, ok: true })
    const can = await cancelRequest({ url: b.url, serviceKey: b.serviceRoleKey }, 'oldest')
    expect(can).toEqual({ id: rows[1].id, ok: true })
    await waitFor(() => shop.length >= 5 && legacy.length >= 5, 10_000, 'accepted + cancelled broadcasts')
    expect(shop.slice(3).map((m) => [m.event, m.payload.request.id])).toEqual([
      ['request_accepted', rows[0].id],
      ['request_cancelled', rows[1].id],
    ])
    // A removal names the request and its new status, never the customer; an accepted one names who took it by
    // display name only (demo mechanic 3 takes by default) — never their e-mail or user id.
    expect(shop[3].payload.request).toEqual({ id: rows[0].id, status: 'accepted', queued_at: expect.any(String), updated_at: expect.any(String), taken_by: 'Jordan Lee' })
    expect(JSON.stringify(shop[3].payload)).not.toMatch(/@bayalert\.test|mechanic_id/)
    expect(legacy.slice(3).map((m) => m.event)).toEqual(['request_accepted', 'request_cancelled'])
  })

  it('the legacy broadcast endpoint answers 202', async () => {
    const [row] = await simulateRequests({ url: b.url, sql: b.sql }, { count: 1, broadcast: false })
    expect(await sendLegacyBroadcast({ url: b.url, serviceKey: b.serviceRoleKey }, 'new_request', row)).toBe(202)
  })
})
