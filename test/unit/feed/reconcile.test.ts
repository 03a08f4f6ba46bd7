// Reconciler paging rules against a fake rpc that behaves like the queued_requests SQL function: keyset order,
// p_limit clamped to 1..1000 by the server. A backlog is read in as few round trips as the server allows, and a
// page size the server would not honour never truncates the queue.
import { describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { QUEUED_REQUESTS_MAX_PAGE, Reconciler, isLastPage } from '../../../src/core/feed/reconcile.js'
import { TimerRegistry } from '../../../src/core/link/timers.js'
import type { QueueSnapshot } from '../../../src/core/facts.js'
import type { Logger } from '../../../src/core/ports.js'

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }

const rid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const row = (n: number) => ({
  id: rid(n),
  session_id: null,
  status: 'queued',
  // Distinct, increasing times: the keyset order is the index order.
  queued_at: new Date(Date.UTC(2026, 0, 1, 10) + n * 1000).toISOString().replace('Z', '000+00:00'),
  customer_name: `Name ${n}`,
  concern: 'c',
  vehicle_make: 'Ford',
  vehicle_model: 'Ka',
  vehicle_year: 2001,
})

/**
 * queued_requests as the migration defines it: after (queued_at, id), at most least(greatest(p_limit, 1), 1000) rows.
 * `rowsLeft`: as 20261206000000_bayalert_queue_read.sql serves it — every row says how many rows are left from the
 * page's start on; without it, as a project that has not run that migration.
 */
function server(n: number, rowsLeft = false, neither = false) {
  const rows = Array.from({ length: n }, (_, i) => row(i))
  const limits: number[] = []
  const names: string[] = []
  const client = {
    rpc: (name: string, a: Record<string, unknown>) => {
      const b = {
        retry: () => b,
        abortSignal: () => b,
        then: (ok: (v: unknown) => unknown, bad?: (e: unknown) => unknown) =>
          Promise.resolve()
            .then(() => {
              names.push(name)
              // A project without the queue-read migration: PostgREST has no such function.
              if ((name === 'queued_requests_page' && !rowsLeft) || neither) {
                return { data: null, error: { code: 'PGRST202', message: 'Could not find the function public.queued_requests_page' }, status: 404 }
              }
              limits.push(a.p_limit as number)
              const start = a.p_after_id ? rows.findIndex((x) => x.id === a.p_after_id) + 1 : 0
              const limit = Math.min(Math.max((a.p_limit as number | null) ?? 500, 1), 1000)
              const page = rows.slice(start, start + limit)
              return { data: rowsLeft ? page.map((r) => ({ ...r, rows_left: n - start })) : page, error: null, status: 200 }
            })
            .then(ok, bad),
      }
      return b
    },
  } as unknown as SupabaseClient
  return { client, limits, names }
}

async function readAll(n: number, pageSize?: number, rowsLeft = false): Promise<{ snaps: QueueSnapshot[]; limits: number[]; pages: number; names: string[] }> {
  const timers = new TimerRegistry()
  const s = server(n, rowsLeft)
  const snaps: QueueSnapshot[] = []
  const r = new Reconciler({ client: s.client, log: quiet, clock: { now: () => Date.now() }, timers, pageSize, apply: (x) => snaps.push(x), onHealth: () => {} })
  try {
    r.enable()
    r.request('startup')
    await r.idle()
    // Pages served (a refused call for a missing function is not a page).
    return { snaps, limits: s.limits, pages: s.limits.length, names: s.names }
  } finally {
    r.stop()
    timers.closeAll()
  }
}

describe('Reconciler paging', () => {
  it('asks for pages as large as the server serves (1,000 rows)', async () => {
    expect(QUEUED_REQUESTS_MAX_PAGE).toBe(1000)
    const { limits } = await readAll(3)
    expect(limits).toEqual([1000])
  })

  it('a 1,000-request backlog is one full page and one empty page (two round trips, not three)', async () => {
    const { snaps, pages } = await readAll(1000)
    expect(pages).toBe(2)
    expect(snaps).toHaveLength(1)
    expect(snaps[0]!.requests).toHaveLength(1000)
  })

  it('999 requests: a page shorter than asked is the last one', async () => {
    const { snaps, pages } = await readAll(999)
    expect(pages).toBe(1)
    expect(snaps[0]!.requests).toHaveLength(999)
  })

  it('1,001 requests: a full page is followed by the rest, in keyset order', async () => {
    const { snaps, pages } = await readAll(1001)
    expect(pages).toBe(2)
    expect(snaps[0]!.requests.map((q) => q.requestId)).toEqual(Array.from({ length: 1001 }, (_, i) => rid(i)))
  })

  it('a page size above the server cap is lowered to it, so a full page of 1,000 is never taken for the last', async () => {
    const { snaps, limits } = await readAll(1500, 5000)
    expect(limits).toEqual([1000, 1000])
    expect(snaps[0]!.requests).toHaveLength(1500)
  })

  it('a smaller page size is kept (rounded down); zero, negative or not a number means the default', async () => {
    expect((await readAll(5, 2.9)).limits).toEqual([2, 2, 2])
    expect((await readAll(2, 1)).limits).toEqual([1, 1, 1])
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) expect((await readAll(1, bad)).limits).toEqual([1000])
  })
})

