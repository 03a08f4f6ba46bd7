// What one queue read costs the database: the read policies ask is_mechanic() once per statement, not once per row
// (supabase/migrations/20261205000000_bayalert_rls_initplan.sql — a 1,000-request backlog read called it ≈ 6,000
// times before); the page costs the same however many requests the shop has already dealt with
// (20261206000000_bayalert_queue_read.sql); and a mechanic still sees exactly the queued requests, nobody else anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { startBackend, type Backend } from './index.js'
import { insertQueuedBulk } from './simulate.js'
import type { DemoUser } from './demo.js'

const QUEUED = 300

let b: Backend
let ids: string[]

beforeAll(async () => {
  b = await startBackend({ port: 0, realtime: false })
  ids = await insertQueuedBulk(b.sql, QUEUED, 'Cost')
})
afterAll(async () => {
  await b?.stop()
})

/**
 * `sql` as `u` would run it through PostgREST (role authenticated, the JWT's claims in request.jwt.claims), in a
 * transaction that also counts this transaction's calls of public.is_mechanic().
 */
async function runAs(u: DemoUser, sql: string, params: unknown[]): Promise<{ ids: string[]; isMechanicCalls: number }> {
  const c: pg.PoolClient = await b.sql.connect()
  try {
    await c.query('begin')
    // Superuser-only setting, so before the role switch; 'all' counts SQL functions too.
    await c.query(`set local track_functions = 'all'`)
    await c.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: u.id, role: 'authenticated', email: u.email })])
    await c.query('set local role authenticated')
    const rows = await c.query<{ id: string }>(sql, params)
    await c.query('reset role')
    const calls = await c.query<{ n: string | null }>(`select pg_stat_get_xact_function_calls('public.is_mechanic()'::regprocedure) as n`)
    return { ids: rows.rows.map((x) => x.id), isMechanicCalls: Number(calls.rows[0]!.n ?? 0) }
  } finally {
    await c.query('rollback').catch(() => undefined)
    c.release()
  }
}

const PAGE = 'select id from public.queued_requests(null, null, 1000)'
/** The accepted assignment, its session and its intake, each through its own read policy. */
const OWN = `select a.id from public.session_assignments a where a.id = $1
             union all select s.id from public.sessions s join public.session_assignments x on x.session_id = s.id where x.id = $1
             union all select i.id from public.intakes i join public.sessions s2 on s2.intake_id = i.id join public.session_assignments y on y.session_id = s2.id where y.id = $1`

describe('queue read through the read policies', () => {
  it(`a mechanic's page of ${QUEUED} queued requests asks is_mechanic() a few times per statement, not once per row`, async () => {
    const r = await runAs(b.demoUsers[0]!, PAGE, [])
    expect(new Set(r.ids)).toEqual(new Set(ids))
    // The function runs at all (the count is real), and a handful of InitPlans is all: three policies, each asks once.
    expect(r.isMechanicCalls).toBeGreaterThanOrEqual(1)
    expect(r.isMechanicCalls).toBeLessThanOrEqual(10)
  })

  it('a signed-in user who is not a mechanic still reads nothing, at the same cost', async () => {
    const r = await runAs(b.frontDeskUser, PAGE, [])
    expect(r.ids).toEqual([])
    expect(r.isMechanicCalls).toBeLessThanOrEqual(10)
  })

  it('an accepted request: its mechanic still reads it with its session and intake, another mechanic reads none of them', async () => {
    const taken = ids[0]!
    await b.sql.query(`update public.session_assignments set status = 'accepted', mechanic_id = $1 where id = $2`, [b.demoUsers[1]!.id, taken])
    try {
      expect((await runAs(b.demoUsers[1]!, OWN, [taken])).ids).toHaveLength(3)
      expect((await runAs(b.demoUsers[0]!, OWN, [taken])).ids).toEqual([])
      const page = await runAs(b.demoUsers[0]!, PAGE, [])
      expect(page.ids).toHaveLength(QUEUED - 1)
      expect(page.ids).not.toContain(taken)
    } finally {
      await b.sql.query(`update public.session_assignments set status = 'queued', mechanic_id = null where id = $1`, [taken])
    }
  })
})

/** Buffer pages one page read touches, as `u` through PostgREST would run it (EXPLAIN ANALYZE BUFFERS, top node). */
async function pagesTouched(db: Backend, u: DemoUser): Promise<number> {
  const c: pg.PoolClient = await db.sql.connect()
  try {
    await c.query('begin')
    await c.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: u.id, role: 'authenticated', email: u.email })])
    await c.query('set local role authenticated')
    const r = await c.query<{ 'QUERY PLAN': { Plan: Record<string, number> }[] }>(`explain (analyze, buffers, format json) ${PAGE}`)
    const plan = r.rows[0]!['QUERY PLAN'][0]!.Plan
    return plan['Shared Hit Blocks']! + plan['Shared Read Blocks']!
  } finally {
    await c.query('rollback').catch(() => undefined)
    c.release()
  }
}

describe('queue read cost against the shop\'s history', () => {
  let h: Backend
  beforeAll(async () => {
    h = await startBackend({ port: 0, realtime: false })
  })
  afterAll(async () => {
    await h?.stop()
  })

  it('a page of 300 waiting requests touches about as many pages after 1,500 older requests were cancelled as before', async () => {
    // Through the read policies, every row asked two EXISTS sub-queries planned as a bitmap over the partial index of
    // all waiting rows (and, until VACUUM, of rows that stopped waiting): ≈ 2,700 pages with no history, ≈ 11,800 with it.
    const mechanic = h.demoUsers[0]!
    await insertQueuedBulk(h.sql, QUEUED, 'Fresh')
    const fresh = await pagesTouched(h, mechanic)
    for (let round = 0; round < 5; round++) {
      await h.sql.query(`update public.session_assignments set status = 'cancelled' where status = 'queued'`)
      await insertQueuedBulk(h.sql, QUEUED, `Later ${round}`)
    }
    const withHistory = await pagesTouched(h, mechanic)
    expect(withHistory).toBeLessThanOrEqual(fresh * 1.5)
    // An index walk and two primary-key look-ups per row, not a scan per row.
    expect(withHistory).toBeLessThanOrEqual(QUEUED * 6)
  })
})
