// Text safety for customer-supplied strings (name, vehicle, concern, session type) before they reach an
// alert title/body or a QueueItem. The UI renders them as text anyway; this is defence in depth against
// what a text renderer does NOT protect from: control characters (terminal escapes in headless mode),
// bidi overrides that visually reorder a line ("RTL tricks"), invisible characters, lone surrogates
// and sheer size (a 1 MB concern must not become a 1 MB notification or a 1 MB IPC payload).
import type { RequestDetails } from '../../shared/types.js'

/** Per-field caps in characters (code points), chosen to fit one notification line each. */
export const FIELD_LIMITS: Record<keyof RequestDetails, number> = {
  customerName: 80,
  vehicle: 80,
  concern: 280,
  sessionType: 40,
}

// C0 controls (incl. \n, \t, ESC), DEL and C1 controls: all become a space, so "a\nb" stays two words
// and an ANSI escape sequence loses its introducer.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g
// Bidi embeddings/overrides/isolates and marks (U+202A-202E, U+2066-2069, LRM/RLM/ALM), zero-width
// characters, BOM, word joiner/invisible operators, line/paragraph separators, interlinear annotation
// and the Unicode "tag" block (used to smuggle hidden text). Removed entirely.
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/g
const SEPARATORS = /[\u2028\u2029\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/**
 * Makes one customer-supplied value safe to show. Strings are cleaned; finite numbers and booleans are
 * coerced to their text; anything else (objects, arrays, null, undefined, NaN) is dropped (null).
 * Returns null for an empty result, so "   " does not show as a blank name.
 */
export function safeText(value: unknown, maxChars: number): string | null {
  let s: string
  if (typeof value === 'string') s = value
  else if (typeof value === 'number' && Number.isFinite(value)) s = String(value)
  else if (typeof value === 'boolean') s = String(value)
  else return null
  // Cut before the regexes run so a 1 MB string costs microseconds, not a megabyte of regex work.
  // Leave headroom for characters that are about to be removed.
  const window = maxChars * 4 + 16
  const truncatedInput = s.length > window
  if (truncatedInput) s = s.slice(0, window)
  s = s
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(INVISIBLE, '')
    .replace(CONTROL, ' ')
    .replace(SEPARATORS, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  if (s.length === 0) return null
  const chars = Array.from(s) // code points, so we never split a surrogate pair
  if (chars.length > maxChars || truncatedInput) {
    return chars.slice(0, Math.max(1, maxChars - 1)).join('').trimEnd() + '…'
  }
  return s
}

/** Cleans a partial details object from any source; unknown keys are ignored, wrong types dropped. */
export function safeDetails(raw: unknown): Partial<RequestDetails> {
  const out: Partial<RequestDetails> = {}
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return out
  const r = raw as Record<string, unknown>
  for (const field of Object.keys(FIELD_LIMITS) as (keyof RequestDetails)[]) {
    if (!(field in r)) continue
    out[field] = safeText(r[field], FIELD_LIMITS[field])
  }
  return out
}

/**
 * For sinks whose medium interprets markup (the freedesktop notification spec allows a small HTML
 * subset in bodies, and some servers honour it): escape after safeText, at the sink, never in the
 * engine — the engine's strings are plain text and the UI must not show "&lt;".
 */
export function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

/** Safe request ids: what session_assignments.id can plausibly be (uuid, bigint as text, short slug). */
export function validRequestId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 128 && /^[A-Za-z0-9_.:-]+$/.test(value)
}
