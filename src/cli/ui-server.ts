// The loopback UI server for the headless host: serves the built queue UI (out/renderer) and a bridge
// script (out/renderer/bridge.js, from src/renderer/bridge/http-bridge.ts) that implements the same
// BayAlertApi as the Electron preload — commands over HTTP POST, snapshot pushes over a WebSocket.
// It is the IPC handlers' twin and applies the same rules:
//   - every request and websocket must hold this run's secret (src/cli/ui-access.ts): the printed URL's
//     ?k=… is exchanged for a cookie; without it there is only a page saying where to find the address.
//     The wallboard's secret is read-only: it loads the snapshot and the pushes, and no command runs;
//   - malformed requests and upgrades get an error response; nothing a client sends ends the process;
//   - bound to 127.0.0.1 only; every request's Host (and Origin, when sent) must be this loopback origin,
//     which defeats DNS rebinding (a hostile page on evil.example resolving to 127.0.0.1 sends
//     Host: evil.example) and cross-site requests;
//   - commands must carry a custom header and a JSON content type (no HTML form can send either);
//   - arguments are parsed with the same schemas as the Electron IPC (src/shared/ipc-schemas.ts); bodies are capped; only the queue
//     commands exist here (no settings, no sign-in: headless is configured from the environment).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { EngineHandle } from '../core/engine-api.js'
import type { Logger } from '../core/ports.js'
import { decodeRequestPath, extensionOf, resolveInside, UI_CONTENT_TYPES } from '../core/static-files.js'
import { describeArgs, isQueueChannel, type InAppAlert, type QueueChannel } from '../shared/ipc.js'
import { parseInvokeArgs } from '../shared/ipc-schemas.js'
import { createUiAccess, KEY_PARAM, type UiScope } from './ui-access.js'
import type { UiPushSink } from './ui-sink.js'

export interface UiServerOptions {
  engine: EngineHandle
  /** 0 or absent: any free port. */
  port?: number
  host: '127.0.0.1'
  /** Defaults to <repo>/out/renderer. */
  rendererDir?: string
  log?: Logger
  /** Command body cap in bytes (default 16 KiB; the largest valid command is well under 1 KiB). */
  maxBodyBytes?: number
  /**
   * The sink the host registered with the engine's alert pipeline: alerts and updates reach the page
   * through it (the same path as every other sink); without one the page gets snapshots only.
   */
  alerts?: UiPushSink
}

export interface UiServer {
  /** The queue UI's address with the secret that unlocks it (print it; never log it). */
  url: string
  /** The read-only wallboard's address with its own secret. */
  wallboardUrl: string
  /** http://127.0.0.1:PORT — no secret, safe to log. */
  origin: string
  close(): Promise<void>
}

export const BRIDGE_HEADER = 'x-bayalert-bridge'
export const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../../out/renderer/', import.meta.url))
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} }

// Only these types are served at all: any other extension is a 404.
const MIME: Record<string, string> = { ...UI_CONTENT_TYPES, ico: 'image/x-icon' }

export function cspFor(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')
}

/** Host and Origin must name this server on loopback. Origin may be absent (curl, same-origin GET). */
export function loopbackRequestProblem(headers: IncomingMessage['headers'], port: number, requireOrigin: boolean): string | null {
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`]
  const host = headers.host
  if (!host || !allowedHosts.includes(host.toLowerCase())) return `Host header ${JSON.stringify(host ?? '')} is not this loopback server`
  const origin = headers.origin
  if (origin === undefined) return requireOrigin ? 'missing Origin' : null
  if (!allowedHosts.some((h) => origin.toLowerCase() === `http://${h}`)) return `Origin ${JSON.stringify(origin.slice(0, 100))} is not this loopback server`
  return null
}

