// Delivery: the trusted paths (the legacy public topic only hints), dedup across sources, retraction, details failures, flags, sink isolation.
// Real backend + real supabase-js + real SQLite; faults from the backend's injection knobs.
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { simulateRequests } from '../backend/simulate.js'
import { createRequest, engineSuite, RecordingSink, setFlag, setStatus, sleep, until, type TestEngine, onFallback } from './helpers.js'

let b: Backend
const { live } = engineSuite({ started: (x) => (b = x) })

function itemOf(t: TestEngine, id: string) {
  return t.engine.snapshot().queue.find((q) => q.requestId === id)
}

describe('a queued request', () => {
  it('rings once within a second with full details via the broadcast path alone', async () => {
    const t = await live()
    // postgres_changes lost (e.g. a commit between the join reply and "Subscribed to PostgreSQL"): the
    // db-broadcast alone must do it.
    b.faults.realtimeMessages({ kind: 'postgres_changes', action: 'drop', count: 10 })
    const t0 = Date.now()
    const r = await createRequest(b, { name: 'Broadcast Only' })
    await until(() => t.sink.rung().includes(r.id), 2000, 'ring')
    const a = t.sink.alerts.find((x) => x.requestId === r.id)!
    console.log(`broadcast path: insert→alert ${a.at - t0} ms, commit→alert ${a.latencyMs} ms`)
    expect(a.at - t0).toBeLessThan(1000)
    expect(a.detail).toBe('full')
    expect(a.title).toContain('Broadcast Only')
    expect(itemOf(t, r.id)?.firstSource).toBe('db-broadcast')
    await sleep(300)
    expect(t.sink.rung().filter((x) => x === r.id)).toHaveLength(1)
  })

  it('rings once within a second with full details via postgres_changes alone (details fetched in one round trip)', async () => {
    const t = await live()
    await onFallback(t)
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 10 })
    const t0 = Date.now()
    const r = await createRequest(b, { name: 'Changes Only', concern: 'Rattle at 60 mph' })
    await until(() => t.sink.rung().includes(r.id), 2000, 'ring')
    const a = t.sink.alerts.find((x) => x.requestId === r.id)!
    console.log(`postgres_changes path (+ request_details RPC): insert→alert ${a.at - t0} ms, commit→alert ${a.latencyMs} ms`)
    expect(a.at - t0).toBeLessThan(1000)
    expect(a.detail).toBe('full')
    expect(a.body).toContain('Rattle at 60 mph')
    expect(itemOf(t, r.id)?.firstSource).toBe('postgres_changes')
    expect(t.engine.feed!.details.stats.rpcCalls).toBe(1)
  })

  it('rings once when broadcast, postgres_changes (duplicated) and reconcile all deliver it', async () => {
    const t = await live()
    await onFallback(t)
    b.faults.realtimeMessages({ kind: 'postgres_changes', action: 'duplicate', count: 4 })
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'duplicate', count: 4 })
    const r = await createRequest(b, { name: 'Many Paths' })
    await until(() => t.sink.rung().includes(r.id), 2000, 'ring')
    t.engine.feed!.reconcile('manual')
    await sleep(500)
    await t.engine.feed!.idle()
    expect(t.sink.rung().filter((x) => x === r.id)).toHaveLength(1)
    const c = t.engine.snapshot().health.counters
    const dups = (c['postgres_changes:duplicate'] ?? 0) + (c['db-broadcast:duplicate'] ?? 0) + (c['reconcile:duplicate'] ?? 0)
    expect(dups).toBeGreaterThanOrEqual(2)
  })

  it('the shop backend\'s legacy session_requests_feed broadcast is heard as a hint only: each request rings once from a trusted path, and costs no extra read', async () => {
    const t = await live()
    await onFallback(t) // the public topic is joined only on the fallback
    const rows = await simulateRequests({ url: b.url, serviceKey: b.serviceRoleKey, sql: b.sql, log: () => {} }, { count: 3, intervalMs: 1200 })
    await until(() => rows.every((r) => t.sink.rung().includes(r.id)), 3000, 'all ring')
    const c = () => t.engine.snapshot().health.counters
    await until(() => (c()['broadcast:hint'] ?? 0) >= 3, 3000, 'every legacy message heard as a hint')
    await sleep(500) // longer than the hint debounce: its decision has been taken
    for (const r of rows) {
      expect(t.sink.rung().filter((x) => x === r.id)).toHaveLength(1)
      expect(itemOf(t, r.id)?.firstSource).not.toBe('broadcast')
    }
    expect(c()['broadcast:alerted'] ?? 0).toBe(0)
    expect(c()['broadcast:rejected'] ?? 0).toBe(0)
    // The trusted paths had already brought each request, so no hint needed a read.
    expect(c()['hint:read'] ?? 0).toBe(0)
    expect(c()['hint:unneeded'] ?? 0).toBeGreaterThanOrEqual(1)
  })

  it('is retracted when another mechanic accepts it, and that mechanic is told it is taken', async () => {
    const a = await live({ user: 0 })
    const other = await live({ user: 1 })
    const why: string[] = []
    a.engine.on('retract', (e) => why.push(`${e.requestId === r.id ? 'r' : e.requestId} ${e.why}`))
    const r = await createRequest(b)
    await until(() => a.sink.rung().includes(r.id) && other.sink.rung().includes(r.id), 2000, 'both ring')
    expect(await other.engine.accept(r.id)).toEqual({ ok: true })
    await until(() => a.sink.retracts.includes(r.id) && !itemOf(a, r.id), 2000, 'retract on A')
    expect(why).toEqual(['r taken'])
    const second = await a.engine.accept(r.id)
    expect(second).toMatchObject({ ok: false, reason: 'already-taken' })
  })

  it('a cancel (status change) removes it from the queue', async () => {
    const t = await live()
    const why: string[] = []
    t.engine.on('retract', (e) => why.push(e.why))
    const r = await createRequest(b)
    await until(() => !!itemOf(t, r.id), 2000, 'queued')
    await setStatus(b, r.id, 'cancelled')
    await until(() => !itemOf(t, r.id) && t.sink.retracts.includes(r.id), 2000, 'removed')
    expect(why).toEqual(['cancelled'])
  })
})

