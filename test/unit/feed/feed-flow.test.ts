// Feed mechanics without a server: details batching/retries/give-up, keyset reconcile paging and
// coalescing, and per-request ordering (a "removed" never overtakes a "queued" waiting for details).
import { describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { DetailsFetcher } from '../../../src/core/feed/details.js'
import { Reconciler } from '../../../src/core/feed/reconcile.js'
import { Feed } from '../../../src/core/feed/feed.js'
import { TimerRegistry } from '../../../src/core/link/timers.js'
import type { QueueSnapshot, RequestFact } from '../../../src/core/facts.js'
import type { Logger } from '../../../src/core/ports.js'
import { DEFAULT_FLAGS } from '../../../src/shared/types.js'

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }
const clock = { now: () => Date.now() }

type Answer = { data: unknown; error: { code?: string; message?: string } | null; status: number }
type Handler = (name: string, args: Record<string, unknown>) => Answer | Promise<Answer>

function builder(p: () => Answer | Promise<Answer>) {
  const b = {
    retry: () => b,
    abortSignal: () => b,
    then: (ok: (v: Answer) => unknown, bad?: (e: unknown) => unknown) => Promise.resolve().then(p).then(ok, bad),
  }
  return b
}

function fakeClient(rpc: Handler, tables: Record<string, unknown[]> = {}): SupabaseClient {
  return {
    rpc: (name: string, args: Record<string, unknown>) => builder(() => rpc(name, args)),
    from: (t: string) => ({ select: () => builder(() => ({ data: tables[t] ?? [], error: null, status: 200 })) }),
    auth: { refreshSession: async () => ({ error: null }) },
  } as unknown as SupabaseClient
}

/** Request ids are uuids (the parsers reject anything else); R0…R9 for readability. */
const rid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const [R0, R1, R2, R3, R4] = [0, 1, 2, 3, 4].map(rid) as [string, string, string, string, string]

const row = (id: string, q = '2026-01-01T10:00:00.000001+00:00') => ({
  id,
  session_id: null,
  status: 'queued',
  queued_at: q,
  customer_name: `Name ${id}`,
  concern: 'c',
  vehicle_make: 'Ford',
  vehicle_model: 'Ka',
  vehicle_year: 2001,
})

describe('DetailsFetcher', () => {
  it('batches concurrent requests into one RPC', async () => {
    const calls: string[][] = []
    const timers = new TimerRegistry()
    const f = new DetailsFetcher({
      client: fakeClient((_n, a) => {
        calls.push(a.p_ids as string[])
        return { data: (a.p_ids as string[]).map((id) => row(id)), error: null, status: 200 }
      }),
      log: quiet,
      clock,
      timers,
    })
    const [a, b] = await Promise.all([f.want(R1), f.want(R2)])
    expect(calls).toEqual([[R1, R2]])
    expect(a).toMatchObject({ ok: true, details: { customerName: `Name ${R1}`, vehicle: '2001 Ford Ka' } })
    expect(b.ok).toBe(true)
    timers.closeAll()
  })

  it('retries with backoff, reports the first failure at once, and gives up after maxAttempts', async () => {
    const timers = new TimerRegistry()
    let n = 0
    const fetches: boolean[] = []
    const f = new DetailsFetcher({
      client: fakeClient(() => {
        n++
        return { data: null, error: { code: 'PGRST001', message: 'db down' }, status: 503 }
      }),
      log: quiet,
      clock,
      timers,
      retry: { baseMs: 5, maxMs: 20, jitter: 0 },
      maxAttempts: 4,
      onFetch: (ok) => fetches.push(ok),
    })
    const first = await f.want(R1, undefined, true)
    expect(first).toMatchObject({ ok: false, final: false, cause: expect.stringContaining('503') })
    const done = await f.want(R1)
    expect(done).toMatchObject({ ok: false, final: true })
    expect(n).toBe(4)
    expect(fetches).toEqual([false, false, false, false])
    expect(f.activeJobs).toBe(0)
    timers.closeAll()
  })

  it('a row whose details are all null (RLS on intakes) is a cause, not details', async () => {
    const timers = new TimerRegistry()
    const f = new DetailsFetcher({
      client: fakeClient(() => ({ data: [{ id: R1, status: 'queued', customer_name: null, concern: null, vehicle_make: null, vehicle_model: null, vehicle_year: null }], error: null, status: 200 })),
      log: quiet,
      clock,
      timers,
      maxAttempts: 1,
    })
    expect(await f.want(R1)).toMatchObject({ ok: false, cause: expect.stringMatching(/row-level security/) })
    timers.closeAll()
  })
})

