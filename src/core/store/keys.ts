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
