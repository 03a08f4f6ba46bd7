// postgres_changes through the real supabase-js client against the realtime fake and a real PostgreSQL
// (supabase/realtime realtime_channel.ex join/system, supabase/realtime postgres_cdc_rls payloads, supabase/realtime postgres_cdc_rls filters and RLS, supabase/realtime-js#525/supabase/realtime-js#525 premature SUBSCRIBED).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RealtimeChannel, RealtimePostgresChangesPayload } from '@supabase/supabase-js'
import { startHarness, waitFor, sleep, type Harness } from './harness.js'

type Change = RealtimePostgresChangesPayload<Record<string, unknown>>

async function newSession(h: Harness): Promise<string> {
  const r = await h.sql.query('insert into public.sessions default values returning id')
  return r.rows[0].id
}

/** Subscribe and resolve at SUBSCRIBED; collect every status and system message. */
function track(ch: RealtimeChannel) {
  const statuses: string[] = []
  const system: Array<Record<string, unknown>> = []
  ch.on('system', {}, (p: Record<string, unknown>) => system.push(p))
  const subscribed = new Promise<void>((resolve, reject) => {
    ch.subscribe((status, err) => {
      statuses.push(err ? `${status}:${err.message}` : status)
      if (status === 'SUBSCRIBED') resolve()
      else if (status !== 'CLOSED') reject(new Error(`${status}: ${err?.message}`))
    })
  })
  const pgReady = () => waitFor('Subscribed to PostgreSQL', () => system.find((s) => s.message === 'Subscribed to PostgreSQL'))
  return { statuses, system, subscribed, pgReady }
}

