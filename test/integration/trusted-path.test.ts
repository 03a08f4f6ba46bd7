// One trusted live path per workstation (issue 9): while the private database broadcast works, a workstation
// has ONE channel (shop:requests) and receives each request once; postgres_changes on requests and the public
// hint topic are joined only while the private path is refused or reported broken, and left again when it
// recovers. Joins and messages are counted by the backend the way Supabase bills them (GET /_control/stats).
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { createRequest, engineSuite, startEngine, until, waitForState, type TestEngine, dropShopPolicy, restoreShopPolicy } from './helpers.js'

let b: Backend
const { live, running } = engineSuite({ started: (x) => (b = x) })

const TRIGGER = `create trigger session_assignments_broadcast after insert or update or delete on public.session_assignments
  for each row execute function public.broadcast_session_assignment()`

const itemOf = (t: TestEngine, id: string) => t.engine.snapshot().queue.find((q) => q.requestId === id)
const rings = (t: TestEngine, id: string) => t.sink.rung().filter((x) => x === id).length

describe('the one trusted path', () => {
  it('steady state: one join, one channel, and each new request reaches the workstation as one message', async () => {
    const before = b.stats().realtime
    const t = await live()
    const joined = b.stats().realtime
    console.log(`joins to go live: ${joined.joins - before.joins}`)
    expect(joined.joins - before.joins).toBe(1)
    expect(t.engine.link!.channelCount).toBe(1)
    expect(t.engine.link!.channelLayout).toMatchObject({ channels: ['shop:requests'], requestChangesOn: null, fallback: null })

    const n = 5
    const m0 = b.stats().realtime.messagesOut
    const ids: string[] = []
    for (let i = 0; i < n; i++) ids.push((await createRequest(b, { name: `Once ${i}` })).id)
    await until(() => ids.every((id) => t.sink.rung().includes(id)), 5000, 'all ring')
    await t.engine.feed!.idle()
    const perRequest = (b.stats().realtime.messagesOut - m0) / n
    console.log(`messages per request per workstation: ${perRequest}`)
    expect(perRequest).toBe(1)
    for (const id of ids) {
      expect(rings(t, id)).toBe(1)
      expect(itemOf(t, id)?.firstSource).toBe('db-broadcast')
      expect(itemOf(t, id)?.detail).toBe('full')
    }
  })
})

