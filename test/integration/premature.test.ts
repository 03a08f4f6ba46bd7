// Premature SUBSCRIBED (supabase/realtime-js#525, supabase/realtime#281): the join reply comes before
// "Subscribed to PostgreSQL"; a commit in
// that gap gets no postgres_changes event. The reconcile on the system ok message must pick it up.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { backend, createRequest, startEngine, until, waitForState } from './helpers.js'

let b: Backend
beforeAll(async () => {
  b = await backend({ systemMessageDelayMs: 2500 })
}, 120_000)
afterAll(async () => {
  await b?.stop()
})

it('a request committed between SUBSCRIBED and the system ok is not lost', async () => {
  const t = await startEngine(b, { signIn: false })
  try {
    // Only the persistent path counts here: the broadcast would otherwise deliver it anyway.
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 20 })
    await t.engine.signIn(b.demoUsers[0]!.email, b.demoUsers[0]!.password)
    await waitForState(t.engine, 'connecting', 10_000, /waiting for the database/)
    await t.engine.feed!.idle() // the startup reconcile is done: only the post-confirmation one can find it
    const r = await createRequest(b, { name: 'In The Gap' })
    expect(t.engine.snapshot().link.state).not.toBe('live')
    await waitForState(t.engine, 'live', 10_000)
    await until(() => t.sink.rung().includes(r.id), 3000, 'ring after confirmation')
    const item = t.engine.snapshot().queue.find((q) => q.requestId === r.id)
    expect(item?.firstSource).toBe('reconcile')
    expect(item?.detail).toBe('full')
  } finally {
    if (process.env.DUMP) console.log(t.log.lines.join('\n'))
    await t.stop()
  }
})
