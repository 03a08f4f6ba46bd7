// Fault knobs and the client reactions to the real faults they mirror, with the real supabase-js client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { startHarness, waitFor, sleep, type Harness } from './harness.js'

function track(ch: RealtimeChannel) {
  const statuses: string[] = []
  const system: Array<Record<string, unknown>> = []
  ch.on('system', {}, (p: Record<string, unknown>) => system.push(p))
  ch.subscribe((status, err) => statuses.push(err ? `${status}: ${err.message}` : status))
  const count = (s: string) => statuses.filter((x) => x === s || x.startsWith(`${s}:`)).length
  const pgOk = () => system.filter((s) => s.message === 'Subscribed to PostgreSQL').length
  return { statuses, system, count, pgOk }
}

async function flagsChannel(h: Harness, c: SupabaseClient, name: string, got: Array<Record<string, unknown>>) {
  const ch = c.channel(name).on('postgres_changes', { event: '*', schema: 'public', table: 'feature_flags' }, (p) => got.push({ ...p.new, _t: Date.now() }))
  const t = track(ch)
  await waitFor('pg subscribed', () => t.pgOk() >= 1)
  return { ch, t }
}

let flagSeq = 0
const insertFlag = (h: Harness) => h.sql.query('insert into public.feature_flags (key) values ($1) returning key', [`f${process.pid}_${++flagSeq}`]).then((r) => r.rows[0].key as string)

