// Fault knobs for REST/auth (faults a real project shows), the control API, and a PostgreSQL restart on a dedicated cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackend, type Backend } from './index.js'
import { anonClient, serviceClient, signedIn, sleep } from './helpers.js'

let b: Backend

beforeAll(async () => {
  b = await startBackend({ port: 0, realtime: false })
})
afterAll(async () => {
  await b?.stop()
})

const control = (knob: string, body: unknown, key = b.serviceRoleKey) =>
  fetch(`${b.url}/_control/faults/${knob}`, {
    method: 'POST',
    headers: { apikey: key, Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('control API', () => {
  it('refuses the anon key and user tokens (401); accepts the service key', async () => {
    const r = await control('restLatency', { ms: 10 }, b.anonKey)
    expect(r.status).toBe(401)
    const m = await signedIn(b, b.demoUsers[0])
    const tok = (await m.auth.getSession()).data.session!.access_token
    const r2 = await control('restLatency', { ms: 10 }, tok)
    expect(r2.status).toBe(401)
    const h = await fetch(`${b.url}/_control/health`, { headers: { Authorization: `Bearer ${b.serviceRoleKey}` } })
    expect(h.status).toBe(200)
    expect(await h.json()).toMatchObject({ ok: true, db: 'up', realtime: 'absent' })
    expect((await fetch(`${b.url}/_control/health`)).status).toBe(401)
  })

  it('unknown knob 404, bad options 409', async () => {
    expect((await control('nope', {})).status).toBe(404)
    const bad = await control('restErrors', { status: 'x' })
    expect(bad.status).toBe(409)
    expect(((await bad.json()) as { error: string }).error).toMatch(/status must be a non-negative number/)
    expect((await control('dropSockets', {})).status).toBe(409) // no realtime in this backend: said so, not ignored
  })
})

describe('REST faults', () => {
  it('restErrors with count: exactly N requests fail with the real body, then it heals', async () => {
    const c = serviceClient(b)
    expect((await control('restErrors', { status: 500, count: 2, code: 'XX000', message: 'boom' })).status).toBe(200)
    const r1 = await c.from('feature_flags').select('key')
    const r2 = await c.from('feature_flags').select('key')
    const r3 = await c.from('feature_flags').select('key')
    expect(r1.status).toBe(500)
    expect(r1.error).toMatchObject({ code: 'XX000', message: 'boom' })
    expect(r2.status).toBe(500)
    expect(r3.status).toBe(200)
  })

  it('restErrors with duration: fails until it ends by itself (503 PGRST001 by default)', async () => {
    const c = serviceClient(b)
    b.faults.restErrors({ status: 503, durationMs: 400 })
    const t0 = Date.now()
    const r1 = await c.from('feature_flags').select('key').retry(false)
    expect(r1.status).toBe(503)
    expect(r1.error).toMatchObject({ code: 'PGRST001', message: 'Database client error. Retrying the connection.' })
    await sleep(Math.max(0, 450 - (Date.now() - t0)))
    const r2 = await c.from('feature_flags').select('key').retry(false)
    expect(r2.status).toBe(200)
  })

  it('restErrors on a path only; 503 is retried by supabase-js for GETs', async () => {
    const c = serviceClient(b)
    b.faults.restErrors({ status: 503, count: 1, path: '/rpc/queued_requests' })
    const other = await c.from('feature_flags').select('key')
    expect(other.status).toBe(200)
    const r = await c.rpc('queued_requests', {}, { get: true }) // GET → the client's own retry (1 s) hides one 503
    expect(r.error).toBeNull()
  })

  it('restLatency delays every request, then ends by itself', async () => {
    const c = serviceClient(b)
    expect((await control('restLatency', { ms: 300, durationMs: 800 })).status).toBe(200)
    let t = Date.now()
    await c.from('feature_flags').select('key')
    expect(Date.now() - t).toBeGreaterThanOrEqual(290)
    await sleep(900)
    t = Date.now()
    await c.from('feature_flags').select('key')
    expect(Date.now() - t).toBeLessThan(250)
  })

  it('expireTokens: user tokens now get 401 PGRST303; keys and fresh sign-ins work', async () => {
    const m = await signedIn(b, b.demoUsers[1])
    expect((await m.from('feature_flags').select('key')).status).toBe(200)
    expect((await control('expireTokens', {})).status).toBe(200)
    const r = await m.from('feature_flags').select('key')
    expect(r.status).toBe(401)
    expect(r.error).toMatchObject({ code: 'PGRST303', message: 'JWT expired' })
    // The anon key is not expired: its answer is the usual "anon may not read flags" (42501), not PGRST303.
    expect((await anonClient(b).from('feature_flags').select('key')).error).toMatchObject({ code: '42501' })
    expect((await serviceClient(b).from('feature_flags').select('key')).status).toBe(200)
    const fresh = await signedIn(b, b.demoUsers[1])
    expect((await fresh.from('feature_flags').select('key')).status).toBe(200)
    b.faults.clear()
  })

  it('authErrors: GoTrue 500 on refresh (the session survives), then heals', async () => {
    const m = await signedIn(b, b.demoUsers[2])
    const rt = (await m.auth.getSession()).data.session!.refresh_token
    b.faults.authErrors({ status: 500, count: 1, grant: 'refresh_token' })
    const raw = await fetch(`${b.url}/auth/v1/token?grant_type=refresh_token`, {
      method: 'POST',
      headers: { apikey: b.anonKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: rt }),
    })
    expect(raw.status).toBe(500)
    const ok = await anonClient(b).auth.refreshSession({ refresh_token: rt })
    expect(ok.error).toBeNull()
  })
})

describe('restartPostgres', () => {
  it('is refused on the shared cluster', async () => {
    await expect(b.faults.restartPostgres()).rejects.toThrow(/dedicatedCluster/)
  })

  it('dedicated cluster: REST answers 503 while PostgreSQL is down and recovers by itself', async () => {
    const d = await startBackend({ port: 0, dedicatedCluster: true, realtime: false })
    try {
      const c = serviceClient(d)
      expect((await c.from('feature_flags').select('key')).status).toBe(200)
      const { down, up } = d.faults.beginRestartPostgres({ downMs: 1500 })
      await down
      const r = await c.from('feature_flags').select('key').retry(false)
      expect(r.status).toBe(503)
      expect(['PGRST000', 'PGRST001']).toContain(r.error?.code)
      const h = await (await fetch(`${d.url}/_control/health`, { headers: { Authorization: `Bearer ${d.serviceRoleKey}` } })).json()
      expect(h).toMatchObject({ ok: false, db: 'down' })
      // GoTrue answers 500 (auth-js retries 5xx and keeps the session, supabase/auth).
      const signIn = await fetch(`${d.url}/auth/v1/token?grant_type=password`, {
        method: 'POST',
        headers: { apikey: d.anonKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: d.demoUsers[0].email, password: d.demoUsers[0].password }),
      })
      expect(signIn.status).toBe(500)
      expect(await signIn.json()).toMatchObject({ code: 'unexpected_failure' })
      await up
      // The pool reconnects: the first request after the restart succeeds.
      const after = await c.from('feature_flags').select('key').retry(false)
      expect(after.status).toBe(200)
      const m = await signedIn(d, d.demoUsers[0])
      expect((await m.rpc('queued_requests')).error).toBeNull()
    } finally {
      await d.stop()
    }
  })

  it('over HTTP: answers once PostgreSQL is down', async () => {
    const d = await startBackend({ port: 0, dedicatedCluster: true, realtime: false, seedDemo: false })
    try {
      const r = await fetch(`${d.url}/_control/faults/restartPostgres`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${d.serviceRoleKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ downMs: 300 }),
      })
      expect(r.status).toBe(200)
      expect(await r.json()).toMatchObject({ ok: true, result: { down: true } })
      const c = serviceClient(d)
      const deadline = Date.now() + 15_000
      let status = 0
      while (Date.now() < deadline) {
        status = (await c.from('feature_flags').select('key').retry(false)).status
        if (status === 200) break
        await sleep(100)
      }
      expect(status).toBe(200)
    } finally {
      await d.stop()
    }
  })
})