/** The only page served without the secret: where to find the address, and nothing about the queue. */
export const LOCKED_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>BayAlert</title></head>
<body>
<h1>BayAlert</h1>
<p>Open the address printed by <code>npm run headless</code> (the line <code>queue UI: …</code>).</p>
<p>For a shop screen, use the line <code>wallboard: …</code>. Each run prints new addresses.</p>
</body>
</html>
`

/** Pages, by URL path: the queue window at the root, the wallboard under its own path. */
const PAGES: Record<string, string> = { '/': '/index.html', '/index.html': '/index.html', '/wallboard': '/wallboard.html', '/wallboard.html': '/wallboard.html' }

/** Commands a wallboard session may send: reading only. */
const READ_ONLY: ReadonlySet<QueueChannel> = new Set(['engine:get-snapshot'])

/** Path and ?k= of a request target in origin form ("/path?query"); null for anything else or unparseable. */
export function requestTarget(rawUrl: string | undefined): { path: string; key: string | null } | null {
  if (!rawUrl || !rawUrl.startsWith('/')) return null
  try {
    // Parsed against a fixed origin so "//x" is a path, not a host (new URL('//', base) throws).
    const u = new URL(`http://127.0.0.1${rawUrl}`)
    return { path: u.pathname, key: u.searchParams.get(KEY_PARAM) }
  } catch {
    return null
  }
}

