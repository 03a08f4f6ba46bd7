// Customers for the local shop backend (and, over REST, for a real project): each request is an intake + a
// session + a queued assignment written in ONE transaction, then — as the shop's own backend still does today
// (its post-mortem: after the move to postgres_changes the backend still calls the deprecated broadcast) — the legacy
// `session_requests_feed` broadcast `new_request` with payload `{ request: {...} }` over the Realtime HTTP API.
//
//   npm run simulate -- --count N [--interval ms] [--url URL --service-key KEY] [--no-broadcast]
//   npm run simulate -- --accept <id|oldest> [--as email:password]   (another mechanic takes it)
//   npm run simulate -- --cancel <id|oldest>                          (the customer cancels)
import pg from 'pg'
import { pathToFileURL } from 'node:url'
import { createClient, type SupabaseClient } from '@supabase/supabase-js'
import ws from 'ws'
import { DEFAULT_URL, DEMO_MECHANICS } from './demo.js'
import { DEMO_SERVICE_ROLE_KEY } from './jwt.js'

export interface SimTarget {
  /** Backend base URL (default the local backend's well-known address). */
  url?: string
  /** Service-role key (default the demo key). */
  serviceKey?: string
  /** Direct database access (the local backend's `sql` pool or a connection string): enables real transactions. */
  sql?: pg.Pool | string
  log?: (msg: string) => void
}

/** The row shape of rpc queued_requests / request_details / the shop:requests broadcast. */
export interface RequestRow {
  id: string
  session_id: string
  status: string
  mechanic_id: string | null
  queued_at: string | null
  created_at: string
  updated_at: string
  session_type: string | null
  intake_id: string | null
  customer_name: string | null
  concern: string | null
  vehicle_make: string | null
  vehicle_model: string | null
  vehicle_year: number | null
}

export interface Customer {
  name: string
  email: string
  phone: string
  concern: string
  vehicle_make: string
  vehicle_model: string
  vehicle_year: number
  session_type: string
}

// ── realistic, varied customers ──
const FIRST = ['Maria', 'James', 'Aisha', 'Chen', 'Olga', 'Diego', 'Priya', 'Tom', 'Fatima', 'Lukas', 'Grace', 'Kwame', 'Sofia', 'Hiro', 'Emma', 'Mateo', 'Zainab', 'Noah', 'Ines', 'Ravi', "Siobhán", 'Björn', 'Anh', 'José']
const LAST = ['Gonzalez', 'Smith', 'Okafor', 'Wang', 'Petrova', 'Ramírez', 'Sharma', "O'Brien", 'Haddad', 'Müller', 'Kim', 'Mensah', 'Rossi', 'Tanaka', 'Johnson', 'Silva', 'Abdi', 'Nguyen', 'Fernández', 'Patel', 'Murphy', 'Larsen', 'Tran', 'García']
const VEHICLES: [string, string[], number, number][] = [
  ['Toyota', ['Corolla', 'Camry', 'RAV4', 'Prius', 'Tacoma', 'Highlander'], 2006, 2024],
  ['Honda', ['Civic', 'Accord', 'CR-V', 'Fit', 'Odyssey', 'Pilot'], 2005, 2024],
  ['Ford', ['F-150', 'Focus', 'Escape', 'Explorer', 'Mustang', 'Transit'], 2004, 2024],
  ['Chevrolet', ['Silverado', 'Malibu', 'Equinox', 'Bolt EV', 'Tahoe'], 2006, 2024],
  ['Volkswagen', ['Golf', 'Jetta', 'Passat', 'Tiguan', 'ID.4'], 2008, 2024],
  ['Subaru', ['Outback', 'Forester', 'Impreza', 'Crosstrek'], 2008, 2024],
  ['Tesla', ['Model 3', 'Model Y', 'Model S'], 2015, 2024],
  ['Hyundai', ['Elantra', 'Tucson', 'Santa Fe', 'Ioniq 5'], 2009, 2024],
  ['Nissan', ['Altima', 'Sentra', 'Rogue', 'Leaf', 'Frontier'], 2007, 2024],
  ['BMW', ['3 Series', 'X3', 'X5', 'i3'], 2008, 2023],
  ['Kia', ['Soul', 'Sportage', 'Sorento', 'Niro'], 2010, 2024],
  ['Mazda', ['Mazda3', 'CX-5', 'MX-5 Miata'], 2008, 2024],
]
const CONCERNS = [
  'Brakes squeal when stopping, worse in the morning',
  'Check engine light came on after refuelling',
  'Car pulls to the left at highway speed',
  'Grinding noise when turning the steering wheel',
  'AC blows warm air since last week',
  'Battery dies overnight, new battery did not help',
  'Rough idle and hesitation when accelerating from a stop',
  'Transmission slips between 2nd and 3rd gear',
  'Coolant smell inside the cabin, temperature gauge climbing',
  'Clunking from the rear suspension over speed bumps',
  'Infotainment screen reboots while driving',
  'Tyre pressure warning keeps coming back',
  'Vibration through the pedal when braking downhill',
  'Car will not start — clicks but no crank',
  'Oil leak under the engine after parking',
  'Windshield wipers stop mid-sweep',
  'Charging stops at 80% and shows an error',
  'Whistling noise from the turbo under load',
  'Headlights flicker at night',
  'Pre-purchase inspection question: is this timing-belt noise normal?',
  'Warning light: "Service ABS" and traction control off',
  'Exhaust sounds louder than usual, rattle at idle',
  'Smell of burning when the heater is on',
  'Key fob not detected intermittently',
]
const SESSION_TYPES = ['diagnostic', 'video', 'chat', 'diagnostic', 'video']

