// PostgREST subset (base /rest/v1; docs.postgrest.org). Every request runs in one transaction as the JWT's role with
// `request.jwt.claims` set (`set_config('role', …, true)` is SET LOCAL ROLE), exactly like PostgREST, so RLS and
// grants decide what the caller sees and Postgres produces the real error codes. Identifiers are validated
// against a schema cache and quoted; every value is a bind parameter.
import type { IncomingMessage, ServerResponse } from 'node:http'
import pg from 'pg'
import type { JwtClaims } from './jwt.js'
import { HttpError, readBody, sendEmpty, sendJson, type Log } from './http.js'

const q = (ident: string) => pg.escapeIdentifier(ident)
const SCHEMA = 'public'

interface TableInfo {
  name: string
  columns: Map<string, string> // name → formatted type
  pk: string[]
}
interface FkInfo {
  table: string
  column: string
  refTable: string
  refColumn: string
  name: string
}
interface FnInfo {
  name: string
  args: { name: string; type: string; hasDefault: boolean }[]
  returnsSet: boolean
  returnsVoid: boolean
  returnsComposite: boolean
  volatile: boolean
}
interface SchemaCache {
  tables: Map<string, TableInfo>
  fks: FkInfo[]
  fns: Map<string, FnInfo[]>
}

const pgrst = (status: number, code: string, message: string, details: string | null = null, hint: string | null = null, headers: Record<string, string> = {}) =>
  new HttpError(status, { code, details, hint, message }, headers)

// ─── schema cache ────────────────────────────────────────────────────────────────────────────────────────
async function loadSchema(pool: pg.Pool): Promise<SchemaCache> {
  const tables = new Map<string, TableInfo>()
  const cols = await pool.query<{ rel: string; col: string; type: string }>(
    `select c.relname as rel, a.attname as col, format_type(a.atttypid, a.atttypmod) as type
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where n.nspname = $1 and c.relkind in ('r','v','m','p','f')
      order by c.relname, a.attnum`,
    [SCHEMA],
  )
  for (const r of cols.rows) {
    let t = tables.get(r.rel)
    if (!t) tables.set(r.rel, (t = { name: r.rel, columns: new Map(), pk: [] }))
    t.columns.set(r.col, r.type)
  }
  const pks = await pool.query<{ rel: string; col: string }>(
    `select c.relname as rel, a.attname as col
       from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
       join lateral unnest(k.conkey) with ordinality as u(attnum, ord) on true
       join pg_attribute a on a.attrelid = c.oid and a.attnum = u.attnum
      where n.nspname = $1 and k.contype = 'p' order by c.relname, u.ord`,
    [SCHEMA],
  )
  for (const r of pks.rows) tables.get(r.rel)?.pk.push(r.col)
  const fkr = await pool.query<FkInfo>(
    `select c.relname as "table", a.attname as "column", rc.relname as "refTable", ra.attname as "refColumn", k.conname as name
       from pg_constraint k
       join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
       join pg_class rc on rc.oid = k.confrelid join pg_namespace rn on rn.oid = rc.relnamespace
       join pg_attribute a on a.attrelid = k.conrelid and a.attnum = k.conkey[1]
       join pg_attribute ra on ra.attrelid = k.confrelid and ra.attnum = k.confkey[1]
      where k.contype = 'f' and n.nspname = $1 and rn.nspname = $1 and array_length(k.conkey, 1) = 1`,
    [SCHEMA],
  )
  const fns = new Map<string, FnInfo[]>()
  const fr = await pool.query<{
    name: string
    argnames: string[] | null
    argmodes: string[] | null
    argtypes: string[]
    ndefaults: number
    retset: boolean
    retvoid: boolean
    retcomposite: boolean
    volatile: boolean
  }>(
    `select p.proname as name, p.proargnames as argnames, p.proargmodes::text[] as argmodes,
            array(select format_type(t, null) from unnest(p.proargtypes) as t) as argtypes,
            p.pronargdefaults as ndefaults, p.proretset as retset,
            p.prorettype = 'void'::regtype as retvoid,
            (select typtype = 'c' or p.prorettype = 'record'::regtype from pg_type where oid = p.prorettype) as retcomposite,
            p.provolatile = 'v' as volatile
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = $1 and p.prokind = 'f'`,
    [SCHEMA],
  )
  for (const f of fr.rows) {
    // proargnames covers all args (in/out/table); proargtypes only the input ones, in order.
    const inNames = (f.argnames ?? []).filter((_, i) => !f.argmodes || ['i', 'b', 'v'].includes(f.argmodes[i]))
    const n = f.argtypes.length
    const args = f.argtypes.map((type, i) => ({ name: inNames[i] ?? '', type, hasDefault: i >= n - f.ndefaults }))
    const list = fns.get(f.name) ?? []
    list.push({ name: f.name, args, returnsSet: f.retset, returnsVoid: f.retvoid, returnsComposite: f.retcomposite, volatile: f.volatile })
    fns.set(f.name, list)
  }
  return { tables, fks: fkr.rows, fns }
}