describe('Reconciler', () => {
  it('the safety timer reads every interval while on, never while a check-in stands in for it, and again when turned back on', async () => {
    const timers = new TimerRegistry()
    const snaps: QueueSnapshot[] = []
    const r = new Reconciler({
      client: fakeClient(() => ({ data: [], error: null, status: 200 })),
      log: quiet,
      clock,
      timers,
      safetyIntervalMs: 20,
      apply: (s) => snaps.push(s),
      onHealth: () => {},
    })
    const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms))
    // Timer reads among `from`, waited for with a deadline (a loaded machine delays timers, it does not skip them).
    const timerReads = async (from: number, n: number) => {
      for (let i = 0; i < 100 && snaps.slice(from).filter((x) => x.trigger === 'timer').length < n; i++) await sleep(20)
      await r.idle()
      return snaps.slice(from).filter((x) => x.trigger === 'timer').length
    }
    r.enable()
    expect(await timerReads(0, 2)).toBeGreaterThanOrEqual(2)
    r.setSafetyTimer(false)
    await r.idle()
    const off = snaps.length
    await sleep(70)
    expect(snaps).toHaveLength(off)
    // Signing out and in again keeps it off: the check-in still stands in.
    r.disable()
    r.enable()
    await sleep(70)
    expect(snaps).toHaveLength(off)
    r.request('manual') // other triggers still read
    await r.idle()
    expect(snaps).toHaveLength(off + 1)
    r.setSafetyTimer(true)
    expect(await timerReads(off + 1, 2)).toBeGreaterThanOrEqual(2)
    r.stop()
    timers.closeAll()
  })

  it('pages by (queued_at, id) and hands over one complete snapshot', async () => {
    const timers = new TimerRegistry()
    const all = Array.from({ length: 5 }, (_, i) => row(rid(i), `2026-01-01T10:00:0${i}.000000+00:00`))
    const seen: Record<string, unknown>[] = []
    const snaps: QueueSnapshot[] = []
    const r = new Reconciler({
      client: fakeClient((_n, a) => {
        seen.push(a)
        const start = a.p_after_id ? all.findIndex((x) => x.id === a.p_after_id) + 1 : 0
        return { data: all.slice(start, start + (a.p_limit as number)), error: null, status: 200 }
      }),
      log: quiet,
      clock,
      timers,
      pageSize: 2,
      apply: (s) => snaps.push(s),
      onHealth: () => {},
    })
    r.enable()
    r.request('manual')
    await r.idle()
    expect(seen.map((a) => a.p_after_id)).toEqual([null, R1, R3])
    expect(snaps).toHaveLength(1)
    expect(snaps[0]!.requests.map((q) => q.requestId)).toEqual([R0, R1, R2, R3, R4])
    expect(snaps[0]!.requests[0]!.details).toMatchObject({ customerName: `Name ${R0}` })
    r.stop()
    timers.closeAll()
  })

  it('a failed read is reported (degraded) and retried; requests during a run coalesce into one more run', async () => {
    const timers = new TimerRegistry()
    let calls = 0
    const health: (string | null)[] = []
    const snaps: QueueSnapshot[] = []
    const r = new Reconciler({
      client: fakeClient(async () => {
        calls++
        await new Promise((res) => setTimeout(res, 10))
        return calls === 1 ? { data: null, error: { code: 'PGRST001', message: 'down' }, status: 503 } : { data: [], error: null, status: 200 }
      }),
      log: quiet,
      clock,
      timers,
      apply: (s) => snaps.push(s),
      onHealth: (h) => health.push(h),
      retry: { baseMs: 20, maxMs: 20, jitter: 0 },
    })
    r.enable()
    r.request('startup')
    await r.idle()
    expect(health[0]).toMatch(/Cannot read the queue.*503/)
    await new Promise((res) => setTimeout(res, 60))
    await r.idle()
    expect(snaps).toHaveLength(1)
    expect(health.at(-1)).toBeNull()
    r.request('timer')
    r.request('manual')
    r.request('resume')
    await r.idle()
    expect(snaps.map((s) => s.trigger)).toEqual(['startup', 'timer', 'resume'])
    r.stop()
    timers.closeAll()
  })
})

