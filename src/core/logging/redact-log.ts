// The one redaction every log line goes through, whatever it is written to (stderr, the rotating file):
// a field whose NAME looks secret is replaced whole, every string VALUE (and the message) goes through
// redactText (JWTs, sb_ keys, Bearer tokens, password=/token= pairs), nested objects and arrays included.
// Callers already avoid logging secrets; this is the second line of defence, so a log file a mechanic
// mails to support can never hand over a session.
import { redactText } from '../config.js'
import type { Logger } from '../ports.js'

/** Field names whose values are never logged, at any depth. */
export const SECRET_FIELD = /pass|token|secret|authorization|cookie|refresh|session_key|apikey|api_key|anon_?key|bearer/i

export const REDACTED = '[redacted]'

/** Deeper than any field we log; a deeper (or cyclic) structure is summarised instead of walked. */
const MAX_DEPTH = 5
/** Arrays longer than this keep their first items and a count. */
const MAX_ITEMS = 50

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value)
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value
  if (depth >= MAX_DEPTH) return '[nested too deep]'
  if (value instanceof Error) {
    return { type: value.name, message: redactText(value.message), ...(value.stack ? { stack: redactText(value.stack) } : {}) }
  }
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => redactValue(v, depth + 1))
    if (value.length > MAX_ITEMS) items.push(`[${value.length - MAX_ITEMS} more]`)
    return items
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = SECRET_FIELD.test(k) ? REDACTED : redactValue(v, depth + 1)
  return out
}

/** A copy of `fields` safe to write anywhere. */
export function redactLogFields(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return undefined
  return redactValue(fields, 0) as Record<string, unknown>
}

/** Redacts the message and fields once, then hands them to `inner` (a tee of stderr and the file). */
export function redactingLogger(inner: Logger): Logger {
  const wrap = (level: keyof Logger) => (msg: string, fields?: Record<string, unknown>) => {
    let safeMsg: string
    let safeFields: Record<string, unknown> | undefined
    try {
      safeMsg = redactText(String(msg))
      safeFields = redactLogFields(fields)
    } catch {
      // A getter that throws, a Proxy: log the message without the fields rather than nothing.
      safeMsg = '[unloggable message]'
      safeFields = undefined
    }
    inner[level](safeMsg, safeFields)
  }
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') }
}

/** Every entry to each logger; one that throws does not stop the others. */
export function teeLogger(...loggers: Logger[]): Logger {
  const each = (level: keyof Logger) => (msg: string, fields?: Record<string, unknown>) => {
    for (const l of loggers) {
      try {
        l[level](msg, fields)
      } catch {
        // A logger must never take the caller down; the file logger counts its own failures.
      }
    }
  }
  return { debug: each('debug'), info: each('info'), warn: each('warn'), error: each('error') }
}
