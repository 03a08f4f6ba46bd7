// A project with Realtime's "allow public access" off refuses every public join with
// "PrivateOnly: This project only allows private channels" (supabase/realtime). On the one trusted path
// nothing changes (one private channel, shop:requests); on the fallback, postgres_changes ride on that private
// channel; the missing public hints are noted in the state, not treated as an error.
import { afterAll, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { backend, createRequest, engineSuite, onFallback, until, waitForState, type TestEngine } from './helpers.js'

let b: Backend
let started: Backend | null = null
const { live } = engineSuite({
  started: (x) => (started = x),
  afterEach: (x) => x.sql.query(`update public.session_assignments set status = 'cancelled' where status = 'queued'`),
})

async function privateOnlyBackend(): Promise<Backend> {
  // One private-only backend for the file, beside the suite's default one (which checks the usual layout).
  b ??= await backend({ privateOnly: true })
  return b
}

function itemOf(t: TestEngine, id: string) {
  return t.engine.snapshot().queue.find((q) => q.requestId === id)
}

describe('a private-only project', () => {
  it('goes live on the one private channel, like every project; on the fallback, postgres_changes ride on that channel and the state says why the public hints are missing', async () => {
    const p = await privateOnlyBackend()
    const t = await live({}, p)
    expect(t.engine.snapshot().link).toMatchObject({ state: 'live', reason: 'Connected; listening for requests' })
    expect(t.engine.link!.channelCount).toBe(1)
    // The fallback tries the public topic, is refused with PrivateOnly, and moves postgres_changes onto the private channel.
    t.engine.link!.reportPrivatePathBroken('test: no broadcast for a queue change')
    await waitForState(t.engine, 'degraded', 15_000, /^Receiving requests through postgres_changes on the private channel shop:requests: test: no broadcast/)
    expect(t.engine.link!.channelCount).toBe(1)
    expect(t.engine.link!.channelLayout).toEqual({
      privateOnly: true,
      channels: ['shop:requests'],
      requestChangesOn: 'shop:requests',
      publicRefused: 'PrivateOnly: This project only allows private channels',
      fallback: 'test: no broadcast for a queue change',
    })
    expect(t.log.has(/refuses public channels; using the private channel alone/)).toBe(true)
    expect(t.log.lines.filter((l) => / error /.test(l))).toEqual([])
    // Healthy again: the same channel without the requests' postgres_changes, live, and the hints' absence noted.
    t.engine.link!.reportPrivatePathHealthy()
    await waitForState(t.engine, 'live', 15_000)
    expect(t.engine.snapshot().link.reason).toMatch(/private channel shop:requests.*private channels only.*session_requests_feed hints are not heard/)
    expect(t.engine.link!.channelLayout.requestChangesOn).toBeNull()
  })

  it('rings with details and retracts when another mechanic accepts', async () => {
    const p = await privateOnlyBackend()
    const a = await live({ user: 0 }, p)
    const o = await live({ user: 1 }, p)
    const r = await createRequest(p, { name: 'Private Pat', concern: 'Clunk over bumps' })
    await until(() => a.sink.rung().includes(r.id) && o.sink.rung().includes(r.id), 3000, 'both ring')
    const alert = a.sink.alerts.find((x) => x.requestId === r.id)!
    expect(alert.detail).toBe('full')
    expect(alert.title).toContain('Private Pat')
    expect(await o.engine.accept(r.id)).toEqual({ ok: true })
    await until(() => a.sink.retracts.includes(r.id) && !itemOf(a, r.id), 3000, 'retracted on the other workstation')
  })

  it('postgres_changes are delivered on the private channel: with the database broadcast lost, a request still rings with details', async () => {
    const p = await privateOnlyBackend()
    const t = await live({}, p)
    await onFallback(t)
    p.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 5 })
    try {
      const r = await createRequest(p, { name: 'Changes Chris' })
      await until(() => t.sink.rung().includes(r.id), 3000, 'rings via postgres_changes')
      expect(itemOf(t, r.id)?.firstSource).toBe('postgres_changes')
      await until(() => itemOf(t, r.id)?.detail === 'full', 3000, 'details')
    } finally {
      p.faults.clear()
    }
  })

  it('a project that allows public channels has the same one-channel layout while the private path works', async () => {
    const t = await live({}, started!)
    expect(t.engine.link!.channelLayout).toEqual({ privateOnly: false, channels: ['shop:requests'], requestChangesOn: null, publicRefused: null, fallback: null })
    expect(t.engine.link!.channelCount).toBe(1)
    expect(t.engine.snapshot().link.reason).toBe('Connected; listening for requests')
  })
})

afterAll(async () => {
  await b?.stop()
})
