// A PostgreSQL restart (the shop's database goes away for a while): REST reads fail, realtime loses its
// replication; the link must come back live and nothing committed afterwards may be missed.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { backend, createRequest, startEngine, until, waitForState } from './helpers.js'


let b: Backend
beforeAll(async () => {
  b = await backend({ dedicatedCluster: true })
}, 180_000)
afterAll(async () => {
  await b?.stop()
})

it('recovers after restartPostgres and rings for requests created afterwards', { timeout: 60_000 }, async () => {
  const t = await startEngine(b)
  try {
    await waitForState(t.engine, 'live', 15_000)
    const before = await createRequest(b, { name: 'Before Restart' })
    await until(() => t.sink.rung().includes(before.id), 2000, 'ring before')
    const { down, up } = b.faults.beginRestartPostgres({ downMs: 2000 })
    await down
    // Reads fail while it is down: the safety reconcile is forced to see it.
    t.engine.feed!.reconcile('manual')
    await until(() => t.engine.feed!.reconciler.stats.failed > 0, 10_000, 'a failed reconcile')
    // Never silent: a failed read is visible in the state (degraded with the cause, or offline).
    await until(() => t.engine.snapshot().link.state !== 'live', 5000, 'not shown as live while reads fail')
    await up
    // The link comes back live; the engine may stay 'degraded' a while longer because the health
    // monitor clears its fetch-failure window with hysteresis (src/core/health).
    await until(() => t.engine.link!.isLive, 20_000, 'link live again')
    const after = await createRequest(b, { name: 'After Restart' })
    await until(() => t.sink.rung().includes(after.id), 15_000, 'ring after restart')
    // The failed reconcile was retried and the queue is whole.
    await until(() => t.engine.feed!.reconciler.stats.ok >= 2, 30_000, 'reconcile recovered')
    expect(t.engine.snapshot().queue.map((q) => q.requestId)).toEqual(expect.arrayContaining([before.id, after.id]))
    expect(['live', 'degraded']).toContain(t.engine.snapshot().link.state)
  } finally {
    if (process.env.DUMP) console.log(t.log.lines.join('\n'))
    await t.stop()
  }
})