// ─── query-string grammar ────────────────────────────────────────────────────────────────────────────────
type SelectItem =
  | { kind: 'star' }
  | { kind: 'col'; name: string; alias?: string; cast?: string }
  | { kind: 'embed'; rel: string; alias?: string; hint?: string; items: SelectItem[] }

function splitTop(s: string, sep = ','): string[] {
  const out: string[] = []
  let depth = 0
  let quoted = false
  let cur = ''
  for (const ch of s) {
    if (ch === '"') quoted = !quoted
    if (!quoted) {
      if (ch === '(') depth++
      if (ch === ')') depth--
      if (ch === sep && depth === 0) {
        out.push(cur)
        cur = ''
        continue
      }
    }
    cur += ch
  }
  out.push(cur)
  return out
}

function parseSelect(s: string): SelectItem[] {
  const items: SelectItem[] = []
  for (const raw of splitTop(s)) {
    const part = raw.trim()
    if (!part) continue
    if (part === '*') {
      items.push({ kind: 'star' })
      continue
    }
    const m = /^(?:([A-Za-z_][\w$]*):)?([A-Za-z_][\w$]*)(?:!([\w$]+))?\((.*)\)$/s.exec(part)
    if (m) {
      items.push({ kind: 'embed', alias: m[1], rel: m[2], hint: m[3], items: parseSelect(m[4]) })
      continue
    }
    const c = /^(?:([A-Za-z_][\w$ ]*):)?([A-Za-z_][\w$]*)(?:::([A-Za-z_]\w*))?$/.exec(part)
    if (!c) throw pgrst(400, 'PGRST100', `"failed to parse select parameter (${s})"`, `unexpected "${part}"`)
    items.push({ kind: 'col', alias: c[1]?.trim(), name: c[2], cast: c[3]?.trim() })
  }
  return items.length ? items : [{ kind: 'star' }]
}

const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'on_conflict', 'columns', 'apikey', 'vsn'])
const OPS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'like', ilike: 'ilike' }

/** Build SQL for one request, collecting bind values. */
class Builder {
  values: unknown[] = []
  private n = 0
  constructor(private readonly cache: SchemaCache) {}

  param(v: unknown): string {
    this.values.push(v)
    return `$${this.values.length}`
  }
  alias(): string {
    return `_t${this.n++}`
  }

  column(table: TableInfo | null, name: string, alias: string): string {
    if (table && !table.columns.has(name)) {
      throw pgrst(400, '42703', `column ${table.name}.${name} does not exist`)
    }
    return `${alias}.${q(name)}`
  }

  /** One `col=op.value` filter (value possibly `not.`-prefixed), as PostgREST reads it. */
  filter(table: TableInfo | null, alias: string, col: string, expr: string): string {
    let neg = false
    let e = expr
    if (e.startsWith('not.')) {
      neg = true
      e = e.slice(4)
    }
    const dot = e.indexOf('.')
    const op = dot < 0 ? e : e.slice(0, dot)
    const val = dot < 0 ? '' : e.slice(dot + 1)
    const ref = this.column(table, col, alias)
    let sql: string
    if (op in OPS) {
      const v = op === 'like' || op === 'ilike' ? val.replace(/\*/g, '%') : val
      sql = op === 'like' || op === 'ilike' ? `${ref}::text ${OPS[op]} ${this.param(v)}` : `${ref} ${OPS[op]} ${this.param(v)}`
    } else if (op === 'is') {
      const lit = { null: 'null', true: 'true', false: 'false', unknown: 'unknown', not_null: 'not null' }[val.toLowerCase()]
      if (!lit) throw pgrst(400, 'PGRST100', `"failed to parse filter (${expr})" (line 1, column ${op.length + 2})`, `unexpected "${val}" expecting null or trilean value (unknown, true, false)`)
      sql = `${ref} is ${lit}`
    } else if (op === 'in') {
      const m = /^\((.*)\)$/s.exec(val)
      if (!m) throw pgrst(400, 'PGRST100', `"failed to parse filter (${expr})" (line 1, column 4)`, 'unexpected end of input expecting "("')
      const list = m[1] === '' ? [] : splitTop(m[1]).map((x) => x.trim().replace(/^"(.*)"$/s, '$1'))
      sql = `${ref} = any(${this.param(list)})`
    } else {
      throw pgrst(400, 'PGRST100', `"failed to parse filter (${expr})" (line 1, column 1)`, `unexpected "${op}" expecting operator`)
    }
    return neg ? `not (${sql})` : sql
  }

