// A project with Realtime "allow public access" turned off (supabase/realtime `only_private?`):
// every join without `config.private: true` is refused with "PrivateOnly: This project only allows private
// channels", before the token is even looked at; private channels (RLS on realtime.messages) work as usual,
// postgres_changes included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RealtimeChannel } from '@supabase/supabase-js'
import { rawJoin, startHarness, waitFor, type Harness } from './harness.js'
import { startBackend, type Backend } from '../index.js'
import { anonClient, signedIn } from '../helpers.js'

const REFUSED = 'PrivateOnly: This project only allows private channels'

function join(ch: RealtimeChannel): Promise<string> {
  return new Promise((resolve) => ch.subscribe((s, e) => resolve(e ? `${s}: ${e.message}` : s)))
}

describe('private-only project (realtime server option)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ privateOnly: true })
  })
  afterAll(async () => {
    await h?.stop()
  })

  it('a public join is answered exactly like the real refusal: phx_reply error {reason}', async () => {
    const reply = await rawJoin(h.url, h.anonKey, 'realtime:shop:requests', { config: { private: false } })
    expect(reply).toEqual(['1', '1', 'realtime:shop:requests', 'phx_reply', { status: 'error', response: { reason: REFUSED } }])
    // A join without any config is public too.
    const bare = await rawJoin(h.url, h.anonKey, 'realtime:anything', {})
    expect(bare[4]).toEqual({ status: 'error', response: { reason: REFUSED } })
  })

  it('the refusal comes before the token check: an expired token on a public join still gets PrivateOnly', async () => {
    const expired = h.jwt.sign({ role: 'authenticated', sub: 'x', exp: Math.floor(Date.now() / 1000) - 30 })
    const reply = await rawJoin(h.url, h.anonKey, 'realtime:room', { config: { private: false }, access_token: expired })
    expect(reply[4]).toEqual({ status: 'error', response: { reason: REFUSED } })
  })

  it('supabase-js: public channel → CHANNEL_ERROR with the reason; private channel of a mechanic → SUBSCRIBED and postgres_changes flow', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const pub = c.channel('shop:requests')
    expect(await join(pub)).toBe(`CHANNEL_ERROR: ${REFUSED}`)
    await c.removeChannel(pub)

    const got: Array<Record<string, unknown>> = []
    const system: Array<Record<string, unknown>> = []
    const priv = c
      .channel('shop:requests', { config: { private: true } })
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_assignments' }, (p) => got.push(p.new))
      .on('system', {}, (p: Record<string, unknown>) => system.push(p))
    expect(await join(priv)).toBe('SUBSCRIBED')
    await waitFor('Subscribed to PostgreSQL', () => system.find((s) => s.message === 'Subscribed to PostgreSQL'))
    const sid = (await h.sql.query('insert into public.sessions default values returning id')).rows[0].id
    const id = (await h.sql.query("insert into public.session_assignments (session_id, status) values ($1, 'queued') returning id", [sid])).rows[0].id
    await waitFor('the insert on the private channel', () => got.find((r) => r.id === id))
  })

  it('a private join the policies deny is still refused as Unauthorized, not PrivateOnly', async () => {
    const outsider = await h.user({ mechanic: false })
    const reply = await rawJoin(h.url, h.anonKey, 'realtime:shop:requests', { config: { private: true }, access_token: outsider.token })
    expect(reply[4]).toEqual({ status: 'error', response: { reason: 'Unauthorized: You do not have permissions to read from this Channel topic: shop:requests' } })
  })

  it('stats() reports the mode; setPrivateOnly(false) opens public joins, clear() restores the configured mode', async () => {
    expect(h.rt.stats().privateOnly).toBe(true)
    h.rt.faults.setPrivateOnly(false)
    expect((await rawJoin(h.url, h.anonKey, 'realtime:room', {}))[4]).toMatchObject({ status: 'ok' })
    h.rt.faults.clear()
    expect(h.rt.stats().privateOnly).toBe(true)
    expect((await rawJoin(h.url, h.anonKey, 'realtime:room', {}))[4]).toEqual({ status: 'error', response: { reason: REFUSED } })
  })
})

describe('private-only through startBackend: BackendOptions.privateOnly and the privateOnly knob', () => {
  let b: Backend
  beforeAll(async () => {
    b = await startBackend({ port: 0, log: () => {} })
  })
  afterAll(async () => {
    await b?.stop()
  })

  const control = (knob: string, body: unknown, key = b.serviceRoleKey) =>
    fetch(`${b.url}/_control/faults/${knob}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('public access is on by default; the knob turns it off and on; bad bodies and the anon key are refused', async () => {
    expect((await rawJoin(b.url, b.anonKey, 'realtime:room', {}))[4]).toMatchObject({ status: 'ok' })
    expect((await control('privateOnly', { enabled: true }, b.anonKey)).status).toBe(401)
    const bad = await control('privateOnly', { enabled: 'yes' })
    expect(bad.status).toBe(409)
    expect(((await bad.json()) as { error: string }).error).toMatch(/enabled must be true or false/)
    expect((await control('privateOnly', { enabled: true })).status).toBe(200)
    try {
      const health = (await (await fetch(`${b.url}/_control/health`, { headers: { Authorization: `Bearer ${b.serviceRoleKey}` } })).json()) as { realtime: { privateOnly: boolean } }
      expect(health.realtime.privateOnly).toBe(true)
      const m = await signedIn(b, b.demoUsers[0])
      await m.realtime.setAuth()
      const pub = m.channel('session_requests_feed')
      expect(await join(pub)).toBe(`CHANNEL_ERROR: ${REFUSED}`)
      await m.removeChannel(pub)
      expect(await join(m.channel('shop:requests', { config: { private: true } }))).toBe('SUBSCRIBED')
      await m.removeAllChannels()
      m.realtime.disconnect()
    } finally {
      expect((await control('privateOnly', { enabled: false })).status).toBe(200)
    }
    const a = anonClient(b)
    expect(await join(a.channel('session_requests_feed'))).toBe('SUBSCRIBED')
    await a.removeAllChannels()
    a.realtime.disconnect()
  })

  it('startBackend({ privateOnly: true }) refuses public joins from the start', async () => {
    const p = await startBackend({ port: 0, privateOnly: true, log: () => {} })
    try {
      expect((await rawJoin(p.url, p.anonKey, 'realtime:session_requests_feed', { config: { private: false } }))[4]).toEqual({
        status: 'error',
        response: { reason: REFUSED },
      })
    } finally {
      await p.stop()
    }
  })
})