describe('the public topic on the one trusted path', () => {
  it('an outsider posting to session_requests_feed with the anon key reaches no workstation: nothing received, nothing read', async () => {
    const t = await live()
    const m0 = b.stats().realtime.messagesOut
    const res = await fetch(`${b.url}/realtime/v1/api/broadcast?apikey=${encodeURIComponent(b.anonKey)}&vsn=2.0.0`, {
      method: 'POST',
      headers: { apikey: b.anonKey, Authorization: `Bearer ${b.anonKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ messages: [{ topic: 'session_requests_feed', event: 'new_request', payload: { request: { id: crypto.randomUUID(), status: 'queued' } }, private: false }] }),
      signal: AbortSignal.timeout(10_000),
    })
    expect(res.status).toBe(202)
    await new Promise((r) => setTimeout(r, 500))
    expect(b.stats().realtime.messagesOut - m0).toBe(0)
    const counters = t.engine.snapshot().health.counters
    expect(counters['broadcast:hint'] ?? 0).toBe(0)
    expect(counters['hint:read'] ?? 0).toBe(0)
  })
})

describe('the fallback', () => {
  it('private channel refused (no realtime.messages policy): postgres_changes carry requests, degraded with the reason; policy back → one channel, live', async () => {
    await dropShopPolicy(b)
    let restored = false
    try {
      const t = await startEngine(b)
      running.push(t)
      await waitForState(t.engine, 'degraded', 15_000, /refused channel shop:requests/)
      await until(() => t.engine.link!.channelLayout.requestChangesOn === 'session_requests_feed', 5000, 'the fallback joined')
      await t.engine.feed!.idle()
      const r = await createRequest(b, { name: 'Side Door Sid' })
      await until(() => t.sink.rung().includes(r.id), 5000, 'rings through the fallback')
      expect(['postgres_changes', 'reconcile']).toContain(itemOf(t, r.id)?.firstSource)
      expect(rings(t, r.id)).toBe(1)
      await restoreShopPolicy(b)
      restored = true
      // The link's own retry rejoins the private channel and leaves the fallback.
      await waitForState(t.engine, 'live', 40_000)
      await until(() => t.engine.link!.channelCount === 1, 3000, 'back to one channel')
      expect(t.engine.link!.channelLayout.fallback).toBeNull()
      const r2 = await createRequest(b, { name: 'Front Door Fay' })
      await until(() => t.sink.rung().includes(r2.id), 3000, 'rings on the private channel')
      expect(itemOf(t, r2.id)?.firstSource).toBe('db-broadcast')
    } finally {
      if (!restored) await restoreShopPolicy(b)
    }
  }, 90_000)

  it('a private path that breaks silently (broadcast trigger dropped) and is reported broken: fallback rings, the missed request too; healthy again → one channel', async () => {
    const t = await live()
    await b.sql.query('drop trigger session_assignments_broadcast on public.session_assignments')
    try {
      const missed = await createRequest(b, { name: 'Silent Sally' })
      // Nothing arrives: the channel is joined and the link looks live — only a check-in can tell.
      await new Promise((r) => setTimeout(r, 500))
      expect(t.sink.rung()).not.toContain(missed.id)
      expect(t.engine.snapshot().link.state).toBe('live')
      const joins0 = b.stats().realtime.joins
      t.engine.link!.reportPrivatePathBroken('The server queue changed but no broadcast arrived')
      await waitForState(t.engine, 'degraded', 10_000, /^Receiving requests through postgres_changes.*: The server queue changed but no broadcast arrived/)
      expect(b.stats().realtime.joins - joins0).toBe(1) // the fallback channel only, on the same socket
      expect(t.engine.link!.channelCount).toBe(2)
      // The fallback's confirmation reads the queue: the missed request rings.
      await until(() => t.sink.rung().includes(missed.id), 5000, 'the missed request rings')
      const r = await createRequest(b, { name: 'Fallback Fred' })
      await until(() => t.sink.rung().includes(r.id), 3000, 'rings via postgres_changes')
      expect(itemOf(t, r.id)?.firstSource).toBe('postgres_changes')
      expect(rings(t, r.id)).toBe(1)
    } finally {
      await b.sql.query(TRIGGER)
    }
    t.engine.link!.reportPrivatePathHealthy()
    await waitForState(t.engine, 'live', 10_000)
    await until(() => t.engine.link!.channelCount === 1, 3000, 'the fallback channel left')
    await new Promise((r) => setTimeout(r, 300)) // the server's answers to the leave (reply, close) are not request traffic
    const m0 = b.stats().realtime.messagesOut
    const r3 = await createRequest(b, { name: 'Healthy Hal' })
    await until(() => t.sink.rung().includes(r3.id), 3000, 'rings on the private channel again')
    expect(itemOf(t, r3.id)?.firstSource).toBe('db-broadcast')
    await t.engine.feed!.idle()
    expect(b.stats().realtime.messagesOut - m0).toBe(1)
  }, 60_000)
})

describe('reconnect spread', () => {
  it('joinWindowMs: a reconnect after a server-side loss waits the extra random delay; without it, at once', async () => {
    const timeToReopen = async (t: TestEngine) => {
      const opens = t.engine.link!.stats.socketOpens
      const t0 = Date.now()
      b.faults.dropSockets()
      await until(() => t.engine.link!.stats.socketOpens > opens, 15_000, 'socket reopened')
      return Date.now() - t0
    }
    // random() = 0.99: backoff 1 s × 1.29 jitter, and 99 % of the window.
    const spread = await live({ tuning: { random: () => 0.99, link: { joinWindowMs: () => 3000 } } })
    const withWindow = await timeToReopen(spread)
    const plain = await live({ tuning: { random: () => 0.99 } })
    const without = await timeToReopen(plain)
    console.log(`reconnect after a server-side loss: ${without} ms without a join window, ${withWindow} ms with a 3 s window`)
    expect(withWindow).toBeGreaterThanOrEqual(1290 + 2900)
    expect(without).toBeLessThan(1290 + 2900)
    await waitForState(spread.engine, 'live', 10_000)
  }, 60_000)
})
