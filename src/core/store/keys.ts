// Dedup keys and versions. The key is `<requestId>@<queuedAt>` with queuedAt in ONE canonical form,
// because the same version arrives spelled differently per source: Postgres text
// "2025-03-01 10:00:00.123456+00", JSON "2025-03-01T10:00:00.123456+00:00", JS "…T10:00:00.123Z".
// Comparing raw strings would make one request two keys and ring twice.

const TS = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

/**
 * Canonical UTC form with microseconds ("2025-03-01T10:00:00.123456Z"), which also sorts lexically.
 * A timestamp without a zone is taken as UTC (Postgres `timestamp` columns). Returns null when the
 * value is not a recognisable timestamp.
 */
export function canonicalTime(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 64) return null
  const m = TS.exec(value.trim())
  if (!m) return null
  const [, date, time, frac = '', zoneRaw] = m
  let zone = zoneRaw ?? 'Z'
  if (zone === 'z') zone = 'Z'
  if (zone !== 'Z') {
    // "+05" → "+05:00", "+0530" → "+05:30"
    const sign = zone[0]
    const digits = zone.slice(1).replace(':', '')
    zone = `${sign}${digits.slice(0, 2)}:${(digits.slice(2) || '00').padEnd(2, '0')}`
  }
  const seconds = time!.length === 5 ? `${time}:00` : time
  const ms = Date.parse(`${date}T${seconds}${zone}`)
  if (!Number.isFinite(ms)) return null
  const micros = (frac + '000000').slice(0, 6)
  const iso = new Date(ms).toISOString() // "YYYY-MM-DDTHH:MM:SS.000Z" (whole seconds: ms part is 000)
  return `${iso.slice(0, 19)}.${micros}Z`
}

/** Epoch ms of a canonical (or any parseable) timestamp, or null. */
export function timeMs(value: string | null | undefined): number | null {
  if (!value) return null
  const c = canonicalTime(value)
  const ms = Date.parse(c ?? value)
  return Number.isFinite(ms) ? ms : null
}

export function dedupKey(requestId: string, queuedAt: string | null): string {
  // "@" with nothing after it means "version not known yet"; it is replaced once a source tells us.
  return `${requestId}@${queuedAt ?? ''}`
}

const CANONICAL = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})Z$/

/** Microseconds since the epoch of a timestamp (canonical or any accepted spelling), or null. */
function epochMicros(value: string): number | null {
  const m = CANONICAL.exec(value) ?? CANONICAL.exec(canonicalTime(value) ?? '')
  if (!m) return null
  const ms = Date.parse(`${m[1]}Z`)
  return Number.isFinite(ms) ? ms * 1000 + Number(m[2]) : null
}

/**
 * True when the version may have lost its sub-millisecond digits on the way: it went through a JS
 * Date (the shop backend's legacy broadcast) or was spelled with ≤ 3 fraction digits. Postgres prints
 * microseconds without trailing zeros, so "≤ 3 fraction digits" and "sub-millisecond digits are zero"
 * are the same test — and the canonical form (always 6 digits) still answers it after a store reopen,
 * without storing the source's spelling.
 */
export function isMillisecondPrecision(queuedAt: string): boolean {
  const us = epochMicros(queuedAt)
  return us !== null && us % 1000 === 0
}

/**
 * Whether two known versions (queued_at values) of one request are the same version. Two precise
 * versions must match exactly. When either side may be millisecond-truncated, they are the same if
 * they lie less than 1 ms apart: that covers serializers that truncate (JS Date) and ones that round,
 * while a real re-queue — a separate UPDATE at least a round trip later — differs by ≥ 1 ms.
 */
export function sameVersion(a: string, b: string): boolean {
  if (a === b) return true
  if (!isMillisecondPrecision(a) && !isMillisecondPrecision(b)) return false
  const x = epochMicros(a)
  const y = epochMicros(b)
  return x !== null && y !== null && Math.abs(x - y) < 1000
}

/** Of two spellings of the same version, the one that carries more precision (a on a tie). */
export function morePreciseVersion(a: string, b: string): string {
  return isMillisecondPrecision(a) && !isMillisecondPrecision(b) ? b : a
}
