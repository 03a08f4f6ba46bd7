// `npm run backend` (test/backend/cli.ts) as a child process: stdout is only KEY=value lines and then READY —
// among them SUPABASE_DB_URL, the superuser URL of its database as `supabase status` prints it — and the
// database behaves like a new Supabase project unless BAYALERT_BACKEND_LEGACY_GRANTS=1.
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const running: ChildProcess[] = []

afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.exitCode !== null || p.signalCode !== null) continue
    const exited = new Promise<void>((r) => p.once('exit', () => r()))
    p.kill('SIGTERM')
    const force = setTimeout(() => p.kill('SIGKILL'), 20_000)
    await exited
    clearTimeout(force)
  }
})

/** Starts the CLI on an ephemeral port; resolves with its KEY=value lines once READY is printed (bounded). */
function startCli(env: Record<string, string> = {}): Promise<{ lines: string[]; vars: Map<string, string> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/backend/cli.ts', '--port', '0', '--quiet'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TMPDIR: process.env.TMPDIR ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.push(proc)
  let stdout = ''
  let stderr = ''
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no READY within 90 s; stdout: ${stdout} stderr: ${stderr.slice(-2000)}`)), 90_000)
    proc.on('exit', (code) => {
      clearTimeout(t)
      rej(new Error(`backend exited with ${code} before READY; stderr: ${stderr.slice(-2000)}`))
    })
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      const lines = stdout.split('\n').filter((l) => l !== '')
      if (!lines.includes('READY')) return
      clearTimeout(t)
      const kv = lines.slice(0, lines.indexOf('READY'))
      res({ lines, vars: new Map(kv.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])) })
    })
  })
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  await c.connect()
  try {
    return (await c.query<T>(text)).rows
  } finally {
    await c.end()
  }
}

const anonDefaultGrants = `select count(*)::int as n from pg_default_acl
  where defaclnamespace = 'public'::regnamespace and defaclacl::text like '%anon=%'`

describe('npm run backend', () => {
  it('prints SUPABASE_DB_URL (the superuser URL of its database) with the other keys before READY; a new project by default', async () => {
    const { lines, vars } = await startCli()
    expect(lines[lines.length - 1]).toBe('READY')
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^[A-Z][A-Z0-9_]*=\S+$/)
    for (const k of ['SUPABASE_URL', 'SUPABASE_ANON_KEY', 'SUPABASE_SERVICE_ROLE_KEY', 'SUPABASE_DB_URL']) expect(vars.has(k), k).toBe(true)
    const dbUrl = vars.get('SUPABASE_DB_URL')!
    expect(dbUrl).toMatch(/^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/[a-z0-9_]+$/)
    const [me] = await query<{ superuser: boolean; has_flags: boolean }>(
      dbUrl,
      `select (select rolsuper from pg_roles where rolname = current_user) as superuser,
              to_regclass('public.feature_flags') is not null as has_flags`,
    )
    expect(me).toEqual({ superuser: true, has_flags: true })
    expect((await query<{ n: number }>(dbUrl, anonDefaultGrants))[0].n).toBe(0)
  }, 120_000)

  it('BAYALERT_BACKEND_LEGACY_GRANTS=1: the old default grants to the API roles', async () => {
    const { vars } = await startCli({ BAYALERT_BACKEND_LEGACY_GRANTS: '1' })
    expect((await query<{ n: number }>(vars.get('SUPABASE_DB_URL')!, anonDefaultGrants))[0].n).toBeGreaterThan(0)
  }, 120_000)
})
