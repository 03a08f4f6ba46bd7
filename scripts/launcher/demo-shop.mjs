// `npm start`'s demo shop: where its data lives and how it is reset. With no shop configured, npm start
// runs the local backend as the shop and the app as its first demo mechanic. Both keep their data under one
// directory, so a restart continues the same shop with the same queue (the app restores its queue from its
// store and the server confirms it), and one reset clears both:
//
//   <repo>/.bayalert/demo/            the app's data (SQLite store, headless session, headless.lock);
//                                     BAYALERT_DATA_DIR overrides it. src/cli/settings.ts resolves the same
//                                     directory for headless and doctor when no shop is configured.
//   <repo>/.bayalert/demo/shop/       the demo shop's database (npm run backend --dir);
//                                     BAYALERT_BACKEND_DIR overrides it.
//
// `npm start -- --reset-demo` (or BAYALERT_RESET_DEMO=1) deletes the shop's database and the app's store and
// session before starting, and refuses while a demo shop or headless app still runs on them.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'

/**
 * The app's store, its journal files, the held journal (ring marks kept while the store could not be written;
 * applied to the store at the next start — a reset store must not inherit them) and the headless session:
 * everything the app keeps per data dir.
 */
export const APP_DATA_FILES = ['bayalert.db', 'bayalert.db-wal', 'bayalert.db-shm', 'bayalert.db-journal', 'bayalert.db.held.jsonl', 'secrets.json']

/** `.bayalert/demo` in the repository: the demo's data, apart from a real workstation's store. */
export function defaultDemoDataDir(root) {
  return join(root, '.bayalert', 'demo')
}

/** @returns {{ dataDir: string, shopDir: string }} */
export function demoDirs(root, env) {
  const dataDir = resolve(env.BAYALERT_DATA_DIR || defaultDemoDataDir(root))
  const shopDir = resolve(env.BAYALERT_BACKEND_DIR || join(dataDir, 'shop'))
  return { dataDir, shopDir }
}

/**
 * `npm start` arguments. Only --reset-demo (and --help) exist; anything else is a mistake worth stopping for
 * rather than an option silently ignored.
 * @returns {{ resetDemo: boolean, help: boolean, problems: string[] }}
 */
export function parseStartArgs(argv, env) {
  const out = { resetDemo: /^(1|true|yes|on)$/i.test(String(env.BAYALERT_RESET_DEMO ?? '').trim()), help: false, problems: [] }
  for (const a of argv) {
    if (a === '--reset-demo') out.resetDemo = true
    else if (a === '--help' || a === '-h') out.help = true
    else if (a !== '--') out.problems.push(`unknown option ${a.slice(0, 40)}`)
  }
  return out
}

function alive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return e?.code === 'EPERM'
  }
}

/** The pid on a file's first line (postmaster.pid) or in its JSON `pid` (headless.lock), when that process lives. */
function livePid(file) {
  let text
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return null
  }
  let pid = Number(text.split('\n')[0])
  if (!Number.isInteger(pid)) {
    try {
      pid = Number(JSON.parse(text)?.pid)
    } catch {
      return null
    }
  }
  return alive(pid) ? pid : null
}

/**
 * Deletes the demo shop's database and the app's demo store and session. Only the files named here are
 * removed: a BAYALERT_DATA_DIR pointing somewhere else keeps everything that is not BayAlert's.
 * @returns {{ ok: true, removed: string[] } | { ok: false, reason: string }}
 */
export function resetDemo({ dataDir, shopDir }) {
  const shopPid = livePid(join(shopDir, 'pgdata', 'postmaster.pid'))
  if (shopPid) return { ok: false, reason: `the demo shop's database is running (pid ${shopPid}); stop the other npm start or npm run backend first` }
  const appPid = livePid(join(dataDir, 'headless.lock'))
  if (appPid && appPid !== process.pid) return { ok: false, reason: `BayAlert is running on ${dataDir} (pid ${appPid}); stop it first` }
  const removed = []
  for (const target of [join(shopDir, 'pgdata'), ...APP_DATA_FILES.map((f) => join(dataDir, f))]) {
    if (!existsSync(target)) continue
    rmSync(target, { recursive: true, force: true })
    removed.push(target)
  }
  return { ok: true, removed }
}

/**
 * Creates the demo data directory (0700, as the app does) and makes sure the shop's database server can
 * reach its directory. As root, the backend runs PostgreSQL as the unprivileged `postgres` user (initdb
 * refuses to run as root), and that user must pass through every directory above the database: the demo
 * data dir and the repository's own `.bayalert` directories get search permission for others (0711:
 * enter, not list; the app's files in them stay 0600). Returns null, or why the shop cannot keep its data there (a directory
 * that user cannot enter, e.g. a repository under /root).
 * @returns {string | null}
 */
export function prepareDemoDirs({ dataDir, shopDir }, { root, isRoot }) {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  if (!isRoot) return null
  // Ours to open up: the demo data dir (when the shop is inside it) and the repository's .bayalert dirs.
  const inside = (p, dir) => p === dir || p.startsWith(dir + sep)
  const own = join(root, '.bayalert')
  for (let p = dirname(shopDir); inside(p, dataDir) || inside(p, own); p = dirname(p)) {
    if (existsSync(p)) chmodSync(p, statSync(p).mode | 0o011)
  }
  for (let p = dirname(shopDir); ; p = dirname(p)) {
    if (existsSync(p)) {
      const mode = statSync(p).mode
      if ((mode & 0o001) === 0) return `the database server runs as the postgres user, which cannot enter ${p} (mode ${(mode & 0o777).toString(8)})`
    }
    if (dirname(p) === p) return null
  }
}