  /** `or=(a.eq.1,and(b.gt.2,c.lt.3))` */
  logic(table: TableInfo | null, alias: string, kind: 'and' | 'or', body: string, neg: boolean): string {
    const m = /^\((.*)\)$/s.exec(body)
    if (!m) throw pgrst(400, 'PGRST100', `"failed to parse logic tree (${body})" (line 1, column 1)`, 'expecting "("')
    const parts = splitTop(m[1]).map((p) => {
      const t = p.trim()
      const lm = /^(not\.)?(and|or)(\(.*\))$/s.exec(t)
      if (lm) return this.logic(table, alias, lm[2] as 'and' | 'or', lm[3], !!lm[1])
      const d = t.indexOf('.')
      if (d < 0) throw pgrst(400, 'PGRST100', `"failed to parse logic tree (${body})"`, `unexpected "${t}"`)
      return this.filter(table, alias, t.slice(0, d), t.slice(d + 1))
    })
    const joined = `(${parts.join(` ${kind} `) || (kind === 'and' ? 'true' : 'false')})`
    return neg ? `not ${joined}` : joined
  }

  where(table: TableInfo | null, alias: string, params: URLSearchParams, skip: Set<string> = new Set()): string {
    const conds: string[] = []
    for (const [k, v] of params) {
      if (RESERVED.has(k) || skip.has(k)) continue
      if (k === 'or' || k === 'and' || k === 'not.or' || k === 'not.and') {
        conds.push(this.logic(table, alias, k.endsWith('or') ? 'or' : 'and', v, k.startsWith('not.')))
      } else if (k.includes('.')) {
        // Filters on embedded resources (`sessions.type=eq.x`) are outside this subset.
        throw pgrst(400, 'PGRST108', `'${k.split('.')[0]}' is not an embedded resource in this request`, null, `Verify that '${k.split('.')[0]}' is included in the 'select' query parameter.`)
      } else conds.push(this.filter(table, alias, k, v))
    }
    return conds.length ? ` where ${conds.join(' and ')}` : ''
  }

  order(table: TableInfo | null, alias: string, order: string | null): string {
    if (!order) return ''
    const terms = order.split(',').map((t) => {
      const [col, ...mods] = t.trim().split('.')
      let s = this.column(table, col, alias)
      for (const m of mods) {
        if (m === 'asc' || m === 'desc') s += ` ${m}`
        else if (m === 'nullsfirst') s += ' nulls first'
        else if (m === 'nullslast') s += ' nulls last'
        else throw pgrst(400, 'PGRST100', `"failed to parse order (${order})" (line 1, column ${col.length + 2})`, `unexpected "${m}" expecting "asc", "desc", "nullsfirst" or "nullslast"`)
      }
      return s
    })
    return ` order by ${terms.join(', ')}`
  }

  /** Projection list for `items` over `table` aliased `alias`, with many-to-one / one-to-many embeds. */
  projection(table: TableInfo | null, alias: string, items: SelectItem[]): string {
    const out: string[] = []
    for (const it of items) {
      if (it.kind === 'star') out.push(`${alias}.*`)
      else if (it.kind === 'col') {
        const ref = this.column(table, it.name, alias)
        const cast = it.cast ? `::${castType(it.cast)}` : ''
        out.push(`${ref}${cast} as ${q(it.alias ?? it.name)}`)
      } else out.push(`${this.embed(table, alias, it)} as ${q(it.alias ?? it.rel)}`)
    }
    return out.join(', ')
  }