/** A small seeded PRNG (mulberry32) so a run can be reproduced with --seed. */
export function rng(seed = Date.now()): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function fakeCustomer(rand: () => number = Math.random): Customer {
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]
  const first = pick(FIRST)
  const last = pick(LAST)
  const [make, models, y0, y1] = pick(VEHICLES)
  return {
    name: `${first} ${last}`,
    email: `${first}.${last}`.toLowerCase().normalize('NFD').replace(/[^a-z.]/g, '') + '@example.com',
    phone: `+1-555-${String(Math.floor(rand() * 9000) + 1000)}`,
    concern: pick(CONCERNS),
    vehicle_make: make,
    vehicle_model: pick(models),
    vehicle_year: y0 + Math.floor(rand() * (y1 - y0 + 1)),
    session_type: pick(SESSION_TYPES),
  }
}

const ROW_SQL = `select a.id, a.session_id, a.status, a.mechanic_id, a.queued_at, a.created_at, a.updated_at,
  s.type as session_type, s.intake_id, i.name as customer_name, i.concern, i.vehicle_make, i.vehicle_model, i.vehicle_year
  from public.session_assignments a left join public.sessions s on s.id = a.session_id left join public.intakes i on i.id = s.intake_id`

const jsonRow = (r: Record<string, unknown>): RequestRow =>
  JSON.parse(JSON.stringify(r, (_k, v) => (v instanceof Date ? v.toISOString() : v))) as RequestRow

function resolve(t: SimTarget) {
  return { url: (t.url ?? DEFAULT_URL).replace(/\/$/, ''), key: t.serviceKey ?? DEMO_SERVICE_ROLE_KEY, log: t.log ?? ((m: string) => process.stderr.write(`[simulate] ${m}\n`)) }
}

function serviceClient(t: SimTarget): SupabaseClient {
  const { url, key } = resolve(t)
  return createClient(url, key, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: ws as never } })
}

/**
 * The legacy broadcast on the public `session_requests_feed` topic, exactly as supabase-js `channel.send()` posts
 * it when the channel is not joined (Realtime REST broadcast, supabase.com/docs/guides/realtime/broadcast). Returns the HTTP status (202 expected).
 */
export async function sendLegacyBroadcast(t: SimTarget, event: 'new_request' | 'request_accepted' | 'request_cancelled', request: RequestRow): Promise<number> {
  const { url, key, log } = resolve(t)
  try {
    const res = await fetch(`${url}/realtime/v1/api/broadcast?apikey=${encodeURIComponent(key)}&vsn=2.0.0`, {
      method: 'POST',
      headers: { apikey: key, Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ messages: [{ topic: 'session_requests_feed', event, payload: { request }, private: false }] }),
      signal: AbortSignal.timeout(10_000),
    })
    if (res.status !== 202) log(`legacy broadcast ${event} ${request.id}: HTTP ${res.status} ${await res.text().catch(() => '')}`)
    return res.status
  } catch (e) {
    log(`legacy broadcast ${event} ${request.id} failed: ${(e as Error).message}`)
    return 0
  }
}

async function withPool<T>(sql: pg.Pool | string, fn: (p: pg.Pool) => Promise<T>): Promise<T> {
  if (typeof sql !== 'string') return fn(sql)
  const p = new pg.Pool({ connectionString: sql, max: 2 })
  p.on('error', () => undefined)
  try {
    return await fn(p)
  } finally {
    await p.end()
  }
}

/** Insert one customer request atomically; returns the request row (with details). */
/** Anything that runs one query: a pool, or a client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>
}

/** `n` queued requests (intake + session + assignment each) in one statement, named `<label> 1…n`; their ids. */
export async function insertQueuedBulk(db: Queryable, n: number, label: string): Promise<string[]> {
  const r = await db.query<{ id: string }>(
    `with i as (
       insert into public.intakes (name, email, phone, concern, vehicle_make, vehicle_model, vehicle_year)
       select $2::text || ' ' || g, lower($2::text) || g || '@example.com', '+1-555-0000', $2::text || ' concern ' || g, 'Honda', 'Civic', 2019
       from generate_series(1, $1::int) g returning id),
     s as (insert into public.sessions (type, intake_id) select 'diagnostic', id from i returning id)
     insert into public.session_assignments (session_id, status) select id, 'queued' from s returning id`,
    [n, label],
  )
  return r.rows.map((x) => x.id)
}

