// The local Supabase-compatible shop backend: real PostgreSQL + GoTrue/PostgREST subsets (this directory) +
// the realtime fake (test/backend/realtime/, another engineer's module) behind one HTTP port, as the Supabase
// gateway serves them: /auth/v1, /rest/v1, /realtime/v1. Plus /_control for fault injection (service role only).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { JwtService, DEMO_JWT_SECRET, type JwtClaims } from './jwt.js'
import { PgCluster, dedicatedCluster, sharedCluster } from './postgres.js'
import { createGoTrue } from './gotrue.js'
import { createPostgrest, restErrorFor } from './postgrest.js'
import { Faults, UnknownKnob } from './faults.js'
import { createRealtimeServer, type RealtimeServer, type RealtimeUsage } from './realtime/index.js'
import { HttpError, apiKeyOf, bearerOf, readBody, sendEmpty, sendJson, sleep, type Log } from './http.js'
import { DEFAULT_PORT, DEMO_FRONT_DESK, DEMO_MECHANICS, type DemoUser } from './demo.js'

export { DEMO_MECHANICS, DEMO_FRONT_DESK, DEFAULT_PORT, DEFAULT_URL, type DemoUser } from './demo.js'
export { Faults } from './faults.js'
export { JwtService, verifyJwt, DEMO_ANON_KEY, DEMO_SERVICE_ROLE_KEY, DEMO_JWT_SECRET } from './jwt.js'

export interface BackendOptions {
  /** HTTP port; default 54321 (like `supabase start`), 0 = ephemeral. */
  port?: number
  /** Access-token lifetime in seconds (default 3600; tests use a few seconds). */
  tokenLifetimeSec?: number
  /** GoTrue refresh-token reuse interval in seconds (default 10). */
  refreshReuseIntervalSec?: number
  /** Delay before the realtime "Subscribed to PostgreSQL" system message (supabase/realtime-js#525). */
  systemMessageDelayMs?: number
  /** Emulated realtime polling latency (default off). */
  realtimeLatencyMs?: number
  /** Latency added to every REST request (default 0). */
  restLatencyMs?: number
  /** Seed the demo shop (three mechanics, a front-desk user, some history). Default true. */
  seedDemo?: boolean
  /**
   * Emulate a Supabase project created before 2026-05-30: default privileges grant everything created in
   * public to anon/authenticated/service_role. Default false: a new project, where nothing is granted
   * automatically (Supabase changelog #45329) and the migrations' own grants are all there is.
   */
  legacyDefaultGrants?: boolean
  /** Run on a PostgreSQL cluster of its own (needed for the restartPostgres fault). Default false. */
  dedicatedCluster?: boolean
  /** Persistent data directory (implies a dedicated cluster); the database survives restarts. */
  dataDir?: string
  /** HS256 secret; default the well-known `supabase start` demo secret. */
  jwtSecret?: string
  /** Start the realtime server if test/backend/realtime/index.ts is present (default true). */
  realtime?: boolean
  /**
   * Realtime "allow public access" off: public joins are refused with "PrivateOnly: This project only allows
   * private channels", as on a project with that setting. Default false. Also the `privateOnly` fault knob.
   */
  privateOnly?: boolean
  /**
   * Delay before every refused realtime join is answered. The real server sleeps 5000 ms (CHANNEL_ERROR_BACKOFF_MS);
   * default 0 here so tests stay fast. Set 5000 to see what a client's join timeout meets in production.
   */
  joinErrorDelayMs?: number
  /** Log sink (one line per call). Default: stderr with a [backend] prefix. */
  log?: Log
}

/** `GET /_control/stats`: what Supabase counts against a project's quotas, since this backend started. */
export interface BackendStats {
  since: string
  realtime: RealtimeUsage
  rest: { requests: number }
  auth: { requests: number }
}