  private embed(parent: TableInfo | null, palias: string, it: Extract<SelectItem, { kind: 'embed' }>): string {
    const child = this.cache.tables.get(it.rel)
    if (!parent || !child) {
      throw pgrst(400, 'PGRST200', `Could not find a relationship between '${parent?.name ?? '?'}' and '${it.rel}' in the schema cache`, `Searched for a foreign key relationship between '${parent?.name ?? '?'}' and '${it.rel}' in the schema '${SCHEMA}', but no matches were found.`)
    }
    const byHint = (f: FkInfo) => !it.hint || it.hint === f.name || it.hint === f.column || it.hint === 'inner' || it.hint === 'left'
    const a = this.alias()
    // many-to-one: parent.fk → child.pk  ⇒ object
    const m2o = this.cache.fks.filter((f) => f.table === parent.name && f.refTable === child.name && byHint(f))
    if (m2o.length === 1) {
      const f = m2o[0]
      return `(select row_to_json(${a}_r) from (select ${this.projection(child, a, it.items)} from ${SCHEMA}.${q(child.name)} ${a} where ${a}.${q(f.refColumn)} = ${palias}.${q(f.column)}) ${a}_r)`
    }
    // one-to-many: child.fk → parent.pk  ⇒ array
    const o2m = this.cache.fks.filter((f) => f.table === child.name && f.refTable === parent.name && byHint(f))
    if (o2m.length === 1 && m2o.length === 0) {
      const f = o2m[0]
      return `(select coalesce(json_agg(${a}_r), '[]') from (select ${this.projection(child, a, it.items)} from ${SCHEMA}.${q(child.name)} ${a} where ${a}.${q(f.column)} = ${palias}.${q(f.refColumn)}) ${a}_r)`
    }
    if (m2o.length + o2m.length > 1) {
      throw pgrst(300, 'PGRST201', `Could not embed because more than one relationship was found for '${parent.name}' and '${child.name}'`, null, `Try changing '${child.name}' to one of the foreign key names`)
    }
    throw pgrst(400, 'PGRST200', `Could not find a relationship between '${parent.name}' and '${child.name}' in the schema cache`, `Searched for a foreign key relationship between '${parent.name}' and '${child.name}' in the schema '${SCHEMA}', but no matches were found.`)
  }
}

function castType(t: string): string {
  // One bare type name (text, int, uuid, …): it is spliced into SQL, so nothing else gets through.
  if (!/^[A-Za-z_]\w*$/.test(t)) throw pgrst(400, 'PGRST100', `"failed to parse cast (${t})"`)
  return t
}

function intParam(params: URLSearchParams, name: string): number | null {
  const v = params.get(name)
  if (v === null) return null
  if (!/^\d+$/.test(v)) throw pgrst(400, 'PGRST100', `"failed to parse ${name} parameter (${v})" (line 1, column 1)`, 'unexpected input expecting digit')
  return Number(v)
}

interface Prefs {
  return: 'minimal' | 'representation' | 'headers-only' | null
  resolution: 'merge-duplicates' | 'ignore-duplicates' | null
  count: string | null
  missingDefault: boolean
}
function prefsOf(req: IncomingMessage): Prefs {
  const p: Prefs = { return: null, resolution: null, count: null, missingDefault: false }
  const h = req.headers['prefer']
  const all = (Array.isArray(h) ? h.join(',') : h ?? '').split(',').map((s) => s.trim())
  for (const s of all) {
    const [k, v] = s.split('=')
    if (k === 'return') p.return = v as Prefs['return']
    else if (k === 'resolution') p.resolution = v as Prefs['resolution']
    else if (k === 'count') p.count = v
    else if (k === 'missing') p.missingDefault = v === 'default'
  }
  return p
}

