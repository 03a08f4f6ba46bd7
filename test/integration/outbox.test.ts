// The outbox against the real backend and the real engine: a Take it made while the link is down is kept in the
// store across a restart and goes through when the link is back; one that another mechanic beat meanwhile ends as a
// conflict naming them; a claim that reached the server but lost its answer replays as done (accept_request answers
// a replay by the same mechanic with already_yours); an unanswered call retries on its own.
import { createClient } from '@supabase/supabase-js'
import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import type { Engine } from '../../src/core/engine.js'
import type { OutboxEntry } from '../../src/shared/types.js'
import { createRequest, engineSuite, startEngine, until, waitForEvent, waitForState } from './helpers.js'

let b: Backend
const suite = engineSuite({ started: (x) => (b = x) })

const entryOf = (engine: Engine, requestId: string): OutboxEntry | undefined => engine.snapshot().outbox?.find((e) => e.requestId === requestId)

async function statusOf(requestId: string): Promise<{ status: string; mechanic_id: string | null }> {
  const r = await b.sql.query('select status, mechanic_id from public.session_assignments where id = $1', [requestId])
  return r.rows[0]
}

/** Realtime refuses every connection and the open sockets drop: the link is down, REST still answers. */
async function linkDown(engine: Engine): Promise<void> {
  b.faults.refuseConnections({ ms: 120_000 })
  b.faults.dropSockets()
  await waitForEvent(engine, 'state', (s) => s.state === 'offline' || s.state === 'connecting', 15_000, 'the link down', () => !['live', 'degraded'].includes(engine.snapshot().link.state))
}

/** Another mechanic takes it from their own device. */
async function takeAs(user: number, requestId: string): Promise<unknown> {
  const c = createClient(b.url, b.anonKey, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: WebSocket as never } })
  const u = b.demoUsers[user]!
  const { error } = await c.auth.signInWithPassword({ email: u.email, password: u.password })
  if (error) throw error
  const { data } = await c.rpc('accept_request', { p_request_id: requestId })
  return data
}