export async function insertRequest(pool: pg.Pool, c: Customer): Promise<RequestRow> {
  const client = await pool.connect()
  try {
    await client.query('begin')
    const i = await client.query<{ id: string }>(
      `insert into public.intakes (name, email, phone, concern, vehicle_make, vehicle_model, vehicle_year)
       values ($1, $2, $3, $4, $5, $6, $7) returning id`,
      [c.name, c.email, c.phone, c.concern, c.vehicle_make, c.vehicle_model, c.vehicle_year],
    )
    const s = await client.query<{ id: string }>('insert into public.sessions (type, intake_id) values ($1, $2) returning id', [c.session_type, i.rows[0].id])
    const a = await client.query<{ id: string }>(`insert into public.session_assignments (session_id, status) values ($1, 'queued') returning id`, [s.rows[0].id])
    const row = await client.query(`${ROW_SQL} where a.id = $1`, [a.rows[0].id])
    await client.query('commit')
    return jsonRow(row.rows[0])
  } catch (e) {
    await client.query('rollback').catch(() => undefined)
    throw e
  } finally {
    client.release()
  }
}

/** Without database access (a remote project): three REST inserts as the service role — not atomic. */
async function insertRequestRest(sb: SupabaseClient, c: Customer): Promise<RequestRow> {
  const i = await sb.from('intakes').insert({ name: c.name, email: c.email, phone: c.phone, concern: c.concern, vehicle_make: c.vehicle_make, vehicle_model: c.vehicle_model, vehicle_year: c.vehicle_year }).select('id').single()
  if (i.error) throw new Error(`insert intake: ${i.error.message}`)
  const s = await sb.from('sessions').insert({ type: c.session_type, intake_id: i.data.id }).select('id').single()
  if (s.error) throw new Error(`insert session: ${s.error.message}`)
  const a = await sb.from('session_assignments').insert({ session_id: s.data.id, status: 'queued' }).select('id').single()
  if (a.error) throw new Error(`insert assignment: ${a.error.message}`)
  const d = await sb.rpc('request_details', { p_ids: [a.data.id] })
  if (d.error) throw new Error(`request_details: ${d.error.message}`)
  return (d.data as RequestRow[])[0]
}

export interface SimulateOptions {
  count: number
  /** Pause between requests (ms). */
  intervalMs?: number
  /** Send the legacy session_requests_feed broadcast after each commit (default true). */
  broadcast?: boolean
  seed?: number
  /** Called after each request is committed (and broadcast). */
  onRequest?: (r: RequestRow, committedAt: number) => void
}

/** N customer requests. Uses a real transaction per request when `sql` is given, else REST. */
export async function simulateRequests(t: SimTarget, o: SimulateOptions): Promise<RequestRow[]> {
  const rand = rng(o.seed)
  const out: RequestRow[] = []
  const sb = t.sql ? null : serviceClient(t)
  if (!t.sql) resolve(t).log('no database access: writing over REST (three inserts, not one transaction)')
  const run = async (pool: pg.Pool | null) => {
    for (let n = 0; n < o.count; n++) {
      if (n > 0 && o.intervalMs) await new Promise((r) => setTimeout(r, o.intervalMs))
      const c = fakeCustomer(rand)
      const row = pool ? await insertRequest(pool, c) : await insertRequestRest(sb!, c)
      const committedAt = Date.now()
      if (o.broadcast !== false) await sendLegacyBroadcast(t, 'new_request', row)
      out.push(row)
      o.onRequest?.(row, committedAt)
    }
  }
  if (t.sql) await withPool(t.sql, run)
  else await run(null)
  return out
}

async function oldestQueued(t: SimTarget): Promise<string> {
  const sb = serviceClient(t)
  const r = await sb.rpc('queued_requests', { p_limit: 1 })
  if (r.error) throw new Error(`queued_requests: ${r.error.message}`)
  const rows = r.data as RequestRow[]
  if (!rows.length) throw new Error('no queued request to act on')
  return rows[0].id
}

async function detailsOf(t: SimTarget, id: string): Promise<RequestRow | null> {
  const r = await serviceClient(t).rpc('request_details', { p_ids: [id] })
  if (r.error) throw new Error(`request_details: ${r.error.message}`)
  return (r.data as RequestRow[])[0] ?? null
}