// ─── errors ──────────────────────────────────────────────────────────────────────────────────────────────
// PostgREST's pgErrorStatus (src/PostgREST/Error.hs), reduced to the codes that matter here.
export function statusForPgCode(code: string, role: string): number {
  if (code === '42501') return role === 'anon' ? 401 : 403
  if (code === '42883' || code === '42P01') return 404
  if (code === '23503' || code === '23505') return 409
  if (code === '25006') return 405
  if (code === 'P0001') return 400
  if (code === '57014') return 500
  const cls = code.slice(0, 2)
  if (cls === '08' || cls === '53') return 503
  if (['09', '0L', '0P', '28'].includes(cls)) return cls === '09' ? 500 : 403
  if (['25', '2D', '38', '39', '3B', '40', '54', '55', '57', '58', 'F0', 'HV', 'P0', 'XX'].includes(cls)) return 500
  return 400
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03'])

/** A thrown error → the PostgREST response for it. */
export function restErrorFor(e: unknown, role: string, log: Log): HttpError {
  // (503s are logged by the HTTP layer with the full body; no second line here.)
  if (e instanceof HttpError) return e
  const err = e as { code?: string; message?: string; detail?: string; hint?: string }
  const msg = err?.message ?? String(e)
  // The database is down or restarting: 503, which supabase-js retries for GETs (PostgREST, docs.postgrest.org).
  if (
    (err.code && CONNECTION_CODES.has(err.code)) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/.test(msg)
  ) {
    const refused = err.code === 'ECONNREFUSED' || /ECONNREFUSED|timeout exceeded when trying to connect/.test(msg) || err.code === '57P03'
    return refused
      ? pgrst(503, 'PGRST000', 'Database connection error. Retrying the connection.', msg)
      : pgrst(503, 'PGRST001', 'Database client error. Retrying the connection.', msg)
  }
  if (err.code && /^[0-9A-Z]{5}$/.test(err.code)) {
    return pgrst(statusForPgCode(err.code, role), err.code, msg, err.detail ?? null, err.hint ?? null)
  }
  log(`rest: unexpected error: ${e instanceof Error ? e.stack : msg}`)
  return pgrst(500, 'PGRST000', msg)
}

// ─── the handler ─────────────────────────────────────────────────────────────────────────────────────────
export interface PostgrestOptions {
  pool: pg.Pool
  log: Log
}

export function createPostgrest(opts: PostgrestOptions) {
  const { pool } = opts
  let cache: Promise<SchemaCache> | null = null
  let reloading: Promise<SchemaCache> | null = null
  // PostgREST reloads its cache on NOTIFY; here a miss (unknown table/function) triggers one reload, shared by
  // concurrent misses, so objects created after start (tests, a fresh migration) are found.
  const schema = (force = false): Promise<SchemaCache> => {
    if (!cache) {
      cache = loadSchema(pool)
      cache.catch(() => (cache = null))
    } else if (force) {
      if (!reloading) {
        reloading = loadSchema(pool)
        reloading.then(
          (c) => {
            cache = Promise.resolve(c)
            reloading = null
          },
          () => (reloading = null),
        )
      }
      return reloading
    }
    return cache
  }

  async function table(name: string): Promise<TableInfo> {
    let t = (await schema()).tables.get(name)
    if (!t) t = (await schema(true)).tables.get(name)
    if (!t) {
      const similar = [...(await schema()).tables.keys()].find((k) => k.toLowerCase() === name.toLowerCase() || levenshtein(k, name) <= 2)
      throw pgrst(404, 'PGRST205', `Could not find the table '${SCHEMA}.${name}' in the schema cache`, null, similar ? `Perhaps you meant the table '${SCHEMA}.${similar}'` : null)
    }
    return t
  }

  /** Run `fn` in a transaction as the JWT role with the claims PostgREST would set. */
  async function asRole<T>(claims: JwtClaims, req: IncomingMessage, path: string, readOnly: boolean, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect()
    let broken = false
    try {
      await client.query(readOnly ? 'begin isolation level read committed read only' : 'begin isolation level read committed')
      const headers = JSON.stringify(Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'authorization' && k !== 'apikey')))
      await client.query(
        `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
                set_config('request.method', $3, true), set_config('request.path', $4, true),
                set_config('request.headers', $5, true)`,
        [claims.role, JSON.stringify(claims), req.method ?? 'GET', path, headers],
      )
      const out = await fn(client)
      await client.query('commit')
      return out
    } catch (e) {
      await client.query('rollback').catch(() => {
        broken = true
      })
      throw e
    } finally {
      client.release(broken ? true : undefined)
    }
  }

  async function parseBody(req: IncomingMessage): Promise<unknown> {
    const text = await readBody(req)
    if (!text.trim()) return {}
    try {
      return JSON.parse(text)
    } catch (e) {
      throw pgrst(400, 'PGRST102', 'Empty or invalid json', (e as Error).message)
    }
  }

  function wantsObject(req: IncomingMessage): boolean {
    return /application\/vnd\.pgrst\.object/.test(String(req.headers['accept'] ?? ''))
  }

  /** Send rows (a JSON array text) honouring `.single()` (406 PGRST116, PostgREST, docs.postgrest.org). */
  function sendRows(req: IncomingMessage, res: ServerResponse, status: number, json: string, n: number, extra: Record<string, string> = {}) {
    if (wantsObject(req)) {
      if (n !== 1) {
        throw pgrst(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', `The result contains ${n} rows`)
      }
      const obj = JSON.parse(json)[0]
      return sendJson(res, status, JSON.stringify(obj), { 'Content-Type': 'application/vnd.pgrst.object+json; charset=utf-8', ...extra })
    }
    return sendJson(res, status, json, extra)
  }

  async function read(req: IncomingMessage, res: ServerResponse, t: TableInfo, url: URL, claims: JwtClaims, head: boolean) {
    const p = url.searchParams
    const b = new Builder(await schema())
    const a = b.alias()
    const proj = b.projection(t, a, parseSelect(p.get('select') ?? '*'))
    const where = b.where(t, a, p)
    const order = b.order(t, a, p.get('order'))
    const limit = intParam(p, 'limit')
    const offset = intParam(p, 'offset') ?? 0
    const sql = `select coalesce(json_agg(_r), '[]')::text as body, count(*)::int as n from (select ${proj} from ${SCHEMA}.${q(t.name)} ${a}${where}${order}${limit !== null ? ` limit ${limit}` : ''}${offset ? ` offset ${offset}` : ''}) _r`
    const prefs = prefsOf(req)
    const { body, n, total } = await asRole(claims, req, url.pathname, true, async (c) => {
      const r = await c.query<{ body: string; n: number }>(sql, b.values)
      let total: number | null = null
      if (prefs.count) {
        // The filters are the same; rebuild just the WHERE against a fresh alias.
        const cb = new Builder(await schema())
        const ca = cb.alias()
        const cw = cb.where(t, ca, p)
        const cr = await c.query<{ n: number }>(`select count(*)::int as n from ${SCHEMA}.${q(t.name)} ${ca}${cw}`, cb.values)
        total = cr.rows[0].n
      }
      return { body: r.rows[0].body, n: r.rows[0].n, total }
    })
    const range = n > 0 ? `${offset}-${offset + n - 1}/${total ?? '*'}` : `*/${total ?? '*'}`
    if (head) return sendEmpty(res, 200, { 'Content-Range': range })
    return sendRows(req, res, 200, body, n, { 'Content-Range': range })
  }

  async function write(req: IncomingMessage, res: ServerResponse, t: TableInfo, url: URL, claims: JwtClaims) {
    const p = url.searchParams
    const prefs = prefsOf(req)
    const method = req.method ?? 'POST'
    const b = new Builder(await schema())
    const a = b.alias()
    let dml: string
    if (method === 'POST') {
      const raw = await parseBody(req)
      const rows = Array.isArray(raw) ? raw : [raw]
      if (rows.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) throw pgrst(400, 'PGRST102', 'All object keys must match')
      const colParam = p.get('columns')
      const cols = colParam ? colParam.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1')) : [...new Set(rows.flatMap((r) => Object.keys(r as object)))]
      for (const c of cols) if (!t.columns.has(c)) throw pgrst(400, 'PGRST204', `Could not find the '${c}' column of '${t.name}' in the schema cache`)
      const colList = cols.map(q).join(', ')
      const src = `select ${cols.map((c) => `_p.${q(c)}`).join(', ')} from json_populate_recordset(null::${SCHEMA}.${q(t.name)}, ${b.param(JSON.stringify(rows))}::json) _p`
      let conflict = ''
      if (prefs.resolution) {
        const target = p.get('on_conflict')?.split(',').map((s) => s.trim()) ?? t.pk
        for (const c of target) if (!t.columns.has(c)) throw pgrst(400, '42703', `column ${t.name}.${c} does not exist`)
        if (!target.length) throw pgrst(400, 'PGRST100', `table ${t.name} has no primary key; use on_conflict`)
        const upd = cols.filter((c) => !target.includes(c))
        conflict =
          prefs.resolution === 'ignore-duplicates' || !upd.length
            ? ` on conflict (${target.map(q).join(', ')}) do nothing`
            : ` on conflict (${target.map(q).join(', ')}) do update set ${upd.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}`
      }
      dml = cols.length
        ? `insert into ${SCHEMA}.${q(t.name)} as ${a} (${colList}) ${src}${conflict} returning ${a}.*`
        : `insert into ${SCHEMA}.${q(t.name)} as ${a} default values returning ${a}.*`
    } else if (method === 'PATCH') {
      const raw = await parseBody(req)
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw pgrst(400, 'PGRST102', 'Empty or invalid json')
      const cols = Object.keys(raw)
      for (const c of cols) if (!t.columns.has(c)) throw pgrst(400, 'PGRST204', `Could not find the '${c}' column of '${t.name}' in the schema cache`)
      if (!cols.length) return sendEmpty(res, 204)
      const patch = b.param(JSON.stringify(raw))
      const sets = cols.map((c) => `${q(c)} = _p.${q(c)}`).join(', ')
      const where = b.where(t, a, p)
      dml = `update ${SCHEMA}.${q(t.name)} as ${a} set ${sets} from json_populate_record(null::${SCHEMA}.${q(t.name)}, ${patch}::json) _p${where} returning ${a}.*`
    } else {
      const where = b.where(t, a, p)
      dml = `delete from ${SCHEMA}.${q(t.name)} as ${a}${where} returning ${a}.*`
    }
    const represent = prefs.return === 'representation'
    const ra = b.alias()
    const proj = represent ? b.projection(t, ra, parseSelect(p.get('select') ?? '*')) : ''
    const sql = represent
      ? `with _w as (${dml}) select coalesce(json_agg(_r), '[]')::text as body, count(*)::int as n from (select ${proj} from _w ${ra}) _r`
      : `with _w as (${dml}) select '[]'::text as body, count(*)::int as n from _w`
    const { body, n } = await asRole(claims, req, url.pathname, false, async (c) => (await c.query<{ body: string; n: number }>(sql, b.values)).rows[0])
    const range = n > 0 ? `0-${n - 1}/*` : '*/*'
    if (!represent) {
      if (wantsObject(req) && n !== 1) throw pgrst(406, 'PGRST116', 'Cannot coerce the result to a single JSON object', `The result contains ${n} rows`)
      return sendEmpty(res, method === 'POST' ? 201 : 204, { 'Content-Range': range })
    }
    return sendRows(req, res, method === 'POST' ? 201 : 200, body, n, { 'Content-Range': range })
  }

  async function rpc(req: IncomingMessage, res: ServerResponse, name: string, url: URL, claims: JwtClaims) {
    const method = req.method ?? 'POST'
    let args: Record<string, unknown> = {}
    const p = new URLSearchParams(url.searchParams)
    if (method === 'POST') {
      const raw = await parseBody(req)
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw pgrst(400, 'PGRST102', 'Empty or invalid json')
      args = raw as Record<string, unknown>
    }
    let fns = (await schema()).fns.get(name)
    if (!fns) fns = (await schema(true)).fns.get(name)
    const argNames = new Set(Object.keys(args))
    if (method !== 'POST') {
      // GET rpc: function args come from the query string; the rest are filters.
      const all = new Set((fns ?? []).flatMap((f) => f.args.map((x) => x.name)))
      for (const [k, v] of url.searchParams) {
        if (all.has(k)) {
          args[k] = v
          argNames.add(k)
          p.delete(k)
        }
      }
    }
    const fn = (fns ?? []).filter((f) => {
      const names = new Set(f.args.map((x) => x.name))
      return [...argNames].every((k) => names.has(k)) && f.args.every((x) => x.hasDefault || argNames.has(x.name))
    })
    if (fn.length === 0) {
      const sorted = [...argNames].sort()
      const listed = sorted.length ? `with parameters ${sorted.join(', ')}` : 'without parameters'
      throw pgrst(
        404,
        'PGRST202',
        `Could not find the function ${SCHEMA}.${name}${sorted.length ? `(${sorted.join(', ')})` : ' without parameters'} in the schema cache`,
        `Searched for the function ${SCHEMA}.${name} ${listed} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
        fns?.length ? `Perhaps you meant to call the function ${SCHEMA}.${name}(${fns[0].args.map((x) => x.name).join(', ')})` : null,
      )
    }
    if (fn.length > 1) {
      throw pgrst(300, 'PGRST203', `Could not choose the best candidate function between: ${fn.map((f) => `${SCHEMA}.${name}(${f.args.map((x) => `${x.name} => ${x.type}`).join(', ')})`).join(', ')}`, null, 'Try renaming the parameters or the function itself in the database so function overloading can be resolved')
    }
    const f = fn[0]
    const b = new Builder(await schema())
    const used = f.args.filter((x) => argNames.has(x.name))
    // Arguments go through json_to_record exactly as PostgREST passes them, so JSON arrays become uuid[] etc.
    const rec = used.length
      ? ` from json_to_record(${b.param(JSON.stringify(args))}::json) as _a(${used.map((x) => `${q(x.name)} ${x.type}`).join(', ')})`
      : ''
    const call = `${SCHEMA}.${q(name)}(${used.map((x) => `${q(x.name)} => _a.${q(x.name)}`).join(', ')})`
    const readOnly = method !== 'POST' || !f.volatile
    let sql: string
    let isSet = false
    if (f.returnsVoid) sql = `select ${call}${rec}`
    else if (f.returnsSet) {
      isSet = true
      const a = b.alias()
      const proj = b.projection(null, a, parseSelect(p.get('select') ?? '*'))
      const where = b.where(null, a, p)
      const order = b.order(null, a, p.get('order'))
      const limit = intParam(p, 'limit')
      const offset = intParam(p, 'offset')
      sql = `select coalesce(json_agg(_r), '[]')::text as body, count(*)::int as n from (select ${proj} from (select _f.*${rec ? rec + ',' : ' from'} lateral ${call} _f) ${a}${where}${order}${limit !== null ? ` limit ${limit}` : ''}${offset ? ` offset ${offset}` : ''}) _r`
    } else if (f.returnsComposite) sql = `select row_to_json(_f)::text as body, 1 as n${rec ? rec + ',' : ' from'} lateral ${call} _f`
    else sql = `select to_json(${call})::text as body, 1 as n${rec}`
    const out = await asRole(claims, req, url.pathname, readOnly, async (c) => (await c.query<{ body: string; n: number }>(sql, b.values)).rows[0])
    if (f.returnsVoid) return sendEmpty(res, 204)
    if (isSet) return sendRows(req, res, 200, out.body, out.n)
    if (wantsObject(req)) return sendJson(res, 200, out.body, { 'Content-Type': 'application/vnd.pgrst.object+json; charset=utf-8' })
    return sendJson(res, 200, out.body ?? 'null')
  }

  /** Handles /rest/v1/* once the caller's claims are known; `path` follows /rest/v1. */
  async function handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL, claims: JwtClaims): Promise<void> {
    const method = req.method ?? 'GET'
    // Only the public schema is exposed (db-schemas = public).
    const profile = req.headers[method === 'GET' || method === 'HEAD' ? 'accept-profile' : 'content-profile']
    if (typeof profile === 'string' && profile && profile !== SCHEMA) {
      throw pgrst(406, 'PGRST106', `The schema must be one of the following: ${SCHEMA}`)
    }
    const seg = path.split('/').filter(Boolean).map(decodeURIComponent)
    if (seg.length === 0) {
      // Real PostgREST answers the OpenAPI description here; the app never asks for it.
      return sendJson(res, 200, { swagger: '2.0', info: { title: 'BayAlert local PostgREST subset' }, paths: {} })
    }
    if (seg[0] === 'rpc' && seg.length === 2) {
      if (!['GET', 'POST', 'HEAD'].includes(method)) throw pgrst(405, 'PGRST101', 'Only GET and POST verbs are allowed for RPC')
      return rpc(req, res, seg[1], url, claims)
    }
    if (seg.length !== 1) throw pgrst(404, 'PGRST125', `Invalid path specified in request URL`)
    const t = await table(seg[0])
    if (method === 'GET' || method === 'HEAD') return read(req, res, t, url, claims, method === 'HEAD')
    if (method === 'POST' || method === 'PATCH' || method === 'DELETE') return write(req, res, t, url, claims)
    throw pgrst(405, 'PGRST117', `Unsupported HTTP method: ${method}`)
  }

  return { handle, reloadSchema: () => schema(true) }
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
  return d[a.length][b.length]
}
