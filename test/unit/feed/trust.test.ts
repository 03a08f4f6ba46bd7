// The trust rules of the feed, without a server: the public topic never reaches the desk; postgres_changes
// the server refuses are recorded, make a read happen and show as a problem; a batch the server refuses
// for one bad element still brings the real requests' details.
import { describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { Feed } from '../../../src/core/feed/feed.js'
import { DetailsFetcher } from '../../../src/core/feed/details.js'
import { TimerRegistry } from '../../../src/core/link/timers.js'
import type { QueueSnapshot, RequestFact } from '../../../src/core/facts.js'
import type { Logger } from '../../../src/core/ports.js'
import { DEFAULT_FLAGS } from '../../../src/shared/types.js'

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }
const REAL = '00000000-0000-4000-8000-000000000001'
const FORGED = '00000000-0000-4000-8000-0000000000ff'
const SECOND = '00000000-0000-4000-8000-000000000002'

type Answer = { data: unknown; error: { code?: string; message?: string } | null; status: number }
const answer = (a: Answer | Promise<Answer>) => {
  const b = { retry: () => b, abortSignal: () => b, then: (ok: (v: Answer) => unknown, bad?: (e: unknown) => unknown) => Promise.resolve(a).then(ok, bad) }
  return b
}
const row = (id: string, name = `Name ${id.slice(-2)}`) => ({
  id,
  session_id: null,
  status: 'queued',
  queued_at: '2026-01-01T10:00:00.000001+00:00',
  customer_name: name,
  concern: 'c',
  vehicle_make: 'Ford',
  vehicle_model: 'Ka',
  vehicle_year: 2001,
})

