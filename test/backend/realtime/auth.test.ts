// Identity, token refresh and expiry on realtime channels (Phoenix socket protocol, supabase/realtime realtime_channel.ex, realtime_channel.ex token checks, supabase/supabase-js#1553, supabase/realtime-js#274). What an access_token
// push that loses read access or carries a bad signature answers is in access-token.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RealtimeChannel } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { startHarness, waitFor, sleep, type Harness } from './harness.js'

function track(ch: RealtimeChannel) {
  const statuses: string[] = []
  const system: Array<Record<string, unknown>> = []
  ch.on('system', {}, (p: Record<string, unknown>) => system.push(p))
  const first = new Promise<string>((resolve) => {
    ch.subscribe((status, err) => {
      statuses.push(err ? `${status}: ${err.message}` : status)
      resolve(statuses[0])
    })
  })
  return { statuses, system, first }
}

/** Open a raw socket and report the HTTP refusal, if any. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string } | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.on('open', () => {
      ws.close()
      resolve('open')
    })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    ws.on('error', () => {})
  })
}

describe('realtime auth', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.stop()
  })

  it('websocket upgrade: token from apikey param or x-api-key header; failures are {"error"} with 401', async () => {
    const ws = h.url.replace('http', 'ws') + '/realtime/v1/websocket'
    expect(await upgrade(`${ws}?apikey=${h.anonKey}&vsn=2.0.0`)).toBe('open')
    expect(await upgrade(`${ws}?vsn=2.0.0`, { 'x-api-key': h.anonKey })).toBe('open')
    expect(await upgrade(`${ws}?vsn=2.0.0`)).toEqual({ status: 401, body: '{"error":"API key is missing"}' })
    expect(await upgrade(`${ws}?apikey=garbage&vsn=2.0.0`)).toEqual({ status: 401, body: '{"error":"The token provided is not a valid JWT"}' })
    const forged = h.anonKey.slice(0, -3) + (h.anonKey.endsWith('AAA') ? 'BBB' : 'AAA')
    expect(await upgrade(`${ws}?apikey=${forged}&vsn=2.0.0`)).toEqual({ status: 401, body: '{"error":"Failed to validate JWT signature"}' })
    const expired = h.jwt.sign({ role: 'anon', exp: Math.floor(Date.now() / 1000) - 30 })
    // Unlike a join error, the refused upgrade does not say how long ago (supabase/realtime user_socket.ex).
    expect(await upgrade(`${ws}?apikey=${expired}&vsn=2.0.0`)).toEqual({ status: 401, body: '{"error":"Token has expired"}' })
  })

  it('join with an expired access_token → CHANNEL_ERROR "InvalidJWTToken: Token has expired N seconds ago"', async () => {
    const me = await h.user()
    const stale = h.jwt.sign({ sub: me.id, role: 'authenticated', exp: Math.floor(Date.now() / 1000) - 12 })
    const c = await h.client()
    // Put the stale token straight into the join payload, as a rejoin with a cached token does (supabase/supabase-js#2613).
    ;(c.realtime as unknown as { accessTokenValue: string }).accessTokenValue = stale
    const ch = c.channel('auth-expired')
    const t = track(ch)
    expect(await t.first).toMatch(/^CHANNEL_ERROR: InvalidJWTToken: Token has expired 1[23] seconds ago$/)
    await c.removeChannel(ch)
  })

  it('a token that expires while joined shuts the channel: system error then CLOSED, no rejoin', async () => {
    const me = await h.user({ expiresInS: 2 })
    const c = await h.client({ token: me.token })
    const ch = c.channel('auth-expiry').on('postgres_changes', { event: '*', schema: 'public', table: 'feature_flags' }, () => {})
    const t = track(ch)
    expect(await t.first).toBe('SUBSCRIBED')
    await waitFor('CLOSED', () => t.statuses.includes('CLOSED'), 6000)
    const err = t.system.find((s) => s.status === 'error')
    expect(err).toMatchObject({ extension: 'system', status: 'error', channel: 'auth-expiry' })
    expect(String(err!.message)).toMatch(/^Token has expired \d+ seconds ago$/)
    await sleep(1500)
    expect(t.statuses).toEqual(['SUBSCRIBED', 'CLOSED'])
    expect(c.getChannels()).not.toContain(ch)
  })

  it('"expire all tokens now" + recheckTokens shuts joined user channels; anon channels survive', async () => {
    const me = await h.user()
    const cu = await h.client({ token: me.token })
    const ca = await h.client()
    const tu = track(cu.channel('auth-revoke-user'))
    const ta = track(ca.channel('auth-revoke-anon'))
    expect(await tu.first).toBe('SUBSCRIBED')
    expect(await ta.first).toBe('SUBSCRIBED')
    h.jwt.expireAllNow()
    try {
      await h.rt.faults.recheckTokens()
      await waitFor('user channel CLOSED', () => tu.statuses.includes('CLOSED'))
      expect(String(tu.system[0]?.message)).toMatch(/^Token has expired \d+ seconds ago$/)
      expect(ta.statuses).toEqual(['SUBSCRIBED'])
    } finally {
      h.jwt.clearExpiry()
    }
  })

  it('access_token push re-subscribes with the new claims and "Subscribed to PostgreSQL" comes again', async () => {
    const outsider = await h.user({ mechanic: false })
    const mech = await h.user()
    const c = await h.client({ token: outsider.token })
    const got: Array<Record<string, unknown>> = []
    const ch = c.channel('auth-push').on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_assignments' }, (p) => got.push(p.new))
    const t = track(ch)
    expect(await t.first).toBe('SUBSCRIBED')
    await waitFor('first system ok', () => t.system.filter((s) => s.message === 'Subscribed to PostgreSQL').length >= 1)
    const sid = (await h.sql.query('insert into public.sessions default values returning id')).rows[0].id
    await h.sql.query('insert into public.session_assignments (session_id) values ($1)', [sid])
    await sleep(200)
    expect(got).toEqual([]) // not a mechanic: RLS hides it
    // Same user becomes... a different identity: push a mechanic's token.
    await c.realtime.setAuth(mech.token)
    await waitFor('second system ok', () => t.system.filter((s) => s.message === 'Subscribed to PostgreSQL').length >= 2)
    await h.sql.query('insert into public.session_assignments (session_id) values ($1)', [sid])
    await waitFor('visible insert', () => got.length >= 1)
    expect(t.statuses).toEqual(['SUBSCRIBED'])
  })
})
