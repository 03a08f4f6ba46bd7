// A console Logger for the main process: one JSON line per entry on stderr. Field values whose names look
// secret are replaced, as a second line of defence — callers already avoid logging secrets.
import type { Logger } from '../core/ports.js'

const SECRET_FIELD = /pass|token|secret|authorization|cookie|refresh|session_key|apikey|anon_?key/i

export function redact(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return undefined
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : v
  return out
}

export function createConsoleLogger(scope: string, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const emit = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    try {
      write(JSON.stringify({ ts: new Date().toISOString(), level, scope, msg, ...redact(fields) }))
    } catch {
      write(JSON.stringify({ ts: new Date().toISOString(), level, scope, msg }))
    }
  }
  return { debug: process.env.BAYALERT_DEBUG ? emit('debug') : () => {}, info: emit('info'), warn: emit('warn'), error: emit('error') }
}
