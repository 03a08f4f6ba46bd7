// Logs a person can send, end to end with real processes: a headless run against the local backend
// writes <data dir>/logs/bayalert.log (JSON lines, no password, key or token), then
// `npm run doctor -- --json --export FILE` bundles the checks, versions, settings and those log lines
// into one file in which no customer name, vehicle or concern of the queue appears — even when a log
// line quotes one — and no secret either.
import { spawn } from 'node:child_process'
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { DEMO_SERVICE_ROLE_KEY } from '../backend/index.js'
import { backend, createRequest } from './helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')
const JWT_RE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/

let b: Backend
const dirs: string[] = []
beforeAll(async () => {
  b = await backend()
}, 120_000)
afterAll(async () => {
  await b?.stop()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a CLI to its exit (or, with `until`, SIGTERMs it once `until` matches stdout); bounded by `ms`. */
function run(script: string, args: string[], env: Record<string, string>, ms: number, until?: (stdout: string) => boolean): Promise<Ran> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BAYALERT_NO_NOTIFIER: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let signalled = false
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
    if (until && !signalled && until(stdout)) {
      signalled = true
      proc.kill('SIGTERM')
    }
  })
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((res, rej) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL')
      rej(new Error(`${script} did not finish within ${ms} ms; stdout: ${stdout.slice(-2000)} stderr: ${stderr.slice(-2000)}`))
    }, ms)
    proc.on('exit', (code) => {
      clearTimeout(t)
      res({ code, stdout, stderr })
    })
  })
}

describe('logs and doctor --export', () => {
  it('the headless log file and the exported bundle hold no secret and no customer data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'bayalert-export-'))
    dirs.push(dataDir)
    const env = {
      SUPABASE_URL: b.url,
      SUPABASE_ANON_KEY: b.anonKey,
      BAYALERT_EMAIL: b.demoUsers[0]!.email,
      BAYALERT_PASSWORD: b.demoUsers[0]!.password,
      BAYALERT_DATA_DIR: dataDir,
    }
    const customers = [
      { name: "Robert'); DROP TABLE intakes;--", concern: '<script>alert("concern")</script> pedal judder', make: 'Wartburg', model: 'Tourist', year: 1989 },
      { name: 'Zoë Ångström-Nakamura', concern: 'Grinding noise when braking downhill', make: 'Trabant', model: 'Kombi', year: 1990 },
    ]
    const reqs = await Promise.all(customers.map((c) => createRequest(b, c)))

    // Headless until both requests have rung, then a clean SIGTERM (which closes the log file).
    const rung = (out: string) => {
      const alerts = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { type: string; requestId?: string; summaryOf?: string[] })
        .filter((l) => l.type === 'alert')
      return reqs.every((r) => alerts.some((a) => a.requestId === r.id || a.summaryOf?.includes(r.id)))
    }
    const headless = await run('src/cli/headless.ts', ['--json', '--no-ui'], env, 60_000, rung)
    expect(headless.code, headless.stderr).toBe(0)

    const logPath = join(dataDir, 'logs', 'bayalert.log')
    expect(existsSync(logPath)).toBe(true)
    expect(statSync(logPath).mode & 0o777).toBe(0o600)
    const logText = readFileSync(logPath, 'utf8')
    const records = logText.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(records.length).toBeGreaterThan(0)
    expect(records.every((r) => r.scope === 'headless' && typeof r.level === 'string' && typeof r.time === 'string')).toBe(true)
    expect(records.some((r) => r.msg === 'stopping (SIGTERM)')).toBe(true)
    const secrets = [env.BAYALERT_PASSWORD, b.anonKey, b.serviceRoleKey, DEMO_SERVICE_ROLE_KEY]
    for (const s of secrets) expect(logText.includes(s), `a secret (${s.slice(0, 4)}…) in the log file`).toBe(false)
    expect(logText).not.toMatch(JWT_RE)

    // A log line quoting customer data, as a careless future log call would write it.
    appendFileSync(logPath, `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), scope: 'engine', msg: `details for ${customers[0]!.name}: 1989 Wartburg Tourist`, concern: customers[1]!.concern, note: `ringing ${customers[1]!.name}` })}\n`)

    const file = join(dataDir, 'bundle.json')
    const doctor = await run('src/cli/doctor.ts', ['--json', '--export', file], env, 40_000)
    expect(doctor.code, doctor.stderr).toBe(0)
    expect(doctor.stdout.trim().split('\n')).toHaveLength(1) // stdout stays the doctor's one JSON object
    expect(JSON.parse(doctor.stdout).ok).toBe(true)
    expect(doctor.stderr).toContain(`diagnostics written to ${resolve(file)}`)

    const text = readFileSync(file, 'utf8'); require('node:fs').writeFileSync('/tmp/logs-bundle-sample.json', text)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    for (const c of customers) {
      for (const needle of [c.name, c.concern, c.make, c.model, `${c.year} ${c.make} ${c.model}`]) {
        expect(text.toLowerCase().includes(needle.toLowerCase()), `customer data "${needle}" in the bundle`).toBe(false)
      }
    }
    for (const part of ['Ångström-Nakamura', 'DROP TABLE', 'pedal judder']) expect(text).not.toContain(part)
    for (const s of secrets) expect(text.includes(s), `a secret (${s.slice(0, 4)}…) in the bundle`).toBe(false)
    expect(text).not.toMatch(JWT_RE)
    const { rows } = await b.sql.query<{ token: string }>(
      'select t.token from auth.refresh_tokens t join auth.users u on u.id::text = t.user_id where u.email = $1',
      [env.BAYALERT_EMAIL],
    )
    for (const { token } of rows) expect(text.includes(token), 'a refresh token in the bundle').toBe(false)

    const bundle = JSON.parse(text) as Record<string, any>
    expect(bundle).toMatchObject({
      format: 'bayalert-diagnostics/1',
      host: 'headless',
      versions: { app: expect.any(String), node: process.versions.node, supabaseJs: expect.stringMatching(/^2\./), os: expect.any(String) },
      settings: { supabaseUrl: b.url, keyKind: 'anon-jwt', credentialsGiven: true, dataDir, email: expect.stringMatching(/^m…@/) },
      logs: { dir: join(dataDir, 'logs'), problems: [] },
    })
    expect(bundle.checks.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['config', 'auth', 'realtime', 'rls: queued_requests']))
    // Removing customer data does not garble the rest: "TABLE" in a hostile name leaves the word "table" alone.
    expect(bundle.checks.find((c: { name: string }) => c.name === 'workstation_health').detail).toBe('table present: heartbeats will be written')
    expect(bundle.logs.lineCount).toBe(records.length + 1)
    expect(bundle.logs.lines.at(-1)).toMatchObject({ msg: 'details for [customer]: [customer]', concern: '[customer data removed]', note: 'ringing [customer]' })
  }, 120_000)

  it('--export without a file name: exit 2 and says what it needs', async () => {
    const r = await run('src/cli/doctor.ts', ['--export'], {}, 20_000)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--export needs a file name/)
  })
})