describe('postgres_changes', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(async () => {
    await h?.stop()
  })

  it('join reply echoes bindings with ids; system "Subscribed to PostgreSQL" follows', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const ch = c.channel('pg-join')
    ch.on('postgres_changes', { event: '*', schema: 'public', table: 'session_assignments', filter: `mechanic_id=eq.${me.id}` }, () => {})
    ch.on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_assignments' }, () => {})
    const t = track(ch)
    await t.subscribed
    const sys = await t.pgReady()
    expect(sys).toEqual({ extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel: 'pg-join' })
    expect(t.statuses).toEqual(['SUBSCRIBED'])
    await c.removeChannel(ch)
  })

  it('INSERT / UPDATE / DELETE payloads have the real shapes', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Change[] = []
    const ch = c.channel('pg-shapes').on('postgres_changes', { event: '*', schema: 'public', table: 'session_assignments' }, (p) => got.push(p))
    const t = track(ch)
    await t.subscribed
    await t.pgReady()
    const sid = await newSession(h)
    const ins = await h.sql.query("insert into public.session_assignments (session_id, status) values ($1, 'queued') returning id", [sid])
    const id = ins.rows[0].id
    // Wait for each event before the next write: RLS runs against the row as it is at delivery time (supabase/realtime postgres_cdc_rls), so an
    // INSERT whose row is already deleted when it is checked would (correctly) never arrive.
    await waitFor('INSERT', () => got.length >= 1)
    await h.sql.query("update public.session_assignments set status = 'accepted', mechanic_id = $2 where id = $1", [id, me.id])
    await waitFor('UPDATE', () => got.length >= 2)
    await h.sql.query('delete from public.session_assignments where id = $1', [id])
    await waitFor('3 events', () => got.length >= 3)
    const [i, u, d] = got
    expect(i.eventType).toBe('INSERT')
    expect(i.schema).toBe('public')
    expect(i.table).toBe('session_assignments')
    expect(i.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(i.errors).toBeNull()
    expect(i.new).toMatchObject({ id, session_id: sid, status: 'queued', mechanic_id: null })
    expect(String((i.new as Record<string, unknown>).created_at)).toMatch(/\+00:00$/)
    expect(i.old).toEqual({})
    expect(u.eventType).toBe('UPDATE')
    expect(u.new).toMatchObject({ id, status: 'accepted', mechanic_id: me.id })
    // REPLICA IDENTITY FULL (set by the migration): the whole old row.
    expect(u.old).toMatchObject({ id, status: 'queued', mechanic_id: null })
    expect(d.eventType).toBe('DELETE')
    // DELETE on an RLS table: PK only, and no record.
    expect(d.old).toEqual({ id })
    expect(d.new).toEqual({})
    expect(got.length).toBe(3)
    await c.removeChannel(ch)
  })

  it('filters compare typed values: eq, neq, in, gt', async () => {
    const me = await h.user()
    const other = await h.user()
    const c = await h.client({ token: me.token })
    const eq: Change[] = []
    const inn: Change[] = []
    const gt: Change[] = []
    const neq: Change[] = []
    const since = new Date(Date.now() + 60_000).toISOString()
    const ch = c
      .channel('pg-filters')
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_assignments', filter: `mechanic_id=eq.${me.id}` }, (p) => eq.push(p))
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_assignments', filter: 'status=in.(accepted,in_progress)' }, (p) => inn.push(p))
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_assignments', filter: `created_at=gt.${since}` }, (p) => gt.push(p))
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_assignments', filter: 'status=neq.queued' }, (p) => neq.push(p))
    const t = track(ch)
    await t.subscribed
    await t.pgReady()
    const sid = await newSession(h)
    await h.sql.query("insert into public.session_assignments (session_id, status, mechanic_id) values ($1, 'accepted', $2)", [sid, me.id])
    await h.sql.query("insert into public.session_assignments (session_id, status, mechanic_id) values ($1, 'queued', $2)", [sid, other.id])
    await h.sql.query("insert into public.session_assignments (session_id, status, mechanic_id, created_at) values ($1, 'queued', null, now() + interval '1 day')", [sid])
    await waitFor('filtered events', () => eq.length >= 1 && inn.length >= 1 && gt.length >= 1 && neq.length >= 1)
    await sleep(150)
    expect(eq.map((p) => (p.new as Record<string, unknown>).mechanic_id)).toEqual([me.id])
    expect(inn.map((p) => (p.new as Record<string, unknown>).status)).toEqual(['accepted'])
    expect(gt.length).toBe(1)
    expect(neq.map((p) => (p.new as Record<string, unknown>).status)).toEqual(['accepted'])
    await c.removeChannel(ch)
  })

  it('RLS: a signed-in non-mechanic gets no INSERT/UPDATE but does get DELETE (never RLS-checked)', async () => {
    const outsider = await h.user({ mechanic: false })
    const c = await h.client({ token: outsider.token })
    const got: Change[] = []
    const ch = c.channel('pg-rls').on('postgres_changes', { event: '*', schema: 'public', table: 'session_assignments' }, (p) => got.push(p))
    const t = track(ch)
    await t.subscribed
    await t.pgReady()
    const sid = await newSession(h)
    const ins = await h.sql.query("insert into public.session_assignments (session_id) values ($1) returning id", [sid])
    const id = ins.rows[0].id
    await h.sql.query("update public.session_assignments set status = 'cancelled' where id = $1", [id])
    await h.sql.query('delete from public.session_assignments where id = $1', [id])
    await waitFor('the DELETE', () => got.length >= 1)
    await sleep(150)
    expect(got.map((p) => p.eventType)).toEqual(['DELETE'])
    expect(got[0].old).toEqual({ id })
    await c.removeChannel(ch)
  })

  it('RLS runs against the row as it is at delivery time: a row deleted before the check yields no event', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Change[] = []
    const ch = c.channel('pg-rls-now').on('postgres_changes', { event: '*', schema: 'public', table: 'session_assignments' }, (p) => got.push(p))
    const t = track(ch)
    await t.subscribed
    await t.pgReady()
    const sid = await newSession(h)
    // Insert and delete in one transaction: both are seen only after commit, when the row is already gone, so
    // the INSERT fails its RLS check and only the (never RLS-checked) DELETE arrives.
    await h.sql.query(
      "with i as (insert into public.session_assignments (session_id) values ($1) returning id) select id from i",
      [sid],
    ).then((r) => h.sql.query(`begin; update public.session_assignments set status = 'queued' where id = '${r.rows[0].id}'; delete from public.session_assignments where id = '${r.rows[0].id}'; commit;`))
    await waitFor('the DELETE', () => got.find((p) => p.eventType === 'DELETE'))
    await sleep(100)
    // The UPDATE committed together with the DELETE fails its RLS check (row gone); the DELETE arrives. (The
    // INSERT races the delete, exactly like on the real server, so it is not asserted.)
    expect(got.map((p) => p.eventType)).not.toContain('UPDATE')
    expect(got.map((p) => p.eventType)).toContain('DELETE')
    await c.removeChannel(ch)
  })

  it('anon (no user token: the join falls back to the apikey, supabase/supabase-js#1553) sees nothing of session_assignments', async () => {
    const c = await h.client() // no user token: the join falls back to the anon apikey (supabase/supabase-js#1553)
    const got: Change[] = []
    const ch = c.channel('pg-anon').on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_assignments' }, (p) => got.push(p))
    const t = track(ch)
    await t.subscribed
    await t.pgReady()
    const sid = await newSession(h)
    await h.sql.query('insert into public.session_assignments (session_id) values ($1)', [sid])
    // The migrations grant anon nothing, so (as on Supabase) the change arrives as the 401 error with no data:
    // not one column of the row, not even its id.
    await waitFor('the 401 event', () => got.length >= 1)
    await sleep(200)
    expect(got).toHaveLength(1)
    expect(got[0]).toMatchObject({ table: 'session_assignments', eventType: 'INSERT', new: {}, errors: ['Error 401: Unauthorized'] })
    expect(JSON.stringify(got[0])).not.toContain(sid)
    await c.removeChannel(ch)
  })

  it('table not in the publication → system error, channel stays joined, nothing delivered', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Change[] = []
    const ch = c.channel('pg-unpublished').on('postgres_changes', { event: '*', schema: 'public', table: 'intakes' }, (p) => got.push(p))
    const t = track(ch)
    await t.subscribed
    const err = await waitFor('system error', () => t.system.find((s) => s.status === 'error'))
    expect(err.extension).toBe('postgres_changes')
    expect(String(err.message)).toMatch(/^Unable to subscribe to changes with given parameters\. Please check Realtime is enabled for the given connect parameters: \[event: \*, schema: public, table: intakes/)
    await h.sql.query("insert into public.intakes (name) values ('x')")
    await sleep(200)
    expect(got).toEqual([])
    expect(ch.state).toBe('joined')
    await c.removeChannel(ch)
  })

  it('bad filter column → system error', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const ch = c.channel('pg-badcol').on('postgres_changes', { event: '*', schema: 'public', table: 'session_assignments', filter: 'nope=eq.1' }, () => {})
    const t = track(ch)
    await t.subscribed
    const err = await waitFor('system error', () => t.system.find((s) => s.status === 'error'))
    expect(String(err.message)).toContain('filters: [{"nope", "eq", "1"}]')
    await c.removeChannel(ch)
  })

  it('only SELECTable columns are sent; old_record is the PK by default; no PK → 400; PK not selectable → 401', async () => {
    await h.sql.query(`
      create table public.rt_cols (id int primary key, visible text, secret text);
      revoke all on public.rt_cols from anon, authenticated;
      grant select (id, visible) on public.rt_cols to authenticated;
      create table public.rt_nopk (a int, b text);
      create table public.rt_hidden_pk (id int primary key, note text);
      revoke all on public.rt_hidden_pk from anon, authenticated;
      grant select (note) on public.rt_hidden_pk to authenticated;
      alter publication supabase_realtime add table public.rt_cols, public.rt_nopk, public.rt_hidden_pk;`)
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Change[] = []
    const ch = c
      .channel('pg-cols')
      .on('postgres_changes', { event: '*', schema: 'public', table: 'rt_cols' }, (p) => got.push(p))
      .on('postgres_changes', { event: '*', schema: 'public', table: 'rt_nopk' }, (p) => got.push(p))
      .on('postgres_changes', { event: '*', schema: 'public', table: 'rt_hidden_pk' }, (p) => got.push(p))
    const t = track(ch)
    await t.subscribed
    await t.pgReady()
    await h.sql.query("insert into public.rt_cols values (1, 'v', 's')")
    await h.sql.query("update public.rt_cols set visible = 'w', secret = 't' where id = 1")
    await h.sql.query("insert into public.rt_nopk values (1, 'x')")
    await h.sql.query("insert into public.rt_hidden_pk values (1, 'x')")
    await waitFor('4 events', () => got.length >= 4)
    expect(got[0].new).toEqual({ id: 1, visible: 'v' })
    expect(got[1].new).toEqual({ id: 1, visible: 'w' })
    expect(got[1].old).toEqual({ id: 1 })
    expect(got[2]).toMatchObject({ table: 'rt_nopk', eventType: 'INSERT', errors: ['Error 400: Bad Request, no primary key'] })
    expect(got[3]).toMatchObject({ table: 'rt_hidden_pk', eventType: 'INSERT', errors: ['Error 401: Unauthorized'] })
    await c.removeChannel(ch)
  })

  it('changes arrive in commit order, one frame per channel for overlapping bindings', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const a: Change[] = []
    const b: Change[] = []
    const ch = c
      .channel('pg-order')
      .on('postgres_changes', { event: '*', schema: 'public', table: 'feature_flags' }, (p) => a.push(p))
      .on('postgres_changes', { event: 'UPDATE', schema: 'public', table: 'feature_flags' }, (p) => b.push(p))
    const t = track(ch)
    await t.subscribed
    await t.pgReady()
    await h.sql.query("insert into public.feature_flags (key, enabled) values ('t_order', true) on conflict (key) do update set enabled = true")
    for (let i = 0; i < 10; i++) await h.sql.query('update public.feature_flags set enabled = $1 where key = $2', [i % 2 === 0, 't_order'])
    await waitFor('11 events', () => a.length >= 11)
    await waitFor('10 updates', () => b.length >= 10)
    expect(a.slice(1).map((p) => (p.new as Record<string, unknown>).enabled)).toEqual([true, false, true, false, true, false, true, false, true, false])
    await c.removeChannel(ch)
  })

  it('a 1 MiB+ row does not fail the writer and arrives with Error 413 and only small values', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Change[] = []
    const ch = c.channel('pg-big').on('postgres_changes', { event: '*', schema: 'public', table: 'feature_flags' }, (p) => got.push(p))
    const t = track(ch)
    await t.subscribed
    await t.pgReady()
    await h.sql.query("insert into public.feature_flags (key, enabled, description) values ('t_big', true, repeat('x', 1100000))")
    await h.sql.query("insert into public.feature_flags (key, enabled, description) values ('t_mid', true, repeat('y', 20000))")
    await waitFor('2 events', () => got.length >= 2)
    expect(got[0].errors).toEqual(['Error 413: Payload Too Large'])
    expect(got[0].new).toMatchObject({ key: 't_big', enabled: true })
    expect((got[0].new as Record<string, unknown>).description).toBeUndefined()
    expect(got[1].errors).toBeNull()
    expect(String((got[1].new as Record<string, unknown>).description).length).toBe(20000)
    await c.removeChannel(ch)
  })
})

describe('premature SUBSCRIBED (supabase/realtime-js#525)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ systemMessageDelayMs: 1200 })
  })
  afterAll(async () => {
    await h?.stop()
  })

  it('a commit between SUBSCRIBED and "Subscribed to PostgreSQL" is lost; later ones arrive', async () => {
    const me = await h.user()
    const c = await h.client({ token: me.token })
    const got: Change[] = []
    const ch = c.channel('pg-race').on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'feature_flags' }, (p) => got.push(p))
    const t = track(ch)
    await t.subscribed
    await h.sql.query("insert into public.feature_flags (key) values ('t_race_lost')")
    await t.pgReady()
    await h.sql.query("insert into public.feature_flags (key) values ('t_race_seen')")
    await waitFor('the later insert', () => got.length >= 1)
    await sleep(100)
    expect(got.map((p) => (p.new as Record<string, unknown>).key)).toEqual(['t_race_seen'])
    await c.removeChannel(ch)
  })
})
