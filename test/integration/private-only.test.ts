// A project with Realtime's "allow public access" off refuses every public join with
// "PrivateOnly: This project only allows private channels" (supabase/realtime). The app still works: one
// private channel (shop:requests) carrying the postgres_changes bindings too, live, ringing with details and
// retracting on accept; the missing public hints are noted in the state, not treated as an error.
import { afterAll, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { backend, createRequest, engineSuite, until, type TestEngine } from './helpers.js'

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
  it('goes live on the private channel alone and says why the public hints are missing', async () => {
    const p = await privateOnlyBackend()
    const t = await live({}, p)
    const s = t.engine.snapshot().link
    expect(s.state).toBe('live')
    expect(s.reason).toMatch(/private channel shop:requests.*private channels only.*session_requests_feed hints are not heard/)
    expect(t.engine.link!.channelCount).toBe(1)
    expect(t.engine.link!.channelLayout).toEqual({
      privateOnly: true,
      channels: ['shop:requests'],
      postgresChangesOn: 'shop:requests',
      publicRefused: 'PrivateOnly: This project only allows private channels',
    })
    expect(t.log.has(/refuses public channels; using the private channel alone/)).toBe(true)
    expect(t.log.lines.filter((l) => / error /.test(l))).toEqual([])
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

  it('a project that allows public channels keeps the two-channel layout', async () => {
    const t = await live({}, started!)
    expect(t.engine.link!.channelLayout.privateOnly).toBe(false)
    expect(t.engine.link!.channelCount).toBe(2)
    expect(t.engine.snapshot().link.reason).toBe('Connected; listening for requests')
  })
})

afterAll(async () => {
  await b?.stop()
})
