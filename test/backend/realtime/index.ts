// Local Supabase Realtime subset: Phoenix channels over `ws`, postgres_changes from trigger capture, broadcast
// (socket, HTTP API, database), private channels under realtime.messages RLS, token refresh/expiry, fault knobs.
// Each behaviour names its public source: supabase/realtime (realtime_channel.ex, user_socket.ex, the
// postgres_cdc_rls extension), Phoenix's socket protocol, realtime-js, the Supabase Realtime docs, or an issue.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, WebSocket, type RawData } from 'ws'
import type { JwtClaims, JwtResult } from '../jwt.js'
import { RealtimeDatabase, sleep, type Captured, type CapturedBroadcast, type CapturedChange, type TableMeta, type VisibilityQuery } from './database.js'
import { toLogger, type LogInput, type Logger } from './log.js'
import { JoinTimes } from './join-rate.js'
import {
  bindingId,
  decodeBinary,
  decodeText,
  encodeText,
  encodeUserBroadcast,
  parseFilter,
  type ParsedFilter,
  type PhxMessage,
  type Vsn,
} from './protocol.js'

export interface RealtimeServerOptions {
  connectionString: string
  jwt: { verify(token: string): JwtResult | Promise<JwtResult> }
  log?: LogInput
  /** Delay between the join reply and "Subscribed to PostgreSQL" (supabase/realtime realtime_channel.ex, supabase/realtime-js#525). Default 10 ms; 1000–3000 reproduces supabase/realtime-js#525. */
  systemMessageDelayMs?: number
  /** Emulate the ≈100 ms slot polling (supabase/realtime postgres_cdc_rls): changes wait for the next poll tick. Default 0 (off). */
  pollLatencyMs?: number
  /**
   * Sleep before every join error reply; the real server sleeps CHANNEL_ERROR_BACKOFF_MS = 5000 ms
   * (realtime_channel.ex `join_error`), which is what makes a 10 s client join timeout the minimum. Default 0 so
   * tests stay fast.
   */
  joinErrorBackoffMs?: number
  /** Sleep before refusing a websocket upgrade; the real server sleeps 2000 ms (Phoenix socket protocol). Default 0. */
  connectErrorBackoffMs?: number
  /** Close sockets that sent nothing for this long (Phoenix socket protocol: Phoenix timeout 60 s). */
  idleTimeoutMs?: number
  /** Cap of the per-channel token re-check timer (realtime_channel.ex token checks: min(5 min, exp − now)). */
  tokenRecheckMaxMs?: number
  /**
   * The project's "allow public access" is off: a join without `config.private: true` is refused with
   * "PrivateOnly: This project only allows private channels" (supabase/realtime `only_private?`, checked before the
   * token). Default false.
   */
  privateOnly?: boolean
}

/**
 * `reorder` holds a message back until the next one of its kind has been delivered (or `delayMs`, default 1000, has
 * passed with none): the two arrive swapped — what a client sees when frames of one topic overtake each other.
 */
export type MessageFault = { kind: 'postgres_changes' | 'broadcast'; action: 'delay' | 'drop' | 'duplicate' | 'reorder'; count: number; delayMs?: number }

export interface RealtimeFaults {
  /** Terminate every socket: the client sees close 1006. */
  dropSockets(): void
  /** Refuse websocket upgrades for `ms` (HTTP 503 `{"error":…}`; mode 'reset' destroys the TCP socket instead). */
  refuseConnections(ms: number, mode?: 'http' | 'reset'): void
  /** Sockets stay open but nothing is answered or delivered for `ms` (heartbeats unanswered). */
  halfOpen(ms: number): void
  /** The next `count` postgres_changes events / broadcast messages are delayed, dropped, duplicated or reordered. */
  messages(f: MessageFault): void
  /** One-way server→client latency for every frame, order preserved. 0 turns it off. */
  setLatency(ms: number): void
  /** Re-check every channel's token now (after the JWT service's "expire all tokens now"). */
  recheckTokens(): Promise<void>
  /** Crash channels: phx_error to each (optionally only topics containing `topicPart`); clients rejoin. */
  crashChannels(topicPart?: string): void
  /** Turn "public access off" on or off for joins from now on (joined channels stay); `clear()` restores the option. */
  setPrivateOnly(on: boolean): void
  /** End every fault now. */
  clear(): void
}

export interface RealtimeServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** True if the request was a Realtime HTTP API request (/realtime/v1/api/broadcast*) and has been answered. */
  handleHttp(req: IncomingMessage, res: ServerResponse): Promise<boolean>
  faults: RealtimeFaults
  /** Drop all sockets and rebuild state (new listener); nothing is replayed (supabase/realtime postgres_cdc_rls). */
  restart(): Promise<void>
  close(): Promise<void>
  /** Introspection for tests and `doctor`. */
  stats(): { sockets: number; channels: number; listening: boolean; privateOnly: boolean }
  /** What Supabase bills, counted since the server was created (restart() keeps counting). */
  /** Counters since start; `peakSinceMs` (epoch ms) limits peakJoinsPerSec to joins from then on. */
  usage(peakSinceMs?: number): RealtimeUsage
  /** Resolves once the change listener is connected (or after `timeoutMs`, false). */
  ready(timeoutMs?: number): Promise<boolean>
}

export interface RealtimeUsage {
  /** Websocket connections accepted (cumulative). */
  connections: number
  /** Websocket connections open now. */
  connectionsOpen: number
  /** phx_join frames received, accepted or refused. */
  joins: number
  /** Server→client frames written to a socket, except replies to heartbeats. */
  messagesOut: number
  /** Client→server frames received, except heartbeats. */
  messagesIn: number
  /**
   * The most phx_join frames received in any 1-second window (sliding, not aligned to clock seconds) since start —
   * what Supabase's "channel joins per second" quota limits. With `sinceMs` (epoch ms, see usage()), only joins
   * from then on count (kept for the last 10 minutes, at most 200,000 joins).
   */
  peakJoinsPerSec: number
}

interface Binding {
  id: number
  /** Echoed to the client unchanged (supabase/realtime realtime_channel.ex, supabase/supabase#10110). */
  params: Record<string, unknown>
  event: string
  schema: string
  table: string
  filter: ParsedFilter | null
  /** Table oids this binding covers, set when the pg subscription is created. */
  relids: Set<number>
}

interface Conn {
  id: number
  ws: WebSocket
  vsn: Vsn
  apikey: string
  channels: Map<string, Channel>
  chains: Map<string, Promise<void>>
  lastRecv: number
  lastSendAt: number
  closed: boolean
}

interface Channel {
  conn: Conn
  topic: string
  sub: string
  joinRef: string | null
  private: boolean
  self: boolean
  ack: boolean
  /** The token the identity came from (access_token, user_token or the socket apikey, supabase/realtime realtime_channel.ex). */
  token: string
  claims: JwtClaims
  bindings: Binding[]
  /** Time the pg subscription became live; changes received before it are not delivered (supabase/realtime-js#525). */
  pgActiveSince: number | null
  pgGen: number
  writeAllowed: Promise<boolean> | null
  /** Private channels: the read policies evaluated at join / the last token push (null on public channels). */
  policies: { broadcast: boolean; presence: boolean } | null
  presenceEnabled: boolean
  tokenTimer: NodeJS.Timeout | null
  pgTimer: NodeJS.Timeout | null
  closed: boolean
}

