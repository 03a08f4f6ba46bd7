// Reconnect storms: after a realtime restart, a fleet of engines spreads its rejoins so the shop stays under its
// join budget (Supabase counts channel joins per second per project), every engine is live again, and a request
// committed during the storm reaches every one of them. A small budget (10/s) makes the spread measurable with
// 20 engines in one process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { joinWindowMs } from '../../src/core/link/join-window.js'
import { backend, createRequest, startEngine, until, type TestEngine } from './helpers.js'

const BUDGET = 10
const N = 20
// The spread itself is the link's: it draws each rejoin's delay from LinkConfig.joinWindowMs(), which the engine
// provides from the shop's workstation count (check-in) and the budget.

let b: Backend
beforeAll(async () => {
  b = await backend()
}, 120_000)
afterAll(async () => {
  await b?.stop()
})

describe('join budget', () => {
  describe(`a fleet of ${N} engines under a budget of ${BUDGET} joins/s`, () => {
    const engines: TestEngine[] = []
    beforeAll(async () => {
      for (let i = 0; i < N; i += 5) {
        engines.push(
          ...(await Promise.all(
            Array.from({ length: 5 }, (_, j) =>
              startEngine(b, { user: (i + j) % 3, tuning: { workstationHeartbeatMs: 1000 }, config: { joinBudgetPerSec: BUDGET } }),
            ),
          )),
        )
      }
      await until(() => engines.every((t) => t.engine.snapshot().link.state === 'live'), 30_000, 'every engine live')
      // Each knows the fleet from its check-in.
      await until(() => engines.every((t) => (t.engine.checkIn?.workstations ?? 0) >= N), 15_000, 'every engine to know the fleet size')
    }, 120_000)
    afterAll(async () => {
      await Promise.all(engines.map((t) => t.stop()))
    })

    /**
     * `hit` takes every engine's channels down at once; then: at most BUDGET joins in any second, spread (not all at
     * once), every engine live again, and a request committed during the storm on every engine, rung once.
     */
    async function storm(what: string, hit: () => Promise<void> | void): Promise<void> {
      await until(() => engines.every((t) => t.engine.snapshot().link.state === 'live'), 30_000, `every engine live before ${what}`)
      const wentDown = new Set<TestEngine>()
      const liveAgain = new Set<TestEngine>()
      const offs = engines.map((t) =>
        t.engine.on('state', (s) => {
          if (s.state !== 'live') wentDown.add(t)
          else if (wentDown.has(t)) liveAgain.add(t)
        }),
      )
      const joinsBefore = b.stats().realtime.joins
      const hitAt = Date.now()
      try {
        await hit()
        const during = await createRequest(b, { name: `During ${what}` })
        // The window for N workstations × 1 channel at 10/s is ≈ 7 s; the deadline leaves room for a loaded machine.
        await until(() => liveAgain.size === N, 45_000, `every engine live again after ${what} (${liveAgain.size}/${N})`)
        const rejoinedIn = Date.now() - hitAt
        await until(() => engines.every((t) => t.engine.snapshot().queue.some((q) => q.requestId === during.id)), 15_000, `the request committed during ${what} on every engine`)
        const stats = b.stats(hitAt)
        expect(stats.realtime.joins - joinsBefore).toBeGreaterThanOrEqual(N) // they did rejoin…
        expect(stats.realtime.peakJoinsPerSec).toBeLessThanOrEqual(BUDGET) // …spread under the budget
        expect(rejoinedIn).toBeGreaterThan(1000) // spread, not at once
        for (const t of engines) expect(t.sink.rung().filter((id) => id === during.id), t.engine.config.workstationId).toHaveLength(1)
      } finally {
        for (const off of offs) off()
      }
    }

    it('after a realtime restart (every socket dropped: phoenix reconnects)', async () => {
      await storm('a realtime restart', () => b.faults.restartRealtime())
    }, 120_000)

    it('after the server closes every channel at once (a wave of expired tokens: the link rebuilds each)', async () => {
      const closesBefore = engines.reduce((n, t) => n + t.engine.link!.stats.serverCloses, 0)
      await storm('a token expiry wave', () => b.faults.expireTokens())
      // It was the channel-close path (not a socket loss) that spread the rejoins.
      expect(engines.reduce((n, t) => n + t.engine.link!.stats.serverCloses, 0) - closesBefore).toBeGreaterThanOrEqual(N)
    }, 120_000)
  })

  it('the rejoin window follows the fleet the check-in reports: none for a small shop, spread for a large one', async () => {
    const t = await startEngine(b, { tuning: { workstationHeartbeatMs: 300 }, config: { joinBudgetPerSec: BUDGET } })
    try {
      await until(() => t.engine.snapshot().link.state === 'live' && (t.engine.checkIn?.stats.checkIns ?? 0) >= 1, 15_000, 'live and checked in')
      await b.sql.query(`update public.workstation_health set last_seen = now() - interval '1 hour' where workstation_id <> $1`, [t.engine.config.workstationId])
      await until(() => t.engine.checkIn!.workstations === 1, 3000, 'a fleet of one')
      expect(t.engine.joinWindowMs()).toBe(0) // 1 ≤ 10 / 10: at once
      // 49 more workstations seen just now (another mechanic's rows, as the shop's other machines write them).
      await b.sql.query(
        `insert into public.workstation_health (workstation_id, mechanic_id, last_seen, state) select 'other-' || g, $1, now(), 'live' from generate_series(1, 49) g
         on conflict (workstation_id, mechanic_id) do update set last_seen = now()`,
        [b.demoUsers[1]!.id],
      )
      await until(() => t.engine.checkIn!.workstations === 50, 3000, 'a fleet of 50')
      // Every channel of the workstation's layout is a join.
      const channels = t.engine.link!.channelLayout.channels.length
      expect(t.engine.joinWindowMs()).toBe(joinWindowMs(50, BUDGET, channels))
      expect(t.engine.joinWindowMs()).toBeGreaterThan(10_000) // ≥ 50 joins at ≈ 3/s
    } finally {
      await t.stop()
    }
  })
})