describe('Feed ordering', () => {
  it('a removal arriving while the queued fact waits for details is applied after it', async () => {
    const listeners: Record<string, (...a: unknown[]) => void> = {}
    const link = { on: (e: string, fn: (...a: unknown[]) => void) => ((listeners[e] = fn), () => {}) }
    const ingested: RequestFact[] = []
    const desk = { ingest: (f: RequestFact) => (ingested.push(f), { outcome: 'alerted', reason: null, key: null }), flags: () => ({ ...DEFAULT_FLAGS }), reconcile: () => {}, setFlags: () => {} }
    const store = { getQueueRow: () => undefined }
    const health = { recordFetch() {}, count() {} }
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const timers = new TimerRegistry()
    const feed = new Feed({
      link: link as never,
      client: fakeClient(async (_n, a) => {
        await gate
        return { data: (a.p_ids as string[]).map((id) => row(id)), error: null, status: 200 }
      }),
      desk: desk as never,
      store: store as never,
      health: health as never,
      log: quiet,
      clock,
      timers,
      firstWaitMs: 2000,
      onProblem: () => {},
    })
    const pg = (type: string, rec: Record<string, unknown>) => ({ schema: 'public', table: 'session_assignments', commit_timestamp: '2026-01-01T10:00:00Z', eventType: type, new: rec, old: { id: rec.id }, errors: null })
    listeners.postgresChange!('session_assignments', pg('INSERT', { id: R1, status: 'queued', queued_at: '2026-01-01T10:00:00Z' }), Date.now())
    listeners.postgresChange!('session_assignments', pg('UPDATE', { id: R1, status: 'accepted' }), Date.now())
    await new Promise((r) => setTimeout(r, 30))
    expect(ingested).toHaveLength(0) // the removal waits behind the queued fact
    release()
    await feed.idle()
    expect(ingested.map((f) => f.kind)).toEqual(['queued', 'removed'])
    feed.stop()
    timers.closeAll()
  })

  it('a broadcast with details wakes a postgres_changes fact that is waiting for them', async () => {
    const listeners: Record<string, (...a: unknown[]) => void> = {}
    const link = { on: (e: string, fn: (...a: unknown[]) => void) => ((listeners[e] = fn), () => {}) }
    const ingested: RequestFact[] = []
    const desk = { ingest: (f: RequestFact) => (ingested.push(f), { outcome: 'alerted', reason: null, key: null }), flags: () => ({ ...DEFAULT_FLAGS }), reconcile: () => {}, setFlags: () => {} }
    const timers = new TimerRegistry()
    const feed = new Feed({
      link: link as never,
      client: fakeClient(() => new Promise<Answer>(() => {})), // details RPC never answers
      desk: desk as never,
      store: { getQueueRow: () => undefined } as never,
      health: { recordFetch() {}, count() {} } as never,
      log: quiet,
      clock,
      timers,
      firstWaitMs: 5000,
      onProblem: () => {},
    })
    const t0 = Date.now()
    listeners.postgresChange!('session_assignments', { table: 'session_assignments', eventType: 'INSERT', new: { id: R1, status: 'queued' }, old: {}, errors: null, commit_timestamp: null }, t0)
    listeners.broadcast!('db-broadcast', { type: 'broadcast', event: 'new_request', payload: { request: row(R1) }, meta: { id: 'm1' } }, t0)
    await feed.idle()
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(ingested[0]).toMatchObject({ kind: 'queued', source: 'postgres_changes', details: { customerName: `Name ${R1}` } })
    expect(ingested[1]).toMatchObject({ kind: 'queued', source: 'db-broadcast' })
    feed.stop()
    timers.closeAll()
  })
})
