// An outsider holding ONLY the anon key (public: it ships in the shop's customer app) tries to ring, silence
// or confuse every workstation through the public `session_requests_feed` topic — over Realtime's HTTP
// broadcast API and over a websocket with the real supabase-js client. The topic is a hint at most:
// nothing rings, nothing real is hidden, the real requests keep their details, and a flood costs a
// bounded number of reads. Real backend, real supabase-js, real SQLite.
// A workstation on the one trusted path does not join the public topic at all; these tests put each engine on
// the fallback (postgres_changes + the public hints), the only time it listens to that topic.
import { randomUUID } from 'node:crypto'
import WebSocket from 'ws'
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { createRequest, engineSuite, onFallback, sleep, until, type TestEngine } from './helpers.js'

let b: Backend
const suite = engineSuite({
  started: (x) => (b = x),
  afterEach: (x) => x.sql.query(`update public.session_assignments set status = 'cancelled' where status = 'queued'`),
})

/** A live engine put on the fallback, where it hears the public topic. */
async function live(...a: Parameters<typeof suite.live>): Promise<TestEngine> {
  const t = await suite.live(...a)
  await onFallback(t)
  return t
}

const PHISH = 'IT DEPT: re-enter your password at https://bayalert-support.example/login'

function counter(t: TestEngine, name: string): number {
  return t.engine.snapshot().health.counters[name] ?? 0
}
function itemOf(t: TestEngine, id: string) {
  return t.engine.snapshot().queue.find((q) => q.requestId === id)
}
function rings(t: TestEngine, id: string): number {
  return t.sink.alerts.filter((a) => (a.kind === 'request' || a.kind === 'summary') && (a.requestId === id || a.summaryOf?.includes(id))).length
}
function repeats(t: TestEngine, id: string): number {
  return t.sink.alerts.filter((a) => a.kind === 'repeat' && (a.requestId === id || a.summaryOf?.includes(id))).length
}

