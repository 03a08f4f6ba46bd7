// The reconciler's rules, pinned down as behaviour: what a read of the server's queue hands to the desk (only
// queued rows, every page, nothing unreadable), when it gives up and says why, how it retries and recovers,
// and that the desk makes the local queue equal to that snapshot without undoing what was heard after the
// read began. The Reconciler talks to a loopback HTTP server through a real supabase-js client, so the
// paging parameters are checked as PostgREST receives them.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Reconciler, type ReconcilerOptions } from '../../../src/core/feed/reconcile.js'
import { TimerRegistry } from '../../../src/core/link/timers.js'
import type { QueueSnapshot } from '../../../src/core/facts.js'
import { captureLog, harness, queued, removed, type Harness } from '../core/helpers.js'

/** The desk's effects (rings, retracts) run after the task's group commit, a microtask later (real timers here). */
const afterGroupCommit = () => new Promise<void>((res) => setImmediate(res))
const U = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`
const at = (s: number) => `2026-01-01T10:00:${String(s).padStart(2, '0')}.000001+00:00`
const serverRow = (n: number, over: Record<string, unknown> = {}) => ({
  id: U(n),
  session_id: null,
  status: 'queued',
  queued_at: at(n),
  customer_name: `Name ${n}`,
  concern: 'c',
  vehicle: 'v',
  ...over,
})

type Answer = { status: number; body: unknown }
let answer: (args: Record<string, unknown>, call: number) => Answer | Promise<Answer> = () => ({ status: 200, body: [] })
const calls: Record<string, unknown>[] = []
let server: Server
let url = ''

beforeAll(async () => {
  server = createServer(async (req: IncomingMessage, res) => {
    let text = ''
    for await (const chunk of req) text += chunk
    if (req.method !== 'POST' || !req.url?.startsWith('/rest/v1/rpc/queued_requests')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'PGRST202', message: `no route ${req.url}` }))
      return
    }
    const args = JSON.parse(text || '{}') as Record<string, unknown>
    calls.push(args)
    const a = await answer(args, calls.length)
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

/** A keyset-paging server over `rows`, like the queued_requests function: strictly after (queued_at, id). */
function pagingServer(rows: Record<string, unknown>[]) {
  return (a: Record<string, unknown>): Answer => {
    const after = a.p_after_queued_at as string | null
    const start = after === null ? 0 : rows.findIndex((r) => r.queued_at === after && r.id === a.p_after_id) + 1
    return { status: 200, body: rows.slice(start, start + (a.p_limit as number)) }
  }
}

let timers: TimerRegistry
let reconciler: Reconciler | null = null
afterEach(() => {
  reconciler?.stop()
  reconciler = null
  timers?.closeAll()
  calls.length = 0
  answer = () => ({ status: 200, body: [] })
})

function setup(over: Partial<ReconcilerOptions> = {}) {
  timers = new TimerRegistry()
  const client: SupabaseClient = createClient(url, 'sb_publishable_test', {
    auth: { persistSession: false, autoRefreshToken: false },
    // Node 20 has no global WebSocket; supabase-js wants one even when only REST is used.
    realtime: { transport: WebSocket as never },
  })
  const log = captureLog()
  const snapshots: QueueSnapshot[] = []
  const health: (string | null)[] = []
  const fetches: { ok: boolean; cause?: string }[] = []
  let t = 1_000_000
  const r = new Reconciler({
    client,
    log,
    clock: { now: () => ++t },
    timers,
    apply: (s) => snapshots.push(s),
    onHealth: (h) => health.push(h),
    onFetch: (ok, _ms, cause) => fetches.push({ ok, cause }),
    retry: { baseMs: 20, maxMs: 20, jitter: 0 },
    ...over,
  })
  reconciler = r
  return { r, log, snapshots, health, fetches }
}

async function runOnce(r: Reconciler, trigger: QueueSnapshot['trigger'] = 'manual') {
  r.enable()
  r.request(trigger)
  await r.idle()
}

/** Waits (bounded) until `cond` holds. */
async function until(cond: () => boolean, ms = 2000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('what a read of the server queue hands over', () => {
  it('only queued (or status-less) rows, each as a reconcile fact; unreadable rows are skipped and counted', async () => {
    answer = () => ({
      status: 200,
      body: [serverRow(1), serverRow(2, { status: 'accepted' }), serverRow(3, { status: null }), { id: 'not valid!', status: 'queued' }, serverRow(4, { status: 'Queued ' })],
    })
    const { r, snapshots, log, health } = setup()
    await runOnce(r, 'resume')
    expect(snapshots).toHaveLength(1)
    const s = snapshots[0]!
    expect(s.trigger).toBe('resume')
    expect(s.requests.map((q) => q.requestId)).toEqual([U(1), U(3), U(4)])
    expect(s.requests[0]).toEqual({
      kind: 'queued',
      source: 'reconcile',
      eventId: `reconcile:${s.startedAt}:${U(1)}`,
      commitTs: '2026-01-01T10:00:01.000001Z',
      receivedAt: expect.any(Number),
      requestId: U(1),
      queuedAt: '2026-01-01T10:00:01.000001Z',
      sessionId: null,
      details: { customerName: 'Name 1', concern: 'c', vehicle: 'v' },
    })
    expect(s.requests[0]!.receivedAt).toBeGreaterThan(s.startedAt)
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => [l.msg, l.fields])).toEqual([
      ['reconcile: unreadable row skipped', { reason: expect.any(String) }],
      ['reconcile: some rows could not be read', { bad: 1 }],
    ])
    expect(health).toEqual([null])
    expect(r.stats).toMatchObject({ runs: 1, ok: 1, failed: 0, pages: 1, lastCount: 3 })
  })

  it('an empty queue is a snapshot too (it removes everything local); a clean first read logs nothing', async () => {
    const { r, snapshots, log } = setup()
    await runOnce(r)
    expect(snapshots.map((s) => s.requests)).toEqual([[]])
    expect(log.lines).toEqual([])
    // The injected clock ticks once per reading: the run took a few ticks, not an epoch.
    expect(r.stats.lastMs).toBeGreaterThanOrEqual(0)
    expect(r.stats.lastMs).toBeLessThan(10)
  })

  it('reads every page after the last row of the one before, in the server\'s own spelling, and stops at a short page', async () => {
    const rows = [1, 2, 3, 4, 5].map((n) => serverRow(n))
    answer = pagingServer(rows)
    const { r, snapshots } = setup({ pageSize: 2 })
    await runOnce(r)
    expect(calls).toEqual([
      { p_after_queued_at: null, p_after_id: null, p_limit: 2 },
      { p_after_queued_at: at(2), p_after_id: U(2), p_limit: 2 },
      { p_after_queued_at: at(4), p_after_id: U(4), p_limit: 2 },
    ])
    expect(snapshots[0]!.requests.map((q) => q.requestId)).toEqual(rows.map((x) => x.id))
    expect(r.stats.pages).toBe(3)
  })

  it('a last page that is exactly full costs one more (empty) page', async () => {
    answer = pagingServer([1, 2, 3, 4].map((n) => serverRow(n)))
    const { r, snapshots } = setup({ pageSize: 2 })
    await runOnce(r)
    expect(calls).toHaveLength(3)
    expect(snapshots[0]!.requests).toHaveLength(4)
  })

  it('waits for the side read (flags) before handing over, and a failing side read does not stop the snapshot', async () => {
    const order: string[] = []
    const { r, snapshots, log } = setup({
      alsoRun: async () => {
        await new Promise((res) => setTimeout(res, 30))
        order.push('side read done')
        throw new Error('flags down')
      },
      apply: () => order.push('applied'),
    })
    await runOnce(r)
    expect(order).toEqual(['side read done', 'applied'])
    expect(snapshots).toEqual([])
    expect(log.lines).toContainEqual({ level: 'warn', msg: 'reconcile: side read failed', fields: { cause: 'Error: flags down' } })
  })
})

describe('when a read fails', () => {
  it('a server error is reported with its cause and retried after the backoff; success clears the state and says it recovered', async () => {
    answer = (_a, n) => (n === 1 ? { status: 503, body: { code: 'PGRST001', message: 'db down' } } : { status: 200, body: [serverRow(1)] })
    const { r, health, fetches, snapshots, log } = setup()
    await runOnce(r, 'startup')
    expect(health).toEqual(['Cannot read the queue from the server (queued_requests_page: server error 503 (PGRST001 db down)); retrying in 1 s'])
    expect(fetches).toEqual([{ ok: false, cause: 'queued_requests_page: server error 503 (PGRST001 db down)' }])
    await until(() => snapshots.length === 1)
    expect(snapshots[0]!.trigger).toBe('startup')
    expect(health).toHaveLength(2)
    expect(health[1]).toBeNull()
    expect(fetches.at(-1)).toEqual({ ok: true, cause: undefined })
    expect(log.lines).toContainEqual({ level: 'info', msg: 'reconcile: recovered', fields: { after: 1 } })
    expect(r.stats).toMatchObject({ runs: 2, ok: 1, failed: 1 })
  })

  it('the retry delay grows with each failure, and the message gives it in whole seconds rounded up', async () => {
    answer = () => ({ status: 500, body: { message: 'boom' } })
    const { r, health, log } = setup({ retry: { baseMs: 1000, maxMs: 60_000, jitter: 0 } })
    await runOnce(r)
    expect(health[0]).toMatch(/retrying in 1 s$/)
    expect(log.errors()[0]).toMatchObject({ msg: 'reconcile: failed; will retry', fields: { trigger: 'manual', retryInMs: 1000, failures: 1 } })
    const s = setup({ retry: { baseMs: 1001, maxMs: 60_000, jitter: 0 } })
    await runOnce(s.r)
    expect(s.health[0]).toMatch(/retrying in 2 s$/)
  })

  it('a result that is not a list is a failure, not an empty queue', async () => {
    answer = () => ({ status: 200, body: { rows: [] } })
    const { r, snapshots, health } = setup()
    await runOnce(r)
    expect(snapshots).toEqual([])
    expect(health[0]).toContain('queued_requests_page returned something that is not a list')
  })

  it('a full page whose last row lacks queued_at or id cannot be paged past, and says so', async () => {
    answer = () => ({ status: 200, body: [serverRow(1), { ...serverRow(2), queued_at: undefined }] })
    const { r, snapshots, health } = setup({ pageSize: 2 })
    await runOnce(r)
    expect(snapshots).toEqual([])
    expect(health[0]).toContain('queued_requests_page rows lack queued_at/id; cannot page')
  })

  it.each([
    ['queued_at', 1_767_261_602],
    ['id', 2],
  ])('a full page whose last row has a non-text %s cannot be paged past either', async (field, value) => {
    answer = () => ({ status: 200, body: [serverRow(1), { ...serverRow(2), [field]: value }] })
    const { r, snapshots, health } = setup({ pageSize: 2 })
    await runOnce(r)
    expect(calls).toHaveLength(1)
    expect(snapshots).toEqual([])
    expect(health[0]).toContain('cannot page')
  })

  it('a queue larger than maxPages × pageSize is refused after exactly maxPages reads', async () => {
    answer = () => {
      const n = calls.length
      return { status: 200, body: [serverRow(2 * n - 1), serverRow(2 * n)].map((x, i) => ({ ...x, queued_at: `2026-01-01T10:${String(n).padStart(2, '0')}:0${i}Z` })) }
    }
    const { r, snapshots, health } = setup({ pageSize: 2, maxPages: 3 })
    await runOnce(r)
    expect(calls).toHaveLength(3)
    expect(snapshots).toEqual([])
    expect(health[0]).toContain('the queue has more than 6 requests; stopped reading')
  })
})

describe('when reads run', () => {
  it('nothing is read before enable() or after disable()/stop()', async () => {
    const { r, snapshots } = setup()
    r.request('manual')
    await r.idle()
    expect(calls).toHaveLength(0)
    r.enable()
    r.disable()
    r.request('manual')
    await r.idle()
    r.enable()
    r.stop()
    r.enable()
    r.request('manual')
    await r.idle()
    expect(calls).toHaveLength(0)
    expect(snapshots).toEqual([])
  })

  it('a read in flight when the reconciler stops hands nothing over', async () => {
    let release!: () => void
    answer = () => new Promise<Answer>((res) => (release = () => res({ status: 200, body: [serverRow(1)] })))
    const { r, snapshots } = setup()
    r.enable()
    r.request('manual')
    await until(() => calls.length === 1)
    r.stop()
    release()
    await new Promise((res) => setTimeout(res, 50))
    expect(snapshots).toEqual([])
  })

  it.each(['stop', 'disable'] as const)('after %s() during a page read no further page is read', async (how) => {
    let release!: () => void
    answer = (a) =>
      a.p_after_id === null ? new Promise<Answer>((res) => (release = () => res({ status: 200, body: [serverRow(1)] }))) : { status: 200, body: [] }
    const { r, snapshots, fetches } = setup({ pageSize: 1 })
    r.enable()
    r.request('manual')
    await until(() => calls.length === 1)
    r[how]()
    release()
    await new Promise((res) => setTimeout(res, 50))
    expect(calls).toHaveLength(1)
    expect(fetches).toEqual([])
    expect(snapshots).toEqual([])
  })

  it.each(['stop', 'disable'] as const)('%s() while the side read is still running hands nothing over', async (how) => {
    let release!: () => void
    const { r, snapshots } = setup({ alsoRun: () => new Promise<void>((res) => (release = res)) })
    r.enable()
    r.request('manual')
    await until(() => calls.length === 1)
    await new Promise((res) => setTimeout(res, 30))
    r[how]()
    release()
    await new Promise((res) => setTimeout(res, 30))
    expect(snapshots).toEqual([])
  })

  it('requests during a run coalesce into one more run with the latest trigger', async () => {
    const { r, snapshots } = setup()
    r.enable()
    r.request('startup')
    r.request('timer')
    r.request('network')
    await r.idle()
    expect(snapshots.map((s) => s.trigger)).toEqual(['startup', 'network'])
  })

  it('the safety timer reads the queue again every interval while enabled, and not after disable()', async () => {
    const { r, snapshots } = setup({ safetyIntervalMs: 30 })
    r.enable()
    await until(() => snapshots.length >= 2)
    expect(snapshots.every((s) => s.trigger === 'timer')).toBe(true)
    r.disable()
    await r.idle()
    const n = snapshots.length
    await new Promise((res) => setTimeout(res, 100))
    expect(snapshots.length).toBe(n)
  })
})

describe('the desk makes the local queue equal to a snapshot', () => {
  let h: Harness
  afterEach(() => h?.dispose())
  const snapshot = (requests: ReturnType<typeof queued>[], startedAt: number, trigger: QueueSnapshot['trigger'] = 'timer'): QueueSnapshot => ({
    trigger,
    startedAt,
    requests: requests.map((q) => ({ ...q, source: 'reconcile' })),
  })

  it('adds what is missing, removes what the server no longer has, and leaves the rest alone', async () => {
    h = harness()
    const desk = h.core.desk
    const retracted: string[] = []
    desk.on('retract', (e) => retracted.push(e.requestId))
    desk.ingest(queued(U(1)))
    desk.ingest(queued(U(2)))
    const result = desk.reconcile(snapshot([queued(U(2)), queued(U(3))], Date.now() + 1))
    expect(result).toEqual({ added: [U(3)], removed: [U(1)], unchanged: 1, enriched: 0 })
    expect(desk.queue().map((q) => q.requestId).sort()).toEqual([U(2), U(3)])
    await afterGroupCommit() // the retract follows the group commit
    expect(retracted).toEqual([U(1)])
  })

  it('a request first heard after the read began is kept though the snapshot lacks it', () => {
    h = harness()
    const desk = h.core.desk
    const startedAt = Date.now() - 1000
    desk.ingest(queued(U(1)))
    expect(desk.reconcile(snapshot([], startedAt)).removed).toEqual([])
    expect(desk.queue().map((q) => q.requestId)).toEqual([U(1)])
    expect(desk.reconcile(snapshot([], Date.now() + 1)).removed).toEqual([U(1)])
  })

  it('a removal heard after the read began wins over the snapshot that still lists the request', () => {
    h = harness()
    const desk = h.core.desk
    const startedAt = Date.now() - 1000
    desk.ingest(queued(U(1), { receivedAt: startedAt - 5000 }))
    desk.ingest(removed(U(1), { receivedAt: startedAt + 500 }))
    const result = desk.reconcile(snapshot([queued(U(1))], startedAt))
    expect(result.added).toEqual([])
    expect(desk.queue()).toEqual([])
  })

  it('several requests added at once ring as one summary; a snapshot that changes nothing rings nothing', async () => {
    h = harness()
    const desk = h.core.desk
    const t0 = Date.now()
    desk.reconcile(snapshot([queued(U(1)), queued(U(2))], t0))
    await new Promise((res) => setTimeout(res, 20))
    expect(h.alerts().map((a) => [a.kind, a.summaryOf])).toEqual([['summary', [U(1), U(2)]]])
    desk.reconcile(snapshot([queued(U(1)), queued(U(2))], t0 + 1))
    await new Promise((res) => setTimeout(res, 20))
    expect(h.alerts()).toHaveLength(1)
  })
})
