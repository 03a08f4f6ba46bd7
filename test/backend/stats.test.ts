// GET /_control/stats counts what Supabase bills a project for (its Realtime quotas count connections, joins and
// every message to a client), so a fleet's cost can be measured against the local backend: a real supabase-js
// client signs in, reads once over REST and joins one channel — and the counts are exact.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import WebSocket from 'ws'
import { startBackend, type Backend, type BackendStats } from './index.js'
import { anonClient } from './helpers.js'
import { waitFor } from './realtime/harness.js'

describe('GET /_control/stats', () => {
  let b: Backend
  beforeAll(async () => {
    b = await startBackend({ port: 0, log: () => {} })
    await b.sql.query(`
      create table public.stats_probe (id int primary key);
      grant select on public.stats_probe to anon, authenticated;
      alter publication supabase_realtime add table public.stats_probe;`)
  })
  afterAll(async () => {
    await b?.stop()
  })

  const get = async (key = b.serviceRoleKey, query = '') => fetch(`${b.url}/_control/stats${query}`, { headers: { Authorization: `Bearer ${key}` } })
  const stats = async () => (await (await get()).json()) as BackendStats

  it('needs the service-role key, like every /_control route', async () => {
    expect((await get(b.anonKey)).status).toBe(401)
    expect((await fetch(`${b.url}/_control/stats`)).status).toBe(401)
    expect((await get()).status).toBe(200)
  })

  it('a sign-in, a REST read and a join with one change: exact counts; heartbeat replies are not messages', async () => {
    const before = await stats()
    expect(before.realtime).toEqual({ connections: 0, connectionsOpen: 0, joins: 0, messagesOut: 0, messagesIn: 0, peakJoinsPerSec: 0 })
    expect(before.rest.requests).toBe(0)
    expect(before.auth.requests).toBe(0)
    expect(Date.parse(before.since)).toBeLessThanOrEqual(Date.now())

    const c = anonClient(b)
    const signIn = await c.auth.signInWithPassword({ email: b.demoUsers[0].email, password: b.demoUsers[0].password })
    expect(signIn.error).toBeNull()
    await c.from('stats_probe').select('id') // counted whatever the answer
    await c.realtime.setAuth()
    const system: Array<Record<string, unknown>> = []
    const changes: unknown[] = []
    const ch = c
      .channel('stats')
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'stats_probe' }, (p) => changes.push(p))
      .on('system', {}, (p: Record<string, unknown>) => system.push(p))
    await new Promise<void>((resolve, reject) => ch.subscribe((s, e) => (s === 'SUBSCRIBED' ? resolve() : reject(e ?? new Error(s)))))
    await waitFor('Subscribed to PostgreSQL', () => system.find((s) => s.message === 'Subscribed to PostgreSQL'))
    await b.sql.query('insert into public.stats_probe values (1)')
    await waitFor('the change', () => changes.length === 1)

    const after = await stats()
    expect(after.auth.requests).toBe(1) // POST /auth/v1/token?grant_type=password
    expect(after.rest.requests).toBe(1)
    // One socket, one join; out: the join reply, "Subscribed to PostgreSQL", the change.
    expect(after.realtime).toMatchObject({ connections: 1, connectionsOpen: 1, joins: 1, messagesOut: 3, peakJoinsPerSec: 1 })
    expect(after.realtime.messagesIn).toBe(1) // the phx_join (setAuth pushed nothing: the token did not change)

    // A second socket that only heartbeats: a connection, no message either way.
    const ws = new WebSocket(`${b.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${b.anonKey}&vsn=2.0.0`)
    await new Promise<void>((res, rej) => (ws.once('open', () => res()), ws.once('error', rej)))
    const replies: unknown[] = []
    ws.on('message', (d) => replies.push(JSON.parse(String(d))))
    ws.send(JSON.stringify([null, '1', 'phoenix', 'heartbeat', {}]))
    ws.send(JSON.stringify([null, '2', 'phoenix', 'heartbeat', {}]))
    await waitFor('two heartbeat replies', () => replies.length === 2)
    const hb = await stats()
    expect(hb.realtime).toEqual({ connections: 2, connectionsOpen: 2, joins: 1, messagesOut: 3, messagesIn: 1, peakJoinsPerSec: 1 })
    ws.close()
    c.realtime.disconnect()
    await waitFor('sockets closed', () => b.realtime!.usage().connectionsOpen === 0)
    const end = await stats()
    // Cumulative counts stay when the sockets go.
    expect(end.realtime).toEqual({ connections: 2, connectionsOpen: 0, joins: 1, messagesOut: 3, messagesIn: 1, peakJoinsPerSec: 1 })
    // /_control itself is not counted.
    expect(end.rest.requests).toBe(1)
    expect(end.auth.requests).toBe(1)
  })
  it('peakJoinsPerSec: the most joins in one second, over the whole run or only from ?peakSince on', async () => {
    const ws = new WebSocket(`${b.url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${b.anonKey}&vsn=2.0.0`)
    onTestFinished(() => ws.close())
    await new Promise<void>((res, rej) => (ws.once('open', () => res()), ws.once('error', rej)))
    const replies: unknown[] = []
    ws.on('message', (d) => replies.push(JSON.parse(String(d))))
    const burstAt = Date.now()
    for (let i = 0; i < 5; i++) ws.send(JSON.stringify([`${i}`, `${i}`, `burst:${i}`, 'phx_join', { config: {} }]))
    await waitFor('five join replies', () => replies.length >= 5)
    // Since start: the burst, plus the earlier test's one join if it fell within the same second.
    expect((await stats()).realtime.peakJoinsPerSec).toBeGreaterThanOrEqual(5)
    expect((await stats()).realtime.peakJoinsPerSec).toBeLessThanOrEqual(6)
    // Over HTTP, from a moment after the burst: none of its joins count.
    const later = await get(b.serviceRoleKey, `?peakSince=${Date.now() + 1}`)
    expect(((await later.json()) as BackendStats).realtime.peakJoinsPerSec).toBe(0)
    const from = (await (await get(b.serviceRoleKey, `?peakSince=${burstAt}`)).json()) as BackendStats
    expect(from.realtime.peakJoinsPerSec).toBe(5)
    expect((await get(b.serviceRoleKey, '?peakSince=soon')).status).toBe(400)
    ws.close()
  })
})
