// Private channels read two policies on realtime.messages: broadcast and presence (supabase/realtime
// `maybe_assign_policies` / `check_read_permissions_revoked`). Presence read is only evaluated when the join enables
// presence; a channel joined on presence read alone gets no broadcasts and no replay; an access_token push that turns
// one read off while the other still allows the topic answers "You no longer have permission…".
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { rawJoin, startHarness, waitFor, sleep, type Harness } from './harness.js'

describe('private read policies: broadcast and presence', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
    await h.sql.query(`
      create policy "test: presence only on room:p" on realtime.messages for select to authenticated
        using (realtime.topic() = 'room:p' and extension = 'presence');
      create policy "test: presence on room:both" on realtime.messages for select to authenticated
        using (realtime.topic() = 'room:both' and extension = 'presence');
      create policy "test: broadcast on room:both unless nobroadcast" on realtime.messages for select to authenticated
        using (realtime.topic() = 'room:both' and extension = 'broadcast'
               and coalesce(current_setting('request.jwt.claims', true)::jsonb ->> 'nobroadcast', '') <> 'yes')`)
  })
  afterAll(async () => {
    await h?.stop()
  })

  async function subscribe(c: SupabaseClient, topic: string, presence: boolean) {
    const statuses: string[] = []
    const system: Array<Record<string, unknown>> = []
    const got: string[] = []
    const ch: RealtimeChannel = c.channel(topic, { config: { private: true, presence: { key: '', enabled: presence } } })
    ch.on('broadcast', { event: '*' }, (m) => got.push(m.event)).on('system', {}, (p: Record<string, unknown>) => system.push(p))
    const first = await new Promise<string>((resolve) => ch.subscribe((s, e) => (statuses.push(e ? `${s}: ${e.message}` : s), resolve(statuses[0]))))
    return { ch, first, statuses, system, got }
  }

  it('presence read is not evaluated without presence: a presence-only policy does not open the topic', async () => {
    const me = await h.user()
    const reply = await rawJoin(h.url, h.anonKey, 'realtime:room:p', { config: { private: true }, access_token: me.token })
    expect(reply[4]).toEqual({ status: 'error', response: { reason: 'Unauthorized: You do not have permissions to read from this Channel topic: room:p' } })
  })

  it('joined on presence read alone: SUBSCRIBED, but broadcasts are withheld and replay is refused', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const t = await subscribe(c, 'room:p', true)
    expect(t.first).toBe('SUBSCRIBED')
    await h.sql.query("select realtime.send('{}'::jsonb, 'withheld', 'room:p', true)")
    await sleep(300)
    expect(t.got).toEqual([])
    const replay = await rawJoin(h.url, h.anonKey, 'realtime:room:p', {
      config: { private: true, presence: { enabled: true }, broadcast: { replay: { since: 0 } } },
      access_token: me.token,
    })
    expect(replay[4]).toEqual({ status: 'error', response: { reason: 'Unauthorized: You do not have permissions to read from this Channel topic: room:p' } })
  })

  it('a push that takes broadcast read away while presence read stays → "You no longer have permission…", then CLOSED', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const t = await subscribe(c, 'room:both', true)
    expect(t.first).toBe('SUBSCRIBED')
    await h.sql.query("select realtime.send('{}'::jsonb, 'before', 'room:both', true)")
    await waitFor('broadcast while both reads allow', () => t.got.includes('before'))
    const now = Math.floor(Date.now() / 1000)
    await c.realtime.setAuth(h.jwt.sign({ sub: me.id, role: 'authenticated', exp: now + 600, nobroadcast: 'yes' }))
    await waitFor('CLOSED', () => t.statuses.includes('CLOSED'))
    expect(t.system.filter((s) => s.status === 'error')).toEqual([
      { extension: 'system', status: 'error', message: 'You no longer have permission to read from this Channel topic: room:both', channel: 'room:both' },
    ])
  })
})
