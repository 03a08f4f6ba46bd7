// commit_timestamp in postgres_changes is the transaction's commit time (wal2json reports the commit record's
// timestamp): the same for every row of one transaction, never earlier than the commit — also for a
// row too big for a NOTIFY payload, which takes the overflow path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js'
import { startHarness, waitFor, type Harness } from './harness.js'

interface Change {
  id: number
  commit_timestamp: string
}

describe('commit_timestamp', () => {
  let h: Harness
  let c: SupabaseClient
  let ch: RealtimeChannel
  const got: Change[] = []
  beforeAll(async () => {
    h = await startHarness()
    await h.sql.query(`
      create table public.rt_commit_ts (id int primary key, body text);
      grant select on public.rt_commit_ts to anon, authenticated;
      alter publication supabase_realtime add table public.rt_commit_ts;`)
    c = await h.client()
    const system: Array<Record<string, unknown>> = []
    ch = c
      .channel('commit-ts')
      .on('postgres_changes', { event: '*', schema: 'public', table: 'rt_commit_ts' }, (p) =>
        got.push({ id: Number((p.new as { id?: number }).id ?? (p.old as { id?: number }).id), commit_timestamp: p.commit_timestamp }),
      )
      .on('system', {}, (p: Record<string, unknown>) => system.push(p))
    await new Promise<void>((resolve, reject) => ch.subscribe((s, e) => (s === 'SUBSCRIBED' ? resolve() : reject(e ?? new Error(s)))))
    await waitFor('Subscribed to PostgreSQL', () => system.find((s) => s.message === 'Subscribed to PostgreSQL'))
  })
  afterAll(async () => {
    await h?.stop()
  })

  /** Runs `statements` in one transaction with pauses between them; returns the database clock just before COMMIT. */
  async function transaction(statements: string[]): Promise<number> {
    const client = await h.sql.connect()
    try {
      await client.query('begin')
      for (const s of statements) {
        await client.query(s)
        await client.query('select pg_sleep(0.03)')
      }
      const last = (await client.query<{ t: Date }>('select clock_timestamp() as t')).rows[0].t.getTime()
      await client.query('commit')
      return last
    } catch (e) {
      await client.query('rollback').catch(() => undefined)
      throw e
    } finally {
      client.release()
    }
  }

  it('every row of one transaction carries the same stamp, not earlier than the last statement before COMMIT', async () => {
    const big = 'x'.repeat(20_000) // > 8000 bytes: parked in realtime.capture_overflow, fetched by the server
    const lastA = await transaction([
      `insert into public.rt_commit_ts values (1, 'a')`,
      `insert into public.rt_commit_ts values (2, '${big}')`,
      `update public.rt_commit_ts set body = 'b' where id = 1`,
    ])
    const lastB = await transaction([`insert into public.rt_commit_ts values (3, 'c')`, `delete from public.rt_commit_ts where id = 3`])
    await waitFor('five changes', () => got.length >= 5)
    expect(got.map((g) => g.id)).toEqual([1, 2, 1, 3, 3])
    for (const g of got) expect(g.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    const [a1, a2, a3, b1, b2] = got.map((g) => g.commit_timestamp)
    // One transaction, one commit time — although its statements ran ≥ 30 ms apart.
    expect(new Set([a1, a2, a3]).size).toBe(1)
    expect(b1).toBe(b2)
    // Never earlier than the commit: at or after the database clock read right before COMMIT (ms resolution).
    expect(Date.parse(a1)).toBeGreaterThanOrEqual(Math.floor(lastA))
    expect(Date.parse(b1)).toBeGreaterThanOrEqual(Math.floor(lastB))
    // The second transaction committed later, so its stamp is later.
    expect(Date.parse(b1)).toBeGreaterThan(Date.parse(a1))
  })
})
