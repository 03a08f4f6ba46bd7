// The workstation watch end to end (issue 7): three real engines on the local backend (real PostgreSQL, PostgREST,
// supabase-js, SQLite), checking in every 400 ms. One is stopped without a goodbye — its workstation_health row just
// stops updating, as when a machine loses power — and the other two show "2 of 3 live" and name it, silent since its
// last check-in. A request waiting past the (shortened) threshold does not escalate while all three are live, and
// escalates on both survivors — louder and on the shorter repeat — once they are fewer than the limit.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { createRequest, engineSuite, sleep, until, type TestEngine } from './helpers.js'

const PERIOD_MS = 400
const AFTER_MS = 1500
const REPEAT_MS = 700
let b: Backend
const { live } = engineSuite({ started: (x) => (b = x) })

function bay(n: number): Promise<TestEngine> {
  return live({
    user: n - 1,
    tuning: { workstationHeartbeatMs: PERIOD_MS, checkInGraceMs: 200 },
    config: { workstationId: `Bay ${n}`, escalateAfterMs: AFTER_MS, escalateBelowLive: 3, escalatedRepeatMs: REPEAT_MS },
  })
}

const MIGRATIONS = resolve(import.meta.dirname, '../../supabase/migrations')
const migration = (name: string) => readFileSync(resolve(MIGRATIONS, name), 'utf8')

const escalated = (t: TestEngine, id: string) => t.sink.alerts.filter((a) => a.escalated === true && a.requestId === id)

describe('workstation watch', () => {
  it('three workstations, one stopped without a goodbye: the others show 2 of 3 live, name it, and escalate', async () => {
    const [b1, b2, b3] = await Promise.all([bay(1), bay(2), bay(3)])
    for (const t of [b1, b2, b3]) {
      await until(() => t.engine.snapshot().workstations?.live === 3, 8000, `${t.engine.config.workstationId} sees 3 of 3 live`)
    }
    expect(b1.engine.snapshot().workstations).toMatchObject({ live: 3, total: 3, silent: [] })
    expect(b1.engine.snapshot().workstations!.list.map((e) => [e.name, e.live, e.mechanic])).toEqual([
      ['Bay 1', true, b.demoUsers[0].name],
      ['Bay 2', true, b.demoUsers[1].name],
      ['Bay 3', true, b.demoUsers[2].name],
    ])

    // All three live: a request waiting past the threshold rings as usual, but does not escalate (3 is not fewer than 3).
    const r = await createRequest(b, { name: 'Maria Gonzalez' })
    await until(() => b1.sink.rung().includes(r.id) && b2.sink.rung().includes(r.id), 5000, 'the request rings on bays 1 and 2')
    await sleep(AFTER_MS + PERIOD_MS)
    expect(escalated(b1, r.id)).toEqual([])
    expect(escalated(b2, r.id)).toEqual([])

    const lastCheckIn = Date.now()
    await b3.stop() // no goodbye: its row stops updating
    const stoppedAt = Date.now()

    for (const t of [b1, b2]) {
      await until(() => t.engine.snapshot().workstations?.live === 2, 3 * PERIOD_MS + 4000, `${t.engine.config.workstationId} sees Bay 3 silent`)
      const w = t.engine.snapshot().workstations!
      expect(w).toMatchObject({ live: 2, total: 3 })
      expect(w.silent.map((s) => s.name)).toEqual(['Bay 3'])
      // Silent since its last check-in: within one period (plus slack) before it stopped.
      expect(w.silent[0]!.since).toBeGreaterThanOrEqual(lastCheckIn - PERIOD_MS - 500)
      expect(w.silent[0]!.since).toBeLessThanOrEqual(stoppedAt + 500)
      expect(t.log.has(/a workstation fell silent.*Bay 3/)).toBe(true)
      expect(t.engine.snapshot().health.counters['watch:silent']).toBe(1)
    }

    // Short-handed now: both survivors escalate the waiting request — loud, with the shop's state — and repeat it
    // on the short interval.
    for (const t of [b1, b2]) {
      await until(() => escalated(t, r.id).length >= 2, 3 * REPEAT_MS + 3000, `${t.engine.config.workstationId} escalates twice`)
      const [first, second] = escalated(t, r.id)
      expect(first).toMatchObject({ kind: 'repeat', title: expect.stringMatching(/^Urgent — waiting \d+ min: Maria Gonzalez$/) })
      expect(first!.body).toMatch(/^Only 2 of 3 workstations live\./)
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(REPEAT_MS - 50)
      expect(second!.at - first!.at).toBeLessThan(REPEAT_MS + 1500)
    }

    // Taken on bay 1: it leaves both queues and escalation stops.
    expect(await b1.engine.accept(r.id)).toEqual({ ok: true })
    await until(() => b2.engine.snapshot().queue.length === 0, 5000, 'the request leaves bay 2')
    const count = escalated(b2, r.id).length
    await sleep(REPEAT_MS * 2)
    expect(escalated(b2, r.id).length).toBe(count)
  }, 60_000)

  it('a project with the check-in but not the watch: one log line, check-ins as before, no watch and no escalation', async () => {
    // The check_in of 20261201000000 alone: five parameters, no roster.
    const old = migration('20261201000000_bayalert_check_in.sql')
    await b.sql.query(`drop function public.check_in(text, text, text, text, jsonb, integer, text); ${old.slice(old.indexOf('create or replace function public.check_in('))}`)
    try {
      const t = await bay(1)
      await until(() => t.engine.checkIn!.stats.checkIns >= 2, 8000, 'two check-ins')
      expect(t.log.has(/no workstation watch; checking in without it/)).toBe(true)
      expect(t.log.lines.filter((l) => /no workstation watch/.test(l))).toHaveLength(1)
      expect(t.engine.checkIn!.stats.failed).toBe(0)
      expect(t.engine.snapshot().workstations).toBeNull()
      const r = await createRequest(b, { name: 'No Watch' })
      await until(() => t.sink.rung().includes(r.id), 5000, 'the request rings')
      await sleep(AFTER_MS + PERIOD_MS)
      expect(escalated(t, r.id)).toEqual([]) // live count unknown: never escalates on a guess
    } finally {
      await b.sql.query(migration('20261202000000_bayalert_workstation_watch.sql'))
    }
  }, 30_000)
})
