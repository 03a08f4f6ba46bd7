// The loopback UI server for the headless host: serves the built queue UI (out/renderer) and a bridge
// script (out/renderer/bridge.js, from src/renderer/bridge/http-bridge.ts) that implements the same
// BayAlertApi as the Electron preload — commands over HTTP POST, snapshot pushes over a WebSocket.
// It is the IPC handlers' twin and applies the same rules:
//   - bound to 127.0.0.1 only; every request's Host (and Origin, when sent) must be this loopback origin,
//     which defeats DNS rebinding (a hostile page on evil.example resolving to 127.0.0.1 sends
//     Host: evil.example) and cross-site requests;
//   - commands must carry a custom header and a JSON content type (no HTML form can send either);
//   - arguments go through the validators in src/shared/ipc.ts; bodies are capped; only the queue
//     commands exist here (no settings, no sign-in: headless is configured from the environment).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import type { EngineHandle } from '../core/engine-api.js'
import type { Logger } from '../core/ports.js'
import { decodeRequestPath, extensionOf, resolveInside, UI_CONTENT_TYPES } from '../core/static-files.js'
import { ARG_VALIDATORS, describeArgs, isQueueChannel, type InAppAlert, type QueueChannel } from '../shared/ipc.js'

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
}

export interface UiServer {
  url: string
  close(): Promise<void>
}

export const BRIDGE_HEADER = 'x-bayalert-bridge'
const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../../out/renderer/', import.meta.url))
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
  }
}

export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  if (opts.host !== '127.0.0.1') throw new Error('the UI server binds 127.0.0.1 only')
  const { engine } = opts
  const log = opts.log ?? silent
  const root = opts.rendererDir ?? DEFAULT_RENDERER_DIR
  const maxBody = opts.maxBodyBytes ?? 16 * 1024
  if (!existsSync(resolve(root, 'index.html'))) log.warn('queue UI is not built; run `npx vite build`', { rendererDir: root })
  let port = 0

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
    const { path } = decoded
    const file = resolveInside(root, path.slice(1))
    const ext = file ? extensionOf(file) : ''
    if (!file || !MIME[ext]) return send(res, 404, 'text/plain', 'Not found')
    let body: Buffer
    try {
      body = await readFile(file)
    } catch {
      if (path === '/index.html') return send(res, 503, 'text/plain; charset=utf-8', 'BayAlert UI is not built yet: run `npx vite build`.')
      return send(res, 404, 'text/plain', 'Not found')
    }
    if (path === '/index.html') return send(res, 200, MIME.html!, injectBridge(body.toString('utf8')))
    return send(res, 200, MIME[ext]!, body)
  }

  async function handleCommand(channel: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isQueueChannel(channel)) throw new HttpError(404, 'unknown command')
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
    if (!(ARG_VALIDATORS[channel] as (a: readonly unknown[]) => boolean)(args)) {
      log.warn('ui-server: rejected invalid arguments', { channel, args: describeArgs(args) })
      throw new HttpError(400, `invalid arguments for ${channel}`)
    }
    try {
      const result = await dispatch(engine, channel, args)
      sendJson(res, 200, { result: result ?? null })
    } catch (err) {
      throw new HttpError(500, err instanceof Error ? err.message : 'command failed')
    }
  }

  const server = createServer((req, res) => {
    void (async () => {
      const problem = loopbackRequestProblem(req.headers, port, false)
      if (problem) {
        log.warn('ui-server: refused request', { reason: problem })
        throw new HttpError(403, 'forbidden')
      }
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
      if (url.pathname.startsWith('/api/invoke/')) {
        if (req.method !== 'POST') throw new HttpError(405, 'POST only')
        return handleCommand(url.pathname.slice('/api/invoke/'.length), req, res)
      }
      if (url.pathname.startsWith('/api/')) throw new HttpError(404, 'unknown endpoint')
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'GET only')
      return serveStatic(url.pathname, res)
    })().catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500
      if (status === 413) res.setHeader('connection', 'close')
      if (!res.headersSent) sendJson(res, status, { error: err instanceof Error ? err.message : 'error' })
      else res.destroy()
    })
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
    const problem = loopbackRequestProblem(req.headers, port, true)
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    if (problem || path !== '/api/events') {
      log.warn('ui-server: refused websocket', { reason: problem ?? `path ${path}` })
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws)
      ws.on('close', () => clients.delete(ws))
      ws.on('error', (err) => {
        log.warn('ui-server: websocket client error; dropping it', { cause: err.message })
        clients.delete(ws)
      })
      ws.on('message', () => {}) // ignored by design
      ws.send(JSON.stringify({ type: 'snapshot', snapshot: engine.snapshot() }))
    })
  })

  const unsubscribe = [
    engine.on('snapshot', (snapshot) => broadcast({ type: 'snapshot', snapshot })),
    engine.on('alert', (a) => {
      const alert: InAppAlert = { title: a.title, body: a.body, requestId: a.requestId ?? null, at: Date.now() }
      broadcast({ type: 'alert', alert })
    }),
  ]

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolveListen()
    })
  })
  port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}/`
  log.info('queue UI listening', { url })

  let closed: Promise<void> | null = null
  return {
    url,
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
