// Small HTTP helpers shared by the fake GoTrue, PostgREST and the control API.
import type { IncomingMessage, ServerResponse } from 'node:http'

export type Log = (msg: string) => void

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' && body && 'message' in body ? String((body as { message: unknown }).message) : `HTTP ${status}`)
  }
}

const MAX_BODY = 2 * 1024 * 1024

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new HttpError(413, { code: 'PGRST413', message: 'Payload Too Large', details: null, hint: null })
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, headers)
  res.end()
}

/** The API key a request carries: `apikey` header, else `?apikey=` (Realtime REST broadcast, supabase.com/docs/guides/realtime/broadcast keeps it in the query). */
export function apiKeyOf(req: IncomingMessage, url: URL): string | null {
  const h = req.headers['apikey']
  if (typeof h === 'string' && h) return h
  return url.searchParams.get('apikey')
}

export function bearerOf(req: IncomingMessage): string | null {
  const h = req.headers['authorization']
  if (typeof h !== 'string') return null
  const m = /^Bearer\s+(.+)$/i.exec(h.trim())
  return m ? m[1].trim() : null
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