describe('outbox', () => {
  it('taken while offline, engine restarted, back online: the claim goes through once the link is live', async () => {
    const a = await suite.live()
    const r = await createRequest(b, { name: 'Maria Gonzalez' })
    await until(() => a.engine.snapshot().queue.some((q) => q.requestId === r.id), 10_000, 'the request in the queue')
    await linkDown(a.engine)

    expect(await a.engine.accept(r.id)).toEqual({ ok: true, queued: true })
    expect(entryOf(a.engine, r.id)).toMatchObject({ state: 'pending', customerName: 'Maria Gonzalez', action: 'accept' })
    const key = entryOf(a.engine, r.id)!.key
    expect(await statusOf(r.id)).toMatchObject({ status: 'queued' }) // nothing sent while down

    // Restart on the same data directory and session while the link is still down.
    await a.engine.stop()
    const again = await startEngine(b, { dataDir: a.dataDir, secrets: a.secrets, signIn: false })
    suite.running.push(again)
    expect(entryOf(again.engine, r.id)).toMatchObject({ state: 'pending', key })
    expect(await statusOf(r.id)).toMatchObject({ status: 'queued' })

    b.faults.clear()
    await waitForState(again.engine, 'live', 30_000)
    await until(() => entryOf(again.engine, r.id)?.state === 'done', 15_000, 'the replayed claim done')
    expect(await statusOf(r.id)).toEqual({ status: 'accepted', mechanic_id: b.demoUsers[0]!.id })
    expect(again.engine.snapshot().health.counters['outbox:done']).toBe(1)
    // The queue follows: the taken request leaves it.
    await until(() => !again.engine.snapshot().queue.some((q) => q.requestId === r.id), 10_000, 'the request gone from the queue')
  })

  it('another mechanic took it while this one was offline: a conflict that names them, and the claim is theirs', async () => {
    const a = await suite.live()
    const r = await createRequest(b, { name: 'Dana Ortiz' })
    const later = await createRequest(b, { name: 'Omar Haddad' })
    await until(() => a.engine.snapshot().queue.length >= 2, 10_000, 'both requests in the queue')
    await linkDown(a.engine)
    expect(await a.engine.accept(r.id)).toEqual({ ok: true, queued: true })
    expect(await a.engine.accept(later.id)).toEqual({ ok: true, queued: true })
    expect(await takeAs(1, r.id)).toMatchObject({ ok: true })

    b.faults.clear()
    await until(() => entryOf(a.engine, later.id)?.state === 'done', 30_000, 'both replayed')
    expect(entryOf(a.engine, r.id)).toMatchObject({
      state: 'conflict',
      takenBy: b.demoUsers[1]!.name,
      message: `Taken by ${b.demoUsers[1]!.name} while you were offline`,
    })
    expect(await statusOf(r.id)).toEqual({ status: 'accepted', mechanic_id: b.demoUsers[1]!.id })
    expect(await statusOf(later.id)).toEqual({ status: 'accepted', mechanic_id: b.demoUsers[0]!.id })
    // In order: the earlier claim settled before the later one.
    expect(a.engine.snapshot().outbox!.map((e) => e.requestId)).toEqual([r.id, later.id])
    expect(entryOf(a.engine, r.id)!.settledAt!).toBeLessThanOrEqual(entryOf(a.engine, later.id)!.settledAt!)
  })

  it('a claim that reached the server but lost its answer replays as done: the server takes nothing twice', async () => {
    const a = await suite.live()
    const r = await createRequest(b)
    await until(() => a.engine.snapshot().queue.some((q) => q.requestId === r.id), 10_000, 'the request in the queue')
    await linkDown(a.engine)
    expect(await a.engine.accept(r.id)).toEqual({ ok: true, queued: true })
    // The same mechanic's first attempt did land (its answer never came back).
    expect(await takeAs(0, r.id)).toMatchObject({ ok: true, reason: null })
    b.faults.clear()
    await until(() => entryOf(a.engine, r.id)?.state === 'done', 30_000, 'the replay done')
    expect(await statusOf(r.id)).toEqual({ status: 'accepted', mechanic_id: b.demoUsers[0]!.id })
  })

  it('a live link whose claim gets a 503: kept in the outbox and sent again after the backoff', async () => {
    const a = await suite.live({ tuning: { random: () => 0.5 } })
    const r = await createRequest(b)
    await until(() => a.engine.snapshot().queue.some((q) => q.requestId === r.id), 10_000, 'the request in the queue')
    b.faults.restErrors({ status: 503, path: '/rpc/accept_request', count: 2 })
    const t0 = Date.now()
    expect(await a.engine.accept(r.id)).toEqual({ ok: true, queued: true })
    await until(() => entryOf(a.engine, r.id)?.state === 'done', 20_000, 'the retried claim done')
    // The first call and the first replay refused (503 twice): 2 s, then 4 s of backoff before the one that went through.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(6000 - 100)
    expect(a.engine.snapshot().health.counters['outbox:retry']).toBe(2)
    expect(await statusOf(r.id)).toMatchObject({ status: 'accepted' })
    expect(a.log.has(/outbox: sending a claim failed/)).toBe(true)
  })

  it('while an earlier claim waits, a new Take it on a live link queues behind it instead of overtaking it', async () => {
    const a = await suite.live({ tuning: { random: () => 0.5 } })
    const first = await createRequest(b)
    const second = await createRequest(b)
    await until(() => a.engine.snapshot().queue.length >= 2, 10_000, 'both requests in the queue')
    b.faults.restErrors({ status: 503, path: '/rpc/accept_request', count: 1 })
    expect(await a.engine.accept(first.id)).toEqual({ ok: true, queued: true })
    expect(a.engine.snapshot().link.state).toBe('live')
    expect(await a.engine.accept(second.id)).toEqual({ ok: true, queued: true })
    const t0 = Date.now()
    expect(await statusOf(second.id)).toMatchObject({ status: 'queued' }) // not sent ahead of the first
    await until(() => entryOf(a.engine, second.id)?.state === 'done', 20_000, 'both claims done')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500) // the first one's 2 s backoff was waited out, not skipped
    const [e1, e2] = [entryOf(a.engine, first.id)!, entryOf(a.engine, second.id)!]
    expect(e1.state).toBe('done')
    expect(e1.settledAt!).toBeLessThanOrEqual(e2.settledAt!)
  })

  it('Acknowledge while offline needs no outbox: it is this workstation\'s own record, kept across a restart and after the link is back', async () => {
    // Acknowledge only silences this workstation's repeats; the server has no acknowledgement to replay.
    const a = await suite.live()
    const r = await createRequest(b, { name: 'Lena Fischer' })
    await until(() => a.engine.snapshot().queue.some((q) => q.requestId === r.id), 10_000, 'the request in the queue')
    await linkDown(a.engine)
    await a.engine.acknowledge(r.id)
    expect(a.engine.snapshot().queue.find((q) => q.requestId === r.id)).toMatchObject({ acknowledged: true })
    await a.engine.stop()
    const again = await startEngine(b, { dataDir: a.dataDir, secrets: a.secrets, signIn: false })
    suite.running.push(again)
    expect(again.engine.snapshot().queue.find((q) => q.requestId === r.id)).toMatchObject({ acknowledged: true })
    b.faults.clear()
    await waitForState(again.engine, 'live', 30_000)
    await until(() => again.engine.snapshot().queue.find((q) => q.requestId === r.id)?.confirmed === true, 15_000, 'the request confirmed by the server')
    expect(again.engine.snapshot().queue.find((q) => q.requestId === r.id)).toMatchObject({ acknowledged: true })
    expect(again.engine.snapshot().outbox).toEqual([])
    expect(await statusOf(r.id)).toMatchObject({ status: 'queued' })
  })
})
