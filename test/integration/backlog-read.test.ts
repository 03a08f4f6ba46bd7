// A backlog read end to end: the Reconciler (real supabase-js, signed in as a mechanic) against the real
// queued_requests function. The page size it asks for is the most the function serves — checked here against the
// function itself, since a page size above its clamp would make a full page look like the last one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { startBackend, type Backend } from '../backend/index.js'
import { beforeQueueReadMigration, serviceClient, signedIn } from '../backend/helpers.js'
import { insertQueuedBulk } from '../backend/simulate.js'
import { QUEUED_REQUESTS_MAX_PAGE, Reconciler } from '../../src/core/feed/reconcile.js'
import { TimerRegistry } from '../../src/core/link/timers.js'
import type { QueueSnapshot } from '../../src/core/facts.js'
import type { Logger } from '../../src/core/ports.js'

const BACKLOG = 1500
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }

let b: Backend
let mechanic: SupabaseClient
let ids: string[]

beforeAll(async () => {
  b = await startBackend({ port: 0, realtime: false })
  ids = await insertQueuedBulk(b.sql, BACKLOG, 'Backlog')
  mechanic = await signedIn(b, b.demoUsers[0]!)
}, 120_000)
afterAll(async () => {
  await b?.stop()
})

async function readBacklog(pageSize?: number): Promise<{ snapshot: QueueSnapshot; pages: number }> {
  const timers = new TimerRegistry()
  const snaps: QueueSnapshot[] = []
  const r = new Reconciler({ client: mechanic, log: quiet, clock: { now: () => Date.now() }, timers, pageSize, apply: (s) => snaps.push(s), onHealth: () => {} })
  try {
    r.enable()
    r.request('startup')
    await r.idle()
    expect(snaps).toHaveLength(1)
    return { snapshot: snaps[0]!, pages: r.stats.pages }
  } finally {
    r.stop()
    timers.closeAll()
  }
}

describe('backlog read', () => {
  it('queued_requests and queued_requests_page serve at most QUEUED_REQUESTS_MAX_PAGE rows, whatever is asked', async () => {
    for (const fn of ['queued_requests', 'queued_requests_page']) {
      const r = await mechanic.rpc(fn, { p_after_queued_at: null, p_after_id: null, p_limit: 5000 })
      expect(r.error, fn).toBeNull()
      expect(r.data, fn).toHaveLength(QUEUED_REQUESTS_MAX_PAGE)
    }
  })

  it(`${BACKLOG} queued requests: all of them, with details, in two pages`, async () => {
    const { snapshot, pages } = await readBacklog()
    expect(pages).toBe(2)
    expect(new Set(snapshot.requests.map((q) => q.requestId))).toEqual(new Set(ids))
    expect(snapshot.requests.every((q) => q.details?.customerName?.startsWith('Backlog '))).toBe(true)
  })

  it('a page size above the function\'s cap still reads the whole queue', async () => {
    const { snapshot } = await readBacklog(5000)
    expect(snapshot.requests).toHaveLength(BACKLOG)
  })

  it('every row says how many waiting requests are left from its page on', async () => {
    const first = await mechanic.rpc('queued_requests_page', { p_after_queued_at: null, p_after_id: null, p_limit: 10 })
    expect(first.error).toBeNull()
    const rows = first.data as { id: string; queued_at: string; rows_left: number }[]
    expect(rows.map((r) => r.rows_left)).toEqual(Array(10).fill(BACKLOG))
    const last = rows[9]!
    const next = await mechanic.rpc('queued_requests_page', { p_after_queued_at: last.queued_at, p_after_id: last.id, p_limit: 10 })
    expect((next.data as { rows_left: number }[])[0]!.rows_left).toBe(BACKLOG - 10)
  })

  it('exactly one full page waiting: read in one round trip, with no empty page after it', async () => {
    // The waiting requests after the first page, in the function's own (queued_at, id) order, stop waiting.
    const cancelled = await b.sql.query<{ id: string }>(
      `update public.session_assignments set status = 'cancelled' where id in
         (select id from public.session_assignments where status = 'queued' order by queued_at, id offset $1) returning id`,
      [QUEUED_REQUESTS_MAX_PAGE],
    )
    const extra = cancelled.rows.map((r) => r.id)
    expect(extra).toHaveLength(BACKLOG - QUEUED_REQUESTS_MAX_PAGE)
    try {
      const { snapshot, pages } = await readBacklog()
      expect(pages).toBe(1)
      expect(new Set(snapshot.requests.map((q) => q.requestId))).toEqual(new Set(ids.filter((id) => !extra.includes(id))))
    } finally {
      await b.sql.query(`update public.session_assignments set status = 'queued' where id = any($1::uuid[])`, [extra])
    }
  })

  it('the shop\'s own service role reads the whole queue too (the simulator acts on the oldest request)', async () => {
    for (const fn of ['queued_requests', 'queued_requests_page']) {
      const r = await serviceClient(b).rpc(fn, { p_limit: 1000 })
      expect(r.error, fn).toBeNull()
      expect(r.data, fn).toHaveLength(QUEUED_REQUESTS_MAX_PAGE)
    }
  })

  it('queued_requests keeps its columns (no rows_left) for the shop\'s tools and older apps', async () => {
    const r = await mechanic.rpc('queued_requests', { p_limit: 1 })
    expect(Object.keys((r.data as object[])[0]!).sort()).toEqual(
      ['concern', 'created_at', 'customer_name', 'id', 'intake_id', 'mechanic_id', 'queued_at', 'session_id', 'session_type', 'status', 'updated_at', 'vehicle_make', 'vehicle_model', 'vehicle_year'],
    )
  })

  it('a project without queued_requests_page: the queue is read through queued_requests, whole', async () => {
    await beforeQueueReadMigration(b, async () => {
      const { snapshot, pages } = await readBacklog()
      // The refused call counts as a read; then a full page, and the rest.
      expect(pages).toBe(3)
      expect(new Set(snapshot.requests.map((q) => q.requestId))).toEqual(new Set(ids))
    })
  })
})