/** Realtime's HTTP broadcast API (https://supabase.com/docs/guides/realtime/broadcast) with the anon key only. */
async function postAsOutsider(event: string, payload: unknown, topic = 'session_requests_feed', isPrivate = false): Promise<number> {
  const res = await fetch(`${b.url}/realtime/v1/api/broadcast?apikey=${encodeURIComponent(b.anonKey)}&vsn=2.0.0`, {
    method: 'POST',
    headers: { apikey: b.anonKey, Authorization: `Bearer ${b.anonKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: [{ topic, event, payload, private: isPrivate }] }),
    signal: AbortSignal.timeout(10_000),
  })
  await res.arrayBuffer()
  return res.status
}

/** A supabase-js client with the anon key joined to the public topic, as any web page could do. */
let outsider: SupabaseClient
let channel: RealtimeChannel
beforeAll(async () => {
  // engineSuite's beforeAll has started the backend by now.
  outsider = createClient(b.url, b.anonKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
  channel = outsider.channel('session_requests_feed', { config: { broadcast: { self: false, ack: true } } })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the outsider could not join the public topic within 10 s')), 10_000)
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') {
        clearTimeout(timer)
        resolve()
      } else if (status !== 'CLOSED') {
        clearTimeout(timer)
        reject(new Error(`outsider join: ${status} ${err?.message ?? ''}`))
      }
    })
  })
}, 30_000)
afterAll(async () => {
  await outsider?.removeAllChannels()
})

async function sendAsOutsider(event: string, payload: unknown): Promise<void> {
  expect(await channel.send({ type: 'broadcast', event, payload })).toBe('ok')
}

type Send = (event: string, payload: unknown) => Promise<unknown>
const routes: [string, Send][] = [
  ['HTTP broadcast API', (e, p) => postAsOutsider(e, p).then((s) => expect(s).toBe(202))],
  ['websocket (supabase-js, anon key)', sendAsOutsider],
]

describe.each(routes)('an outsider with only the anon key, over the %s', (_route, send) => {
  it('forges request_cancelled for a real waiting request: it stays on screen and keeps repeating', async () => {
    const t = await live({ config: { repeatIntervalMs: 700 } })
    const r = await createRequest(b, { name: 'Real Rita' })
    await until(() => rings(t, r.id) === 1, 3000, 'the real request rings')
    const hintsBefore = counter(t, 'broadcast:hint')
    for (const event of ['request_cancelled', 'request_accepted', 'REQUEST-CANCELLED']) await send(event, { request: { id: r.id, status: 'cancelled' } })
    await until(() => counter(t, 'broadcast:hint') - hintsBefore >= 3, 3000, 'the forged messages arrive (as hints)')
    await until(() => counter(t, 'hint:read') >= 1, 3000, 'the engine looked at the server')
    await t.engine.feed!.idle()
    expect(itemOf(t, r.id)).toBeDefined()
    expect(t.sink.retracts).not.toContain(r.id)
    const before = repeats(t, r.id)
    await until(() => repeats(t, r.id) > before, 3000, 'it still repeats after the forged cancel')
    expect(itemOf(t, r.id)).toBeDefined()
    expect(t.engine.snapshot().link.reason).toMatch(/^Receiving requests through postgres_changes/)
  })

  it('forges new_request with a made-up uuid and a phishing name: nothing rings, nothing is queued or stored', async () => {
    const t = await live()
    const fake = randomUUID()
    const row = { id: fake, session_id: randomUUID(), status: 'queued', queued_at: new Date().toISOString(), customer_name: PHISH, concern: 'urgent', vehicle: 'x' }
    await send('new_request', { request: row })
    await until(() => counter(t, 'broadcast:hint') >= 1, 3000, 'the forged message arrives (as a hint)')
    await until(() => counter(t, 'hint:read') >= 1, 3000, 'the engine looked at the server')
    await t.engine.feed!.idle()
    await sleep(300)
    expect(t.sink.alerts).toEqual([])
    expect(itemOf(t, fake)).toBeUndefined()
    expect(t.engine.core!.store.getQueueRow(fake)).toBeUndefined()
    expect(JSON.stringify(t.engine.core!.store.recentEvents(500))).not.toContain('IT DEPT')
  })

  it('sends a non-uuid id right before a real request: the real one rings once, with its details', async () => {
    const t = await live()
    await send('new_request', { request: { id: 'not-a-uuid', status: 'queued', customer_name: PHISH } })
    await until(() => counter(t, 'broadcast:rejected') >= 1, 3000, 'the bad id is rejected at the parser')
    const r = await createRequest(b, { name: 'Genuine Gina', concern: 'Brakes grind' })
    await until(() => rings(t, r.id) === 1, 3000, 'the real request rings')
    const a = t.sink.alerts.find((x) => x.requestId === r.id)!
    expect(a.detail).toBe('full')
    expect(a.title).toContain('Genuine Gina')
    expect(t.engine.feed!.details.stats.rpcFailures).toBe(0)
    const rejected = t.engine.core!.store.recentEvents(100).filter((e) => e.outcome === 'rejected')
    expect(rejected.map((e) => e.reason)).toContain('request id is not a uuid')
    await sleep(300)
    expect(rings(t, r.id)).toBe(1)
  })
})

describe('a flood of forged hints', () => {
  it('400 forged cancels and new requests within 2 s: all counted, at most two reads, the real request untouched', async () => {
    const t = await live({ config: { repeatIntervalMs: 60_000 } })
    const r = await createRequest(b, { name: 'Flooded Fred' })
    await until(() => rings(t, r.id) === 1, 3000, 'the real request rings')
    await t.engine.feed!.idle()
    const readsBefore = counter(t, 'hint:read')
    const pagesBefore = t.engine.feed!.reconciler.stats.runs
    for (let i = 0; i < 200; i++) {
      await sendAsOutsider('request_cancelled', { request: { id: r.id } })
      await sendAsOutsider('new_request', { request: { id: randomUUID(), status: 'queued', customer_name: PHISH } })
      if (i % 20 === 0) await sleep(200)
    }
    await until(() => counter(t, 'broadcast:hint') >= 400, 5000, 'every forged message counted')
    await sleep(500)
    await t.engine.feed!.idle()
    // The default bound is one hint-triggered read per 10 s: the first read, and at most the coalesced next one.
    expect(counter(t, 'hint:read') - readsBefore).toBeLessThanOrEqual(2)
    expect(t.engine.feed!.reconciler.stats.runs - pagesBefore).toBeLessThanOrEqual(2)
    expect(t.engine.snapshot().queue.map((q) => q.requestId)).toEqual([r.id])
    expect(rings(t, r.id)).toBe(1)
    expect(t.sink.retracts).toEqual([])
  })
})

describe('the private topic', () => {
  it('an outsider cannot write to shop:requests: the HTTP API skips it and nothing rings', async () => {
    const t = await live()
    const fake = randomUUID()
    expect(await postAsOutsider('new_request', { request: { id: fake, status: 'queued', customer_name: PHISH } }, 'shop:requests', true)).toBe(202)
    await sleep(500)
    expect(t.sink.alerts).toEqual([])
    expect(counter(t, 'db-broadcast:rejected') + counter(t, 'db-broadcast:alerted')).toBe(0)
    expect(itemOf(t, fake)).toBeUndefined()
  })
})
