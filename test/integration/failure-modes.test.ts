// Failure modes, end to end, as a mechanic sees them: rang once (with details, or basic then enriched in
// place), retracted when taken, the state and its reason shown. Each test names the failure it proves —
// the old dashboard's post-mortem (silent fetch failures, a bypassed flag check, a deprecated broadcast still
// sent) or a known Supabase Realtime failure (the GitHub issue is named where there is one). Real backend, real supabase-js, real SQLite; faults from the
// backend's knobs (test/backend/README.md).
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import type { RequestRow } from '../backend/simulate.js'
import type { LinkState } from '../../src/shared/types.js'
import { backend, createRequest, engineSuite, inTransaction, sleep, startEngine, until, waitForState, type TestEngine, onFallback, dropShopPolicy, restoreShopPolicy } from './helpers.js'

let b: Backend
const { live, running } = engineSuite({
  started: (x) => (b = x),
  // Every test starts with an empty queue (no startup backlog from the previous one).
  afterEach: (x) => x.sql.query(`update public.session_assignments set status = 'cancelled' where status = 'queued'`),
})

function itemOf(t: TestEngine, id: string) {
  return t.engine.snapshot().queue.find((q) => q.requestId === id)
}

/** How many first alerts (single or summary) covered this request — repeats and health alerts excluded. */
function rings(t: TestEngine, id: string): number {
  return t.sink.alerts.filter((a) => (a.kind === 'request' || a.kind === 'summary') && (a.requestId === id || a.summaryOf?.includes(id))).length
}

/** Repeat alerts (single or grouped) that covered this request. */
function repeats(t: TestEngine, id: string): number {
  return t.sink.alerts.filter((a) => a.kind === 'repeat' && (a.requestId === id || a.summaryOf?.includes(id))).length
}

function counter(t: TestEngine, name: string): number {
  return t.engine.snapshot().health.counters[name] ?? 0
}

/** Every state the engine shows from now on. */
function recordStates(t: TestEngine): LinkState[] {
  const seen: LinkState[] = []
  t.engine.on('state', (s) => seen.push(s))
  return seen
}

/** Characters a notification line must never carry: C0/C1 controls, bidi overrides/isolates/marks, invisibles. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/

const ROW_SQL = `select a.id, a.session_id, a.status, a.mechanic_id, a.queued_at, a.created_at, a.updated_at,
  s.type as session_type, s.intake_id, i.name as customer_name, i.concern, i.vehicle_make, i.vehicle_model, i.vehicle_year
  from public.session_assignments a left join public.sessions s on s.id = a.session_id left join public.intakes i on i.id = s.intake_id
  where a.id = $1`
const jsonRow = (r: Record<string, unknown>): RequestRow => JSON.parse(JSON.stringify(r, (_k, v) => (v instanceof Date ? v.toISOString() : v))) as RequestRow

/** The legacy `session_requests_feed` broadcast, with any event and any payload (Realtime's HTTP broadcast endpoint,
 * POST /realtime/v1/api/broadcast: https://supabase.com/docs/guides/realtime/broadcast). Returns the HTTP status. */