interface Delivery {
  ch: Channel
  frame: PhxMessage
}

const TOPIC_PREFIX = 'realtime:'
const WS_PATH = '/realtime/v1/websocket'
const API_PATH = '/realtime/v1/api/broadcast'

export function createRealtimeServer(options: RealtimeServerOptions): RealtimeServer {
  const log: Logger = toLogger(options.log)
  const systemDelay = options.systemMessageDelayMs ?? 10
  const pollLatency = options.pollLatencyMs ?? 0
  const joinErrorBackoff = options.joinErrorBackoffMs ?? 0
  const connectErrorBackoff = options.connectErrorBackoffMs ?? 0
  const idleTimeout = options.idleTimeoutMs ?? 60_000
  const tokenRecheckMax = options.tokenRecheckMaxMs ?? 5 * 60_000
  let privateOnly = options.privateOnly === true
  const usage = { connections: 0, joins: 0, messagesOut: 0, messagesIn: 0, peakJoinsPerSec: 0 }
  const joinTimes = new JoinTimes()

  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 })
  const conns = new Set<Conn>()
  let connSeq = 0
  let generation = 0
  let closed = false

  // ── fault state ──
  let refuseUntil = 0
  let refuseMode: 'http' | 'reset' = 'http'
  let halfOpenUntil = 0
  let latencyMs = 0
  let messageRules: Array<MessageFault & { remaining: number }> = []
  const faultTimers = new Set<NodeJS.Timeout>()
  const isHalfOpen = () => Date.now() < halfOpenUntil
  const timedFault = (name: string, ms: number) => {
    const t = setTimeout(() => {
      faultTimers.delete(t)
      log.info(`realtime fault: ${name} ended`)
    }, ms)
    t.unref()
    faultTimers.add(t)
  }

  // ── ordered delivery ── Database events go out in commit order (NOTIFY order, supabase/realtime postgres_cdc_rls); client/HTTP broadcasts in
  // arrival order. Preparation (RLS checks) runs concurrently, emission strictly in order.
  const makeQueue = () => {
    let tail: Promise<void> = Promise.resolve()
    return (prepare: Promise<(() => Promise<void> | void) | null>) => {
      const gen = generation
      tail = tail
        .then(async () => {
          const emit = await prepare
          if (emit && gen === generation && !closed) await emit()
        })
        .catch((e) => log.error(`realtime: delivery failed: ${(e as Error).stack ?? e}`))
    }
  }
  const dbQueue = makeQueue()
  const bcQueue = makeQueue()

  // ── database ──
  let readyResolve: (() => void) | null = null
  let readyPromise = new Promise<void>((r) => (readyResolve = r))
  const db = new RealtimeDatabase(options.connectionString, log, {
    onCapture(item, receivedAt) {
      dbQueue(prepareCaptured(item, receivedAt))
    },
    onListenerDown(err) {
      // The change feed is gone: tell every pg subscriber, as a subscription failure (supabase/realtime realtime_channel.ex system error variants).
      // When the listener is back they get "Subscribed to PostgreSQL" again — their cue to backfill (supabase/realtime#570).
      for (const ch of allChannels()) {
        if (ch.bindings.length === 0 || ch.pgActiveSince === null) continue
        ch.pgActiveSince = null
        pushSystem(ch, 'postgres_changes', 'error', `Realtime was unable to connect to the project database: ${err?.message ?? 'connection ended'}`)
      }
    },
    onListenerUp(first) {
      readyResolve?.()
      if (first) return
      for (const ch of allChannels()) if (ch.bindings.length > 0) schedulePgSubscribe(ch, 0)
    },
  })
  const dbStarted = db.start().catch((e) => log.error(`realtime: database start failed: ${(e as Error).message}`))

  function* allChannels(): Generator<Channel> {
    for (const c of conns) for (const ch of c.channels.values()) yield ch
  }

  // ── outbound ──
  function rawSend(conn: Conn, data: string | Buffer, heartbeatReply: boolean): void {
    if (conn.closed || conn.ws.readyState !== WebSocket.OPEN) return
    // Supabase counts every message to a client against the project's quota; heartbeat replies are not billed.
    if (!heartbeatReply) usage.messagesOut++
    conn.ws.send(data, (err) => {
      if (err) log.debug(`realtime: send to socket ${conn.id} failed: ${err.message}`)
    })
  }

  function sendRaw(conn: Conn, data: string | Buffer, heartbeatReply = false): void {
    if (conn.closed) return
    if (isHalfOpen()) return // half-open: the peer never gets it
    const now = Date.now()
    if (latencyMs > 0 || conn.lastSendAt > now) {
      // Keep frames in order even when the latency changes while some are still in flight.
      const at = Math.max(now + latencyMs, conn.lastSendAt)
      conn.lastSendAt = at
      setTimeout(() => rawSend(conn, data, heartbeatReply), at - now)
      return
    }
    rawSend(conn, data, heartbeatReply)
  }

  const send = (conn: Conn, m: PhxMessage) => sendRaw(conn, encodeText(conn.vsn, m))

  function reply(conn: Conn, m: PhxMessage, status: 'ok' | 'error', response: unknown): void {
    send(conn, { join_ref: m.join_ref, ref: m.ref, topic: m.topic, event: 'phx_reply', payload: { status, response } })
  }

  /** Phoenix's `encode_ignore`: a reply for a topic the socket has no channel for carries no join_ref. */
  function replyUnmatched(conn: Conn, m: PhxMessage): void {
    send(conn, { join_ref: null, ref: m.ref, topic: m.topic, event: 'phx_reply', payload: { status: 'error', response: { reason: 'unmatched topic' } } })
  }

  /** A push naming an earlier join of this topic (the client raced a close or rejoin): Phoenix's socket.ex ignores it. */
  function isStale(ch: Channel, m: PhxMessage): boolean {
    if (m.join_ref === null || ch.joinRef === null || m.join_ref === ch.joinRef) return false
    log.debug(`realtime: ${m.event} on ${m.topic} for old join_ref ${m.join_ref} (current ${ch.joinRef}) ignored`)
    return true
  }

  function pushSystem(ch: Channel, extension: string, status: 'ok' | 'error', message: string): void {
    // Server pushes carry join_ref with ref null (Phoenix socket protocol).
    send(ch.conn, { join_ref: ch.joinRef, ref: null, topic: ch.topic, event: 'system', payload: { extension, status, message, channel: ch.sub } })
  }

  // ── channel lifecycle ──
  function disposeChannel(ch: Channel): void {
    ch.closed = true
    ch.pgGen++
    ch.pgActiveSince = null
    if (ch.tokenTimer) clearTimeout(ch.tokenTimer)
    if (ch.pgTimer) clearTimeout(ch.pgTimer)
    if (ch.conn.channels.get(ch.topic) === ch) ch.conn.channels.delete(ch.topic)
  }

  /** Normal stop → phx_close; crash → phx_error; both with [join_ref, join_ref, topic, event, {}] (supabase/realtime realtime_channel.ex). */
  function closeChannel(ch: Channel, event: 'phx_close' | 'phx_error'): void {
    disposeChannel(ch)
    send(ch.conn, { join_ref: ch.joinRef, ref: ch.joinRef, topic: ch.topic, event, payload: {} })
  }

  /** system error then phx_close: the client reports CLOSED and never rejoins (supabase/realtime realtime_channel.ex, realtime-js RealtimeClient, supabase/realtime-js#274). */
  function shutdown(ch: Channel, message: string): void {
    if (ch.closed) return
    log.info(`realtime: shutting down channel ${ch.sub} on socket ${ch.conn.id}: ${message}`)
    pushSystem(ch, 'system', 'error', message)
    closeChannel(ch, 'phx_close')
  }

  async function verify(token: string): Promise<JwtResult> {
    try {
      return await options.jwt.verify(token)
    } catch (e) {
      log.error(`realtime: jwt.verify threw: ${(e as Error).message}`)
      return { ok: false, error: Object.assign(new Error('The token provided is not a valid JWT'), { kind: 'MalformedJWT', reason: 'MalformedJWT: The token provided is not a valid JWT', expired: false }) } as unknown as JwtResult
    }
  }

  function scheduleTokenCheck(ch: Channel): void {
    if (ch.tokenTimer) clearTimeout(ch.tokenTimer)
    const untilExp = typeof ch.claims.exp === 'number' ? ch.claims.exp * 1000 - Date.now() : tokenRecheckMax
    const delay = Math.max(0, Math.min(tokenRecheckMax, untilExp))
    ch.tokenTimer = setTimeout(() => void recheckToken(ch).catch((e) => log.error(`realtime: token re-check of ${ch.sub} failed: ${(e as Error).stack ?? e}`)), delay)
    ch.tokenTimer.unref()
  }

  /**
   * The token timer (every min(5 min, exp − now)): the token is re-verified and nothing else. The read policies are
   * NOT re-run (the real server's `:confirm_token` handler only calls confirm_token), so a policy that stops matching
   * does not close a joined channel until the client pushes a new token or rejoins.
   */
  async function recheckToken(ch: Channel): Promise<void> {
    if (ch.closed) return
    const res = await verify(ch.token)
    if (ch.closed) return
    if (!res.ok) return shutdown(ch, res.error.message)
    scheduleTokenCheck(ch)
  }

  const unauthorizedRead = (sub: string) => `You do not have permissions to read from this Channel topic: ${sub}`
  const DB_UNAVAILABLE = 'Realtime was unable to connect to the project database'

  type ReadPolicies = { broadcast: boolean; presence: boolean }

  /**
   * Private read policies (RLS on realtime.messages). A policy that raises counts as no permission, as on the real
   * server (`rls_policy_error` → Unauthorized); only a database that cannot be reached is a different answer.
   */
  async function readPolicies(sub: string, claims: JwtClaims, presenceEnabled: boolean): Promise<ReadPolicies | 'unavailable'> {
    try {
      return await db.readPolicies(sub, claims, presenceEnabled)
    } catch (e) {
      const code = (e as { code?: unknown }).code
      const sqlState = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null
      // Connection exceptions (08), insufficient resources (53), operator intervention (57), system errors (58).
      if (sqlState && !['08', '53', '57', '58'].includes(sqlState.slice(0, 2))) {
        log.warn(`realtime: read policy for ${sub} raised ${sqlState}: ${(e as Error).message}; treated as no permission`)
        return { broadcast: false, presence: false }
      }
      log.warn(`realtime: read authorisation of ${sub} failed: ${(e as Error).message}`)
      return 'unavailable'
    }
  }

  const canReadAny = (p: ReadPolicies) => p.broadcast || p.presence

  // ── postgres_changes subscription (asynchronous after the join reply, supabase/realtime realtime_channel.ex) ──
  function schedulePgSubscribe(ch: Channel, delayMs = systemDelay): void {
    const gen = ++ch.pgGen
    if (ch.pgTimer) clearTimeout(ch.pgTimer)
    ch.pgTimer = setTimeout(() => {
      ch.pgTimer = null
      subscribePg(ch, gen).catch((e) => log.error(`realtime: postgres subscribe of ${ch.sub} crashed: ${(e as Error).stack ?? e}`))
    }, delayMs)
  }

  const paramsToLog = (b: Binding) =>
    `[event: ${b.event}, schema: ${b.schema}, table: ${b.table}, filters: [${b.filter ? `{"${b.filter.column}", "${b.filter.op}", "${b.filter.value}"}` : ''}], select: nil]`

  async function subscribePg(ch: Channel, gen: number): Promise<void> {
    if (ch.closed || gen !== ch.pgGen) return
    if (!db.listening) {
      // Right after start the listener may still be connecting: wait for it briefly.
      await Promise.race([readyPromise, sleep(2000)])
      if (ch.closed || gen !== ch.pgGen) return
    }
    if (!db.listening) {
      // Transient: retried like the real server does (supabase/realtime realtime_channel.ex "retried every 5–10 s"; shorter here).
      log.warn(`realtime: cannot subscribe ${ch.sub} to PostgreSQL yet (listener down); retrying`)
      schedulePgSubscribe(ch, 1000)
      return
    }
    const role = String(ch.claims.role)
    try {
      for (const b of ch.bindings) {
        const p = b.params
        if (typeof p.filter === 'string') {
          const f = parseFilter(p.filter)
          if (!f.ok) return failPg(ch, gen, `Error parsing \`filter\` params: ["${f.error}"]`, 'bad filter syntax')
          b.filter = f.value
        }
        if (!['*', 'INSERT', 'UPDATE', 'DELETE'].includes(b.event) || !b.schema || !b.table) {
          return failPg(ch, gen, unableMessage(b), `invalid binding ${JSON.stringify(p)}`)
        }
        await db.refreshPublishedActions()
        const tables = await db.publishedTables(b.schema, b.table)
        if (tables.length === 0) return failPg(ch, gen, unableMessage(b), `${b.schema}.${b.table} is not in publication supabase_realtime`)
        const relids = new Set<number>()
        for (const t of tables) {
          const meta = await db.tableMeta(t.schema, t.table, true)
          if (!meta) return failPg(ch, gen, unableMessage(b), `${t.schema}.${t.table} vanished`)
          const cols = await db.selectableColumns(meta, role, true)
          if (b.filter) {
            if (!cols.has(b.filter.column)) return failPg(ch, gen, unableMessage(b), `invalid column for filter ${b.filter.column}`)
            const bad = await db.checkFilterValue(meta, b.filter)
            if (bad) return failPg(ch, gen, unableMessage(b), bad)
          }
          relids.add(meta.oid)
        }
        b.relids = relids
      }
    } catch (e) {
      if (ch.closed || gen !== ch.pgGen) return
      log.warn(`realtime: subscribing ${ch.sub} to PostgreSQL failed: ${(e as Error).message}; retrying in 2 s`)
      schedulePgSubscribe(ch, 2000)
      return
    }
    if (ch.closed || gen !== ch.pgGen) return
    if (ch.pgActiveSince === null) ch.pgActiveSince = Date.now()
    pushSystem(ch, 'postgres_changes', 'ok', 'Subscribed to PostgreSQL')
  }

  const unableMessage = (b: Binding) =>
    `Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ${paramsToLog(b)}`

  function failPg(ch: Channel, gen: number, message: string, cause: string): void {
    if (ch.closed || gen !== ch.pgGen) return
    // The channel stays joined and nothing is ever delivered (supabase/realtime realtime_channel.ex).
    ch.pgActiveSince = null
    log.warn(`realtime: postgres_changes subscription of ${ch.sub} refused: ${cause}`)
    pushSystem(ch, 'postgres_changes', 'error', message)
  }

  // ── inbound ──
  function enqueue(conn: Conn, topic: string, fn: () => Promise<void>): void {
    const prev = conn.chains.get(topic) ?? Promise.resolve()
    const next = prev
      .then(fn)
      .catch((e) => {
        log.error(`realtime: handling a message on ${topic} crashed: ${(e as Error).stack ?? e}`)
        const ch = conn.channels.get(topic)
        if (ch) closeChannel(ch, 'phx_error') // a crashed channel process → phx_error (supabase/realtime realtime_channel.ex)
      })
      .finally(() => {
        if (conn.chains.get(topic) === next) conn.chains.delete(topic)
      })
    conn.chains.set(topic, next)
  }

  function onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    if (conn.closed) return
    if (isHalfOpen()) return // half-open: the frame never reached the server
    conn.lastRecv = Date.now()
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
    if (isBinary) {
      usage.messagesIn++
      if (conn.vsn !== '2.0.0') return log.warn(`realtime: socket ${conn.id} (vsn ${conn.vsn}) sent a binary frame; ignored`)
      const d = decodeBinary(buf)
      if (!d.ok) return log.warn(`realtime: socket ${conn.id} sent a bad binary frame (${d.error}); ignored`)
      const b = d.value
      const m: PhxMessage = { join_ref: b.join_ref || null, ref: b.ref || null, topic: b.topic, event: 'broadcast', payload: null }
      enqueue(conn, b.topic, () => handleBroadcastPush(conn, m, { event: b.event, payload: b.payload, binary: b.binary }))
      return
    }
    const d = decodeText(conn.vsn, buf.toString('utf8'))
    if (!d.ok) return log.warn(`realtime: socket ${conn.id} sent a bad frame (${d.error}): ${buf.toString('utf8').slice(0, 200)}`)
    const m = d.value
    if (m.topic === 'phoenix' && m.event === 'heartbeat') {
      const hb: PhxMessage = { join_ref: m.join_ref, ref: m.ref, topic: m.topic, event: 'phx_reply', payload: { status: 'ok', response: {} } }
      return sendRaw(conn, encodeText(conn.vsn, hb), true)
    }
    usage.messagesIn++
    if (m.topic === 'phoenix') return log.warn(`realtime: unknown event ${m.event} on topic phoenix; ignored`)
    if (m.event === 'phx_join') {
      usage.joins++
      usage.peakJoinsPerSec = Math.max(usage.peakJoinsPerSec, joinTimes.add(Date.now()))
    }
    enqueue(conn, m.topic, () => handleChannelMessage(conn, m))
  }

  async function handleChannelMessage(conn: Conn, m: PhxMessage): Promise<void> {
    if (conn.closed) return
    if (m.event === 'phx_join') return handleJoin(conn, m)
    const ch = conn.channels.get(m.topic)
    if (!ch) {
      // Phoenix socket.ex: leave for an unknown topic is acknowledged; anything else gets "unmatched topic".
      if (m.event === 'phx_leave') return reply(conn, m, 'ok', {})
      return replyUnmatched(conn, m)
    }
    if (isStale(ch, m)) return
    const payload = (m.payload && typeof m.payload === 'object' ? m.payload : {}) as Record<string, unknown>
    switch (m.event) {
      case 'phx_leave':
        disposeChannel(ch)
        reply(conn, m, 'ok', {})
        send(conn, { join_ref: ch.joinRef, ref: ch.joinRef, topic: ch.topic, event: 'phx_close', payload: {} })
        return
      case 'access_token':
        return handleAccessToken(ch, payload)
      case 'broadcast':
        // Text broadcast push (vsn 1, or vsn 2 with a non-JSON-object payload): {type, event, payload} (supabase.com/docs/guides/realtime/broadcast).
        if (typeof payload.event !== 'string') return log.warn(`realtime: broadcast without an event on ${m.topic}; ignored`)
        return handleBroadcastPush(conn, m, { event: payload.event, payload: payload.payload, binary: false })
      case 'presence':
        log.info(`realtime: presence is not emulated; ${m.topic} presence push acknowledged and ignored`)
        return reply(conn, m, 'ok', {})
      default:
        log.warn(`realtime: unknown event ${JSON.stringify(m.event)} on ${m.topic}; ignored`)
    }
  }

  async function joinError(conn: Conn, m: PhxMessage, reason: string): Promise<void> {
    log.info(`realtime: join of ${m.topic} on socket ${conn.id} refused: ${reason}`)
    // The real server sleeps CHANNEL_ERROR_BACKOFF_MS before any join error (supabase/realtime realtime_channel.ex).
    if (joinErrorBackoff > 0) await sleep(joinErrorBackoff)
    reply(conn, m, 'error', { reason })
  }

  async function handleJoin(conn: Conn, m: PhxMessage): Promise<void> {
    const old = conn.channels.get(m.topic)
    if (old) closeChannel(old, 'phx_close') // second join on the same topic closes the old channel (supabase/realtime realtime_channel.ex)
    if (!m.topic.startsWith(TOPIC_PREFIX)) return replyUnmatched(conn, m)
    const sub = m.topic.slice(TOPIC_PREFIX.length)
    if (!sub) return joinError(conn, m, 'TopicNameRequired: You must provide a topic name')
    const payload = (m.payload && typeof m.payload === 'object' ? m.payload : {}) as Record<string, unknown>
    const config = (payload.config && typeof payload.config === 'object' ? payload.config : {}) as Record<string, unknown>
    const isPrivate = config.private === true
    // The real server checks this before it looks at the token at all: a public join is refused whatever it carries.
    if (privateOnly && !isPrivate) return joinError(conn, m, 'PrivateOnly: This project only allows private channels')

    // Identity: access_token → user_token → socket apikey; `sb_…` keys mean "use the apikey" (supabase/realtime realtime_channel.ex, supabase/supabase-js#1553).
    let token = [payload.access_token, payload.user_token].find((t): t is string => typeof t === 'string' && t.length > 0) ?? conn.apikey
    if (token.startsWith('sb_')) token = conn.apikey
    const res = await verify(token)
    if (conn.closed) return
    if (!res.ok) return joinError(conn, m, res.error.reason)

    const presenceConfig = (config.presence && typeof config.presence === 'object' ? config.presence : {}) as Record<string, unknown>
    const presenceEnabled = presenceConfig.enabled === true
    let policies: ReadPolicies | null = null
    if (isPrivate) {
      const read = await readPolicies(sub, res.claims, presenceEnabled)
      if (conn.closed) return
      if (read === 'unavailable') return joinError(conn, m, `UnableToConnectToProject: ${DB_UNAVAILABLE}`)
      if (!canReadAny(read)) return joinError(conn, m, `Unauthorized: ${unauthorizedRead(sub)}`)
      policies = read
    }

    // Broadcast replay, private channels only (broadcast from the database, supabase.com/docs/guides/realtime/broadcast): the last `limit` (default 10, max 25) broadcast rows since
    // `since` (epoch ms), kept 72 h, sent right after the join reply with meta {replayed: true, id}.
    const bcConfig = (config.broadcast && typeof config.broadcast === 'object' ? config.broadcast : {}) as Record<string, unknown>
    let replayRows: Array<{ id: string; event: string; payload: unknown }> = []
    if (bcConfig.replay !== undefined && bcConfig.replay !== null) {
      if (!isPrivate) return joinError(conn, m, 'UnableToReplayMessages: Replay is not allowed for public channels')
      // Replay needs broadcast read; presence read alone is not enough (can_replay?).
      if (policies && !policies.broadcast) return joinError(conn, m, `Unauthorized: ${unauthorizedRead(sub)}`)
      const r = bcConfig.replay as Record<string, unknown>
      const since = r.since
      const limit = r.limit ?? 10
      if (typeof since !== 'number' || typeof limit !== 'number' || !Number.isFinite(since) || !Number.isFinite(limit)) {
        return joinError(conn, m, 'UnableToReplayMessages: Replay params are not valid')
      }
      try {
        replayRows = await db.replay(sub, since, Math.max(0, Math.min(25, Math.floor(limit))))
      } catch (e) {
        log.warn(`realtime: replay for ${sub} failed: ${(e as Error).message}`)
        return joinError(conn, m, 'UnableToReplayMessages: Realtime was unable to replay messages')
      }
      if (conn.closed) return
    }

    const rawBindings = config.postgres_changes ?? []
    if (!Array.isArray(rawBindings) || rawBindings.some((b) => !b || typeof b !== 'object' || Array.isArray(b))) {
      return joinError(conn, m, 'InvalidJoinPayload: postgres_changes must be a list of objects')
    }
    const bindings: Binding[] = (rawBindings as Array<Record<string, unknown>>).map((p) => ({
      id: bindingId(p),
      params: p,
      event: typeof p.event === 'string' ? p.event.toUpperCase() : '',
      schema: typeof p.schema === 'string' ? p.schema : '',
      table: typeof p.table === 'string' ? p.table : '',
      filter: null,
      relids: new Set<number>(),
    }))
    const bc = bcConfig
    const ch: Channel = {
      conn,
      topic: m.topic,
      sub,
      joinRef: m.join_ref ?? m.ref,
      private: isPrivate,
      self: bc.self === true,
      ack: bc.ack === true,
      token,
      claims: res.claims,
      bindings,
      pgActiveSince: null,
      pgGen: 0,
      writeAllowed: null,
      policies,
      presenceEnabled,
      tokenTimer: null,
      pgTimer: null,
      closed: false,
    }
    conn.channels.set(m.topic, ch)
    // The reply echoes every binding unchanged, in request order, plus its id (supabase/realtime realtime_channel.ex).
    reply(conn, m, 'ok', { postgres_changes: bindings.map((b) => ({ ...b.params, id: b.id })) })
    if (presenceEnabled) send(conn, { join_ref: ch.joinRef, ref: null, topic: ch.topic, event: 'presence_state', payload: {} })
    for (const row of replayRows) sendBroadcastFrame(ch, { event: row.event, payload: row.payload, binary: false, textOnly: false, meta: { replayed: true, id: row.id } })
    if (bindings.length > 0) schedulePgSubscribe(ch)
    scheduleTokenCheck(ch)
  }

  /**
   * `access_token` push (realtime_channel.ex `handle_in("access_token", …)`): `sb_…` keys, the current token and null
   * are ignored. Anything else is verified, the read policies re-run with the new claims (private channels) and the
   * postgres_changes subscription re-created ("Subscribed to PostgreSQL" again). A failure shuts the channel down
   * (system error + phx_close).
   */
  async function handleAccessToken(ch: Channel, payload: Record<string, unknown>): Promise<void> {
    const token = payload.access_token
    if (typeof token !== 'string' || token === ch.token || token.startsWith('sb_')) return
    const res = await verify(token)
    if (ch.closed) return
    // The real handler has no clause of its own for a bad signature: it shuts down with `inspect(:signature_error)`.
    if (!res.ok) return shutdown(ch, res.error.kind === 'JwtSignatureError' ? ':signature_error' : res.error.message)
    if (ch.private) {
      const read = await readPolicies(ch.sub, res.claims, ch.presenceEnabled)
      if (ch.closed) return
      if (read === 'unavailable') return shutdown(ch, DB_UNAVAILABLE)
      if (!canReadAny(read)) return shutdown(ch, unauthorizedRead(ch.sub))
      // Only when one read flips to false while the other still allows the topic (check_read_permissions_revoked).
      const before = ch.policies
      if (before && ((before.broadcast && !read.broadcast) || (before.presence && !read.presence))) {
        return shutdown(ch, `You no longer have permission to read from this Channel topic: ${ch.sub}`)
      }
      ch.policies = read
    }
    ch.token = token
    ch.claims = res.claims
    ch.writeAllowed = null
    scheduleTokenCheck(ch)
    if (ch.bindings.length > 0) schedulePgSubscribe(ch)
  }

  // ── broadcast ──
  interface BroadcastMsg {
    topic: string
    event: string
    payload: unknown
    binary: boolean
    private: boolean
    source: 'socket' | 'http' | 'db'
    meta: Record<string, unknown> | null
    sender: Channel | null
  }

  async function handleBroadcastPush(conn: Conn, m: PhxMessage, b: { event: string; payload: unknown; binary: boolean }): Promise<void> {
    const ch = conn.channels.get(m.topic)
    if (!ch) return replyUnmatched(conn, m)
    if (isStale(ch, m)) return
    if (ch.private) {
      // Write permission is checked once, on the first send, as an INSERT under RLS (broadcast from the database, supabase.com/docs/guides/realtime/broadcast).
      if (!ch.writeAllowed) {
        ch.writeAllowed = db.canWrite(ch.sub, ch.claims).catch((e) => {
          log.warn(`realtime: write authorisation of ${ch.sub} failed: ${(e as Error).message}`)
          ch.writeAllowed = null
          return false
        })
      }
      if (!(await ch.writeAllowed)) {
        // No reply at all: with ack the client sees 'timed out' (supabase.com/docs/guides/realtime/broadcast).
        log.info(`realtime: ${ch.sub}: broadcast "${b.event}" dropped, no write permission for role ${String(ch.claims.role)}`)
        return
      }
    }
    bcQueue(
      Promise.resolve(() =>
        emitBroadcast({ topic: ch.sub, event: b.event, payload: b.payload, binary: b.binary, private: ch.private, source: 'socket', meta: null, sender: ch }),
      ),
    )
    if (ch.ack) reply(conn, m, 'ok', {})
  }

  function takeRule(kind: MessageFault['kind']): (MessageFault & { remaining: number }) | null {
    const r = messageRules.find((x) => x.kind === kind && x.remaining > 0)
    if (!r) return null
    r.remaining--
    messageRules = messageRules.filter((x) => x.remaining > 0)
    log.info(`realtime fault: ${r.action} one ${kind} message (${r.remaining} left)`)
    return r
  }

  /** Messages held back by a `reorder` rule, per kind: each goes out right after the next message of its kind. */
  const heldBack: Record<MessageFault['kind'], Array<{ deliver: () => void; timer: NodeJS.Timeout }>> = { postgres_changes: [], broadcast: [] }
  function releaseHeld(kind: MessageFault['kind']): void {
    const held = heldBack[kind]
    heldBack[kind] = []
    for (const h of held) {
      clearTimeout(h.timer)
      h.deliver()
    }
  }

  /**
   * Apply the message faults, then deliver: drop → nothing; duplicate → twice; delay → later, holding the queue;
   * reorder → after the next message of the kind. A message delivered (or dropped) releases what was held before it.
   */
  async function withFaults(kind: MessageFault['kind'], deliver: () => void): Promise<void> {
    const rule = takeRule(kind)
    if (rule?.action === 'reorder') {
      const entry = { deliver, timer: setTimeout(() => releaseOne(kind, entry), rule.delayMs ?? 1000) }
      entry.timer.unref?.()
      heldBack[kind].push(entry)
      return
    }
    if (rule?.action === 'drop') return releaseHeld(kind)
    if (rule?.action === 'delay') await sleep(rule.delayMs ?? 1000)
    deliver()
    if (rule?.action === 'duplicate') deliver()
    releaseHeld(kind)
  }
  function releaseOne(kind: MessageFault['kind'], entry: { deliver: () => void; timer: NodeJS.Timeout }): void {
    const i = heldBack[kind].indexOf(entry)
    if (i < 0) return
    heldBack[kind].splice(i, 1)
    log.info(`realtime fault: a held-back ${kind} message went out alone (nothing followed it within its delay)`)
    entry.deliver()
  }

  function emitBroadcast(b: BroadcastMsg): Promise<void> {
    const targets: Channel[] = []
    for (const ch of allChannels()) {
      // A public channel never gets private messages and vice versa (broadcast from the database, supabase.com/docs/guides/realtime/broadcast).
      if (ch.sub !== b.topic || ch.private !== b.private) continue
      if (ch === b.sender && !ch.self) continue
      // Joined on presence read alone: broadcasts are withheld ("Broadcast message ignored" on the real server).
      if (ch.policies && !ch.policies.broadcast) continue
      targets.push(ch)
    }
    return withFaults('broadcast', () => {
      for (const ch of targets) {
        if (!ch.closed) sendBroadcastFrame(ch, { event: b.event, payload: b.payload, binary: b.binary, textOnly: b.source === 'http', meta: b.meta })
      }
    })
  }

  function sendBroadcastFrame(ch: Channel, b: { event: string; payload: unknown; binary: boolean; textOnly: boolean; meta: Record<string, unknown> | null }): void {
    const conn = ch.conn
    // Kind-4 binary for v2 sockets when the message came from a v2 client or the database; text otherwise (supabase.com/docs/guides/realtime/broadcast).
    if (conn.vsn === '2.0.0' && (!b.textOnly || b.binary)) {
      const frame = encodeUserBroadcast(ch.topic, b.event, b.payload, b.meta)
      if (frame) return sendRaw(conn, frame)
    }
    if (b.binary) {
      log.warn(`realtime: binary broadcast "${b.event}" cannot go to a vsn ${conn.vsn} socket as text; skipped`)
      return
    }
    const payload: Record<string, unknown> = { event: b.event, payload: b.payload, type: 'broadcast' }
    if (b.meta) payload.meta = b.meta
    send(conn, { join_ref: null, ref: null, topic: ch.topic, event: 'broadcast', payload })
  }

  // ── postgres_changes delivery (supabase/realtime postgres_cdc_rls) ──
  async function waitForPollTick(): Promise<void> {
    if (pollLatency <= 0) return
    const now = Date.now()
    const next = Math.ceil(now / pollLatency) * pollLatency + Math.floor(Math.random() * Math.min(50, pollLatency / 2))
    await sleep(Math.max(0, next - now))
  }

  async function prepareCaptured(item: Promise<Captured | null>, receivedAt: number): Promise<(() => Promise<void> | void) | null> {
    const c = await item
    if (!c) return null
    await waitForPollTick()
    if (c.k === 'broadcast') return prepareDbBroadcast(c)
    return prepareChange(c, receivedAt)
  }

  function prepareDbBroadcast(c: CapturedBroadcast): () => Promise<void> {
    // Database messages carry meta {"id": <uuid>} (supabase.com/docs/guides/realtime/broadcast).
    return () => emitBroadcast({ topic: c.topic, event: c.event, payload: c.payload, binary: false, private: c.private, source: 'db', meta: { id: c.id }, sender: null })
  }

  const pick = (rec: Record<string, unknown> | null, keep: (k: string) => boolean) => {
    const out: Record<string, unknown> = {}
    if (rec) for (const [k, v] of Object.entries(rec)) if (keep(k)) out[k] = v
    return out
  }

  async function prepareChange(c: CapturedChange, receivedAt: number): Promise<(() => Promise<void>) | null> {
    // Candidates: channels whose pg subscription was live when the commit reached us (supabase/realtime-js#525: a commit before
    // "Subscribed to PostgreSQL" is lost).
    const cands: Array<{ ch: Channel; bindings: Binding[] }> = []
    // wal2json is asked only for the actions the publication publishes (supabase/realtime postgres_cdc_rls list_changes).
    if (!db.publishes[c.type]) return null
    for (const ch of allChannels()) {
      if (ch.pgActiveSince === null || ch.pgActiveSince > receivedAt) continue
      const bs = ch.bindings.filter((b) => b.relids.has(c.relid) && (b.event === '*' || b.event === c.type))
      if (bs.length > 0) cands.push({ ch, bindings: bs })
    }
    if (cands.length === 0) return null
    let meta: TableMeta | null | undefined = db.cachedMeta(c.schema, c.table)
    if (!meta || meta.oid !== c.relid) meta = await db.tableMeta(c.schema, c.table, true)
    if (!meta) {
      log.warn(`realtime: change on unknown table ${c.schema}.${c.table} dropped`)
      return null
    }
    const m = meta
    const pkRec = pick(c.type === 'DELETE' ? c.old : c.record, (k) => m.pk.includes(k))
    // Old identity: PK only unless REPLICA IDENTITY FULL; DELETE on an RLS table is always PK-only (supabase/realtime postgres_cdc_rls).
    const identity = (): Record<string, unknown> => {
      if (m.replident === 'f' && !(c.type === 'DELETE' && m.rls)) return c.old ?? {}
      if (m.replident === 'n') return {}
      return pick(c.old, (k) => m.pk.includes(k))
    }
    const oldIdentity = c.type === 'INSERT' ? null : identity()
    // INSERT/UPDATE filters run on the new row, DELETE on the old identity (supabase/realtime postgres_cdc_rls).
    const filterRec = c.type === 'DELETE' ? oldIdentity : c.record

    const roles = new Map<string, Set<string>>()
    for (const { ch } of cands) {
      const role = String(ch.claims.role)
      if (!roles.has(role)) roles.set(role, await db.selectableColumns(m, role))
    }

    // apply_rls checks the role's privileges before anything else: with no primary key (400), or a primary key
    // the role may not SELECT (401), every subscriber of that role gets the error frame, unfiltered and without
    // the RLS query (which would fail with 42501 anyway). As supabase/realtime postgres_cdc_rls and `realtime.apply_rls` do.
    const errorFor = (role: string): string | null => {
      if (c.type === 'DELETE') return null
      if (m.pk.length === 0) return 'Error 400: Bad Request, no primary key'
      const sel = roles.get(role)!
      return m.pk.every((k) => sel.has(k)) ? null : 'Error 401: Unauthorized'
    }

    // Visibility per distinct (role, claims, filter): one SQL round trip for all of them.
    const needSql = (ch: Channel, b: Binding) => errorFor(String(ch.claims.role)) === null && (b.filter !== null || (m.rls && c.type !== 'DELETE'))
    const queries = new Map<string, VisibilityQuery>()
    const keyOf = (ch: Channel, b: Binding) => `${JSON.stringify(ch.claims)}\u0000${b.filter ? JSON.stringify(b.filter) : ''}`
    for (const { ch, bindings } of cands) {
      for (const b of bindings) {
        if (!needSql(ch, b)) continue
        const key = keyOf(ch, b)
        // The SQL side gets a short opaque key (jsonb rejects the NUL separator used locally).
        if (!queries.has(key)) queries.set(key, { key: `q${queries.size}`, role: String(ch.claims.role), claims: ch.claims, filters: b.filter ? [b.filter] : [] })
      }
    }
    let visible = new Map<string, boolean>()
    if (queries.size > 0) {
      try {
        visible = await db.visible(m, c.type, filterRec, pkRec, [...queries.values()])
      } catch (e) {
        log.warn(`realtime: visibility check for ${m.qualified} failed: ${(e as Error).message}; change not delivered`)
        return null
      }
    }

    const payloadByRole = new Map<string, Record<string, unknown>>()
    const dataFor = (role: string): Record<string, unknown> => {
      const hit = payloadByRole.get(role)
      if (hit) return hit
      const sel = roles.get(role)!
      const error = errorFor(role)
      let data: Record<string, unknown>
      if (error) {
        // The server's record for an error row: no columns, no commit time, no record or old_record
        // (realtime's generate_record fills only what apply_rls returned: schema, table, type).
        data = { columns: [], commit_timestamp: null, errors: [error], schema: c.schema, table: c.table, type: c.type }
      } else {
        data = {
          columns: m.columns.filter((col) => sel.has(col.name)),
          commit_timestamp: c.ts,
          errors: c.too_large ? ['Error 413: Payload Too Large'] : null,
        }
        if (c.type !== 'DELETE') data.record = pick(c.record, (k) => sel.has(k))
        if (c.type !== 'INSERT') data.old_record = pick(oldIdentity, (k) => sel.has(k))
        data.schema = c.schema
        data.table = c.table
        data.type = c.type
      }
      payloadByRole.set(role, data)
      return data
    }

    const deliveries: Delivery[] = []
    for (const { ch, bindings } of cands) {
      const ids = bindings.filter((b) => !needSql(ch, b) || visible.get(queries.get(keyOf(ch, b))!.key) === true).map((b) => b.id)
      if (ids.length === 0) continue
      // One frame per channel carrying every matching binding id (supabase/realtime postgres_cdc_rls).
      deliveries.push({ ch, frame: { join_ref: null, ref: null, topic: ch.topic, event: 'postgres_changes', payload: { ids: [...new Set(ids)], data: dataFor(String(ch.claims.role)) } } })
    }
    if (deliveries.length === 0) return null
    return () =>
      withFaults('postgres_changes', () => {
        for (const d of deliveries) if (!d.ch.closed) send(d.ch.conn, d.frame)
      })
  }

  // ── websocket upgrade ──
  function refuseUpgrade(socket: Duplex, status: number, error: string): void {
    const body = JSON.stringify({ error })
    const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error'
    socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`)
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (e) => log.debug(`realtime: upgrade socket error: ${e.message}`))
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (closed) return refuseUpgrade(socket, 503, 'Realtime is shutting down')
      if (url.pathname !== WS_PATH && url.pathname !== `${WS_PATH}/`) return refuseUpgrade(socket, 404, 'Not found')
      if (Date.now() < refuseUntil) {
        log.info('realtime fault: connection refused')
        if (refuseMode === 'reset') return void socket.destroy()
        return refuseUpgrade(socket, 503, 'Error connecting to Realtime')
      }
      const vsnParam = url.searchParams.get('vsn') ?? '1.0.0'
      const vsn: Vsn | null = vsnParam.startsWith('2.') ? '2.0.0' : vsnParam.startsWith('1.') ? '1.0.0' : null
      const headerKey = req.headers['x-api-key']
      const apikey = (Array.isArray(headerKey) ? headerKey[0] : headerKey) ?? url.searchParams.get('apikey')
      let failure: [number, string] | null = null
      let res: JwtResult | null
      if (!vsn) failure = [400, `Unsupported serializer version ${vsnParam}`]
      else if (!apikey) failure = [401, 'API key is missing']
      else {
        res = await verify(apikey)
        // The socket refusal for an expired key carries no "N seconds ago" (user_socket.ex), unlike a join error.
        if (!res.ok) failure = [401, res.error.expired ? 'Token has expired' : res.error.message]
      }
      if (failure) {
        log.info(`realtime: websocket refused (${failure[0]}): ${failure[1]}`)
        if (connectErrorBackoff > 0) await sleep(connectErrorBackoff)
        return refuseUpgrade(socket, failure[0], failure[1])
      }
      if (socket.destroyed) return
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, vsn!, apikey!))
    })().catch((e) => {
      log.error(`realtime: upgrade failed: ${(e as Error).stack ?? e}`)
      socket.destroy()
    })
  }

  function onConnection(ws: WebSocket, vsn: Vsn, apikey: string): void {
    const conn: Conn = {
      id: ++connSeq,
      ws,
      vsn,
      apikey,
      channels: new Map(),
      chains: new Map(),
      lastRecv: Date.now(),
      lastSendAt: 0,
      closed: false,
    }
    if (closed) return ws.terminate()
    conns.add(conn)
    usage.connections++
    ws.binaryType = 'nodebuffer'
    ws.on('message', (data, isBinary) => {
      try {
        onMessage(conn, data, isBinary)
      } catch (e) {
        log.error(`realtime: socket ${conn.id} message handling threw: ${(e as Error).stack ?? e}`)
      }
    })
    ws.on('error', (e) => log.debug(`realtime: socket ${conn.id} error: ${e.message}`))
    ws.on('close', (code) => {
      log.debug(`realtime: socket ${conn.id} closed (${code})`)
      dropConn(conn)
    })
  }

  function dropConn(conn: Conn): void {
    if (conn.closed) return
    conn.closed = true
    conns.delete(conn)
    for (const ch of [...conn.channels.values()]) disposeChannel(ch)
  }

  // Phoenix closes a socket that sent nothing for `timeout` (Phoenix socket protocol).
  const idleTimer = setInterval(
    () => {
      const now = Date.now()
      for (const conn of conns) {
        if (now - conn.lastRecv > idleTimeout) {
          log.info(`realtime: socket ${conn.id} idle for ${now - conn.lastRecv} ms; closing`)
          conn.ws.close(1000, 'idle timeout')
          dropConn(conn)
        }
      }
    },
    Math.min(5_000, Math.max(50, idleTimeout / 4)),
  )
  idleTimer.unref()

  // ── HTTP API (Realtime REST broadcast, supabase.com/docs/guides/realtime/broadcast) ──
  function json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }

  function readBody(req: IncomingMessage, limit = 4 * 1024 * 1024): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      req.on('data', (c: Buffer) => {
        size += c.length
        if (size > limit) {
          reject(Object.assign(new Error('Payload too large'), { status: 413 }))
          req.destroy()
        } else chunks.push(c)
      })
      req.on('end', () => resolve(Buffer.concat(chunks)))
      req.on('error', reject)
    })
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const path = url.pathname.replace(/\/+$/, '')
    const perEvent = /^\/realtime\/v1\/api\/broadcast\/([^/]+)\/events\/([^/]+)$/.exec(path)
    if (path !== API_PATH && !perEvent) return false
    try {
      if (req.method !== 'POST') {
        json(res, 405, { message: 'Method not allowed' })
        return true
      }
      const auth = req.headers.authorization
      const bearer = typeof auth === 'string' && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : null
      const apikeyHeader = req.headers.apikey
      const token = bearer || (Array.isArray(apikeyHeader) ? apikeyHeader[0] : apikeyHeader) || url.searchParams.get('apikey')
      const v = token ? await verify(token) : null
      if (!v || !v.ok) {
        log.info(`realtime: HTTP broadcast refused: ${v && !v.ok ? v.error.message : 'no token'}`)
        json(res, 401, { message: 'Unauthorized' })
        return true
      }
      const claims = v.claims
      const body = await readBody(req)
      let messages: Array<{ topic: string; event: string; payload: unknown; binary: boolean; private: boolean }>
      if (perEvent) {
        const ctype = String(req.headers['content-type'] ?? '')
        let payload: unknown
        let binary = false
        if (ctype.includes('application/octet-stream')) {
          payload = body
          binary = true
        } else {
          try {
            payload = body.length ? JSON.parse(body.toString('utf8')) : {}
          } catch {
            json(res, 422, { message: 'payload is not valid JSON' })
            return true
          }
        }
        messages = [{ topic: decodeURIComponent(perEvent[1]), event: decodeURIComponent(perEvent[2]), payload, binary, private: url.searchParams.get('private') === 'true' }]
      } else {
        let parsed: unknown
        try {
          parsed = JSON.parse(body.toString('utf8'))
        } catch {
          json(res, 422, { message: 'body is not valid JSON' })
          return true
        }
        const list = (parsed as { messages?: unknown })?.messages
        if (!Array.isArray(list) || list.some((x) => !x || typeof x.topic !== 'string' || typeof x.event !== 'string')) {
          json(res, 422, { message: 'messages must be a list of {topic, event, payload, private}' })
          return true
        }
        messages = list.map((x) => ({ topic: x.topic, event: x.event, payload: x.payload ?? {}, binary: false, private: x.private === true }))
      }
      const writeCache = new Map<string, boolean>()
      for (const msg of messages) {
        if (msg.private) {
          // Private messages the caller may not write are skipped silently; the answer is still 202 (Realtime REST broadcast, supabase.com/docs/guides/realtime/broadcast).
          let ok = writeCache.get(msg.topic)
          if (ok === undefined) {
            ok = await db.canWrite(msg.topic, claims).catch((e) => {
              log.warn(`realtime: write authorisation of ${msg.topic} for an HTTP broadcast failed: ${(e as Error).message}`)
              return false
            })
            writeCache.set(msg.topic, ok)
          }
          if (!ok) {
            log.info(`realtime: HTTP broadcast to private ${msg.topic} skipped: no write permission for role ${String(claims.role)}`)
            continue
          }
        }
        bcQueue(Promise.resolve(() => emitBroadcast({ ...msg, source: 'http', meta: null, sender: null })))
      }
      res.writeHead(202, { 'content-length': 0 })
      res.end()
    } catch (e) {
      const status = (e as { status?: number }).status ?? 500
      log.error(`realtime: HTTP broadcast failed: ${(e as Error).message}`)
      if (!res.headersSent) json(res, status, { message: (e as Error).message })
      else res.end()
    }
    return true
  }

  // ── faults ──
  const faults: RealtimeFaults = {
    dropSockets() {
      log.info(`realtime fault: dropping ${conns.size} socket(s)`)
      for (const c of [...conns]) {
        c.ws.terminate()
        dropConn(c)
      }
    },
    refuseConnections(ms, mode = 'http') {
      log.info(`realtime fault: refusing connections for ${ms} ms (${mode})`)
      refuseUntil = Date.now() + ms
      refuseMode = mode
      timedFault('refuseConnections', ms)
    },
    halfOpen(ms) {
      log.info(`realtime fault: half-open for ${ms} ms`)
      halfOpenUntil = Date.now() + ms
      timedFault('halfOpen', ms)
    },
    messages(f) {
      log.info(`realtime fault: ${f.action} the next ${f.count} ${f.kind} message(s)${f.delayMs ? ` by ${f.delayMs} ms` : ''}`)
      messageRules.push({ ...f, remaining: f.count })
    },
    setLatency(ms) {
      log.info(`realtime fault: latency ${ms} ms`)
      latencyMs = Math.max(0, ms)
    },
    async recheckTokens() {
      // Callers may not await this (faults.ts fires and forgets): never reject.
      await Promise.all(
        [...allChannels()].map((ch) => recheckToken(ch).catch((e) => log.error(`realtime: token re-check of ${ch.sub} failed: ${(e as Error).stack ?? e}`))),
      )
    },
    crashChannels(topicPart) {
      for (const ch of [...allChannels()]) {
        if (topicPart && !ch.topic.includes(topicPart)) continue
        log.info(`realtime fault: crashing channel ${ch.sub} on socket ${ch.conn.id}`)
        closeChannel(ch, 'phx_error')
      }
    },
    setPrivateOnly(on) {
      log.info(`realtime: public access ${on ? 'off (private channels only)' : 'on'}`)
      privateOnly = on
    },
    clear() {
      privateOnly = options.privateOnly === true
      refuseUntil = 0
      halfOpenUntil = 0
      latencyMs = 0
      messageRules = []
      // Ending the fault does not lose what it held back: out it goes now.
      releaseHeld('postgres_changes')
      releaseHeld('broadcast')
      for (const t of faultTimers) clearTimeout(t)
      faultTimers.clear()
    },
  }

  return {
    handleUpgrade,
    handleHttp,
    faults,
    async restart() {
      log.info('realtime: restarting (all sockets dropped, nothing replayed)')
      generation++
      for (const c of [...conns]) {
        c.ws.terminate()
        dropConn(c)
      }
      readyPromise = new Promise<void>((r) => (readyResolve = r))
      await dbStarted
      await db.restartListener()
    },
    async close() {
      if (closed) return
      closed = true
      generation++
      clearInterval(idleTimer)
      faults.clear()
      for (const c of [...conns]) {
        c.ws.terminate()
        dropConn(c)
      }
      await new Promise<void>((r) => wss.close(() => r()))
      await dbStarted
      await db.close()
    },
    stats() {
      let channels = 0
      for (const c of conns) channels += c.channels.size
      return { sockets: conns.size, channels, listening: db.listening, privateOnly }
    },
    usage(peakSinceMs?: number) {
      const peak = peakSinceMs === undefined ? usage.peakJoinsPerSec : joinTimes.peakSince(peakSinceMs)
      return { ...usage, peakJoinsPerSec: peak, connectionsOpen: conns.size }
    },
    async ready(timeoutMs = 10_000) {
      let t: NodeJS.Timeout | undefined
      const timeout = new Promise<boolean>((r) => (t = setTimeout(() => r(false), timeoutMs)))
      const ok = await Promise.race([readyPromise.then(() => true), timeout])
      clearTimeout(t)
      return ok
    },
  }
}
