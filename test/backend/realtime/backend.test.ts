// The realtime fake inside startBackend (one HTTP port with GoTrue and PostgREST), driven the way the app drives
// it: password sign-in, `await realtime.setAuth()` before subscribing (supabase/supabase-js#1553), one channel with postgres_changes
// plus the private shop:requests broadcast. Also: PostgreSQL restarting underneath the realtime server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { startBackend, DEMO_MECHANICS, type Backend } from '../index.js'
import { waitFor } from './harness.js'

function client(b: Backend): SupabaseClient {
  return createClient(b.url, b.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    realtime: { transport: WebSocket as never },
  })
}

async function newAssignment(b: Backend): Promise<string> {
  const sid = (await b.sql.query('insert into public.sessions default values returning id')).rows[0].id
  return (await b.sql.query("insert into public.session_assignments (session_id, status) values ($1, 'queued') returning id", [sid])).rows[0].id
}

describe('realtime inside startBackend', () => {
  let b: Backend
  const clients: SupabaseClient[] = []
  beforeAll(async () => {
    b = await startBackend({ port: 0, seedDemo: true, log: () => {} })
  })
  afterAll(async () => {
    for (const c of clients) {
      await c.removeAllChannels().catch(() => {})
      c.realtime.disconnect()
    }
    await b?.stop()
  })

  it('signed-in mechanic: postgres_changes and shop:requests broadcast both arrive', async () => {
    const c = client(b)
    clients.push(c)
    const { error } = await c.auth.signInWithPassword({ email: DEMO_MECHANICS[0].email, password: DEMO_MECHANICS[0].password })
    expect(error).toBeNull()
    await c.realtime.setAuth()
    const changes: Array<Record<string, unknown>> = []
    const broadcasts: Array<{ event: string; payload: Record<string, unknown> }> = []
    const system: Array<Record<string, unknown>> = []
    const ch = c
      .channel('shop:requests', { config: { private: true } })
      .on('postgres_changes', { event: '*', schema: 'public', table: 'session_assignments' }, (p) => changes.push(p.new))
      .on('broadcast', { event: '*' }, (m) => broadcasts.push(m as never))
      .on('system', {}, (p: Record<string, unknown>) => system.push(p))
    const status = await new Promise<string>((r) => ch.subscribe((s, e) => r(e ? `${s}: ${e.message}` : s)))
    expect(status).toBe('SUBSCRIBED')
    await waitFor('system ok', () => system.find((s) => s.message === 'Subscribed to PostgreSQL'))
    const id = await newAssignment(b)
    await waitFor('change', () => changes.find((n) => n.id === id))
    await waitFor('broadcast', () => broadcasts.find((m) => m.event === 'new_request' && (m.payload.request as Record<string, unknown>).id === id))
  })
})

describe('PostgreSQL restarting under the realtime server', () => {
  let b: Backend
  const logs: string[] = []
  beforeAll(async () => {
    b = await startBackend({ port: 0, seedDemo: false, dedicatedCluster: true, log: (m) => logs.push(m) })
  }, 60_000)
  afterAll(async () => {
    await b?.stop()
  })

  it('subscribers get a system error while it is down and "Subscribed to PostgreSQL" once it is back; changes flow again', async () => {
    const c = client(b)
    const got: Array<Record<string, unknown>> = []
    const system: Array<Record<string, unknown>> = []
    const ch = c
      .channel('restart')
      .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'session_assignments' }, (p) => got.push(p.new))
      .on('system', {}, (p: Record<string, unknown>) => system.push(p))
    // service_role bypasses RLS, so no user is needed.
    await c.realtime.setAuth(b.serviceRoleKey)
    ch.subscribe()
    await waitFor('system ok', () => system.find((s) => s.message === 'Subscribed to PostgreSQL'))
    await newAssignment(b)
    await waitFor('first change', () => got.length >= 1)
    await b.faults.restartPostgres({ downMs: 300 })
    await waitFor('system error', () => system.find((s) => s.status === 'error'), 10_000)
    await waitFor('system ok again', () => system.filter((s) => s.message === 'Subscribed to PostgreSQL').length >= 2, 15_000)
    // pg.Pool connections broken by the restart are replaced on the next query.
    let inserted = false
    for (let i = 0; i < 20 && !inserted; i++) {
      inserted = await newAssignment(b).then(
        () => true,
        () => new Promise<boolean>((r) => setTimeout(() => r(false), 200)),
      )
    }
    expect(inserted).toBe(true)
    await waitFor('change after restart', () => got.length >= 2, 5000)
    expect(logs.some((l) => l.includes('change listener lost'))).toBe(true)
    expect(logs.some((l) => l.includes('change listener reconnected'))).toBe(true)
    await c.removeAllChannels()
    c.realtime.disconnect()
  }, 40_000)
})