/** Puts the bridge in front of the page's own module script: module scripts run in document order. */
export function injectBridge(html: string): string {
  const tag = '<script type="module" src="./bridge.js"></script>'
  const i = html.indexOf('<script')
  return i === -1 ? html.replace('</head>', `${tag}</head>`) : `${html.slice(0, i)}${tag}\n    ${html.slice(i)}`
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0')
    if (declared > max) {
      reject(new HttpError(413, `body larger than ${max} bytes`))
      req.resume()
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    const onData = (c: Buffer) => {
      size += c.length
      if (size > max) {
        // Stop buffering but drain the rest, so the client gets the 413 instead of a reset connection.
        req.off('data', onData)
        req.resume()
        reject(new HttpError(413, `body larger than ${max} bytes`))
        return
      }
      chunks.push(c)
    }
    req.on('data', onData)
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }

/** Ends a not-yet-upgraded socket with a plain HTTP error (it never reaches the websocket server). */
function refuseUpgrade(socket: Duplex, status: number): void {
  if (!socket.writable) return void socket.destroy()
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

function dispatch(engine: EngineHandle, channel: QueueChannel, args: unknown[]): Promise<unknown> | unknown {
  switch (channel) {
    case 'engine:get-snapshot':
      return engine.snapshot()
    case 'queue:acknowledge':
      return engine.acknowledge(args[0] as string)
    case 'queue:accept':
      return engine.accept(args[0] as string)
    case 'alerts:pause':
      return engine.pause(args[0] as Parameters<EngineHandle['pause']>[0])
    case 'alerts:resume':
      return engine.resume()
    case 'link:reconnect':
      return engine.reconnectNow()
    case 'history:get':
      return engine.history?.() ?? []
  }
}

export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  if (opts.host !== '127.0.0.1') throw new Error('the UI server binds 127.0.0.1 only')
  const { engine } = opts
  const log = opts.log ?? silent
  const root = opts.rendererDir ?? DEFAULT_RENDERER_DIR
  const maxBody = opts.maxBodyBytes ?? 16 * 1024
  if (!existsSync(resolve(root, 'index.html'))) log.warn('queue UI is not built; run `npm run build`', { rendererDir: root })
  let port = 0
  // Made once the port is known (the cookie names carry it); nothing is served before listen() resolves.
  // eslint-disable-next-line prefer-const -- declared before the handlers that read it, assigned once listen() has the port
  let access!: ReturnType<typeof createUiAccess>

  const baseHeaders = () => ({
    'content-security-policy': cspFor(port),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  })
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { ...baseHeaders(), 'content-type': type })
    res.end(body)
  }
  const sendJson = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value))

  async function serveStatic(pathname: string, res: ServerResponse): Promise<void> {
    const decoded = decodeRequestPath(pathname)
    if ('refused' in decoded) return decoded.refused === 'undecodable' ? send(res, 400, 'text/plain', 'Bad path') : send(res, 404, 'text/plain', 'Not found')
    const path = PAGES[decoded.path] ?? decoded.path
    const file = resolveInside(root, path.slice(1))
    const ext = file ? extensionOf(file) : ''
    if (!file || !MIME[ext]) return send(res, 404, 'text/plain', 'Not found')
    let body: Buffer
    try {
      body = await readFile(file)
    } catch {
      if (ext === 'html') return send(res, 503, 'text/plain; charset=utf-8', 'BayAlert UI is not built yet: run `npm run build` (or restart `npm run headless`, which builds it).')
      return send(res, 404, 'text/plain', 'Not found')
    }
    if (path === '/index.html' || path === '/wallboard.html') return send(res, 200, MIME.html!, injectBridge(body.toString('utf8')))
    return send(res, 200, MIME[ext]!, body)
  }

  async function handleCommand(channel: string, scope: UiScope, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isQueueChannel(channel)) throw new HttpError(404, 'unknown command')
    if (scope === 'wallboard' && !READ_ONLY.has(channel)) throw new HttpError(403, 'the wallboard is read-only')
    if (req.headers[BRIDGE_HEADER] !== '1') throw new HttpError(403, `missing ${BRIDGE_HEADER} header`)
    if (!/^application\/json(;|$)/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'content-type must be application/json')
    const text = await readBody(req, maxBody)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new HttpError(400, 'body is not JSON')
    }
    const args = body && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 1 ? (body as { args?: unknown }).args : undefined
    if (!Array.isArray(args)) throw new HttpError(400, 'body must be {"args": [...]}')
    const parsed = parseInvokeArgs(channel, args)
    if (!parsed.ok) {
      log.warn('ui-server: rejected invalid arguments', { channel, args: describeArgs(args), reason: parsed.reason })
      throw new HttpError(400, `invalid arguments for ${channel}: ${parsed.reason}`)
    }
    try {
      const result = await dispatch(engine, channel, parsed.args)
      sendJson(res, 200, { result: result ?? null })
    } catch (err) {
      throw new HttpError(500, err instanceof Error ? err.message : 'command failed')
    }
  }

  /** GET /?k=SECRET: trade the key for a cookie and send the browser to the same page without it. */
  function exchangeKey(key: string, path: string, req: IncomingMessage, res: ServerResponse): void {
    const scope = req.method === 'GET' || req.method === 'HEAD' ? access.scopeOfKey(key) : null
    if (!scope) {
      log.warn('ui-server: refused a wrong key', { path: path.slice(0, 100) })
      return send(res, 401, MIME.html!, LOCKED_PAGE)
    }
    // Only our own pages as targets: a Location built from the request path could be "//elsewhere".
    const page = scope === 'wallboard' || PAGES[path] === '/wallboard.html' ? '/wallboard' : '/'
    res.writeHead(303, { ...baseHeaders(), location: page, 'set-cookie': access.setCookie(scope), 'content-type': 'text/plain' })
    res.end()
  }

  const server = createServer((req, res) => {
    void (async () => {
      const problem = loopbackRequestProblem(req.headers, port, false)
      if (problem) {
        log.warn('ui-server: refused request', { reason: problem })
        throw new HttpError(403, 'forbidden')
      }
      const target = requestTarget(req.url)
      if (!target) throw new HttpError(400, 'bad request target')
      const isApi = target.path.startsWith('/api/')
      if (target.key !== null && !isApi) return exchangeKey(target.key, target.path, req, res)
      const scope = access.scopeOf(req.headers)
      if (!scope) {
        log.warn('ui-server: refused a request without this run\'s secret', { path: target.path.slice(0, 100) })
        if (isApi) throw new HttpError(401, 'locked: open the address printed by `npm run headless`')
        return send(res, 401, MIME.html!, LOCKED_PAGE)
      }
      if (target.path.startsWith('/api/invoke/')) {
        if (req.method !== 'POST') throw new HttpError(405, 'POST only')
        return handleCommand(target.path.slice('/api/invoke/'.length), scope, req, res)
      }
      if (isApi) throw new HttpError(404, 'unknown endpoint')
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'GET only')
      // The wallboard's secret opens the wallboard; its holder has no use for the queue window's buttons.
      if (scope === 'wallboard' && PAGES[target.path] === '/index.html') {
        res.writeHead(303, { ...baseHeaders(), location: '/wallboard', 'content-type': 'text/plain' })
        return void res.end()
      }
      return serveStatic(target.path, res)
    })().catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500
      if (status === 500) log.error('ui-server: request failed', { cause: err instanceof Error ? err.message : String(err) })
      if (status === 413) res.setHeader('connection', 'close')
      if (!res.headersSent) sendJson(res, status, { error: err instanceof Error ? err.message : 'error' })
      else res.destroy()
    })
  })
  // Requests Node's parser rejects (bad request line, oversized headers, bad encodings) end here: answer and
  // close the connection, and say so; the listener's presence stops nothing else.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    log.warn('ui-server: malformed request', { code: err.code ?? 'error' })
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request'
    if (socket.writable && !(err.code === 'ECONNRESET')) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    else socket.destroy()
  })
  server.headersTimeout = 10_000
  server.requestTimeout = 15_000

  // Pushes: the browser never sends anything meaningful, so inbound frames are capped tiny.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 })
  const clients = new Set<WebSocket>()
  const broadcast = (msg: unknown) => {
    const text = JSON.stringify(msg)
    for (const ws of clients) {
      // A stalled tab must not make the host buffer snapshots without bound.
      if (ws.bufferedAmount > 8 * 1024 * 1024) ws.terminate()
      else ws.send(text)
    }
  }
  server.on('upgrade', (req, socket, head) => {
    // A client that resets mid-handshake must not raise an unhandled 'error' (the ws server adds its own
    // handler once the upgrade completes).
    const onSocketError = (err: Error) => log.warn('ui-server: websocket handshake socket error', { cause: err.message })
    socket.on('error', onSocketError)
    try {
      const problem = loopbackRequestProblem(req.headers, port, true)
      const target = requestTarget(req.url)
      if (problem || !target || target.path !== '/api/events') {
        log.warn('ui-server: refused websocket', { reason: problem ?? (target ? `path ${target.path.slice(0, 100)}` : 'bad request target') })
        return refuseUpgrade(socket, problem ? 403 : target ? 404 : 400)
      }
      const scope = access.scopeOf(req.headers)
      if (!scope) {
        log.warn('ui-server: refused a websocket without this run\'s secret')
        return refuseUpgrade(socket, 401)
      }
      // Wrong method, missing Sec-WebSocket-Key, bad version: the ws server answers 400/405 itself.
      wss.handleUpgrade(req, socket, head, (ws) => {
        socket.off('error', onSocketError)
        clients.add(ws)
        ws.on('close', () => clients.delete(ws))
        ws.on('error', (err) => {
          log.warn('ui-server: websocket client error; dropping it', { cause: err.message })
          clients.delete(ws)
        })
        ws.on('message', () => {}) // ignored by design
        ws.send(JSON.stringify({ type: 'snapshot', snapshot: engine.snapshot() }))
      })
    } catch (err) {
      log.error('ui-server: websocket upgrade failed', { cause: err instanceof Error ? err.message : String(err) })
      refuseUpgrade(socket, 400)
    }
  })

  const unsubscribe = [
    engine.on('snapshot', (snapshot) => broadcast({ type: 'snapshot', snapshot })),
    ...(opts.alerts ? [opts.alerts.attach((alert: InAppAlert) => broadcast({ type: 'alert', alert }))] : []),
  ]

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolveListen()
    })
  })
  port = (server.address() as AddressInfo).port
  access = createUiAccess(port)
  const origin = `http://127.0.0.1:${port}`
  log.info('queue UI listening', { origin }) // the secrets only ever go to the printed lines

  let closed: Promise<void> | null = null
  return {
    url: `${origin}/?${KEY_PARAM}=${access.secret('queue')}`,
    wallboardUrl: `${origin}/wallboard?${KEY_PARAM}=${access.secret('wallboard')}`,
    origin,
    close() {
      closed ??= new Promise<void>((done) => {
        unsubscribe.forEach((u) => u())
        for (const ws of clients) ws.terminate()
        clients.clear()
        wss.close()
        server.close(() => done())
        server.closeAllConnections()
      })
      return closed
    },
  }
}