function setup(opts: { serverQueue?: string[]; onScreen?: string[] } = {}) {
  const listeners: Record<string, (...a: unknown[]) => void> = {}
  const link = { on: (e: string, fn: (...a: unknown[]) => void) => ((listeners[e] = fn), () => {}) }
  const ingested: RequestFact[] = []
  const snapshots: QueueSnapshot[] = []
  const problems: (string | null)[] = []
  const counts: Record<string, number> = {}
  const onScreen = new Set(opts.onScreen ?? [])
  const client = {
    rpc: (name: string, a: Record<string, unknown>) => {
      if (name === 'queued_requests_page') return answer({ data: (opts.serverQueue ?? []).map((id) => row(id)), error: null, status: 200 })
      return answer({ data: ((a.p_ids as string[]) ?? []).map((id) => row(id)), error: null, status: 200 })
    },
    from: () => ({ select: () => answer({ data: [], error: null, status: 200 }) }),
  } as unknown as SupabaseClient
  const timers = new TimerRegistry()
  const feed = new Feed({
    link: link as never,
    client,
    desk: {
      ingest: (f: RequestFact) => (ingested.push(f), { outcome: f.kind === 'rejected' ? 'rejected' : 'alerted', reason: null, key: null }),
      reconcile: (s: QueueSnapshot) => snapshots.push(s),
      flags: () => ({ ...DEFAULT_FLAGS }),
      setFlags: () => {},
    } as never,
    store: { getQueueRow: (id: string) => (onScreen.has(id) ? { requestId: id, detail: 'full' } : undefined) } as never,
    health: { recordFetch() {}, count: (k: string) => (counts[k] = (counts[k] ?? 0) + 1) } as never,
    log: quiet,
    clock: { now: () => Date.now() },
    timers,
    hintDebounceMs: 20,
    hintMinIntervalMs: 300,
    onProblem: (p) => problems.push(p),
  })
  const legacy = (event: string, request: unknown) => listeners.broadcast!('broadcast', { type: 'broadcast', event, payload: { request } }, Date.now())
  const change = (msg: Record<string, unknown>) =>
    listeners.postgresChange!('session_assignments', { schema: 'public', table: 'session_assignments', commit_timestamp: '2026-01-01T10:00:00Z', old: {}, ...msg }, Date.now())
  const done = async () => {
    await feed.idle()
    feed.stop()
    timers.closeAll()
  }
  return { feed, listeners, ingested, snapshots, problems, counts, legacy, change, done }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the public topic is a hint, never a fact', () => {
  it('a forged cancel of a request on screen reaches no desk; the server is read instead and keeps it', async () => {
    const t = setup({ serverQueue: [REAL], onScreen: [REAL] })
    t.feed.enable('startup')
    await t.feed.idle()
    t.legacy('request_cancelled', { id: REAL, status: 'cancelled' })
    await sleep(60)
    await t.feed.idle()
    expect(t.ingested).toEqual([])
    expect(t.snapshots.map((s) => [s.trigger, s.requests.map((r) => r.requestId)])).toEqual([
      ['startup', [REAL]],
      ['hint', [REAL]],
    ])
    expect(t.counts['broadcast:hint']).toBe(1)
    await t.done()
  })

  it('a forged new_request with a phishing name reaches no desk, and its name is nowhere', async () => {
    const t = setup()
    t.feed.enable('startup')
    await t.feed.idle()
    t.legacy('new_request', { ...row(FORGED, 'IT DEPT: re-enter your password at https://evil.example'), status: 'queued' })
    await sleep(60)
    await t.feed.idle()
    expect(t.ingested).toEqual([])
    expect(JSON.stringify(t.snapshots)).not.toContain('IT DEPT')
    expect(t.snapshots.at(-1)).toMatchObject({ trigger: 'hint', requests: [] })
    await t.done()
  })

  it('garbage on the public topic is recorded as rejected but costs no read', async () => {
    const t = setup()
    t.feed.enable('startup')
    await t.feed.idle()
    t.legacy('new_request', { id: 'not-a-uuid' })
    t.legacy('new_request', 'junk')
    await sleep(1200) // longer than the trusted paths' "reconcile soon" (1 s)
    await t.feed.idle()
    expect(t.ingested.map((f) => f.kind === 'rejected' && f.reason)).toEqual(['request id is not a uuid', 'request is string, not an object'])
    expect(t.snapshots.map((s) => s.trigger)).toEqual(['startup'])
    await t.done()
  })

  it('a flood of garbage: every message counted as rejected, only the first 20 recorded one by one, no read', async () => {
    const t = setup()
    t.feed.enable('startup')
    await t.feed.idle()
    for (let i = 0; i < 500; i++) t.legacy('new_request', { id: `bad-${i}` })
    await t.feed.idle()
    expect(t.ingested).toHaveLength(20)
    expect(t.counts['broadcast:rejected']).toBe(480) // the desk counts the 20 it records
    expect(t.feed.stats.rejected).toBe(500)
    expect(t.snapshots.map((s) => s.trigger)).toEqual(['startup'])
    await t.done()
  })

  it('a hint the local store cannot check (store failure) makes the engine look, and says why', async () => {
    const t = setup()
    t.feed.enable('startup')
    await t.feed.idle()
    ;(t.feed as unknown as { o: { store: { getQueueRow(): never } } }).o.store.getQueueRow = () => {
      throw new Error('SQLITE_IOERR')
    }
    t.legacy('new_request', row(REAL))
    await sleep(60)
    await t.feed.idle()
    expect(t.snapshots.map((s) => s.trigger)).toEqual(['startup', 'hint'])
    await t.done()
  })

  it('a legacy message the trusted paths already delivered needs no read', async () => {
    const t = setup({ onScreen: [REAL] })
    t.feed.enable('startup')
    await t.feed.idle()
    t.legacy('new_request', row(REAL))
    await sleep(60)
    await t.feed.idle()
    expect(t.snapshots.map((s) => s.trigger)).toEqual(['startup'])
    expect(t.counts['hint:unneeded']).toBe(1)
    await t.done()
  })
})

