// The realtime fake's side of PostgreSQL: the LISTEN connection that receives captured changes and database
// broadcasts (test/backend/sql/realtime.sql), table metadata, the per-subscriber filter/RLS check (supabase/realtime postgres_cdc_rls)
// and the private-channel authorisation probes (broadcast from the database, supabase.com/docs/guides/realtime/broadcast).
import pg from 'pg'
import type { Logger } from './log.js'
import type { ParsedFilter } from './protocol.js'

export interface ColumnMeta {
  name: string
  type: string
}

export interface TableMeta {
  oid: number
  schema: string
  table: string
  /** `"schema"."table"`, safe to splice into SQL. */
  qualified: string
  rls: boolean
  /** pg_class.relreplident: d(efault = PK), n(othing), f(ull), i(ndex). */
  replident: string
  columns: ColumnMeta[]
  pk: string[]
}

/** A change as captured by realtime.capture_change(). */
export interface CapturedChange {
  k: 'change'
  seq: number
  schema: string
  table: string
  relid: number
  type: 'INSERT' | 'UPDATE' | 'DELETE'
  /** The transaction's commit time as the server saw the commit arrive: equal for every row of one transaction. */
  ts: string
  record: Record<string, unknown> | null
  old: Record<string, unknown> | null
  too_large: boolean
}

export interface CapturedBroadcast {
  k: 'broadcast'
  seq: number
  id: string
  topic: string
  event: string
  payload: unknown
  private: boolean
}

export type Captured = CapturedChange | CapturedBroadcast

export interface VisibilityQuery {
  key: string
  role: string
  claims: Record<string, unknown>
  filters: ParsedFilter[]
}

