// What the server does with an `access_token` push and with its own periodic token re-check (supabase/realtime
// lib/realtime_web/channels/realtime_channel.ex `handle_in("access_token", …)` and `handle_info(:confirm_token, …)`):
// - `sb_…` keys, the current token and null are ignored;
// - any other token is verified, the read policies re-run (private channels) and the postgres_changes subscription
//   re-created, so "Subscribed to PostgreSQL" comes again;
// - a token without read access on a private topic: system error "You do not have permissions to read from this
//   Channel topic: X", then the channel closes; a policy that raises counts as no access;
// - a bad signature: system error ":signature_error" (no clause of its own: `inspect(:signature_error)`);
// - the timer only re-verifies the JWT: a policy that stops matching does not close a joined channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { rawJoin, startHarness, waitFor, sleep, type Harness } from './harness.js'

interface Tracked {
  ch: RealtimeChannel
  statuses: string[]
  system: Array<Record<string, unknown>>
  subscribedToPg: () => number
  push(token: unknown): void
}

async function joined(c: SupabaseClient, topic: string, opts: { private?: boolean; pg?: boolean } = {}): Promise<Tracked> {
  const statuses: string[] = []
  const system: Array<Record<string, unknown>> = []
  let ch = c.channel(topic, { config: { private: opts.private === true } })
  if (opts.pg) ch = ch.on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_assignments' }, () => {})
  ch.on('system', {}, (p: Record<string, unknown>) => system.push(p))
  await new Promise<void>((resolve) =>
    ch.subscribe((s, e) => {
      statuses.push(e ? `${s}: ${e.message}` : s)
      resolve()
    }),
  )
  expect(statuses).toEqual(['SUBSCRIBED'])
  const subscribedToPg = () => system.filter((s) => s.message === 'Subscribed to PostgreSQL').length
  if (opts.pg) await waitFor('first Subscribed to PostgreSQL', () => subscribedToPg() >= 1)
  return {
    ch,
    statuses,
    system,
    subscribedToPg,
    // The frame realtime-js sends on setAuth, pushed directly so realtime-js's own checks do not filter it.
    push: (token) => (ch as unknown as { channelAdapter: { push(e: string, p: unknown): void } }).channelAdapter.push('access_token', { access_token: token }),
  }
}

const closedWith = async (t: Tracked, message: string | RegExp) => {
  await waitFor('CLOSED', () => t.statuses.includes('CLOSED'))
  expect(t.system.filter((s) => s.status === 'error')).toHaveLength(1)
  const err = t.system.find((s) => s.status === 'error')!
  expect(err).toMatchObject({ extension: 'system', status: 'error' })
  if (typeof message === 'string') expect(err.message).toBe(message)
  else expect(String(err.message)).toMatch(message)
}

