// Phoenix wire codec for the realtime fake (Phoenix socket protocol).
// vsn 2.0.0: text frames are JSON arrays [join_ref, ref, topic, event, payload]; client broadcasts arrive as binary
// kind 3, server broadcasts may go out as binary kind 4. vsn 1.0.0: JSON objects, never binary.

export type Vsn = '1.0.0' | '2.0.0'

export interface PhxMessage {
  join_ref: string | null
  ref: string | null
  topic: string
  event: string
  payload: unknown
}

/** A decoded kind-3 "user broadcast push". `payload` is parsed JSON (enc 1) or raw bytes (enc 0). */
export interface BinaryBroadcastPush {
  join_ref: string
  ref: string
  topic: string
  event: string
  meta: Record<string, unknown> | null
  payload: unknown
  binary: boolean
}

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string }

const isRef = (v: unknown): v is string | null => v === null || typeof v === 'string' || typeof v === 'number'
const refStr = (v: unknown): string | null => (v === null || v === undefined ? null : String(v))

/** Decode a text frame. Every malformed shape is reported, never thrown (the caller logs and ignores it). */
export function decodeText(vsn: Vsn, text: string): DecodeResult<PhxMessage> {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` }
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(raw) || raw.length !== 5) return { ok: false, error: 'expected a 5-element array [join_ref, ref, topic, event, payload]' }
    const [join_ref, ref, topic, event, payload] = raw
    if (!isRef(join_ref) || !isRef(ref)) return { ok: false, error: 'join_ref/ref must be strings or null' }
    if (typeof topic !== 'string' || typeof event !== 'string') return { ok: false, error: 'topic and event must be strings' }
    return { ok: true, value: { join_ref: refStr(join_ref), ref: refStr(ref), topic, event, payload } }
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, error: 'expected a JSON object {topic, event, payload, ref, join_ref}' }
  const o = raw as Record<string, unknown>
  if (typeof o.topic !== 'string' || typeof o.event !== 'string') return { ok: false, error: 'topic and event must be strings' }
  if (!isRef(o.ref ?? null) || !isRef(o.join_ref ?? null)) return { ok: false, error: 'join_ref/ref must be strings or null' }
  return { ok: true, value: { join_ref: refStr(o.join_ref), ref: refStr(o.ref), topic: o.topic, event: o.event, payload: o.payload } }
}

export function encodeText(vsn: Vsn, m: PhxMessage): string {
  if (vsn === '2.0.0') return JSON.stringify([m.join_ref, m.ref, m.topic, m.event, m.payload])
  return JSON.stringify({ join_ref: m.join_ref, ref: m.ref, topic: m.topic, event: m.event, payload: m.payload })
}

/** Decode a client binary frame. Only kind 3 exists client→server (Phoenix socket protocol). */
export function decodeBinary(buf: Buffer): DecodeResult<BinaryBroadcastPush> {
  if (buf.length < 1) return { ok: false, error: 'empty binary frame' }
  const kind = buf[0]
  if (kind !== 3) return { ok: false, error: `unsupported binary kind ${kind}` }
  if (buf.length < 7) return { ok: false, error: 'kind 3 header truncated' }
  const lens = [buf[1], buf[2], buf[3], buf[4], buf[5]]
  const enc = buf[6]
  if (enc !== 0 && enc !== 1) return { ok: false, error: `unknown payload encoding ${enc}` }
  let off = 7
  const parts: string[] = []
  for (const len of lens) {
    if (off + len > buf.length) return { ok: false, error: 'kind 3 frame shorter than its header says' }
    parts.push(buf.subarray(off, off + len).toString('utf8'))
    off += len
  }
  const [join_ref, ref, topic, event, metaText] = parts
  let meta: Record<string, unknown> | null = null
  if (metaText.length > 0) {
    try {
      const m = JSON.parse(metaText)
      meta = m && typeof m === 'object' && !Array.isArray(m) ? m : null
    } catch {
      return { ok: false, error: 'kind 3 meta is not JSON' }
    }
  }
  const body = buf.subarray(off)
  let payload: unknown
  if (enc === 1) {
    try {
      payload = JSON.parse(body.toString('utf8'))
    } catch {
      return { ok: false, error: 'kind 3 JSON payload does not parse' }
    }
  } else {
    payload = Buffer.from(body)
  }
  return { ok: true, value: { join_ref, ref, topic, event, meta, payload, binary: enc === 0 } }
}

/** Encode a kind-4 "user broadcast" (the only binary kind realtime-js decodes). Lengths are uint8 bytes. */
export function encodeUserBroadcast(topic: string, event: string, payload: unknown, meta: Record<string, unknown> | null): Buffer | null {
  const t = Buffer.from(topic, 'utf8')
  const e = Buffer.from(event, 'utf8')
  const m = meta && Object.keys(meta).length > 0 ? Buffer.from(JSON.stringify(meta), 'utf8') : Buffer.alloc(0)
  if (t.length > 255 || e.length > 255 || m.length > 255) return null
  const binary = Buffer.isBuffer(payload) || payload instanceof Uint8Array
  const body = binary ? Buffer.from(payload as Uint8Array) : Buffer.from(JSON.stringify(payload ?? null), 'utf8')
  const head = Buffer.from([4, t.length, e.length, m.length, binary ? 0 : 1])
  return Buffer.concat([head, t, e, m, body])
}

/** Client-side kind-3 encoder, for tests that speak raw ws. */
export function encodeBroadcastPush(joinRef: string, ref: string, topic: string, event: string, payload: unknown, meta = ''): Buffer {
  const parts = [joinRef, ref, topic, event, meta].map((s) => Buffer.from(s, 'utf8'))
  const binary = Buffer.isBuffer(payload)
  const body = binary ? (payload as Buffer) : Buffer.from(JSON.stringify(payload), 'utf8')
  return Buffer.concat([Buffer.from([3, ...parts.map((p) => p.length), binary ? 0 : 1]), ...parts, body])
}

/** Decoder for kind-4 frames, for tests. */
export function decodeUserBroadcast(buf: Buffer): { topic: string; event: string; meta: unknown; payload: unknown } {
  if (buf[0] !== 4) throw new Error(`not kind 4: ${buf[0]}`)
  const [tl, el, ml, enc] = [buf[1], buf[2], buf[3], buf[4]]
  let off = 5
  const topic = buf.subarray(off, (off += tl)).toString('utf8')
  const event = buf.subarray(off, (off += el)).toString('utf8')
  const metaText = buf.subarray(off, (off += ml)).toString('utf8')
  const body = buf.subarray(off)
  return { topic, event, meta: metaText ? JSON.parse(metaText) : undefined, payload: enc === 1 ? JSON.parse(body.toString('utf8')) : body }
}

/**
 * Stable integer id for a postgres_changes binding. The real server uses :erlang.phash2(params) (range 0..2^27-1);
 * any stable hash of the params works, as long as identical params give the same id (supabase/realtime realtime_channel.ex).
 */
export function bindingId(params: unknown): number {
  const text = canonicalJson(params)
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h & 0x7ffffff
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

export type FilterOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in'
export interface ParsedFilter {
  column: string
  op: FilterOp
  /** For `in`, a Postgres array literal `{a,b,c}` (how the real server stores it, supabase/realtime postgres_cdc_rls). */
  value: string
}

/** `col=op.value` with the seven operators hosted Realtime accepts (supabase/realtime postgres_cdc_rls). */
export function parseFilter(filter: string): DecodeResult<ParsedFilter> {
  const m = /^([^=]+)=(eq|neq|lt|lte|gt|gte|in)\.(.*)$/s.exec(filter)
  if (!m) return { ok: false, error: filter }
  const [, column, op, value] = m
  if (op === 'in') {
    const inner = /^\((.*)\)$/s.exec(value)
    if (!inner) return { ok: false, error: filter }
    const items = splitInList(inner[1])
    if (items.length > 100) return { ok: false, error: 'too many values for `in` filter. Maximum 100' }
    return { ok: true, value: { column, op, value: `{${items.map(pgArrayItem).join(',')}}` } }
  }
  return { ok: true, value: { column, op: op as FilterOp, value } }
}

function splitInList(s: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (c === '"') quoted = !quoted
    else if (c === ',' && !quoted) {
      out.push(cur)
      cur = ''
    } else cur += c
  }
  out.push(cur)
  return out.map((x) => x.trim()).filter((x) => x.length > 0)
}

function pgArrayItem(s: string): string {
  return /^[A-Za-z0-9_.:+-]+$/.test(s) ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}