describe('Reconciler paging with rows_left (a project with the queue-read migration)', () => {
  it('a 1,000-request backlog is one round trip: the full page says nothing is left after it', async () => {
    const { snaps, pages } = await readAll(1000, undefined, true)
    expect(pages).toBe(1)
    expect(snaps[0]!.requests).toHaveLength(1000)
  })

  it('1,001 requests: the full page says one more is left, so the next page is read', async () => {
    const { snaps, pages } = await readAll(1001, undefined, true)
    expect(pages).toBe(2)
    expect(snaps[0]!.requests.map((q) => q.requestId)).toEqual(Array.from({ length: 1001 }, (_, i) => rid(i)))
  })

  it('2,000 requests: two full pages, and no empty third read', async () => {
    const { snaps, pages } = await readAll(2000, undefined, true)
    expect(pages).toBe(2)
    expect(snaps[0]!.requests).toHaveLength(2000)
  })

  it('a smaller page size pages by the same rule', async () => {
    const r = await readAll(6, 3, true)
    expect(r.limits).toEqual([3, 3])
    expect(r.snaps[0]!.requests).toHaveLength(6)
  })

  it('reads through queued_requests_page; a project without it (PGRST202) is read through queued_requests from then on', async () => {
    expect((await readAll(3, undefined, true)).names).toEqual(['queued_requests_page'])
    const timers = new TimerRegistry()
    const s = server(1001)
    const snaps: QueueSnapshot[] = []
    const r = new Reconciler({ client: s.client, log: quiet, clock: { now: () => Date.now() }, timers, apply: (x) => snaps.push(x), onHealth: () => {} })
    try {
      r.enable()
      r.request('startup')
      await r.idle()
      r.request('timer')
      await r.idle()
    } finally {
      r.stop()
      timers.closeAll()
    }
    // One refused call, then two pages per run through the older function; the second run never asks again.
    expect(s.names).toEqual(['queued_requests_page', 'queued_requests', 'queued_requests', 'queued_requests', 'queued_requests'])
    expect(snaps.map((x) => x.requests.length)).toEqual([1001, 1001])
    expect(r.stats.failed).toBe(0)
  })

  /** One startup read of a server; what it was asked, what it handed over, what it said. */
  async function readOnce(s: ReturnType<typeof server>, maxPages?: number) {
    const timers = new TimerRegistry()
    const snaps: QueueSnapshot[] = []
    const health: (string | null)[] = []
    const infos: { msg: string; fields?: Record<string, unknown> }[] = []
    const log: Logger = { ...quiet, info: (msg: string, fields?: Record<string, unknown>) => void infos.push({ msg, fields }) }
    const r = new Reconciler({ client: s.client, log, clock: { now: () => Date.now() }, timers, maxPages, apply: (x) => snaps.push(x), onHealth: (h) => health.push(h) })
    try {
      r.enable()
      r.request('startup')
      await r.idle()
    } finally {
      r.stop()
      timers.closeAll()
    }
    return { snaps, health, infos, names: s.names }
  }

  it('the switch is said once in the log, with the server\'s words', async () => {
    const { infos } = await readOnce(server(3))
    expect(infos).toEqual([{ msg: expect.stringMatching(/no queued_requests_page; reading the queue through queued_requests/), fields: { cause: expect.stringContaining('PGRST202') } }])
  })

  it('the refused call is not a page: a read allowed one page still reads a one-page queue', async () => {
    const { snaps, health } = await readOnce(server(3), 1)
    expect(snaps.map((x) => x.requests.length)).toEqual([3])
    expect(health).toEqual([null])
  })

  it('a project with neither function: one try of each, then the read fails naming queued_requests (no loop)', async () => {
    const { snaps, health, names } = await readOnce(server(3, false, true))
    expect(names).toEqual(['queued_requests_page', 'queued_requests'])
    expect(snaps).toEqual([])
    expect(health).toEqual([expect.stringMatching(/^Cannot read the queue from the server \(queued_requests: not found on the server/)])
  })
})

describe('isLastPage', () => {
  const full = (left: unknown) => Array.from({ length: 3 }, () => ({ id: 'x', rows_left: left }))
  it('a page shorter than asked is the last, whatever it says', () => {
    expect(isLastPage([], 3)).toBe(true)
    expect(isLastPage([{ rows_left: 99 }], 3)).toBe(true)
  })
  it('a full page is the last only when its rows say no more are left', () => {
    expect(isLastPage(full(3), 3)).toBe(true)
    expect(isLastPage(full(4), 3)).toBe(false)
  })
  it('a full page without a usable rows_left (older project, or a value that is not a whole number) is not the last', () => {
    for (const left of [undefined, null, '3', 2.5, Number.NaN, true]) expect(isLastPage(full(left), 3), String(left)).toBe(false)
    expect(isLastPage([1, 2, 3], 3)).toBe(false)
    expect(isLastPage([null, null, null], 3)).toBe(false)
  })
})