/**
 * Another mechanic takes a request: signs in (default: demo mechanic 3) and calls rpc accept_request, the same
 * path the app uses; then the legacy request_accepted broadcast.
 */
export async function acceptRequest(t: SimTarget, idOrOldest: string, as: { email: string; password: string } = DEMO_MECHANICS[2]): Promise<{ id: string; ok: boolean; reason: string | null }> {
  const { url } = resolve(t)
  const id = idOrOldest === 'oldest' ? await oldestQueued(t) : idOrOldest
  const anon = (await fetchAnonKey(t)) ?? resolve(t).key
  const sb = createClient(url, anon, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: ws as never } })
  const s = await sb.auth.signInWithPassword({ email: as.email, password: as.password })
  if (s.error) throw new Error(`sign in as ${as.email}: ${s.error.message}`)
  const r = await sb.rpc('accept_request', { p_request_id: id })
  await sb.auth.signOut().catch(() => undefined)
  if (r.error) throw new Error(`accept_request: ${r.error.message}`)
  const res = r.data as { ok: boolean; reason: string | null }
  if (res.ok) {
    const row = await detailsOf(t, id)
    if (row) await sendLegacyBroadcast(t, 'request_accepted', row)
  }
  return { id, ...res }
}

/** The customer cancels: the shop backend (service role) sets the queued assignment to cancelled. */
export async function cancelRequest(t: SimTarget, idOrOldest: string): Promise<{ id: string; ok: boolean }> {
  const id = idOrOldest === 'oldest' ? await oldestQueued(t) : idOrOldest
  const sb = serviceClient(t)
  const r = await sb.from('session_assignments').update({ status: 'cancelled' }).eq('id', id).eq('status', 'queued').select('id')
  if (r.error) throw new Error(`cancel: ${r.error.message}`)
  const ok = (r.data ?? []).length === 1
  if (ok) {
    const row = await detailsOf(t, id)
    if (row) await sendLegacyBroadcast(t, 'request_cancelled', row)
  }
  return { id, ok }
}

/** The local backend tells the service role its database URL and anon key; a real project does not. */
async function controlHealth(t: SimTarget): Promise<{ databaseUrl?: string; anonKey?: string } | null> {
  const { url, key } = resolve(t)
  try {
    const r = await fetch(`${url}/_control/health`, { headers: { Authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(5000) })
    return r.ok ? ((await r.json()) as { databaseUrl?: string; anonKey?: string }) : null
  } catch {
    return null
  }
}
async function fetchAnonKey(t: SimTarget): Promise<string | null> {
  return (await controlHealth(t))?.anonKey ?? null
}

// ── CLI ──
function parseArgs(argv: string[]) {
  const o: Record<string, string | boolean> = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) continue
    const [k, v] = a.slice(2).split('=', 2)
    if (v !== undefined) o[k] = v
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) o[k] = argv[++i]
    else o[k] = true
  }
  return o
}

async function main() {
  const a = parseArgs(process.argv.slice(2))
  if (a.help) {
    console.log('usage: npm run simulate -- --count N [--interval ms] [--seed n] [--no-broadcast] [--url URL] [--service-key KEY]\n' +
      '       npm run simulate -- --accept <id|oldest> [--as email:password]\n       npm run simulate -- --cancel <id|oldest>')
    return
  }
  const t: SimTarget = {
    url: (a.url as string) ?? process.env.SUPABASE_URL ?? DEFAULT_URL,
    serviceKey: (a['service-key'] as string) ?? process.env.SUPABASE_SERVICE_ROLE_KEY ?? DEMO_SERVICE_ROLE_KEY,
  }
  if (a.accept) {
    let as = DEMO_MECHANICS[2]
    if (typeof a.as === 'string') {
      const [email, ...pw] = a.as.split(':')
      as = { ...as, email, password: pw.join(':') }
    }
    const r = await acceptRequest(t, String(a.accept), as)
    console.log(JSON.stringify({ action: 'accept', as: as.email, ...r }))
    return
  }
  if (a.cancel) {
    console.log(JSON.stringify({ action: 'cancel', ...(await cancelRequest(t, String(a.cancel))) }))
    return
  }
  const count = Number(a.count ?? 1)
  if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a positive integer')
  const health = await controlHealth(t)
  if (health?.databaseUrl) t.sql = health.databaseUrl
  await simulateRequests(t, {
    count,
    intervalMs: a.interval ? Number(a.interval) : 0,
    broadcast: !a['no-broadcast'],
    seed: a.seed ? Number(a.seed) : undefined,
    onRequest: (r) =>
      console.log(JSON.stringify({ id: r.id, queued_at: r.queued_at, customer: r.customer_name, vehicle: `${r.vehicle_year} ${r.vehicle_make} ${r.vehicle_model}`, concern: r.concern })),
  })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(`simulate: ${(e as Error).message}`)
    process.exit(1)
  })
}