export interface Backend {
  url: string
  port: number
  anonKey: string
  serviceRoleKey: string
  jwtSecret: string
  jwt: JwtService
  demoUsers: DemoUser[]
  frontDeskUser: DemoUser
  /** pg Pool as superuser on this backend's database (bypasses RLS). */
  sql: pg.Pool
  databaseUrl: string
  databaseName: string
  faults: Faults
  realtime: RealtimeServer | null
  /** The same numbers as `GET /_control/stats` (`peakSinceMs` = its `?peakSince=`). */
  stats(peakSinceMs?: number): BackendStats
  /** Add an account (optionally a mechanic) to this backend's database. */
  createUser(u: { email: string; password: string; name?: string; mechanic?: boolean }): Promise<DemoUser>
  timings: { totalMs: number; clusterMs: number; templateMs: number; databaseMs: number; initdbMs: number; clusterWasWarm: boolean }
  stop(): Promise<void>
}

const defaultLog: Log = (m) => process.stderr.write(`[backend] ${m}\n`)

// The Supabase API gateway checks the key before any service sees the request.
function gatewayCheck(req: IncomingMessage, url: URL, jwt: JwtService): void {
  const key = apiKeyOf(req, url)
  if (!key) {
    throw new HttpError(401, { message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' })
  }
  const v = jwt.verify(key)
  if (!v.ok && !v.error.expired) {
    throw new HttpError(401, { message: 'Invalid API key', hint: 'Double check your Supabase `anon` or `service_role` API key.' })
  }
}

/** PostgREST's view of the caller: Authorization bearer, else the apikey (PostgREST, docs.postgrest.org). */
function restClaims(req: IncomingMessage, url: URL, jwt: JwtService): JwtClaims {
  const token = bearerOf(req) ?? apiKeyOf(req, url)!
  const v = jwt.verify(token)
  if (v.ok) return v.claims
  if (v.error.expired) {
    throw new HttpError(401, { code: 'PGRST303', details: null, hint: null, message: 'JWT expired' }, {
      'WWW-Authenticate': 'Bearer error="invalid_token", error_description="JWT expired"',
    })
  }
  const parts = token.split('.').length
  const message = parts !== 3 ? `Expected 3 parts in JWT; got ${parts}` : v.error.kind === 'JwtSignatureError' ? 'JWSError JWSInvalidSignature' : v.error.message
  throw new HttpError(401, { code: 'PGRST301', details: null, hint: null, message }, {
    'WWW-Authenticate': `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"`,
  })
}

function injectedRestError(status: number, code?: string, message?: string): HttpError {
  const d: Record<number, [string, string]> = {
    401: ['PGRST303', 'JWT expired'],
    503: ['PGRST001', 'Database client error. Retrying the connection.'],
    504: ['PGRST003', 'Timed out acquiring connection from connection pool.'],
  }
  const [c, m] = d[status] ?? ['PGRST000', `Injected fault: HTTP ${status}`]
  const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${message ?? m}"` } : {}
  return new HttpError(status, { code: code ?? c, details: INJECTED, hint: null, message: message ?? m }, headers)
}

let dbCounter = 0
const INJECTED = 'injected by the BayAlert local backend'

export async function startBackend(options: BackendOptions = {}): Promise<Backend> {
  const t0 = Date.now()
  const log = options.log ?? defaultLog
  const jwt = new JwtService(options.jwtSecret ?? DEMO_JWT_SECRET)
  const seedDemo = options.seedDemo ?? true
  const dedicated = options.dedicatedCluster || !!options.dataDir

  // ── PostgreSQL ──
  let cluster: PgCluster
  let clusterWasWarm = false
  if (dedicated) cluster = await dedicatedCluster(log, { dataDir: options.dataDir })
  else {
    const before = Date.now()
    cluster = await sharedCluster(log)
    clusterWasWarm = Date.now() - before < 50
  }
  const tCluster = Date.now()
  const template = await cluster.template({ seedDemo, legacyDefaultGrants: options.legacyDefaultGrants ?? false })
  const tTemplate = Date.now()
  let databaseName: string
  if (options.dataDir) {
    // Persistent: keep the database while the schema files are unchanged; rebuild (losing data) if they changed.
    databaseName = 'bayalert'
    const admin = cluster.client()
    await admin.connect()
    try {
      const r = await admin.query<{ c: string | null }>(
        `select shobj_description(oid, 'pg_database') as c from pg_database where datname = $1`,
        [databaseName],
      )
      if (r.rowCount && r.rows[0].c !== `from ${template}`) {
        log(`backend: schema files (or the legacy-grants setting) changed since ${options.dataDir} was created; rebuilding database ${databaseName} (demo data reset)`)
        await admin.query(`drop database ${pg.escapeIdentifier(databaseName)} with (force)`)
      }
      if (!r.rowCount || r.rows[0].c !== `from ${template}`) {
        await cluster.createDatabase(databaseName, template)
        await admin.query(`comment on database ${pg.escapeIdentifier(databaseName)} is ${pg.escapeLiteral(`from ${template}`)}`)
      }
    } finally {
      await admin.end().catch(() => undefined)
    }
  } else {
    databaseName = `bayalert_${process.pid}_${++dbCounter}_${randomBytes(3).toString('hex')}`
    await cluster.createDatabase(databaseName, template)
  }
  const tDb = Date.now()
  const databaseUrl = cluster.connectionString(databaseName)
  const newPool = (max: number) => {
    const p = new pg.Pool({ connectionString: databaseUrl, max, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 5000 })
    // Clients die when PostgreSQL restarts (57P01). pg-pool listens only while a client is idle; a client that
    // is checked out between two queries of a transaction (GoTrue, PostgREST, test helpers) would otherwise
    // throw its 'error' as an uncaught exception. One listener per client for its whole life logs it instead;
    // the pool's own 'error' event (idle clients) is the same error, already logged here.
    p.on('connect', (client) =>
      client.on('error', (e) => {
        if (!stopped) log(`postgres pool: connection lost: ${e.message}`)
      }),
    )
    p.on('error', () => undefined)
    return p
  }
  const apiPool = newPool(10)
  const sql = newPool(5)

  // ── services ──
  let baseUrl = ''
  const gotrue = createGoTrue({
    pool: apiPool,
    jwt,
    url: () => baseUrl,
    tokenLifetimeSec: options.tokenLifetimeSec ?? 3600,
    refreshReuseIntervalSec: options.refreshReuseIntervalSec ?? 10,
    log,
  })
  const postgrest = createPostgrest({ pool: apiPool, log })

  let realtime: RealtimeServer | null = null
  if (options.realtime !== false) {
    realtime = createRealtimeServer({
      connectionString: databaseUrl,
      jwt: { verify: jwt.verify },
      // Debug chatter only on request (BAYALERT_BACKEND_DEBUG=1); its lines already start with "realtime:".
      log: (level, msg) => {
        if (level !== 'debug' || process.env.BAYALERT_BACKEND_DEBUG) log(msg.startsWith('realtime') ? msg : `realtime: ${msg}`)
      },
      systemMessageDelayMs: options.systemMessageDelayMs,
      pollLatencyMs: options.realtimeLatencyMs,
      privateOnly: options.privateOnly,
      joinErrorBackoffMs: options.joinErrorDelayMs ?? 0,
    })
    // READY should mean ready: wait (bounded) for the realtime change listener.
    if (!(await realtime.ready(10_000))) log('realtime: change listener not connected after 10 s; continuing')
  }

  // Requests as the gateway sees them (every /rest/v1 and /auth/v1 request, whatever the answer), for /_control/stats.
  const startedAt = new Date().toISOString()
  const requests = { rest: 0, auth: 0 }
  const noRealtime: RealtimeUsage = { connections: 0, connectionsOpen: 0, joins: 0, messagesOut: 0, messagesIn: 0, peakJoinsPerSec: 0 }
  const stats = (peakSinceMs?: number): BackendStats => ({
    since: startedAt,
    realtime: realtime ? realtime.usage(peakSinceMs) : noRealtime,
    rest: { requests: requests.rest },
    auth: { requests: requests.auth },
  })

  let restarting: Promise<void> | null = null
  let stopped: Promise<void> | null = null
  const faults = new Faults({
    jwt,
    realtime: () => realtime,
    baseRealtimeLatencyMs: options.realtimeLatencyMs ?? 0,
    log,
    restartRealtime: async () => {
      if (!realtime) throw new Error('restartRealtime: no realtime server in this backend')
      await realtime.restart()
    },
    restartPostgres: (downMs) => {
      if (!dedicated) {
        const err = new Error(
          'restartPostgres needs startBackend({ dedicatedCluster: true }): this backend shares its PostgreSQL cluster with every other backend in the process',
        )
        return { down: Promise.reject(err), up: Promise.reject(err) }
      }
      if (restarting) {
        const err = new Error('restartPostgres: a restart is already in progress')
        return { down: Promise.reject(err), up: Promise.reject(err) }
      }
      const down = cluster.stopServer()
      const up = down.then(async () => {
        log(`postgres: down; starting again in ${downMs} ms`)
        await sleep(downMs)
        await cluster.startServer()
        log('postgres: back up')
      })
      restarting = up.finally(() => (restarting = null))
      restarting.catch(() => undefined)
      return { down, up }
    },
  })

  // ── HTTP ──
  const cors = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, POST, PATCH, PUT, DELETE, OPTIONS, HEAD',
    'Access-Control-Allow-Headers': 'authorization, apikey, content-type, prefer, accept-profile, content-profile, range, x-client-info, x-supabase-api-version, x-retry-count',
    'Access-Control-Expose-Headers': 'Content-Range, X-Supabase-Api-Version',
  }

  function requireServiceRole(req: IncomingMessage, url: URL): void {
    const token = bearerOf(req) ?? apiKeyOf(req, url)
    const v = token ? jwt.verify(token) : null
    if (!v?.ok || v.claims.role !== 'service_role') {
      throw new HttpError(401, { error: 'the control API needs the service_role key (Authorization: Bearer <service key>)' })
    }
  }

  async function health() {
    let db: 'up' | 'down' = 'down'
    let dbError: string | null = null
    try {
      await apiPool.query('select 1')
      db = 'up'
    } catch (e) {
      dbError = (e as Error).message
    }
    return { ok: db === 'up', db, dbError, realtime: realtime ? realtime.stats() : 'absent', url: baseUrl, anonKey: jwt.anonKey, databaseUrl, dedicatedCluster: dedicated, faults: faults.snapshot() }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname
    const method = req.method ?? 'GET'
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v)
    if (method === 'OPTIONS') return sendEmpty(res, 204)

    if (path.startsWith('/_control/')) {
      requireServiceRole(req, url)
      if (path === '/_control/health' && method === 'GET') return sendJson(res, 200, await health())
      if (path === '/_control/stats' && method === 'GET') {
        // ?peakSince=<epoch ms>: peakJoinsPerSec over the joins from then on (e.g. only after a restart).
        const raw = url.searchParams.get('peakSince')
        const since = raw === null ? undefined : Number(raw)
        if (since !== undefined && !Number.isFinite(since)) throw new HttpError(400, { error: 'peakSince must be a number of epoch milliseconds' })
        return sendJson(res, 200, stats(since))
      }
      const m = /^\/_control\/faults\/([A-Za-z]+)$/.exec(path)
      if (m && method === 'POST') {
        const text = await readBody(req)
        let body: Record<string, unknown>
        try {
          body = text.trim() ? JSON.parse(text) : {}
        } catch {
          throw new HttpError(400, { error: 'body must be JSON' })
        }
        try {
          const result = await faults.control(m[1], body)
          return sendJson(res, 200, { ok: true, knob: m[1], result: result ?? null })
        } catch (e) {
          if (e instanceof UnknownKnob) throw new HttpError(404, { error: e.message })
          throw new HttpError(409, { error: (e as Error).message })
        }
      }
      throw new HttpError(404, { error: `no control endpoint ${method} ${path}` })
    }

    if (path.startsWith('/auth/v1/')) {
      requests.auth++
      gatewayCheck(req, url, jwt)
      const injected = faults.takeAuthError(path === '/auth/v1/token' ? url.searchParams.get('grant_type') : null)
      if (injected) {
        const body = injected.code
          ? { code: injected.code, message: injected.message ?? `Injected fault: HTTP ${injected.status}` }
          : { code: 'unexpected_failure', message: injected.message ?? `Injected fault: HTTP ${injected.status}` }
        throw new HttpError(injected.status, body, { 'X-Supabase-Api-Version': '2024-01-01' })
      }
      return gotrue.handle(req, res, path.slice('/auth/v1'.length), url)
    }

    if (path === '/rest/v1' || path.startsWith('/rest/v1/')) {
      requests.rest++
      gatewayCheck(req, url, jwt)
      const claims = restClaims(req, url, jwt)
      const sub = path.slice('/rest/v1'.length)
      const latency = (options.restLatencyMs ?? 0) + faults.restLatencyMs()
      if (latency > 0) await sleep(latency)
      const injected = faults.takeRestError(sub)
      if (injected) throw injectedRestError(injected.status, injected.code, injected.message)
      try {
        return await postgrest.handle(req, res, sub, url, claims)
      } catch (e) {
        throw restErrorFor(e, claims.role, log)
      }
    }

    if (path.startsWith('/realtime/v1/') && realtime) {
      if (await realtime.handleHttp(req, res)) return
    }
    throw new HttpError(404, { message: 'no Route matched with those values' })
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e) => {
      if (e instanceof HttpError) {
        // Injected faults were logged when they were set; log only real server-side failures here.
        const injected = (e.body as { details?: unknown })?.details === INJECTED || (e.body as { code?: unknown })?.code === 'unexpected_failure'
        if (e.status >= 500 && !injected) log(`http: ${req.method} ${req.url} → ${e.status} ${JSON.stringify(e.body)}`)
        return sendJson(res, e.status, e.body, e.headers)
      }
      log(`http: ${req.method} ${req.url} failed: ${(e as Error).stack ?? e}`)
      sendJson(res, 500, { code: 'PGRST000', message: (e as Error).message ?? String(e), details: null, hint: null })
    })
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (realtime && path === '/realtime/v1/websocket') return realtime.handleUpgrade(req, socket, head)
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
  })
  server.on('clientError', (err, socket) => {
    if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') log(`http: client error: ${err.message}`)
    socket.destroy()
  })
  const port = await new Promise<number>((res, rej) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      rej(e.code === 'EADDRINUSE' ? new Error(`port ${options.port ?? DEFAULT_PORT} is in use (another backend running? pass port: 0 for an ephemeral port)`) : e),
    )
    server.listen(options.port ?? DEFAULT_PORT, '127.0.0.1', () => res((server.address() as { port: number }).port))
  })
  baseUrl = `http://127.0.0.1:${port}`

  const stop = () =>
    (stopped ??= (async () => {
      faults.clear({ quiet: true })
      await new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      })
      if (realtime) await realtime.close().catch((e: unknown) => log(`realtime: close failed: ${(e as Error).message}`))
      await restarting?.catch(() => undefined)
      await Promise.all([apiPool.end(), sql.end()]).catch((e: unknown) => log(`postgres pool: end failed: ${(e as Error).message}`))
      if (dedicated) await cluster.stop()
      else await cluster.dropDatabase(databaseName).catch((e: unknown) => log(`postgres: drop ${databaseName} failed: ${(e as Error).message}`))
    })())

  const tEnd = Date.now()
  return {
    url: baseUrl,
    port,
    anonKey: jwt.anonKey,
    serviceRoleKey: jwt.serviceRoleKey,
    jwtSecret: jwt.secret,
    jwt,
    demoUsers: seedDemo ? DEMO_MECHANICS.map((u) => ({ ...u })) : [],
    frontDeskUser: { ...DEMO_FRONT_DESK },
    sql,
    databaseUrl,
    databaseName,
    faults,
    realtime,
    stats,
    async createUser(u) {
      const name = u.name ?? u.email.split('@')[0]
      const client = await sql.connect()
      try {
        await client.query('begin')
        const r = await client.query<{ id: string }>(
          `insert into auth.users (id, aud, role, email, encrypted_password, email_confirmed_at, raw_user_meta_data)
           values (gen_random_uuid(), 'authenticated', 'authenticated', lower($1), extensions.crypt($2, extensions.gen_salt('bf', 6)), now(), $3)
           returning id`,
          [u.email, u.password, JSON.stringify({ name })],
        )
        if (u.mechanic) await client.query('insert into public.mechanics (user_id, display_name) values ($1, $2)', [r.rows[0].id, name])
        await client.query('commit')
        return { email: u.email.toLowerCase(), password: u.password, id: r.rows[0].id, name }
      } catch (e) {
        await client.query('rollback').catch(() => undefined)
        throw e
      } finally {
        client.release()
      }
    },
    timings: {
      totalMs: tEnd - t0,
      clusterMs: tCluster - t0,
      templateMs: tTemplate - tCluster,
      databaseMs: tDb - tTemplate,
      initdbMs: cluster.timings.initdbMs,
      clusterWasWarm,
    },
    stop,
  }
}
