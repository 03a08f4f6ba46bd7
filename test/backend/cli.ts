// `npm run backend`: the local shop backend in the foreground.
// stdout carries only KEY=value lines and then READY — a contract: npm start and scripts parse it, so lines
// are only ever added, never renamed; logs go to stderr.
//   BAYALERT_BACKEND_DIR=dir   keep the database between runs (demo data survives)
//   BAYALERT_BACKEND_PORT=n    port (default 54321; 0 = ephemeral)
//   BAYALERT_BACKEND_PRIVATE_ONLY=1   realtime refuses public joins (a project with "allow public access" off)
//   BAYALERT_BACKEND_LEGACY_GRANTS=1  behave like a Supabase project created before 2026-05-30 (default grants
//                              to the API roles on everything in public); default: a new project, no such grants
//   --port N  --dir DIR  --token-lifetime SEC  --system-delay MS  --realtime-latency MS  --rest-latency MS
//   --join-error-delay MS (the real server: 5000)  --private-only  --quiet
import { startBackend, type Backend } from './index.js'
import { parseCliOptions, type CliOptions } from './cli-options.js'

async function main() {
  let cli: CliOptions
  try {
    cli = parseCliOptions(process.argv, process.env)
  } catch (e) {
    process.stderr.write(`[backend] could not start: ${(e as Error).message}\n`)
    process.exit(1)
  }
  const { quiet, dataDir } = cli
  const log = (m: string) => {
    if (!quiet || /fail|error|FATAL|PANIC/i.test(m)) process.stderr.write(`[backend] ${m}\n`)
  }
  let backend: Backend
  try {
    backend = await startBackend({ ...cli.backend, log })
  } catch (e) {
    process.stderr.write(`[backend] could not start: ${(e as Error).message}\n`)
    process.exit(1)
  }
  const lines = [
    `SUPABASE_URL=${backend.url}`,
    `SUPABASE_ANON_KEY=${backend.anonKey}`,
    `SUPABASE_SERVICE_ROLE_KEY=${backend.serviceRoleKey}`,
    `SUPABASE_JWT_SECRET=${backend.jwtSecret}`,
    // The superuser URL of this backend's database, as `supabase status` prints DB URL (psql, migrations).
    `SUPABASE_DB_URL=${backend.databaseUrl}`,
    ...backend.demoUsers.map((u, i) => `DEMO_MECHANIC_${i + 1}=${u.email}:${u.password}`),
    `DEMO_FRONT_DESK=${backend.frontDeskUser.email}:${backend.frontDeskUser.password}`,
    'READY',
  ]
  process.stdout.write(lines.join('\n') + '\n')
  log(`started in ${backend.timings.totalMs} ms (initdb ${backend.timings.initdbMs} ms)${dataDir ? `, data in ${dataDir}` : ''}`)
  if (cli.backend.privateOnly) log('realtime: public access off, only private channels may join')

  let stopping = false
  const shutdown = (sig: string) => {
    if (stopping) return
    stopping = true
    log(`${sig}: stopping`)
    const force = setTimeout(() => {
      log('stop took longer than 15 s; exiting')
      process.exit(1)
    }, 15_000)
    backend
      .stop()
      .then(() => {
        clearTimeout(force)
        process.exit(0)
      })
      .catch((e: unknown) => {
        log(`stop failed: ${(e as Error).message}`)
        process.exit(1)
      })
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

void main()
