// Reconciler paging rules against a fake rpc that behaves like the queued_requests SQL function: keyset order,
// p_limit clamped to 1..1000 by the server. A backlog is read in as few round trips as the server allows, and a
// page size the server would not honour never truncates the queue.
import { describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { QUEUED_REQUESTS_MAX_PAGE, Reconciler } from '../../../src/core/feed/reconcile.js'
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

/** queued_requests as the migration defines it: after (queued_at, id), at most least(greatest(p_limit, 1), 1000) rows. */
function server(n: number) {
  const rows = Array.from({ length: n }, (_, i) => row(i))
  const limits: number[] = []
  const client = {
    rpc: (_name: string, a: Record<string, unknown>) => {
      const b = {
        retry: () => b,
        abortSignal: () => b,
        then: (ok: (v: unknown) => unknown, bad?: (e: unknown) => unknown) =>
          Promise.resolve()
            .then(() => {
              limits.push(a.p_limit as number)
              const start = a.p_after_id ? rows.findIndex((x) => x.id === a.p_after_id) + 1 : 0
              const limit = Math.min(Math.max((a.p_limit as number | null) ?? 500, 1), 1000)
              return { data: rows.slice(start, start + limit), error: null, status: 200 }
            })
            .then(ok, bad),
      }
      return b
    },
  } as unknown as SupabaseClient
  return { client, limits }
}

async function readAll(n: number, pageSize?: number): Promise<{ snaps: QueueSnapshot[]; limits: number[]; pages: number }> {
  const timers = new TimerRegistry()
  const s = server(n)
  const snaps: QueueSnapshot[] = []
  const r = new Reconciler({ client: s.client, log: quiet, clock: { now: () => Date.now() }, timers, pageSize, apply: (x) => snaps.push(x), onHealth: () => {} })
  try {
    r.enable()
    r.request('startup')
    await r.idle()
    return { snaps, limits: s.limits, pages: r.stats.pages }
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
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) expect((await readAll(1, bad)).limits).toEqual([1000])
  })
})