export interface DatabaseEvents {
  onCapture(item: Promise<Captured | null>, receivedAt: number): void
  onListenerDown(err: Error | null): void
  onListenerUp(firstTime: boolean): void
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export class RealtimeDatabase {
  readonly pool: pg.Pool
  private listener: pg.Client | null = null
  private closed = false
  private everUp = false
  private reconnectTimer: NodeJS.Timeout | null = null
  private backoffMs = 0
  private generation = 0
  private metaCache = new Map<string, TableMeta>()
  private privCache = new Map<string, Set<string>>()
  private pruneTimer: NodeJS.Timeout | null = null
  listening = false

  constructor(
    private readonly connectionString: string,
    private readonly log: Logger,
    private readonly events: DatabaseEvents,
  ) {
    this.pool = new pg.Pool({ connectionString, max: 4, idleTimeoutMillis: 10_000 })
    // An idle client dying (PostgreSQL restarting) emits here; without a handler it would crash the process.
    this.pool.on('error', (err) => this.log.warn(`realtime: idle database connection failed: ${err.message}`))
    // pg-pool listens only while a client is idle: one checked out between two queries of asRole's transaction when
    // PostgreSQL restarts would throw its 'error' (57P01) as an uncaught exception and end the whole process (the
    // chaos run's second PostgreSQL restart did). One listener per client for its whole life logs it instead.
    this.pool.on('connect', (client) => client.on('error', (err) => this.log.warn(`realtime: database connection lost: ${err.message}`)))
  }

  async start(): Promise<void> {
    this.closed = false
    await this.connectListener()
    this.pruneTimer = setInterval(() => void this.pruneOverflow(), 30_000)
    this.pruneTimer.unref()
  }

  /** Drop and re-open the LISTEN connection (restart(): anything in flight is lost, nothing replayed). */
  async restartListener(): Promise<void> {
    this.generation++
    const old = this.listener
    this.listener = null
    this.listening = false
    if (old) await old.end().catch(() => {})
    this.metaCache.clear()
    this.privCache.clear()
    await this.connectListener()
  }

  async close(): Promise<void> {
    this.closed = true
    this.generation++
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    if (this.pruneTimer) clearInterval(this.pruneTimer)
    const l = this.listener
    this.listener = null
    this.listening = false
    if (l) await l.end().catch(() => {})
    await this.pool.end().catch(() => {})
  }

  private async connectListener(): Promise<void> {
    const gen = this.generation
    const client = new pg.Client({ connectionString: this.connectionString })
    let failed = false
    const onFail = (err: Error | null) => {
      if (failed) return
      failed = true
      if (gen !== this.generation || this.closed) return
      this.listener = null
      const wasListening = this.listening
      this.listening = false
      if (wasListening) this.events.onListenerDown(err)
      this.scheduleReconnect(err)
    }
    client.on('error', (err) => onFail(err))
    client.on('end', () => onFail(null))
    client.on('notification', (n) => {
      if (gen !== this.generation || n.channel !== 'realtime_capture' || !n.payload) return
      const receivedAt = Date.now()
      this.events.onCapture(this.decodeCapture(n.payload, receivedAt), receivedAt)
    })
    try {
      await client.connect()
      await client.query('LISTEN realtime_capture')
      // Tables added to the publication since the SQL ran (or while the event trigger was unavailable).
      await client.query('select realtime.sync_capture_triggers()')
    } catch (err) {
      client.end().catch(() => {})
      onFail(err as Error)
      return
    }
    if (gen !== this.generation || this.closed) {
      await client.end().catch(() => {})
      return
    }
    this.listener = client
    this.listening = true
    this.backoffMs = 0
    const first = !this.everUp
    this.everUp = true
    if (!first) this.log.info('realtime: change listener reconnected to PostgreSQL')
    this.metaCache.clear()
    this.privCache.clear()
    this.events.onListenerUp(first)
  }

  private scheduleReconnect(err: Error | null): void {
    if (this.closed || this.reconnectTimer) return
    this.backoffMs = Math.min(5_000, this.backoffMs ? this.backoffMs * 2 : 100)
    this.log.warn(`realtime: change listener lost (${err ? err.message : 'connection ended'}); reconnecting in ${this.backoffMs} ms`)
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      this.connectListener().catch((e) => this.log.error(`realtime: listener reconnect crashed: ${(e as Error).stack ?? e}`))
    }, this.backoffMs)
    this.reconnectTimer.unref()
  }

  private lastCommit: { xid: string; ts: string } | null = null

  /**
   * commit_timestamp of the transaction `xid`. NOTIFY delivers a transaction's notifications together, in commit
   * order, and only after the commit, so the time the first one arrives is never earlier than the commit and every
   * later row of the same transaction reuses it. Must run synchronously on arrival (before any await).
   */
  private commitTimestamp(xid: unknown, receivedAt: number): string {
    const key = typeof xid === 'string' ? xid : ''
    if (key && this.lastCommit?.xid === key) return this.lastCommit.ts
    const ts = new Date(receivedAt).toISOString()
    if (key) this.lastCommit = { xid: key, ts }
    else this.log.warn('realtime: capture notification without a transaction id; commit_timestamp taken per row')
    return ts
  }

  private async decodeCapture(text: string, receivedAt: number): Promise<Captured | null> {
    let msg: Record<string, unknown>
    try {
      msg = JSON.parse(text)
    } catch (e) {
      this.log.warn(`realtime: unparsable capture notification dropped: ${(e as Error).message}`)
      return null
    }
    const ts = this.commitTimestamp(msg.xid, receivedAt)
    if (typeof msg.ref === 'number') {
      // Parked in realtime.capture_overflow because NOTIFY payloads stop at 8000 bytes.
      try {
        const r = await this.pool.query('select payload from realtime.capture_overflow where seq = $1', [msg.ref])
        if (!r.rows[0]) {
          this.log.warn(`realtime: overflow capture ${msg.ref} vanished; change dropped`)
          return null
        }
        msg = r.rows[0].payload
      } catch (e) {
        this.log.warn(`realtime: reading overflow capture ${msg.ref} failed: ${(e as Error).message}; change dropped`)
        return null
      }
    }
    if (msg.k === 'privileges') {
      // A GRANT or REVOKE committed (realtime.on_privilege_ddl): re-read column privileges from the next change on.
      this.privCache.clear()
      return null
    }
    if (msg.k !== 'change' && msg.k !== 'broadcast') {
      this.log.warn(`realtime: unknown capture kind ${String(msg.k)} dropped`)
      return null
    }
    if (msg.k === 'change') msg.ts = ts
    return msg as unknown as Captured
  }

  private async pruneOverflow(): Promise<void> {
    try {
      await this.pool.query("delete from realtime.capture_overflow where created_at < now() - interval '2 minutes'")
    } catch (e) {
      this.log.debug(`realtime: overflow prune failed: ${(e as Error).message}`)
    }
  }

  /** Which actions publication supabase_realtime publishes (`publish = 'insert, update, delete'` by default). */
  publishes: Record<'INSERT' | 'UPDATE' | 'DELETE', boolean> = { INSERT: true, UPDATE: true, DELETE: true }

  async refreshPublishedActions(): Promise<void> {
    const r = await this.pool.query("select pubinsert, pubupdate, pubdelete from pg_publication where pubname = 'supabase_realtime'")
    const row = r.rows[0]
    if (row) this.publishes = { INSERT: row.pubinsert, UPDATE: row.pubupdate, DELETE: row.pubdelete }
  }

  /** Tables in publication supabase_realtime matching a binding's schema/table ('*' allowed for either). */
  async publishedTables(schema: string, table: string): Promise<Array<{ schema: string; table: string }>> {
    const r = await this.pool.query(
      `select schemaname as schema, tablename as table from pg_publication_tables
        where pubname = 'supabase_realtime' and ($1 = '*' or schemaname = $1) and ($2 = '*' or tablename = $2)
        order by 1, 2`,
      [schema, table],
    )
    return r.rows
  }

  /** Table metadata, refreshed on each subscribe (so grants or replica identity changes are seen). */
  async tableMeta(schema: string, table: string, refresh = false): Promise<TableMeta | null> {
    const key = `${schema}.${table}`
    const hit = this.metaCache.get(key)
    if (hit && !refresh) return hit
    const r = await this.pool.query(
      `select c.oid::bigint as oid, c.relrowsecurity as rls, c.relreplident as replident,
              format('%I.%I', n.nspname, c.relname) as qualified,
              exists(select from pg_trigger t where t.tgrelid = c.oid and t.tgname = 'realtime_capture') as has_trigger,
              (select json_agg(json_build_object('name', a.attname, 'type', t.typname) order by a.attnum)
                 from pg_attribute a join pg_type t on t.oid = a.atttypid
                where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
              (select coalesce(json_agg(a.attname order by k.ord), '[]')
                 from pg_index i
                 cross join lateral unnest(i.indkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
                where i.indrelid = c.oid and i.indisprimary) as pk
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relname = $2`,
      [schema, table],
    )
    const row = r.rows[0]
    if (!row) return null
    if (!row.has_trigger) {
      // The publication changed without the event trigger seeing it: install the capture trigger now.
      await this.pool.query('select realtime.sync_capture_triggers()')
    }
    const meta: TableMeta = {
      oid: Number(row.oid),
      schema,
      table,
      qualified: row.qualified,
      rls: row.rls,
      replident: row.replident,
      columns: row.columns ?? [],
      pk: row.pk ?? [],
    }
    this.metaCache.set(key, meta)
    return meta
  }

  cachedMeta(schema: string, table: string): TableMeta | undefined {
    return this.metaCache.get(`${schema}.${table}`)
  }

  /** Columns `role` may SELECT (has_column_privilege), cached per table and role; refreshed on subscribe. */
  async selectableColumns(meta: TableMeta, role: string, refresh = false): Promise<Set<string>> {
    const key = `${meta.oid}:${role}`
    const hit = this.privCache.get(key)
    if (hit && !refresh) return hit
    const r = await this.pool.query(
      `select a.attname as name from pg_attribute a
        where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
          and exists(select from pg_roles where rolname = $2)
          and has_column_privilege($2, a.attrelid, a.attnum, 'SELECT')`,
      [meta.oid, role],
    )
    const set = new Set<string>(r.rows.map((x: { name: string }) => x.name))
    this.privCache.set(key, set)
    return set
  }

  /** Check that a filter value casts to the column type (the real subscription_check_filters does the same). */
  async checkFilterValue(meta: TableMeta, f: ParsedFilter): Promise<string | null> {
    try {
      const r = await this.pool.query(
        `select format_type(atttypid, atttypmod) as t from pg_attribute where attrelid = $1 and attname = $2 and attnum > 0`,
        [meta.oid, f.column],
      )
      if (!r.rows[0]) return `invalid column for filter ${f.column}`
      const type = f.op === 'in' ? `${r.rows[0].t}[]` : r.rows[0].t
      await this.pool.query(`select $1::${type}`, [f.value])
      return null
    } catch (e) {
      return (e as Error).message
    }
  }

  /** Filter + RLS visibility for each subscriber key, one round trip (realtime.fake_visible). */
  async visible(meta: TableMeta, action: string, rec: Record<string, unknown> | null, pk: Record<string, unknown>, subs: VisibilityQuery[]): Promise<Map<string, boolean>> {
    const r = await this.pool.query('select key, visible, error from realtime.fake_visible($1::bigint::regclass, $2, $3, $4, $5, $6)', [
      meta.oid,
      action,
      rec === null ? null : JSON.stringify(rec),
      meta.rls,
      JSON.stringify(pk),
      JSON.stringify(subs),
    ])
    const out = new Map<string, boolean>()
    for (const row of r.rows) {
      if (row.error) this.log.warn(`realtime: visibility check for ${meta.qualified} failed for a subscriber: ${row.error}`)
      out.set(row.key, row.visible)
    }
    return out
  }

  /** Broadcast rows to replay (broadcast from the database, supabase.com/docs/guides/realtime/broadcast): newest `limit` since `sinceMs`, within the 72 h retention, oldest first. */
  async replay(topic: string, sinceMs: number, limit: number): Promise<Array<{ id: string; event: string; payload: unknown }>> {
    if (limit <= 0) return []
    const r = await this.pool.query(
      `select id, event, payload from (
         select id, event, payload, inserted_at from realtime.messages
          where topic = $1 and extension = 'broadcast' and private is true
            and inserted_at >= (to_timestamp($2::float8 / 1000) at time zone 'UTC')
            and inserted_at > (now() at time zone 'UTC') - interval '72 hours'
          order by inserted_at desc limit $3) x
        order by inserted_at asc`,
      [topic, sinceMs, limit],
    )
    return r.rows
  }

  private async asRole<T>(claims: Record<string, unknown>, topic: string, fn: (c: pg.PoolClient) => Promise<T>, before?: (c: pg.PoolClient) => Promise<void>): Promise<T> {
    const c = await this.pool.connect()
    try {
      await c.query('begin')
      if (before) await before(c)
      await c.query(
        `select set_config('role', $1, true), set_config('realtime.topic', $2, true), set_config('request.jwt.claims', $3, true),
                set_config('request.jwt.claim.sub', $4, true), set_config('request.jwt.claim.role', $1, true),
                set_config('request.headers', '{}', true)`,
        [String(claims.role), topic, JSON.stringify(claims), typeof claims.sub === 'string' ? claims.sub : ''],
      )
      return await fn(c)
    } finally {
      await c.query('rollback').catch(() => {})
      c.release()
    }
  }

  /**
   * Private-channel read policies (supabase/realtime Authorization.get_read_authorizations): probe rows inserted as the admin in a transaction that is
   * always rolled back, then selected back as the subscriber's role; visible = allowed. Presence read is only
   * evaluated when presence is enabled on the channel (otherwise it is false), as the real server does.
   */
  async readPolicies(topic: string, claims: Record<string, unknown>, presenceEnabled: boolean): Promise<{ broadcast: boolean; presence: boolean }> {
    let ids: string[] = []
    return this.asRole(
      claims,
      topic,
      async (c) => {
        const r = await c.query<{ extension: string }>('select extension from realtime.messages where id = any($1::uuid[])', [ids])
        const seen = new Set(r.rows.map((x) => x.extension))
        return { broadcast: seen.has('broadcast'), presence: presenceEnabled && seen.has('presence') }
      },
      async (c) => {
        const r = await c.query(
          `insert into realtime.messages (topic, extension, private)
           select $1, e, true from unnest($2::text[]) e returning id`,
          [topic, presenceEnabled ? ['broadcast', 'presence'] : ['broadcast']],
        )
        ids = r.rows.map((x: { id: string }) => x.id)
      },
    )
  }

  /** Private-channel write permission: an INSERT under RLS, rolled back (insufficient_privilege → false). */
  async canWrite(topic: string, claims: Record<string, unknown>): Promise<boolean> {
    try {
      return await this.asRole(claims, topic, async (c) => {
        await c.query("insert into realtime.messages (topic, extension, private, event, payload) values ($1, 'broadcast', true, 'probe', '{}')", [topic])
        return true
      })
    } catch (e) {
      const code = (e as { code?: string }).code
      if (code !== '42501') this.log.warn(`realtime: write check on ${topic} failed: ${(e as Error).message}`)
      return false
    }
  }
}

export { sleep }
