// Parsers: every raw event from the three sources becomes a RequestFact (src/core/facts.ts), or is
// ignored with a stated reason when it is irrelevant (e.g. an INSERT of a non-queued assignment).
// Nothing here throws: hostile, malformed or wrongly-typed input becomes a RejectedFact with a reason
// (the old dashboard's failures — a fetch that returned early, a skipped flag check — were all silent).
//
// Tolerance rules, and why:
// - Event names and field names are matched case-insensitively and with or without `_`/`-`
//   (new_request, NEW_REQUEST, newRequest; customer_name, customerName). The old dashboard compared
//   event types with the wrong case and matched nothing (post-mortem, Issue 4).
// - Identity fields (request id, status, queued_at, session id) must have the right type, or the
//   event is rejected: guessing there could ring for the wrong request or never retract.
// - Detail fields (customer, vehicle, concern, session type) of a wrong type are dropped, not fatal:
//   the request still rings (basic) and the details are fetched. A request must never be lost
//   because one optional field was malformed.
// - Every fact built here passes its schema (src/core/facts.ts) before it leaves: the schema is the final
//   gate that produces the typed fact. A fact the code above built wrongly is turned into a RejectedFact
//   naming the field and the rule, never handed on.
import type { z } from 'zod'
import type { FeatureFlags, FactSource, RequestDetails } from '../../shared/types.js'
import { QueuedFactSchema, RemovedFactSchema, TAKER_NAME_LIMIT, type QueuedFact, type RejectedFact, type RemovedFact, type RequestFact } from '../facts.js'
import { canonicalTime } from '../store/keys.js'
import { FIELD_LIMITS, safeText } from '../alerts/safe-text.js'

export type ParseResult = { fact: RequestFact } | { ignored: string }

const RAW_LIMIT = 4096

/** The raw payload as text for the event log, truncated; never throws (cycles, BigInt). */
export function rawText(value: unknown): string {
  let s: string
  try {
    s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value)
  } catch (e) {
    s = `[unserializable: ${(e as Error).message}]`
  }
  return s.length > RAW_LIMIT ? `${s.slice(0, RAW_LIMIT)}…(${s.length} chars)` : s
}

/**
 * Request and session ids are Postgres uuids (session_assignments.id, sessions.id). Anything else is
 * rejected here, at the boundary, so it never reaches `request_details(p_ids uuid[])`: one malformed
 * id in a batch makes Postgres refuse the whole array (22P02 invalid input syntax for type uuid) and
 * would take the real requests' details down with it. Any version/variant is accepted, either case.
 */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && value.length === 36 && UUID_RE.test(value)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** "customer_name", "customerName", "Customer-Name" → "customername". */
export function normKey(k: string): string {
  return k.toLowerCase().replace(/[_\-\s]/g, '')
}

/** A case/underscore-insensitive view of an object's own keys. First spelling wins. */
class Fields {
  private readonly m = new Map<string, unknown>()
  constructor(obj: Record<string, unknown>) {
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined) continue
      const n = normKey(k)
      if (!this.m.has(n)) this.m.set(n, v)
    }
  }
  has(...names: string[]): boolean {
    return names.some((n) => this.m.has(normKey(n)))
  }
  get(...names: string[]): unknown {
    for (const n of names) {
      const key = normKey(n)
      if (this.m.has(key)) return this.m.get(key)
    }
    return undefined
  }
}

function rejected(source: FactSource, eventId: string, receivedAt: number, reason: string, raw: unknown, commitTs: string | null = null): ParseResult {
  const fact: RejectedFact = { kind: 'rejected', source, eventId, commitTs, receivedAt, reason, raw: rawText(raw) }
  return { fact }
}

/**
 * The final gate: the fact as its schema produces it, or a RejectedFact whose reason names the field and the
 * rule that failed (the values themselves stay in `raw`, truncated, as for every rejection).
 */