describe('access_token push', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ systemMessageDelayMs: 50 })
    // A read policy that raises for tokens carrying {"boom": "yes"} (CASE keeps it from firing for anyone else).
    await h.sql.query(`
      create policy "test: raises for boom tokens" on realtime.messages for select to authenticated
        using (case when coalesce(current_setting('request.jwt.claims', true)::jsonb ->> 'boom', '') = 'yes'
                    then 1 / (length(realtime.topic()) * 0) = 1 else false end)`)
  })
  afterAll(async () => {
    await h?.stop()
  })

  it('sb_ keys, the current token and null are ignored: no shutdown, no re-subscribe', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const t = await joined(c, 'shop:requests', { private: true, pg: true })
    t.push('sb_publishable_abc123')
    t.push(me.token)
    t.push(null)
    await sleep(400)
    expect(t.subscribedToPg()).toBe(1)
    expect(t.system.filter((s) => s.status === 'error')).toEqual([])
    expect(t.statuses).toEqual(['SUBSCRIBED'])
  })

  it('a new token with read access: kept open, and "Subscribed to PostgreSQL" comes again', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const t = await joined(c, 'shop:requests', { private: true, pg: true })
    t.push(h.token(me.id))
    await waitFor('second Subscribed to PostgreSQL', () => t.subscribedToPg() >= 2)
    expect(t.statuses).toEqual(['SUBSCRIBED'])
  })

  it('a new token without read access on a private topic → "You do not have permissions to read from this Channel topic: X", then CLOSED', async () => {
    const mech = await h.user()
    const outsider = await h.user({ mechanic: false })
    const c = await h.client({ token: mech.token })
    const t = await joined(c, 'shop:requests', { private: true })
    await c.realtime.setAuth(outsider.token)
    await closedWith(t, 'You do not have permissions to read from this Channel topic: shop:requests')
    expect(t.system[0]).toEqual({ extension: 'system', status: 'error', message: 'You do not have permissions to read from this Channel topic: shop:requests', channel: 'shop:requests' })
  })

  it('a new token whose read policy raises counts as no access (push and join alike)', async () => {
    const mech = await h.user()
    const c = await h.client({ token: mech.token })
    const t = await joined(c, 'shop:requests', { private: true })
    const now = Math.floor(Date.now() / 1000)
    const boom = h.jwt.sign({ sub: mech.id, role: 'authenticated', exp: now + 600, boom: 'yes' })
    t.push(boom)
    await closedWith(t, 'You do not have permissions to read from this Channel topic: shop:requests')
    expect(h.logs.some((l) => /read policy for shop:requests raised 22012/.test(l))).toBe(true)
    const reply = await rawJoin(h.url, h.anonKey, 'realtime:shop:requests', { config: { private: true }, access_token: boom })
    expect(reply[4]).toEqual({ status: 'error', response: { reason: 'Unauthorized: You do not have permissions to read from this Channel topic: shop:requests' } })
  })

  it('a bad signature → ":signature_error"; expired → "Token has expired N seconds ago"; garbage → "The token provided is not a valid JWT"', async () => {
    const me = await h.user()
    const now = Math.floor(Date.now() / 1000)
    const cases: Array<[string, string | RegExp]> = [
      [h.token(me.id).slice(0, -4) + 'AAAA', ':signature_error'],
      [h.jwt.sign({ sub: me.id, role: 'authenticated', exp: now - 7 }), /^Token has expired \d+ seconds ago$/],
      ['not-a-jwt', 'The token provided is not a valid JWT'],
      [h.jwt.sign({ sub: me.id, exp: now + 60 }), 'Fields `role` and `exp` are required in JWT'],
    ]
    for (const [token, message] of cases) {
      const c = await h.client({ token: me.token })
      const t = await joined(c, `push-bad-${cases.findIndex((x) => x[0] === token)}`)
      t.push(token)
      await closedWith(t, message)
    }
  })

  it('a public channel re-subscribes with the new claims without any policy check', async () => {
    const outsider = await h.user({ mechanic: false })
    const c = await h.client()
    const t = await joined(c, 'public-push', { pg: true })
    await c.realtime.setAuth(outsider.token)
    await waitFor('second Subscribed to PostgreSQL', () => t.subscribedToPg() >= 2)
    expect(t.statuses).toEqual(['SUBSCRIBED'])
  })
})

describe('periodic token re-check', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.stop()
  })

  it('only re-verifies the JWT: a mechanic removed after joining keeps the private channel and its broadcasts', async () => {
    const mech = await h.user()
    const c = await h.client({ token: mech.token })
    const got: string[] = []
    const t = await joined(c, 'shop:requests', { private: true })
    t.ch.on('broadcast', { event: '*' }, (m) => got.push(m.event))
    await h.sql.query('delete from public.mechanics where user_id = $1', [mech.id])
    await h.rt.faults.recheckTokens()
    await sleep(200)
    expect(t.statuses).toEqual(['SUBSCRIBED'])
    expect(t.system).toEqual([])
    // Still delivered: the policies were evaluated at join and are not re-run by the timer.
    await h.sql.query("select realtime.send('{}'::jsonb, 'still-here', 'shop:requests', true)")
    await waitFor('broadcast after the re-check', () => got.includes('still-here'))
  })

  it('an expired token is shut down by the re-check: "Token has expired N seconds ago", then CLOSED', async () => {
    const mech = await h.user({ expiresInS: 1 })
    const c = await h.client({ token: mech.token })
    const t = await joined(c, 'shop:requests', { private: true })
    await sleep(1100)
    await h.rt.faults.recheckTokens()
    await closedWith(t, /^Token has expired \d+ seconds ago$/)
  })
})