describe('postgres_changes the server refuses', () => {
  it('are recorded with the server\'s reason, counted, reconciled, and shown as a problem until a good event arrives', async () => {
    const t = setup({ serverQueue: [REAL] })
    t.feed.enable('startup')
    await t.feed.idle()
    t.change({ eventType: 'INSERT', errors: ['Error 401: Unauthorized'] })
    expect(t.problems.at(-1)).toBe("postgres_changes refused by the server: Error 401: Unauthorized — the table's grants are missing? (public.session_assignments)")
    expect(t.counts['postgres_changes:refused']).toBe(1)
    await t.feed.idle()
    expect(t.ingested[0]).toMatchObject({ kind: 'rejected', source: 'postgres_changes', reason: 'postgres_changes refused by the server: Error 401: Unauthorized' })
    await sleep(1100)
    await t.feed.idle()
    expect(t.snapshots.map((s) => s.trigger)).toEqual(['startup', 'manual'])
    // A successful reconcile does not hide it: the changes are still refused.
    expect(t.problems.at(-1)).toMatch(/^postgres_changes refused/)
    t.change({ eventType: 'INSERT', new: { id: SECOND, status: 'queued' }, errors: null })
    expect(t.problems.at(-1)).toBeNull()
    await t.done()
  })

  it('another error than 401 is shown without the grants guess', async () => {
    const t = setup()
    t.change({ eventType: 'UPDATE', errors: ['Error 413: Payload Too Large'], new: { id: REAL, status: 'queued' } })
    expect(t.problems.at(-1)).toBe('postgres_changes refused by the server: Error 413: Payload Too Large (public.session_assignments)')
    await t.done()
  })

  it('feature_flags changes refused: the same problem for that table, flags re-read', async () => {
    const t = setup()
    t.listeners.postgresChange!('feature_flags', { eventType: 'UPDATE', errors: ['Error 401: Unauthorized'] }, Date.now())
    expect(t.problems.at(-1)).toMatch(/^postgres_changes refused by the server: Error 401: Unauthorized — the table's grants are missing\? \(public\.feature_flags\)$/)
    t.listeners.postgresChange!('feature_flags', { eventType: 'UPDATE', new: { key: 'mech_audio_alerts', enabled: true }, errors: null }, Date.now())
    expect(t.problems.at(-1)).toBeNull()
    await t.done()
  })

  it('a reconcile failure and refused changes are both shown; signing out clears both', async () => {
    const t = setup()
    t.change({ eventType: 'INSERT', errors: ['Error 401: Unauthorized'] })
    ;(t.feed.reconciler as unknown as { o: { onHealth(r: string | null): void } }).o.onHealth('Cannot read the queue')
    expect(t.problems.at(-1)).toMatch(/^postgres_changes refused .*; Cannot read the queue$/)
    t.feed.disable()
    expect(t.problems.at(-1)).toBeNull()
    await t.done()
  })
})

describe('details for a batch the server refuses', () => {
  function fetcher(rpc: (ids: string[]) => Answer) {
    const calls: string[][] = []
    const timers = new TimerRegistry()
    const client = { rpc: (_n: string, a: { p_ids: string[] }) => (calls.push(a.p_ids), answer(rpc(a.p_ids))) } as unknown as SupabaseClient
    const f = new DetailsFetcher({ client, log: quiet, clock: { now: () => Date.now() }, timers, maxAttempts: 1 })
    return { f, calls, timers }
  }

  it('a 400 for the whole batch: each id is asked alone, and every real request gets its details', async () => {
    const { f, calls, timers } = fetcher((ids) =>
      ids.length > 1 ? { data: null, error: { code: '22P02', message: 'invalid input syntax for type uuid' }, status: 400 } : { data: ids.map((id) => row(id)), error: null, status: 200 },
    )
    const [a, b] = await Promise.all([f.want(REAL), f.want(SECOND)])
    expect(a).toMatchObject({ ok: true, details: { customerName: 'Name 01' } })
    expect(b).toMatchObject({ ok: true, details: { customerName: 'Name 02' } })
    expect(calls).toEqual([[REAL, SECOND], [REAL], [SECOND]])
    expect(f.stats.splitBatches).toBe(1)
    timers.closeAll()
  })

  it('a single id the server refuses is not split again: one call per attempt, the cause recorded', async () => {
    const { f, calls, timers } = fetcher(() => ({ data: null, error: { code: '22P02', message: 'invalid input syntax for type uuid' }, status: 400 }))
    expect(await f.want(REAL)).toMatchObject({ ok: false, final: true, cause: expect.stringContaining('22P02') })
    expect(calls).toEqual([[REAL]])
    expect(f.stats.splitBatches).toBe(0)
    timers.closeAll()
  })

  it('in a split batch, an id that still fails alone gets its own cause and the others their details', async () => {
    const { f, calls, timers } = fetcher((ids) =>
      ids.length > 1 || ids[0] === SECOND ? { data: null, error: { code: '22P02', message: 'bad' }, status: 400 } : { data: ids.map((id) => row(id)), error: null, status: 200 },
    )
    const [a, b] = await Promise.all([f.want(REAL), f.want(SECOND)])
    expect(a).toMatchObject({ ok: true })
    expect(b).toMatchObject({ ok: false, cause: expect.stringContaining('22P02') })
    expect(calls).toHaveLength(3)
    timers.closeAll()
  })

  it('an outage (503) is not multiplied into one call per id', async () => {
    const { f, calls, timers } = fetcher(() => ({ data: null, error: { code: 'PGRST001', message: 'down' }, status: 503 }))
    await Promise.all([f.want(REAL), f.want(SECOND)])
    expect(calls).toEqual([[REAL, SECOND]])
    timers.closeAll()
  })

  it('an id that is not a uuid is never asked for, and does not join a batch', async () => {
    const { f, calls, timers } = fetcher((ids) => ({ data: ids.map((id) => row(id)), error: null, status: 200 }))
    const [bad, good] = await Promise.all([f.want('r-1'), f.want(REAL)])
    expect(bad).toEqual({ ok: false, cause: 'not a uuid; details are never asked for it', final: true })
    expect(good.ok).toBe(true)
    expect(calls).toEqual([[REAL]])
    timers.closeAll()
  })
})
