import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { backend, createRequest, startEngine, until, waitForState } from './helpers.js'

let b: Backend
beforeAll(async () => {
  b = await backend()
}, 120_000)
afterAll(async () => {
  await b?.stop()
})

describe('smoke', () => {
  it('goes live and rings for a queued request', async () => {
    const t = await startEngine(b)
    try {
      await waitForState(t.engine, 'live', 15_000)
      const r = await createRequest(b, { name: 'Smoke Test' })
      await until(() => t.sink.rung().includes(r.id), 5000, 'ring')
      console.log(t.sink.alerts.map((a) => ({ k: a.kind, t: a.title, b: a.body, d: a.detail, lat: a.latencyMs })))
      expect(t.engine.link!.channelCount).toBe(2)
    } finally {
      if (process.env.DUMP) console.log(t.log.lines.join('\n'))
      await t.stop()
    }
  })
})