export function gateFact(candidate: QueuedFact | RemovedFact, raw: unknown): ParseResult {
  const parsed = candidate.kind === 'queued' ? QueuedFactSchema.safeParse(candidate) : RemovedFactSchema.safeParse(candidate)
  if (parsed.success) return { fact: parsed.data }
  const { source, eventId, receivedAt } = candidate
  const commitTs = typeof candidate.commitTs === 'string' && candidate.commitTs.length <= 64 ? candidate.commitTs : null
  return rejected(source, eventId, receivedAt, `${candidate.kind} fact failed its contract: ${issueText(parsed.error.issues)}`, raw, commitTs)
}

function issueText(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : 'fact'}: ${i.code === 'unrecognized_keys' ? `${i.keys.length} unexpected key(s)` : i.message}`)
    .join('; ')
}

export type RemovalReason = RemovedFact['reason']

/** Maps a non-queued status to why the request left the queue. */
export function removalReason(status: string | null): RemovalReason {
  const s = (status ?? '').toLowerCase()
  if (/^(accepted|assigned|claimed|taken|in[_ ]?progress|active|started|completed|done)$/.test(s)) return 'accepted'
  if (/^(cancell?ed|expired|declined|rejected|withdrawn|abandoned)$/.test(s)) return 'cancelled'
  if (s === 'deleted') return 'deleted'
  return 'other'
}

// --- rows (queued_requests / request_details / broadcast `request` objects) -------------------------

export interface ParsedRow {
  requestId: string
  sessionId: string | null
  /** Canonical queued_at, or null when the row does not carry it. */
  queuedAt: string | null
  /** Lower-case status, or null when the row does not carry it. */
  status: string | null
  /** Only the detail keys the row actually carries (a present key may be null). */
  details: Partial<RequestDetails>
  /** Best guess of the server time the row was written (commit_timestamp, updated_at, queued_at). */
  commitTs: string | null
}

/** Field aliases, all compared with normKey. `assignment_id` first: the request *is* the assignment. */
const ID_KEYS = ['assignment_id', 'request_id', 'id']
const SESSION_KEYS = ['session_id']
const QUEUED_AT_KEYS = ['queued_at']
const STATUS_KEYS = ['status']
const NAME_KEYS = ['customer_name', 'customer', 'name', 'intake_name']
const VEHICLE_KEYS = ['vehicle']
const CONCERN_KEYS = ['concern', 'intake_concern']
const SESSION_TYPE_KEYS = ['session_type', 'type']
const COMMIT_KEYS = ['commit_timestamp', 'committed_at', 'commit_ts', 'updated_at']

function vehicleText(f: Fields): { present: boolean; value: string | null } {
  const v = f.get(...VEHICLE_KEYS)
  if (v !== undefined && v !== null) {
    if (isRecord(v)) {
      const g = new Fields(v)
      return { present: true, value: joinVehicle(g.get('year'), g.get('make'), g.get('model')) }
    }
    return { present: true, value: safeText(v, FIELD_LIMITS.vehicle) }
  }
  if (f.has('vehicle_make', 'vehicle_model', 'vehicle_year')) {
    return { present: true, value: joinVehicle(f.get('vehicle_year'), f.get('vehicle_make'), f.get('vehicle_model')) }
  }
  return { present: v === null, value: null }
}

function joinVehicle(year: unknown, make: unknown, model: unknown): string | null {
  const parts = [year, make, model].map((p) => safeText(p, FIELD_LIMITS.vehicle)).filter((p): p is string => p !== null)
  return parts.length ? safeText(parts.join(' '), FIELD_LIMITS.vehicle) : null
}

/**
 * Reads one request row from any source. Returns a reason string when the row cannot identify a
 * request. `idKeys` narrows which keys may carry the id (a db-broadcast envelope's top-level `id` is
 * the message id, not the request id).
 */
export function parseRow(row: unknown, idKeys: string[] = ID_KEYS): ParsedRow | string {
  if (!isRecord(row)) return `request is ${row === null ? 'null' : Array.isArray(row) ? 'an array' : typeof row}, not an object`
  const f = new Fields(row)
  const id = f.get(...idKeys)
  if (id === undefined || id === null || id === '') return 'request has no id'
  if (typeof id !== 'string') return `request id is a ${typeof id}, not a string`
  if (!isUuid(id)) return 'request id is not a uuid'

  const sessionRaw = f.get(...SESSION_KEYS)
  let sessionId: string | null = null
  if (sessionRaw !== undefined && sessionRaw !== null) {
    if (!isUuid(sessionRaw)) return 'session_id is not a uuid'
    sessionId = sessionRaw
  }

  const queuedRaw = f.get(...QUEUED_AT_KEYS)
  let queuedAt: string | null = null
  if (queuedRaw !== undefined && queuedRaw !== null) {
    queuedAt = canonicalTime(queuedRaw)
    if (!queuedAt) return `queued_at ${typeof queuedRaw === 'string' ? `"${queuedRaw.slice(0, 40)}"` : `(a ${typeof queuedRaw})`} is not a timestamp`
  }

  const statusRaw = f.get(...STATUS_KEYS)
  let status: string | null = null
  if (statusRaw !== undefined && statusRaw !== null) {
    if (typeof statusRaw !== 'string' || statusRaw.length > 64) return `status is not a short string`
    status = statusRaw.trim().toLowerCase()
  }

  const details: Partial<RequestDetails> = {}
  // Intake details may be nested ({ intake: {name, concern, vehicle_*} }) or flat.
  const intake = f.get('intake')
  const sources = isRecord(intake) ? [f, new Fields(intake)] : [f]
  for (const src of sources) {
    if (details.customerName === undefined && src.has(...NAME_KEYS)) details.customerName = safeText(src.get(...NAME_KEYS), FIELD_LIMITS.customerName)
    if (details.vehicle === undefined) {
      const v = vehicleText(src)
      if (v.present) details.vehicle = v.value
    }
    if (details.concern === undefined && src.has(...CONCERN_KEYS)) details.concern = safeText(src.get(...CONCERN_KEYS), FIELD_LIMITS.concern)
  }
  const st = f.get(...SESSION_TYPE_KEYS)
  if (st !== undefined) details.sessionType = typeof st === 'string' ? safeText(st, FIELD_LIMITS.sessionType) : null
  else {
    const session = f.get('session')
    if (isRecord(session)) {
      const s = new Fields(session)
      if (s.has('type')) details.sessionType = safeText(s.get('type'), FIELD_LIMITS.sessionType)
    }
  }

  let commitTs: string | null = null
  for (const k of COMMIT_KEYS) {
    const c = canonicalTime(f.get(k))
    if (c) {
      commitTs = c
      break
    }
  }
  return { requestId: id, sessionId, queuedAt, status, details, commitTs: commitTs ?? queuedAt }
}

/** True when a details object carries every field an alert needs (a present null counts as known). */
export function hasFullDetails(d: Partial<RequestDetails> | null | undefined): boolean {
  return !!d && d.customerName !== undefined && d.vehicle !== undefined && d.concern !== undefined
}

/** Fills the missing keys of a partial details object with null. */
export function completeDetails(d: Partial<RequestDetails>): RequestDetails {
  return {
    customerName: d.customerName ?? null,
    vehicle: d.vehicle ?? null,
    concern: d.concern ?? null,
    sessionType: d.sessionType ?? null,
  }
}

// --- broadcast (session_requests_feed, and the private shop:requests db-broadcast) -------------------

export type BroadcastEvent = 'new' | 'accepted' | 'cancelled' | 'removed'

const EVENT_NAMES: Record<string, BroadcastEvent> = {
  newrequest: 'new',
  requestnew: 'new',
  requestqueued: 'new',
  requestaccepted: 'accepted',
  accepted: 'accepted',
  requestcancelled: 'cancelled',
  requestcanceled: 'cancelled',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  requestremoved: 'removed',
  requestdeleted: 'removed',
}

export function broadcastEventKind(event: unknown): BroadcastEvent | null {
  if (typeof event !== 'string' || event.length > 64) return null
  return EVENT_NAMES[normKey(event)] ?? null
}

let localSeq = 0
function localEventId(prefix: string, receivedAt: number): string {
  localSeq = (localSeq + 1) % 1_000_000_000
  return `${prefix}:${receivedAt}:${localSeq}`
}

/**
 * One broadcast message as supabase-js hands it to the callback:
 * `{ type: 'broadcast', event, payload, meta? }` (https://supabase.com/docs/guides/realtime/broadcast).
 * The payload is `{ request: {...} }`; the legacy backend's flat `{ requestId, customerName, ... }`
 * shape (post-mortem, "The Old System") is accepted too, but only with an explicit request-id key,
 * because a db-broadcast payload's top-level `id` is the *message* id that realtime.send adds.
 */
export function parseBroadcast(source: 'broadcast' | 'db-broadcast', msg: unknown, receivedAt: number): ParseResult {
  const fallbackId = localEventId(source, receivedAt)
  if (!isRecord(msg)) return rejected(source, fallbackId, receivedAt, 'broadcast message is not an object', msg)
  const meta = isRecord(msg.meta) ? msg.meta : null
  const metaId = meta && typeof meta.id === 'string' && meta.id.length <= 128 ? meta.id : null
  const payload = msg.payload
  const payloadId = isRecord(payload) && typeof payload.id === 'string' && payload.id.length <= 128 ? payload.id : null
  const eventId = metaId ? `${source}:${metaId}` : payloadId ? `${source}:${payloadId}` : fallbackId

  const kind = broadcastEventKind(msg.event)
  if (!kind) {
    return rejected(source, eventId, receivedAt, `unknown broadcast event ${typeof msg.event === 'string' ? `"${msg.event.slice(0, 64)}"` : `(a ${typeof msg.event})`}`, msg)
  }
  if (!isRecord(payload)) return rejected(source, eventId, receivedAt, `${String(msg.event)} payload is not an object`, msg)

  const pf = new Fields(payload)
  let row: ParsedRow | string
  const request = pf.get('request')
  if (request !== undefined) {
    row = parseRow(request)
  } else if (pf.has('request_id', 'assignment_id')) {
    row = parseRow(payload, ['assignment_id', 'request_id'])
  } else {
    return rejected(source, eventId, receivedAt, `${String(msg.event)} payload has no "request" object`, msg)
  }
  if (typeof row === 'string') return rejected(source, eventId, receivedAt, row, msg)

  // An explicit commit time on the envelope beats the row's own timestamps.
  const envCommit = canonicalTime(pf.get('commit_timestamp', 'committed_at'))
  const commitTs = envCommit ?? row.commitTs

  if (kind === 'new') {
    if (row.status !== null && row.status !== 'queued') {
      return rejected(source, eventId, receivedAt, `new_request for a request whose status is "${row.status.slice(0, 40)}", not queued`, msg, commitTs)
    }
    const fact: QueuedFact = {
      kind: 'queued',
      source,
      eventId,
      commitTs,
      receivedAt,
      requestId: row.requestId,
      // The legacy channel's times went through JS Dates (milliseconds); the desk treats a millisecond
      // version as equal to the database's microsecond one, so it is passed through as it is.
      queuedAt: row.queuedAt,
      sessionId: row.sessionId,
      details: Object.keys(row.details).length ? row.details : null,
    }
    return gateFact(fact, msg)
  }
  const reason: RemovalReason =
    kind === 'accepted' ? 'accepted' : kind === 'cancelled' ? 'cancelled' : row.status ? removalReason(row.status) : 'deleted'
  const fact: RemovedFact = { kind: 'removed', source, eventId, commitTs, receivedAt, requestId: row.requestId, reason, status: row.status }
  const takenBy = reason === 'accepted' ? takerName(request ?? payload) : undefined
  if (takenBy !== undefined) fact.takenBy = takenBy
  return gateFact(fact, msg)
}

/**
 * request_accepted's `taken_by` (the taker's display name, 20261203000000_bayalert_taken_by_name.sql) as safe
 * text; undefined when the row does not carry the key, null when it says nobody by name or is not text.
 */
function takerName(row: unknown): string | null | undefined {
  if (!isRecord(row)) return undefined
  const f = new Fields(row)
  if (!f.has('taken_by')) return undefined
  return safeText(f.get('taken_by'), TAKER_NAME_LIMIT)
}

// --- postgres_changes on public.session_assignments ---------------------------------------------------

/**
 * The server's `errors` on a postgres_changes event, as readable lines, or null when it sent none.
 * Realtime sends `"Error 401: Unauthorized"` with no record when the subscriber's role cannot SELECT the
 * table's primary key (new Supabase projects grant nothing by default), `"Error 413: Payload Too Large"`
 * with values trimmed, `"Error 400: Bad Request, no primary key"` (supabase/realtime apply_rls).
 */
export function changeErrors(msg: unknown): string[] | null {
  if (!isRecord(msg)) return null
  const e = msg.errors
  if (e === null || e === undefined) return null
  const list = Array.isArray(e) ? e : [e]
  if (list.length === 0) return null
  return list.slice(0, 5).map((x) => safeText(typeof x === 'string' ? x : rawText(x), 200) ?? '(unreadable error)')
}

/**
 * `{ schema, table, commit_timestamp, eventType, new, old, errors }` (supabase-js's postgres_changes
 * payload). A transition *to* queued is a QueuedFact; an UPDATE to any other status or a DELETE (old =
 * primary key only under RLS, supabase/realtime#397)
 * is a RemovedFact — an unknown id is a no-op downstream. Details are never in these rows.
 */
export function parsePostgresChange(msg: unknown, receivedAt: number): ParseResult {
  const source = 'postgres_changes'
  if (!isRecord(msg)) return rejected(source, localEventId(source, receivedAt), receivedAt, 'postgres_changes message is not an object', msg)
  const commitTs = canonicalTime(msg.commit_timestamp)
  const typeRaw = msg.eventType ?? msg.type
  const type = typeof typeRaw === 'string' ? typeRaw.trim().toUpperCase() : ''
  const newRec = isRecord(msg.new) ? msg.new : {}
  const oldRec = isRecord(msg.old) ? msg.old : {}
  const anyId = [newRec.id, oldRec.id].find(isUuid)
  const eventId = `pg:${typeof msg.commit_timestamp === 'string' ? msg.commit_timestamp.slice(0, 40) : receivedAt}:${anyId ?? localEventId('x', receivedAt)}:${type || '?'}`

  if (typeof msg.table === 'string' && msg.table !== 'session_assignments') {
    return { ignored: `postgres_changes for table ${msg.table.slice(0, 64)}` }
  }
  // We cannot trust the row of an event that carries errors; the caller reconciles (and says so).
  const errors = changeErrors(msg)
  if (errors) return rejected(source, eventId, receivedAt, `postgres_changes refused by the server: ${errors.join('; ')}`, msg, commitTs)
  if (type !== 'INSERT' && type !== 'UPDATE' && type !== 'DELETE') {
    return rejected(source, eventId, receivedAt, `unknown eventType ${typeof typeRaw === 'string' ? `"${typeRaw.slice(0, 20)}"` : `(a ${typeof typeRaw})`}`, msg, commitTs)
  }

  if (type === 'DELETE') {
    const row = parseRow(oldRec, ['id'])
    if (typeof row === 'string') return rejected(source, eventId, receivedAt, `DELETE: ${row}`, msg, commitTs)
    const fact: RemovedFact = { kind: 'removed', source, eventId, commitTs, receivedAt, requestId: row.requestId, reason: 'deleted', status: null }
    return gateFact(fact, msg)
  }

  const row = parseRow(newRec, ['id'])
  if (typeof row === 'string') return rejected(source, eventId, receivedAt, `${type}: ${row}`, msg, commitTs)
  if (row.status === null) return rejected(source, eventId, receivedAt, `${type}: record has no status`, msg, commitTs)
  if (row.status === 'queued') {
    const fact: QueuedFact = {
      kind: 'queued',
      source,
      eventId,
      commitTs,
      receivedAt,
      requestId: row.requestId,
      queuedAt: row.queuedAt,
      sessionId: row.sessionId,
      details: null,
    }
    return gateFact(fact, msg)
  }
  if (type === 'INSERT') return { ignored: `INSERT with status "${row.status.slice(0, 40)}"` }
  const fact: RemovedFact = {
    kind: 'removed',
    source,
    eventId,
    commitTs,
    receivedAt,
    requestId: row.requestId,
    reason: removalReason(row.status),
    status: row.status,
  }
  return gateFact(fact, msg)
}

// --- feature flags --------------------------------------------------------------------------------

export const FLAG_KEYS: (keyof FeatureFlags)[] = ['mech_new_request_alerts', 'mech_audio_alerts', 'mech_browser_notifications', 'mech_visual_indicators']

function flagValue(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v
  if (v === 't' || v === 'true' || v === 1) return true
  if (v === 'f' || v === 'false' || v === 0) return false
  return null
}

/** Rows of public.feature_flags (`key`, `enabled`) → the flags they set. Unknown keys are ignored. */
export function parseFlagRows(rows: unknown): { flags: Partial<FeatureFlags>; problems: string[] } {
  const flags: Partial<FeatureFlags> = {}
  const problems: string[] = []
  if (!Array.isArray(rows)) return { flags, problems: ['feature_flags result is not an array'] }
  for (const r of rows) {
    if (!isRecord(r)) {
      problems.push('feature_flags row is not an object')
      continue
    }
    const f = new Fields(r)
    const key = f.get('key', 'name', 'flag')
    if (typeof key !== 'string') {
      problems.push('feature_flags row has no key')
      continue
    }
    const k = FLAG_KEYS.find((fk) => fk === key.trim().toLowerCase())
    if (!k) continue
    const v = flagValue(f.get('enabled', 'value', 'is_enabled'))
    if (v === null) {
      problems.push(`feature flag ${k} has no boolean "enabled"`)
      continue
    }
    flags[k] = v
  }
  return { flags, problems }
}

/**
 * postgres_changes on feature_flags. INSERT/UPDATE carry the row; a DELETE carries only the key, and
 * a deleted flag falls back to its default — so the caller re-reads the table instead of guessing.
 */
export function parseFlagChange(msg: unknown): { flags: Partial<FeatureFlags> } | { reread: string; refused?: string[] } | { ignored: string } {
  if (!isRecord(msg)) return { reread: 'feature_flags change is not an object' }
  const type = typeof msg.eventType === 'string' ? msg.eventType.toUpperCase() : ''
  const errors = changeErrors(msg)
  if (errors) return { reread: `feature_flags change refused by the server: ${errors.join('; ')}`, refused: errors }
  if (type === 'DELETE') return { reread: 'a feature flag was deleted' }
  if (type !== 'INSERT' && type !== 'UPDATE') return { reread: `feature_flags change of unknown type ${rawText(msg.eventType).slice(0, 20)}` }
  const { flags, problems } = parseFlagRows([msg.new])
  if (problems.length) return { reread: problems[0]! }
  if (Object.keys(flags).length === 0) return { ignored: 'change to a flag BayAlert does not use' }
  return { flags }
}