describe('details that cannot be had', () => {
  it('REST errors: a basic alert at once, enriched when the details come', async () => {
    const t = await live()
    await onFallback(t)
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 10 })
    b.faults.restErrors({ status: 503, count: 2, path: '/rpc/request_details' })
    const t0 = Date.now()
    const r = await createRequest(b, { name: 'Slow Details' })
    await until(() => t.sink.rung().includes(r.id), 2000, 'ring')
    const a = t.sink.alerts.find((x) => x.requestId === r.id)!
    expect(a.at - t0).toBeLessThan(1000)
    expect(a.detail).toBe('basic')
    expect(t.log.has(/alerting without details.*503/)).toBe(true)
    await until(() => itemOf(t, r.id)?.detail === 'full', 10_000, 'enriched')
    expect(itemOf(t, r.id)?.details.customerName).toBe('Slow Details')
    expect(t.sink.rung().filter((x) => x === r.id)).toHaveLength(1) // enrichment does not ring again
  })

  it('REST latency: the basic alert does not wait for a slow details read', async () => {
    const t = await live({ tuning: { firstWaitMs: 400 } })
    await onFallback(t)
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 10 })
    b.faults.restLatency({ ms: 1500, durationMs: 1200 })
    const t0 = Date.now()
    const r = await createRequest(b, { name: 'Latent' })
    await until(() => t.sink.rung().includes(r.id), 2000, 'ring')
    expect(t.sink.alerts.find((x) => x.requestId === r.id)!.at - t0).toBeLessThan(1000)
    await until(() => itemOf(t, r.id)?.detail === 'full', 10_000, 'enriched')
  })

  it('RLS denying the detail read: a basic alert with the cause recorded', async () => {
    const t = await live({ tuning: { detailsMaxAttempts: 2 } })
    await onFallback(t)
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 10 })
    await b.sql.query(`alter policy "mechanics read intakes behind visible assignments" on public.intakes using (false)`)
    try {
      const r = await createRequest(b, { name: 'Hidden Intake' })
      await until(() => t.sink.rung().includes(r.id), 2000, 'ring')
      const a = t.sink.alerts.find((x) => x.requestId === r.id)!
      expect(a.detail).toBe('basic')
      expect(t.log.has(/alerting without details.*row-level security/)).toBe(true)
      await until(() => t.engine.feed!.stats.detailsGaveUp >= 1, 5000, 'give up recorded')
      expect(t.engine.snapshot().health.counters['details:gave-up']).toBeGreaterThanOrEqual(1)
    } finally {
      await b.sql.query(`alter policy "mechanics read intakes behind visible assignments" on public.intakes using (
        public.is_mechanic() and exists (select 1 from public.sessions s join public.session_assignments a on a.session_id = s.id
          where s.intake_id = intakes.id and (a.status = 'queued' or a.mechanic_id = auth.uid())))`)
    }
  })
})

describe('flags and sinks', () => {
  it('mech_new_request_alerts off: nothing rings, the queue still updates; on again: the owed ring', async () => {
    const t = await live()
    await setFlag(b, 'mech_new_request_alerts', false)
    try {
      await until(() => t.engine.snapshot().flags.mech_new_request_alerts === false, 3000, 'flag off (live postgres_changes)')
      const r = await createRequest(b)
      await until(() => !!itemOf(t, r.id), 2000, 'queued')
      await sleep(400)
      expect(t.sink.rung()).not.toContain(r.id)
      await setFlag(b, 'mech_new_request_alerts', true)
      await until(() => t.sink.rung().includes(r.id), 3000, 'owed ring after flag on')
    } finally {
      await setFlag(b, 'mech_new_request_alerts', true)
    }
  })

  it('a throwing sink and a hanging sink do not stop the others or the next alert', async () => {
    const thrower = new RecordingSink('thrower', 'notification', 'throw')
    const hanger = new RecordingSink('hanger', 'sound', 'hang')
    const t = await live({ sinks: [thrower, hanger] })
    const r1 = await createRequest(b)
    await until(() => t.sink.rung().includes(r1.id), 2000, 'first ring')
    const r2 = await createRequest(b)
    await until(() => t.sink.rung().includes(r2.id), 3000, 'second ring')
    expect(thrower.rung()).toEqual(expect.arrayContaining([r1.id]))
    expect(t.engine.snapshot().health.counters['sink:error']).toBeGreaterThanOrEqual(1)
  })
})
