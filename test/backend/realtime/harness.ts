// Test harness for the realtime fake on its own: a real PostgreSQL database from the backend's template
// (platform.sql → realtime.sql → migrations), the real JWT service, one HTTP server that delegates
// /realtime/v1/* to the realtime server exactly like startBackend does, and real supabase-js clients.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes, randomUUID } from 'node:crypto'
import pg from 'pg'
import WebSocket from 'ws'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import { JwtService } from '../jwt.js'
import { sharedCluster } from '../postgres.js'
import { createRealtimeServer, type RealtimeServer, type RealtimeServerOptions } from './index.js'

export interface Harness {
  url: string
  anonKey: string
  serviceRoleKey: string
  jwt: JwtService
  sql: pg.Pool
  rt: RealtimeServer
  logs: string[]
  /** A signed-in user (auth.users row, optionally a mechanic) and an access token for them. */
  user(opts?: { mechanic?: boolean; expiresInS?: number }): Promise<{ id: string; token: string }>
  token(sub: string, expiresInS?: number): string
  /** A supabase-js client; `token` (if given) is pushed with realtime.setAuth before anything joins. */
  client(opts?: { token?: string; heartbeatIntervalMs?: number; timeout?: number; vsn?: string }): Promise<SupabaseClient>
  stop(): Promise<void>
}

export async function startHarness(opts: Partial<Omit<RealtimeServerOptions, 'connectionString' | 'jwt'>> = {}): Promise<Harness> {
  const logs: string[] = []
  const log = (line: string) => {
    logs.push(line)
    if (process.env.RT_DEBUG) console.log(line)
  }
  const cluster = await sharedCluster(log)
  const template = await cluster.template({ seedDemo: false })
  const dbName = `rt_${process.pid}_${randomBytes(4).toString('hex')}`
  await cluster.createDatabase(dbName, template)
  const connectionString = cluster.connectionString(dbName)
  const sql = new pg.Pool({ connectionString, max: 4 })
  sql.on('error', (e) => log(`[harness] pool error: ${e.message}`))
  const jwt = new JwtService()
  const rt = createRealtimeServer({ connectionString, jwt, log, joinErrorBackoffMs: 20, ...opts })
  const server: Server = createServer((req, res) => {
    rt.handleHttp(req, res)
      .then((handled) => {
        if (!handled) {
          res.writeHead(404)
          res.end()
        }
      })
      .catch((e) => {
        res.writeHead(500)
        res.end(String(e))
      })
  })
  server.on('upgrade', (req, socket, head) => rt.handleUpgrade(req, socket, head))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  if (!(await rt.ready(10_000))) throw new Error('realtime listener did not come up')
  const clients: SupabaseClient[] = []

  const token = (sub: string, expiresInS = 3600) => {
    const now = Math.floor(Date.now() / 1000)
    return jwt.sign({ sub, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + expiresInS, email: `${sub}@example.test`, session_id: randomUUID() })
  }

  return {
    url,
    anonKey: jwt.anonKey,
    serviceRoleKey: jwt.serviceRoleKey,
    jwt,
    sql,
    rt,
    logs,
    token,
    async user({ mechanic = true, expiresInS = 3600 } = {}) {
      const id = randomUUID()
      await sql.query('insert into auth.users (id, email) values ($1, $2)', [id, `${id}@example.test`])
      if (mechanic) await sql.query('insert into public.mechanics (user_id, display_name) values ($1, $2)', [id, 'Test Mechanic'])
      return { id, token: token(id, expiresInS) }
    },
    async client({ token: tok, heartbeatIntervalMs, timeout, vsn } = {}) {
      const c = createClient(url, jwt.anonKey, {
        auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        realtime: {
          transport: WebSocket as never,
          ...(heartbeatIntervalMs ? { heartbeatIntervalMs } : {}),
          ...(timeout ? { timeout } : {}),
          ...(vsn ? { vsn } : {}),
        } as never,
      })
      if (tok) await c.realtime.setAuth(tok)
      clients.push(c)
      return c
    },
    async stop() {
      for (const c of clients) {
        try {
          await c.removeAllChannels()
        } catch {
          /* socket may already be gone */
        }
        c.realtime.disconnect()
      }
      await rt.close()
      await new Promise<void>((r) => server.close(() => r()))
      server.closeAllConnections()
      await sql.end()
      await cluster.dropDatabase(dbName).catch((e) => log(`[harness] drop database: ${(e as Error).message}`))
    },
  }
}

/** Resolve when `pred` holds (polled every 10 ms), or throw at the deadline. */
export async function waitFor<T>(what: string, pred: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = pred()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** One raw phx_join (vsn 2 arrays) on a fresh socket: the reply frame to it and how long it took to come. */
export async function rawJoinTimed(url: string, key: string, topic: string, payload: Record<string, unknown>): Promise<{ reply: unknown[]; ms: number }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/realtime/v1/websocket?apikey=${key}&vsn=2.0.0`)
  try {
    await new Promise<void>((res, rej) => (ws.once('open', () => res()), ws.once('error', rej)))
    const frames: unknown[][] = []
    ws.on('message', (d) => frames.push(JSON.parse(String(d))))
    const t0 = Date.now()
    ws.send(JSON.stringify(['1', '1', topic, 'phx_join', payload]))
    const reply = await waitFor('join reply', () => frames.find((f) => f[1] === '1' && f[3] === 'phx_reply'), 10_000)
    return { reply, ms: Date.now() - t0 }
  } finally {
    ws.close()
  }
}

export const rawJoin = async (url: string, key: string, topic: string, payload: Record<string, unknown>): Promise<unknown[]> =>
  (await rawJoinTimed(url, key, topic, payload)).reply