describe('realtime faults', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.stop()
  })

  it('dropSockets → CHANNEL_ERROR "socket closed: 1006", reconnect, SUBSCRIBED and system ok again', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Array<Record<string, unknown>> = []
    const { t } = await flagsChannel(h, c, 'f-drop', got)
    h.rt.faults.dropSockets()
    await waitFor('CHANNEL_ERROR', () => t.count('CHANNEL_ERROR') >= 1)
    expect(t.statuses[1]).toBe('CHANNEL_ERROR: socket closed: 1006')
    await waitFor('SUBSCRIBED again', () => t.count('SUBSCRIBED') >= 2, 6000)
    await waitFor('system ok again', () => t.pgOk() >= 2)
    await insertFlag(h)
    await waitFor('event after reconnect', () => got.length >= 1)
  })

  it('halfOpen with a short client heartbeat → heartbeat timeout, then recovery after the fault ends', async () => {
    const c = await h.client({ heartbeatIntervalMs: 300, timeout: 1000 })
    const beats: string[] = []
    c.realtime.onHeartbeat((s) => beats.push(s))
    const t = track(c.channel('f-halfopen'))
    await waitFor('SUBSCRIBED', () => t.count('SUBSCRIBED') >= 1)
    await waitFor('a heartbeat ok', () => beats.includes('ok'))
    h.rt.faults.halfOpen(1500)
    await waitFor('heartbeat timeout', () => beats.includes('timeout'), 3000)
    await waitFor('CHANNEL_ERROR heartbeat timeout', () => t.statuses.find((s) => s.includes('heartbeat timeout')), 3000)
    await waitFor('SUBSCRIBED again', () => t.count('SUBSCRIBED') >= 2, 10_000)
  })

  it('refuseConnections: reconnects fail while refused, succeed afterwards', async () => {
    const c = await h.client()
    const t = track(c.channel('f-refuse'))
    await waitFor('SUBSCRIBED', () => t.count('SUBSCRIBED') >= 1)
    h.rt.faults.refuseConnections(1500)
    h.rt.faults.dropSockets()
    await waitFor('CHANNEL_ERROR', () => t.count('CHANNEL_ERROR') >= 1)
    await sleep(1200) // the +1 s reconnect attempt is refused
    expect(t.count('SUBSCRIBED')).toBe(1)
    expect(h.logs.some((l) => l.includes('connection refused'))).toBe(true)
    await waitFor('SUBSCRIBED again', () => t.count('SUBSCRIBED') >= 2, 8000)
  })

  it('messages: duplicate → two callbacks, drop → none, delay → late but in order', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Array<Record<string, unknown>> = []
    await flagsChannel(h, c, 'f-messages', got)
    h.rt.faults.messages({ kind: 'postgres_changes', action: 'duplicate', count: 1 })
    const k1 = await insertFlag(h)
    await waitFor('duplicate', () => got.length >= 2)
    expect(got.map((g) => g.key)).toEqual([k1, k1])
    h.rt.faults.messages({ kind: 'postgres_changes', action: 'drop', count: 1 })
    await insertFlag(h)
    const k3 = await insertFlag(h)
    await waitFor('the one after the dropped one', () => got.length >= 3)
    expect(got[2].key).toBe(k3)
    h.rt.faults.messages({ kind: 'postgres_changes', action: 'delay', count: 1, delayMs: 400 })
    const t0 = Date.now()
    const k4 = await insertFlag(h)
    const k5 = await insertFlag(h)
    await waitFor('delayed pair', () => got.length >= 5)
    expect(got.slice(3).map((g) => g.key)).toEqual([k4, k5])
    expect(Number(got[3]._t) - t0).toBeGreaterThanOrEqual(380)
  })

  it('messages: reorder → the held one arrives after the next, alone after its delay, and clear() sends what is held', async () => {
    const c = await h.client()
    const got: unknown[] = []
    const ch = c.channel('f-reorder', { config: { broadcast: { self: true, ack: true } } }).on('broadcast', { event: '*' }, (m) => got.push(m.payload))
    const t = track(ch)
    await waitFor('SUBSCRIBED', () => t.count('SUBSCRIBED') >= 1)
    h.rt.faults.messages({ kind: 'broadcast', action: 'reorder', count: 1, delayMs: 5000 })
    await ch.send({ type: 'broadcast', event: 'e', payload: { n: 1 } })
    await ch.send({ type: 'broadcast', event: 'e', payload: { n: 2 } })
    await waitFor('both', () => got.length >= 2)
    expect(got).toEqual([{ n: 2 }, { n: 1 }])
    // Nothing follows: the held message goes out alone once its delay has passed, not before.
    h.rt.faults.messages({ kind: 'broadcast', action: 'reorder', count: 1, delayMs: 300 })
    const t0 = Date.now()
    await ch.send({ type: 'broadcast', event: 'e', payload: { n: 3 } })
    await waitFor('the lone held one', () => got.length >= 3)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280)
    expect(got[2]).toEqual({ n: 3 })
    // clear() ends the fault without losing the held message.
    h.rt.faults.messages({ kind: 'broadcast', action: 'reorder', count: 1, delayMs: 60_000 })
    await ch.send({ type: 'broadcast', event: 'e', payload: { n: 4 } })
    await sleep(150)
    expect(got).toHaveLength(3)
    h.rt.faults.clear()
    await waitFor('released by clear', () => got.length >= 4)
    expect(got[3]).toEqual({ n: 4 })
  })

  it('messages also apply to broadcasts', async () => {
    const c = await h.client()
    const got: unknown[] = []
    const ch = c.channel('f-bc', { config: { broadcast: { self: true, ack: true } } }).on('broadcast', { event: '*' }, (m) => got.push(m.payload))
    const t = track(ch)
    await waitFor('SUBSCRIBED', () => t.count('SUBSCRIBED') >= 1)
    h.rt.faults.messages({ kind: 'broadcast', action: 'duplicate', count: 1 })
    await ch.send({ type: 'broadcast', event: 'e', payload: { n: 1 } })
    h.rt.faults.messages({ kind: 'broadcast', action: 'drop', count: 1 })
    await ch.send({ type: 'broadcast', event: 'e', payload: { n: 2 } })
    await ch.send({ type: 'broadcast', event: 'e', payload: { n: 3 } })
    await waitFor('3 deliveries', () => got.length >= 3)
    await sleep(100)
    expect(got).toEqual([{ n: 1 }, { n: 1 }, { n: 3 }])
  })

  it('setLatency delays every frame', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Array<Record<string, unknown>> = []
    await flagsChannel(h, c, 'f-latency', got)
    h.rt.faults.setLatency(250)
    try {
      const t0 = Date.now()
      await insertFlag(h)
      await waitFor('event', () => got.length >= 1)
      expect(Number(got[0]._t) - t0).toBeGreaterThanOrEqual(240)
    } finally {
      h.rt.faults.setLatency(0)
    }
  })

  it('crashChannels → phx_error → CHANNEL_ERROR, rejoin after 1 s, SUBSCRIBED', async () => {
    const c = await h.client()
    const t = track(c.channel('f-crash'))
    await waitFor('SUBSCRIBED', () => t.count('SUBSCRIBED') >= 1)
    h.rt.faults.crashChannels('f-crash')
    await waitFor('CHANNEL_ERROR', () => t.count('CHANNEL_ERROR') >= 1)
    await waitFor('SUBSCRIBED again', () => t.count('SUBSCRIBED') >= 2, 4000)
  })

  it('restart(): sockets dropped, clients rejoin, changes during the restart are not replayed', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Array<Record<string, unknown>> = []
    const { t } = await flagsChannel(h, c, 'f-restart', got)
    await h.rt.restart()
    const lost = await insertFlag(h) // nobody is subscribed right now
    await waitFor('SUBSCRIBED again', () => t.count('SUBSCRIBED') >= 2, 6000)
    await waitFor('system ok again', () => t.pgOk() >= 2)
    const seen = await insertFlag(h)
    await waitFor('event after restart', () => got.length >= 1)
    await sleep(100)
    expect(got.map((g) => g.key)).toEqual([seen])
    expect(lost).not.toBe(seen)
  })
})