async function legacyBroadcast(messages: { event: string; payload: unknown }[]): Promise<number> {
  const res = await fetch(`${b.url}/realtime/v1/api/broadcast?apikey=${encodeURIComponent(b.serviceRoleKey)}&vsn=2.0.0`, {
    method: 'POST',
    headers: { apikey: b.serviceRoleKey, Authorization: `Bearer ${b.serviceRoleKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: messages.map((m) => ({ topic: 'session_requests_feed', event: m.event, payload: m.payload, private: false })) }),
    signal: AbortSignal.timeout(10_000),
  })
  await res.arrayBuffer()
  return res.status
}

/** N requests (intake + session + queued assignment each) committed in ONE transaction. */
async function createBurst(n: number): Promise<string[]> {
  const ids: string[] = []
  await inTransaction(b, async (c) => {
    for (let i = 0; i < n; i++) {
      const id = randomUUID()
      const sessionId = randomUUID()
      const intakeId = randomUUID()
      await c.query(`insert into public.intakes (id, name, concern, vehicle_make, vehicle_model, vehicle_year) values ($1, $2, 'Burst', 'Ford', 'Focus', 2015)`, [intakeId, `Burst ${i}`])
      await c.query(`insert into public.sessions (id, type, intake_id) values ($1, 'diagnostic', $2)`, [sessionId, intakeId])
      await c.query(`insert into public.session_assignments (id, session_id, status) values ($1, $2, 'queued')`, [id, sessionId])
      ids.push(id)
    }
  })
  return ids
}

const INTAKE_POLICY = `"mechanics read intakes behind visible assignments"`

describe('details not readable yet (post-mortem Issue 2: "event before the data was readable")', () => {
  it('the intake is linked in a later transaction: rings at once, basic, then enriched in place — once', async () => {
    const t = await live()
    const id = randomUUID()
    const sessionId = randomUUID()
    // The shop backend writes in steps: session + queued assignment first, the intake afterwards.
    await b.sql.query(`insert into public.sessions (id, type, intake_id) values ($1, 'video', null)`, [sessionId])
    const t0 = Date.now()
    await b.sql.query(`insert into public.session_assignments (id, session_id, status) values ($1, $2, 'queued')`, [id, sessionId])
    await until(() => t.sink.rung().includes(id), 2000, 'ring without details')
    const a = t.sink.alerts.find((x) => x.requestId === id)!
    expect(a.at - t0).toBeLessThan(1500)
    expect(a.detail).toBe('basic')
    expect(a.title).toBe('New request: A customer')
    expect(itemOf(t, id)?.detail).toBe('basic')

    // Second transaction: the intake becomes readable. No event on session_assignments says so.
    const intakeId = randomUUID()
    const c = await b.sql.connect()
    try {
      await c.query('begin')
      await c.query(`insert into public.intakes (id, name, concern, vehicle_make, vehicle_model, vehicle_year) values ($1, 'Late Larry', 'Squeaky belt', 'Mazda', 'CX-5', 2020)`, [intakeId])
      await c.query(`update public.sessions set intake_id = $2 where id = $1`, [sessionId, intakeId])
      await c.query('commit')
    } finally {
      c.release()
    }
    await until(() => itemOf(t, id)?.detail === 'full', 10_000, 'enriched in place')
    const item = itemOf(t, id)!
    expect(item.details).toMatchObject({ customerName: 'Late Larry', concern: 'Squeaky belt', vehicle: '2020 Mazda CX-5' })
    expect(rings(t, id)).toBe(1) // enrichment never rings again
    expect(t.engine.feed!.stats.enrichedLater + counter(t, 'reconcile:enriched')).toBeGreaterThanOrEqual(1)
  })

  it('RLS hides the intake for a while: basic at once, enriched when the read is allowed again', async () => {
    const t = await live()
    await onFallback(t)
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 1 }) // the db-broadcast would bring the details
    await b.sql.query(`alter policy ${INTAKE_POLICY} on public.intakes using (false)`)
    let restored = false
    const restore = () =>
      b.sql.query(`alter policy ${INTAKE_POLICY} on public.intakes using (
        public.is_mechanic() and exists (select 1 from public.sessions s join public.session_assignments a on a.session_id = s.id
          where s.intake_id = intakes.id and (a.status = 'queued' or a.mechanic_id = auth.uid())))`)
    try {
      const r = await createRequest(b, { name: 'Hidden Then Shown', concern: 'Wobble' })
      await until(() => t.sink.rung().includes(r.id), 2000, 'basic ring')
      expect(t.sink.alerts.find((x) => x.requestId === r.id)!.detail).toBe('basic')
      await restore()
      restored = true
      await until(() => itemOf(t, r.id)?.detail === 'full', 10_000, 'enriched after the policy is back')
      expect(itemOf(t, r.id)!.details.customerName).toBe('Hidden Then Shown')
      expect(rings(t, r.id)).toBe(1)
    } finally {
      if (!restored) await restore()
    }
  })
})

describe('database load (post-mortem Issue 2: "Database Load")', () => {
  it('40 requests committed in one transaction: each queued once, each covered by exactly one alert', async () => {
    const t = await live()
    b.faults.restLatency({ ms: 400, durationMs: 3000 }) // a loaded database answers slowly too
    const ids = await createBurst(40)
    await until(() => ids.every((id) => !!itemOf(t, id)), 8000, 'all 40 in the local queue')
    await until(() => ids.every((id) => rings(t, id) >= 1), 8000, 'all 40 covered by an alert')
    await t.engine.feed!.idle()
    t.engine.feed!.reconcile('manual') // and a read of the whole queue changes nothing
    await t.engine.feed!.idle()
    await sleep(400) // > burst window: anything held would have rung by now
    const queue = t.engine.snapshot().queue.map((q) => q.requestId)
    expect(queue.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort())
    expect(new Set(queue).size).toBe(queue.length)
    for (const id of ids) expect(rings(t, id)).toBe(1)
    const alerted = Object.entries(t.engine.snapshot().health.counters)
      .filter(([k]) => k.endsWith(':alerted'))
      .reduce((n, [, v]) => n + v, 0)
    expect(alerted).toBe(40) // enqueued once each, whichever path was first
    const alerts = t.sink.alerts.filter((a) => a.kind === 'request' || a.kind === 'summary')
    console.log(`40 at once: ${alerts.length} alerts (${alerts.map((a) => (a.kind === 'summary' ? `summary of ${a.summaryOf!.length}` : 'single')).join(', ')})`)
    expect(alerts.length).toBeLessThan(40) // coalesced, not 40 toasts
  })
})

describe('bad input on every path (post-mortem Issues 4 and 5)', () => {
  it('hostile, malformed and oversized events: rejected with reasons, hostile text made safe, the engine stays live', async () => {
    const t = await live()
    // The public hint topic and postgres_changes are joined only on the fallback.
    await onFallback(t)
    const errors: unknown[] = []
    t.engine.on('error', (e) => errors.push(e))
    const hostileName = '<img src=x onerror=alert(1)>\u202Egnp.exe\u0007\u001b[2J Eve\u200f'
    const hugeConcern = '\u202E' + 'A'.repeat(1_000_000) + '<script>alert(1)</script>\u0085'
    const checkSafe = (id: string) => {
      const alert = t.sink.alerts.find((x) => x.requestId === id)!
      const item = itemOf(t, id)!
      for (const s of [alert.title, alert.body, item.details.customerName ?? '', item.details.concern ?? '', item.details.vehicle ?? '']) expect(s).not.toMatch(UNSAFE)
      expect(alert.title).toContain('<img src=x onerror=alert(1)>') // shown as text, not interpreted
      expect(Array.from(item.details.concern ?? '').length).toBeLessThanOrEqual(280)
      expect(item.details.concern).toMatch(/^A+…$/)
      expect(alert.body.length).toBeLessThanOrEqual(400)
      expect(alert.title.length).toBeLessThanOrEqual(120)
    }

    // A. Legacy path first, UPPER-case event name, 1 MB concern — sent before the shop's transaction commits.
    //    The public topic is only a hint: the read it triggers sees nothing committed, so nothing rings
    //    until the server confirms the request (private broadcast / postgres_changes after the commit).
    const legacyId = await inTransaction(b, async (c) => {
      const i = await c.query<{ id: string }>(`insert into public.intakes (name, concern, vehicle_make, vehicle_model, vehicle_year) values ($1, $2, 'Tesla\u202E', 'Model 3', 2022) returning id`, [hostileName, hugeConcern])
      const s = await c.query<{ id: string }>(`insert into public.sessions (type, intake_id) values ('chat', $1) returning id`, [i.rows[0]!.id])
      const a = await c.query<{ id: string }>(`insert into public.session_assignments (session_id, status) values ($1, 'queued') returning id`, [s.rows[0]!.id])
      const id = a.rows[0]!.id
      const row = jsonRow((await c.query(ROW_SQL, [id])).rows[0])
      expect(await legacyBroadcast([{ event: 'NEW_REQUEST', payload: { request: row } }])).toBe(202)
      await until(() => counter(t, 'hint:read') >= 1, 3000, 'the hint makes the engine read the queue')
      await t.engine.feed!.idle()
      expect(t.sink.rung()).not.toContain(id)
      expect(itemOf(t, id)).toBeUndefined()
      return id
    })
    await until(() => t.sink.rung().includes(legacyId), 3000, 'rings once the server confirms it')
    expect(itemOf(t, legacyId)?.firstSource).not.toBe('broadcast')
    checkSafe(legacyId)
    // The commit's db-broadcast and postgres_changes: one rang, the other is a duplicate.
    await until(() => counter(t, 'db-broadcast:duplicate') + counter(t, 'postgres_changes:duplicate') >= 1, 3000, 'the other path deduplicated')
    expect(rings(t, legacyId)).toBe(1)

    // B. postgres_changes + details RPC, then reconcile: the same hostile intake through the database.
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 1 })
    const r = await createRequest(b, { name: hostileName, concern: hugeConcern, make: 'Lada\u0007' })
    await until(() => t.sink.rung().includes(r.id), 3000, 'hostile request rings via postgres_changes')
    expect(itemOf(t, r.id)?.firstSource).toBe('postgres_changes')
    await until(() => itemOf(t, r.id)?.detail === 'full', 5000, 'details')
    checkSafe(r.id)
    t.engine.feed!.reconcile('manual')
    await t.engine.feed!.idle()
    expect(rings(t, r.id)).toBe(1)
    expect(counter(t, 'reconcile:rejected')).toBe(0)

    // C. Malformed / hostile legacy broadcasts: every one rejected with a reason.
    const uuid = randomUUID()
    const rejectedBefore = counter(t, 'broadcast:rejected')
    const garbage: { event: string; payload: unknown }[] = [
      { event: 'new_request', payload: {} }, // missing request
      { event: 'new_request', payload: { request: 'just a string' } },
      { event: 'new_request', payload: { request: null } },
      { event: 'new_request', payload: { request: { id: 42, status: 'queued' } } },
      { event: 'new_request', payload: { request: { id: { $ne: null }, status: 'queued' } } },
      { event: 'new_request', payload: { request: { id: '<img src=x onerror=alert(1)>', status: 'queued' } } },
      { event: 'new_request', payload: { request: { id: `${uuid}\u202E`, status: 'queued' } } },
      { event: 'new_request', payload: { request: { id: uuid, status: 'queued', queued_at: 'yesterday' } } },
      { event: 'new_request', payload: { request: { id: uuid, status: 7 } } },
      { event: 'new_request', payload: { request: { id: uuid, status: 'accepted' } } }, // "new" but not queued
      { event: 'new_request', payload: [1, 2, 3] },
      { event: 'request_accepted', payload: { request: { id: ['x'] } } },
      { event: 'drop_table_requests', payload: { request: { id: uuid, status: 'queued' } } }, // unknown event
      { event: 'new_request\u0000\u202E', payload: { request: { id: uuid, status: 'queued' } } },
    ]
    expect(await legacyBroadcast(garbage)).toBe(202)
    expect(await legacyBroadcast([{ event: 'new_request', payload: { request: { concern: 'x'.repeat(1_000_000), customer_name: hostileName } } }])).toBe(202) // 1 MB, no id
    const nLegacy = garbage.length + 1
    await until(() => counter(t, 'broadcast:rejected') - rejectedBefore >= nLegacy, 5000, `${nLegacy} legacy rejections`)

    // D. Malformed database broadcasts on the private topic (superuser realtime.send).
    const dbBefore = counter(t, 'db-broadcast:rejected')
    const dbGarbage: [unknown, string][] = [
      [{}, 'new_request'],
      [{ request: 'x' }, 'new_request'],
      [{ request: { id: 42 } }, 'new_request'],
      [{ request: { id: 'not a valid id!' } }, 'request_removed'],
      [{ request: { id: uuid, status: 'cancelled' } }, 'new_request'],
      [{ request: { id: uuid, status: 'queued' } }, 'totally_unknown'],
    ]
    for (const [payload, event] of dbGarbage) await b.sql.query(`select realtime.send($1::jsonb, $2, 'shop:requests', true)`, [JSON.stringify(payload), event])
    await until(() => counter(t, 'db-broadcast:rejected') - dbBefore >= dbGarbage.length, 5000, `${dbGarbage.length} db-broadcast rejections`)
    await sleep(200)
    expect(counter(t, 'broadcast:rejected') - rejectedBefore).toBe(nLegacy)
    expect(counter(t, 'db-broadcast:rejected') - dbBefore).toBe(dbGarbage.length)
    const rejected = t.engine.core!.store.recentEvents(500).filter((e) => e.outcome === 'rejected')
    expect(rejected.length).toBeGreaterThanOrEqual(nLegacy + dbGarbage.length)
    for (const e of rejected) expect(e.reason && e.reason.length > 0 && !UNSAFE.test(e.reason)).toBe(true)
    const reasons = rejected.map((e) => e.reason).join('\n')
    for (const re of [/no "request" object/, /request is a string|string, not an object/, /id is a number/, /not a uuid/, /unknown broadcast event/, /not a timestamp/, /not queued/, /not an object/, /has no id/]) {
      expect(reasons).toMatch(re)
    }
    // None of it rang, and none of it reached the queue.
    expect(t.sink.rung()).not.toContain(uuid)
    expect(itemOf(t, uuid)).toBeUndefined()

    // E. Valid event names in other spellings are heard (post-mortem Issue 4) — as hints: mixed-case cancel and camelCase new.
    const hintsBefore = counter(t, 'broadcast:hint')
    await b.sql.query(`update public.session_assignments set status = 'cancelled' where id = $1`, [legacyId])
    const cancelledRow = jsonRow((await b.sql.query(ROW_SQL, [legacyId])).rows[0])
    const bRow = jsonRow((await b.sql.query(ROW_SQL, [r.id])).rows[0])
    expect(await legacyBroadcast([{ event: 'Request-CANCELLED', payload: { request: cancelledRow } }, { event: 'newRequest', payload: { request: bRow } }])).toBe(202)
    await until(() => counter(t, 'broadcast:hint') - hintsBefore >= 2, 3000, 'mixed-case events heard as hints')
    await until(() => !itemOf(t, legacyId) && t.sink.retracts.includes(legacyId), 3000, 'cancelled request retracted')
    expect(counter(t, 'broadcast:rejected') - rejectedBefore).toBe(nLegacy)

    // F. Still receiving on the fallback, nothing crashed, and a valid request still rings once with its details.
    expect(t.engine.snapshot().link.reason).toMatch(/^Receiving requests through postgres_changes/)
    const ok = await createRequest(b, { name: 'After The Storm' })
    await until(() => t.sink.rung().includes(ok.id), 2000, 'valid request rings after the garbage')
    expect(t.sink.alerts.find((x) => x.requestId === ok.id)!.title).toBe('New request: After The Storm')
    expect(rings(t, ok.id)).toBe(1)
    expect(rings(t, r.id)).toBe(1)
    expect(errors).toEqual([])
    expect(t.log.lines.filter((l) => / error /.test(l))).toEqual([])
  })
})

describe('events lost with no replay (postgres_changes, supabase/realtime#570)', () => {
  it('both postgres_changes and broadcast dropped for a request: the safety reconcile finds it and rings once', async () => {
    const t = await live({ config: { safetyReconcileMs: 1500 } })
    b.faults.realtimeMessages({ kind: 'postgres_changes', action: 'drop', count: 1 })
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 1 })
    const t0 = Date.now()
    const r = await createRequest(b, { name: 'Lost In Transit' })
    await until(() => t.sink.rung().includes(r.id), 5000, 'found by the safety reconcile')
    console.log(`no event delivered: rung by the safety reconcile after ${Date.now() - t0} ms`)
    const item = itemOf(t, r.id)!
    expect(item.firstSource).toBe('reconcile')
    expect(item.detail).toBe('full')
    expect(t.sink.alerts.find((x) => x.requestId === r.id)!.title).toBe('New request: Lost In Transit')
    // The next queue change moves the server's queue version, and the check-in reads the queue again: still one ring.
    const runs = counter(t, 'reconcile:duplicate')
    await createRequest(b, { name: 'Next Change' })
    await until(() => counter(t, 'reconcile:duplicate') > runs, 4000, 'next reconcile')
    expect(rings(t, r.id)).toBe(1)
  })
})

describe('DELETE semantics (old record is the primary key only, supabase/realtime#397)', () => {
  it('deleting a queued assignment retracts it; the DELETE carries only the primary key; an unknown PK is a no-op', async () => {
    const t = await live()
    await onFallback(t)
    const deletes: unknown[] = []
    t.engine.link!.on('postgresChange', (table, msg) => {
      if (table === 'session_assignments' && (msg as { eventType?: string }).eventType === 'DELETE') deletes.push(msg)
    })
    const r = await createRequest(b, { name: 'To Be Deleted' })
    await until(() => t.sink.rung().includes(r.id), 2000, 'ring')
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 1 }) // only postgres_changes may remove it
    await b.sql.query('delete from public.session_assignments where id = $1', [r.id])
    await until(() => !itemOf(t, r.id) && t.sink.retracts.includes(r.id), 3000, 'retracted on DELETE')
    expect(deletes).toHaveLength(1)
    expect(Object.keys((deletes[0] as { old: object }).old)).toEqual(['id'])
    expect(counter(t, 'postgres_changes:removed')).toBe(1)

    // A DELETE of a row this workstation never queued: no retract, no ring, no error.
    const other = await createRequest(b, { status: 'accepted' })
    const retracts = t.sink.retracts.length
    await b.sql.query('delete from public.session_assignments where id = $1', [other.id])
    await until(() => deletes.length === 2, 3000, 'second DELETE delivered')
    await t.engine.feed!.idle()
    expect(t.sink.retracts.length).toBe(retracts)
    expect(t.sink.rung()).not.toContain(other.id)
    expect(t.engine.snapshot().link.reason).toMatch(/^Receiving requests through postgres_changes/)
  })
})

describe('private channel refused by RLS (supabase/supabase#35195)', () => {
  it('no realtime.messages read policy: degraded with a reason naming shop:requests; requests still ring via postgres_changes', async () => {
    await dropShopPolicy(b)
    let restored = false
    const restore = () => restoreShopPolicy(b)
    try {
      const t = await startEngine(b)
      running.push(t)
      await waitForState(t.engine, 'degraded', 15_000, /shop:requests/)
      const s = t.engine.snapshot().link
      console.log(`shown: ${s.state} — ${s.reason}`)
      expect(s.reason).toMatch(/refused channel shop:requests/)
      expect(s.reason).toMatch(/permission|Unauthorized/i)
      // A refusal is a configuration fact, not a blip: the engine stays on the fallback on this socket and
      // tries the private channel by a slow probe (30 s on), instead of rebuilding the link (and reading the
      // queue again) on every reconnect backoff step — 1 s, 2 s, … for every workstation of the shop.
      const rebuilds = t.engine.link!.stats.rebuilds
      await waitForState(t.engine, 'degraded', 15_000, /^Receiving requests through postgres_changes/)
      await sleep(4500)
      expect(t.engine.link!.stats.rebuilds).toBe(rebuilds)
      expect(t.engine.snapshot().link.reason).toMatch(/^Receiving requests through postgres_changes/)
      await t.engine.feed!.idle()
      const r = await createRequest(b, { name: 'Through The Side Door' })
      await until(() => t.sink.rung().includes(r.id), 3000, 'ring without the private channel')
      const item = itemOf(t, r.id)!
      console.log(`first source without shop:requests: ${item.firstSource}`)
      expect(['postgres_changes', 'reconcile']).toContain(item.firstSource)
      expect(item.detail).toBe('full')
      expect(rings(t, r.id)).toBe(1)
      // The policy is fixed: "reconnect now" brings it back to live.
      await restore()
      restored = true
      await t.engine.reconnectNow()
      await waitForState(t.engine, 'live', 10_000)
    } finally {
      if (!restored) await restore()
    }
  })
})

describe('auth outage (GoTrue 500 on refresh)', () => {
  it('short-lived tokens and a refresh outage: the session is kept, and once GoTrue is back the link is live and requests ring', async () => {
    const b2 = await backend({ tokenLifetimeSec: 3 })
    try {
      const t = await live({}, b2)
      const states = recordStates(t)
      const closes = t.engine.link!.stats.serverCloses
      const t0 = Date.now()
      b2.faults.authErrors({ status: 500, grant: 'refresh_token', durationMs: 5000 })
      // The token expires during the outage: realtime closes the channels, the refresh is refused.
      await until(() => t.engine.link!.stats.serverCloses > closes, 8000, 'the server closes the channels on expiry')
      await until(() => t.log.has(/token refresh refused.*500/), 5000, 'refresh refused with 500')
      expect(t.engine.snapshot().link.state).not.toBe('live')
      await until(() => Date.now() - t0 > 5000, 6000, 'the outage ends')
      await waitForState(t.engine, 'live', 30_000)
      console.log(`auth outage: live again ${Date.now() - t0 - 5000} ms after GoTrue recovered; shown meanwhile: ${[...new Set(states.map((s) => `${s.state} (${s.reason})`))].join(' | ')}`)
      expect(states.some((s) => s.state === 'signed-out')).toBe(false)
      expect(t.engine.snapshot().user).toBe(b2.demoUsers[0]!.email)
      for (const s of states) expect(s.reason.length).toBeGreaterThan(0)
      const r = await createRequest(b2, { name: 'After The Outage' })
      await until(() => t.sink.rung().includes(r.id), 3000, 'ring after the outage')
      expect(rings(t, r.id)).toBe(1)
    } finally {
      for (const t of running.splice(0)) await t.stop()
      await b2.stop()
    }
  }, 60_000)
})

describe('stale JWT after wake (supabase/supabase-js#2613)', () => {
  it('expired tokens + resume: refreshes first, live again within seconds, no InvalidJWTToken rejoin loop', async () => {
    const t = await live()
    const states = recordStates(t)
    const errorsBefore = t.engine.link!.stats.channelErrors
    const t0 = Date.now()
    b.faults.expireTokens()
    t.engine.notifyResume()
    await sleep(50)
    await waitForState(t.engine, 'live', 5000)
    console.log(`expired tokens + resume: live again after ${Date.now() - t0} ms`)
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(t.engine.link!.stats.channelErrors - errorsBefore).toBeLessThanOrEqual(1)
    expect(t.log.lines.filter((l) => /join refused.*(InvalidJWTToken|expired)/i.test(l))).toEqual([])
    expect(states.some((s) => s.state === 'signed-out')).toBe(false)
    const r = await createRequest(b, { name: 'Good Morning' })
    await until(() => t.sink.rung().includes(r.id), 3000, 'ring after resume')
    await sleep(1500) // no late rejoin loop knocks it over
    expect(t.engine.snapshot().link.state).toBe('live')
    expect(rings(t, r.id)).toBe(1)
  })
})

describe('channel crash (phx_error)', () => {
  it('phx_error on the channel: it rejoins, live again, a request committed meanwhile rings once', async () => {
    const t = await live()
    const faults = b.realtime!.faults
    expect(faults.crashChannels, 'the backend can crash channels').toBeTypeOf('function')
    const errorsBefore = t.engine.link!.stats.channelErrors
    faults.crashChannels!()
    const r = await createRequest(b, { name: 'During The Crash' })
    await until(() => t.engine.link!.stats.channelErrors > errorsBefore, 3000, 'CHANNEL_ERROR seen')
    await waitForState(t.engine, 'live', 10_000)
    await until(() => t.sink.rung().includes(r.id), 3000, 'ring after the rejoin')
    const r2 = await createRequest(b, { name: 'After The Crash' })
    await until(() => t.sink.rung().includes(r2.id), 2000, 'ring on the rejoined channels')
    expect(itemOf(t, r2.id)!.firstSource).not.toBe('reconcile')
    expect(rings(t, r.id)).toBe(1)
    expect(rings(t, r2.id)).toBe(1)
    expect(t.engine.link!.channelCount).toBe(1)
  })
})

describe('repeat until acknowledged, accept, retract (design: alert pipeline)', () => {
  it('repeats until acknowledged; accept removes it here and retracts it on the other workstation', async () => {
    const every = 800
    const a = await live({ user: 0, config: { repeatIntervalMs: every } })
    const o = await live({ user: 1, config: { repeatIntervalMs: every } })
    const r = await createRequest(b, { name: 'Waiting Wanda' })
    await until(() => a.sink.rung().includes(r.id) && o.sink.rung().includes(r.id), 2000, 'both ring')
    await until(() => repeats(a, r.id) >= 1, every * 3, 'a repeat on A')
    expect(a.sink.alerts.find((x) => x.kind === 'repeat' && x.requestId === r.id)!.title).toMatch(/^Still waiting.*Waiting Wanda/)

    await a.engine.acknowledge(r.id)
    expect(a.sink.retracts).toContain(r.id)
    expect(itemOf(a, r.id)).toMatchObject({ acknowledged: true }) // still in the queue, just quiet
    const ackedAt = repeats(a, r.id)
    const oBefore = repeats(o, r.id)
    await until(() => repeats(o, r.id) >= oBefore + 2, every * 5, 'two more repeats on the other workstation')
    expect(repeats(a, r.id)).toBe(ackedAt) // acknowledged: no more repeats here

    expect(await a.engine.accept(r.id)).toEqual({ ok: true })
    await until(() => !itemOf(a, r.id), 3000, 'gone from A')
    await until(() => !itemOf(o, r.id) && o.sink.retracts.includes(r.id), 3000, 'retracted on the other workstation')
    const oAfter = repeats(o, r.id)
    // Use a new request's first repeat as the clock: by then a stale r would have repeated again too.
    const next = await createRequest(b)
    await until(() => repeats(o, next.id) >= 1, every * 4, 'a repeat for the next request')
    expect(repeats(o, r.id)).toBe(oAfter)
    expect(rings(a, r.id)).toBe(1)
    expect(rings(o, r.id)).toBe(1)
  })
})
