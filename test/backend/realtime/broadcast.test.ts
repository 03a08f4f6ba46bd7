// Broadcast through the real supabase-js client (supabase.com/docs/guides/realtime/broadcast): socket self/ack, HTTP batch and per-event
// endpoints, database broadcasts (the shop:requests trigger), private channels under realtime.messages RLS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RealtimeChannel } from '@supabase/supabase-js'
import { startHarness, waitFor, sleep, type Harness } from './harness.js'

type Msg = { type?: string; event: string; payload: Record<string, unknown>; meta?: Record<string, unknown> }

function join(ch: RealtimeChannel): Promise<string> {
  return new Promise((resolve) => {
    ch.subscribe((status, err) => {
      if (status !== 'SUBSCRIBED' && status !== 'CLOSED' && status !== 'CHANNEL_ERROR' && status !== 'TIMED_OUT') return
      resolve(err ? `${status}: ${err.message}` : status)
    })
  })
}

describe('broadcast', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.stop()
  })

  it('socket broadcast: self:false does not echo, self:true does, ack:true resolves ok', async () => {
    const a = await h.client()
    const b = await h.client()
    const gotA: Msg[] = []
    const gotB: Msg[] = []
    const chA = a.channel('room1', { config: { broadcast: { self: true, ack: true } } }).on('broadcast', { event: 'ping' }, (m) => gotA.push(m as Msg))
    const chB = b.channel('room1').on('broadcast', { event: 'ping' }, (m) => gotB.push(m as Msg))
    expect(await join(chA)).toBe('SUBSCRIBED')
    expect(await join(chB)).toBe('SUBSCRIBED')
    expect(await chA.send({ type: 'broadcast', event: 'ping', payload: { n: 1 } })).toBe('ok')
    expect(await chB.send({ type: 'broadcast', event: 'ping', payload: { n: 2 } })).toBe('ok')
    await waitFor('both messages at A', () => gotA.length >= 2)
    await waitFor('A message at B', () => gotB.length >= 1)
    await sleep(100)
    expect(gotA.map((m) => m.payload.n)).toEqual([1, 2])
    expect(gotB.map((m) => m.payload.n)).toEqual([1]) // B has self:false
    expect(gotA[0]).toEqual({ type: 'broadcast', event: 'ping', payload: { n: 1 } })
  })

  it('vsn 1.0.0 clients get text broadcasts from vsn 2 senders and can send too', async () => {
    const v1 = await h.client({ vsn: '1.0.0' })
    const v2 = await h.client()
    const got1: Msg[] = []
    const got2: Msg[] = []
    const c1 = v1.channel('room-v1').on('broadcast', { event: '*' }, (m) => got1.push(m as Msg))
    const c2 = v2.channel('room-v1').on('broadcast', { event: '*' }, (m) => got2.push(m as Msg))
    expect(await join(c1)).toBe('SUBSCRIBED')
    expect(await join(c2)).toBe('SUBSCRIBED')
    await c2.send({ type: 'broadcast', event: 'from2', payload: { a: 1 } })
    await c1.send({ type: 'broadcast', event: 'from1', payload: { b: 2 } })
    await waitFor('cross delivery', () => got1.length >= 1 && got2.length >= 1)
    expect(got1[0]).toMatchObject({ event: 'from2', payload: { a: 1 } })
    expect(got2[0]).toMatchObject({ event: 'from1', payload: { b: 2 } })
  })

  it('HTTP batch endpoint: 202, delivered as text; bad JWT → 401', async () => {
    const c = await h.client()
    const got: Msg[] = []
    const ch = c.channel('room-http').on('broadcast', { event: 'hello' }, (m) => got.push(m as Msg))
    expect(await join(ch)).toBe('SUBSCRIBED')
    const res = await fetch(`${h.url}/realtime/v1/api/broadcast?apikey=${h.anonKey}&vsn=2.0.0`, {
      method: 'POST',
      headers: { apikey: h.anonKey, authorization: `Bearer ${h.anonKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ topic: 'room-http', event: 'hello', payload: { x: 1 } }] }),
    })
    expect(res.status).toBe(202)
    expect(await res.text()).toBe('')
    await waitFor('HTTP broadcast', () => got.length >= 1)
    expect(got[0]).toEqual({ type: 'broadcast', event: 'hello', payload: { x: 1 } })
    const bad = await fetch(`${h.url}/realtime/v1/api/broadcast`, {
      method: 'POST',
      headers: { apikey: 'nope', authorization: 'Bearer nope', 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [] }),
    })
    expect(bad.status).toBe(401)
    expect(await bad.json()).toEqual({ message: 'Unauthorized' })
  })

  it('send() on an unjoined channel falls back to the HTTP endpoint; httpSend uses the per-event endpoint', async () => {
    const listener = await h.client()
    const got: Msg[] = []
    const ch = listener.channel('room-fallback').on('broadcast', { event: '*' }, (m) => got.push(m as Msg))
    expect(await join(ch)).toBe('SUBSCRIBED')
    const sender = await h.client()
    const unjoined = sender.channel('room-fallback')
    expect(await unjoined.send({ type: 'broadcast', event: 'via-http', payload: { k: 1 } })).toBe('ok')
    const r = await (unjoined as unknown as { httpSend(e: string, p: unknown): Promise<{ success: boolean }> }).httpSend('per-event', { k: 2 })
    expect(r.success).toBe(true)
    await waitFor('both', () => got.length >= 2)
    expect(got.map((m) => m.event).sort()).toEqual(['per-event', 'via-http'])
  })

  it('database broadcast (shop:requests trigger): private mechanic channel gets kind-4 with meta id, public channel and non-mechanic do not', async () => {
    const me = await h.user()
    const outsider = await h.user({ mechanic: false })
    const mc = await h.client({ token: me.token })
    const pc = await h.client({ token: me.token })
    const oc = await h.client({ token: outsider.token })
    const got: Msg[] = []
    const gotPublic: Msg[] = []
    const priv = mc.channel('shop:requests', { config: { private: true } }).on('broadcast', { event: '*' }, (m) => got.push(m as Msg))
    const pub = pc.channel('shop:requests').on('broadcast', { event: '*' }, (m) => gotPublic.push(m as Msg))
    expect(await join(priv)).toBe('SUBSCRIBED')
    expect(await join(pub)).toBe('SUBSCRIBED')
    const denied = oc.channel('shop:requests', { config: { private: true } })
    expect(await join(denied)).toBe('CHANNEL_ERROR: Unauthorized: You do not have permissions to read from this Channel topic: shop:requests')
    await oc.removeChannel(denied)

    const sid = (await h.sql.query('insert into public.sessions default values returning id')).rows[0].id
    const id = (await h.sql.query("insert into public.session_assignments (session_id, status) values ($1, 'queued') returning id", [sid])).rows[0].id
    await waitFor('new_request', () => got.length >= 1)
    expect(got[0].event).toBe('new_request')
    expect((got[0].payload.request as Record<string, unknown>).id).toBe(id)
    expect(typeof got[0].payload.id).toBe('string')
    expect(got[0].meta).toEqual({ id: got[0].payload.id })
    // Rolled back: nothing goes out.
    await h.sql.query(`begin; update public.session_assignments set status = 'cancelled' where id = '${id}'; rollback;`)
    await h.sql.query("update public.session_assignments set status = 'accepted' where id = $1", [id])
    await waitFor('request_accepted', () => got.length >= 2)
    expect(got.map((m) => m.event)).toEqual(['new_request', 'request_accepted'])
    await sleep(100)
    expect(gotPublic).toEqual([])
  })

  it('realtime.broadcast_changes payload matches RealtimeBroadcast*Payload', async () => {
    await h.sql.query(`create policy "test read bc" on realtime.messages for select to authenticated using (realtime.topic() = 'bc:test')`)
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Msg[] = []
    const ch = c.channel('bc:test', { config: { private: true } }).on('broadcast', { event: 'INSERT' }, (m) => got.push(m as Msg))
    expect(await join(ch)).toBe('SUBSCRIBED')
    await h.sql.query(`do $$ declare r public.feature_flags; begin
      insert into public.feature_flags (key) values ('bc_flag') returning * into r;
      perform realtime.broadcast_changes('bc:test', 'INSERT', 'INSERT', 'feature_flags', 'public', r, null);
    end $$`)
    await waitFor('broadcast_changes', () => got.length >= 1)
    expect(got[0].payload).toMatchObject({ operation: 'INSERT', table: 'feature_flags', schema: 'public', old_record: null, record: { key: 'bc_flag' } })
  })

  it('private channel write permission: denied sends get no reply (ack → timed out); HTTP private skipped but 202', async () => {
    await h.sql.query(`create policy "test read w" on realtime.messages for select to authenticated using (realtime.topic() in ('w:ro', 'w:rw'))`)
    await h.sql.query(`create policy "test write w" on realtime.messages for insert to authenticated with check (realtime.topic() = 'w:rw')`)
    const me = await h.user()
    const c = await h.client({ token: me.token, timeout: 800 })
    const ro: Msg[] = []
    const rw: Msg[] = []
    const chRo = c.channel('w:ro', { config: { private: true, broadcast: { ack: true, self: true } } }).on('broadcast', { event: '*' }, (m) => ro.push(m as Msg))
    const chRw = c.channel('w:rw', { config: { private: true, broadcast: { ack: true, self: true } } }).on('broadcast', { event: '*' }, (m) => rw.push(m as Msg))
    expect(await join(chRo)).toBe('SUBSCRIBED')
    expect(await join(chRw)).toBe('SUBSCRIBED')
    expect(await chRw.send({ type: 'broadcast', event: 'e', payload: { ok: 1 } })).toBe('ok')
    expect(await chRo.send({ type: 'broadcast', event: 'e', payload: { ok: 0 } })).toBe('timed out')
    await waitFor('rw self message', () => rw.length >= 1)
    const res = await fetch(`${h.url}/realtime/v1/api/broadcast`, {
      method: 'POST',
      headers: { apikey: h.anonKey, authorization: `Bearer ${me.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ topic: 'w:ro', event: 'x', payload: {}, private: true }, { topic: 'w:rw', event: 'y', payload: {}, private: true }] }),
    })
    expect(res.status).toBe(202)
    await waitFor('rw http message', () => rw.length >= 2)
    await sleep(100)
    expect(ro).toEqual([])
    expect(rw.map((m) => m.event)).toEqual(['e', 'y'])
  })

  it('replay (private only): earlier database broadcasts arrive after the join with meta.replayed', async () => {
    await h.sql.query(`create policy "test read replay" on realtime.messages for select to authenticated using (realtime.topic() = 'replay:t')`)
    const since = Date.now() - 1000
    for (let i = 1; i <= 3; i++) await h.sql.query("select realtime.send($1::jsonb, 'old', 'replay:t', true)", [JSON.stringify({ n: i })])
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Msg[] = []
    const ch = c.channel('replay:t', { config: { private: true, broadcast: { replay: { since, limit: 2 } } } }).on('broadcast', { event: '*' }, (m) => got.push(m as Msg))
    expect(await join(ch)).toBe('SUBSCRIBED')
    await waitFor('2 replayed', () => got.length >= 2)
    expect(got.map((m) => m.payload.n)).toEqual([2, 3])
    expect(got[0].meta).toEqual({ replayed: true, id: got[0].payload.id })
  })
})
