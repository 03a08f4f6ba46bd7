// postgres_changes the server refuses. On a new Supabase project nothing is granted by default; when the
// subscriber's role cannot SELECT the table's primary key, Realtime still subscribes but sends every change
// as `errors: ["Error 401: Unauthorized"]` with no record (supabase/realtime apply_rls). The engine records
// and counts each one, reads the queue instead, and shows the link degraded with the server's reason —
// never silently dropped. Once the grants are back, the next good event clears it.
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { createRequest, engineSuite, until, waitForState } from './helpers.js'

let b: Backend
const { live } = engineSuite({
  started: (x) => (b = x),
  afterEach: async (x) => {
    await x.sql.query('grant select on public.session_assignments to authenticated')
    await x.sql.query(`update public.session_assignments set status = 'cancelled' where status = 'queued'`)
  },
})

const REASON = "postgres_changes refused by the server: Error 401: Unauthorized — the table's grants are missing? (public.session_assignments)"

describe('postgres_changes refused for missing grants', () => {
  it('are recorded, counted and shown as degraded with the server\'s reason; the private broadcast still rings; grants back → live', async () => {
    const t = await live()
    // The role may read every column but the primary key: exactly the case the server answers with 401.
    const cols = (
      await b.sql.query<{ c: string }>(
        `select column_name as c from information_schema.columns where table_schema = 'public' and table_name = 'session_assignments' and column_name <> 'id'`,
      )
    ).rows.map((r) => `"${r.c}"`)
    await b.sql.query('revoke select on public.session_assignments from authenticated')
    await b.sql.query(`grant select (${cols.join(', ')}) on public.session_assignments to authenticated`)
    t.engine.reconnectNow() // the server learns a role's column privileges when it subscribes
    await until(() => t.engine.link!.isLive, 10_000, 'the link rejoined')

    const r = await createRequest(b, { name: 'Granted Greta' })
    await waitForState(t.engine, 'degraded', 5000, /postgres_changes refused by the server: Error 401: Unauthorized — the table's grants are missing\?/)
    expect(t.engine.snapshot().link.reason).toContain(REASON)
    expect(t.engine.snapshot().health.counters['postgres_changes:refused']).toBeGreaterThanOrEqual(1)
    const rejected = t.engine.core!.store.recentEvents(100).filter((e) => e.source === 'postgres_changes' && e.outcome === 'rejected')
    expect(rejected.map((e) => e.reason)).toContain('postgres_changes refused by the server: Error 401: Unauthorized')
    expect(t.log.has(/postgres_changes refused by the server; reading the queue instead/)).toBe(true)
    // The trusted private broadcast does not depend on the table grants: the request still rings.
    await until(() => t.sink.rung().includes(r.id), 3000, 'rings from the private broadcast')

    await b.sql.query('grant select on public.session_assignments to authenticated')
    t.engine.reconnectNow()
    await until(() => t.engine.link!.isLive, 10_000, 'the link rejoined')
    const ok = await createRequest(b, { name: 'Regranted Rob' })
    await waitForState(t.engine, 'live', 5000)
    await until(() => t.sink.rung().includes(ok.id), 3000, 'rings')
    expect(t.engine.snapshot().link.reason).not.toMatch(/refused/)
  })
})
