// A shop on a NEW Supabase project (no automatic grants on public, Supabase changelog #45329), or an old one whose
// grants someone stripped: every privilege of the API roles on public is revoked, the migrations are applied again,
// and the app must work from what they grant alone — doctor all green, a request rings with full details on
// either realtime path, and an accept claims it. Applying the migrations yet again changes nothing.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { applyFiles, schemaFiles } from '../backend/postgres.js'
import { signedIn } from '../backend/helpers.js'
import { backend, createRequest, startEngine, until, waitForState, type TestEngine, onFallback } from './helpers.js'

const ROOT = resolve(import.meta.dirname, '../..')
const migrations = () => schemaFiles().filter((f) => f.includes('/supabase/migrations/'))

let b: Backend
const dirs: string[] = []
const engines: TestEngine[] = []

beforeAll(async () => {
  b = await backend({ legacyDefaultGrants: false })
  await b.sql.query(`
    revoke all on all tables in schema public from anon, authenticated, service_role;
    revoke all on all sequences in schema public from anon, authenticated, service_role;
    revoke all on all functions in schema public from public, anon, authenticated, service_role;`)
}, 120_000)
afterEach(async () => {
  b.faults.clear()
  for (const t of engines.splice(0)) await t.stop()
})
afterAll(async () => {
  await b?.stop()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

interface Check {
  name: string
  status: 'ok' | 'warn' | 'fail' | 'skip'
  detail: string
}

/** `npm run doctor -- --json` as a child process (bounded), as a configured mechanic. */
function doctor(ms = 30_000): Promise<{ code: number | null; checks: Check[]; output: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bayalert-newproj-'))
  dirs.push(dataDir)
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/doctor.ts', '--json'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      BAYALERT_NO_NOTIFIER: '1',
      SUPABASE_URL: b.url,
      SUPABASE_ANON_KEY: b.anonKey,
      BAYALERT_EMAIL: b.demoUsers[0]!.email,
      BAYALERT_PASSWORD: b.demoUsers[0]!.password,
      BAYALERT_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((res, rej) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL')
      rej(new Error(`doctor did not exit within ${ms} ms: ${out} ${err.slice(-2000)}`))
    }, ms)
    proc.on('exit', (code) => {
      clearTimeout(t)
      try {
        res({ code, checks: (JSON.parse(out.trim()) as { checks: Check[] }).checks, output: out + err })
      } catch (e) {
        rej(new Error(`doctor stdout is not one JSON object (${(e as Error).message}): ${out.slice(0, 2000)} ${err.slice(-2000)}`))
      }
    })
  })
}

/** Everything the migrations decide about access: privileges, policies, function security, constraints. */
async function accessSnapshot(): Promise<unknown[]> {
  const q = async (text: string) => (await b.sql.query(text)).rows
  return [
    await q(`select c.relname, c.relacl::text as acl,
                    array(select a.attname || '=' || a.attacl::text from pg_attribute a
                           where a.attrelid = c.oid and a.attacl is not null order by a.attnum) as column_acls
               from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'v', 'S') order by 1`),
    await q(`select p.oid::regprocedure::text as fn, p.proacl::text as acl, p.prosecdef, md5(p.prosrc) as src
               from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1`),
    await q(`select schemaname, tablename, policyname, roles::text, cmd, qual, with_check from pg_policies
              where schemaname in ('public', 'realtime') order by 1, 2, 3`),
    await q(`select conrelid::regclass::text as rel, conname, pg_get_constraintdef(oid) as def from pg_constraint
              where connamespace = 'public'::regnamespace order by 1, 2`),
  ]
}

describe('a project with no grants but the migrations’ own', () => {
  it('after the revoke nothing works; after re-applying the migrations doctor passes, requests ring with details, accept claims', async () => {
    // The revoke bit: a mechanic cannot read the queue at all.
    const m = await signedIn(b, b.demoUsers[0]!)
    const denied = await m.rpc('queued_requests', { p_limit: 1 })
    expect(denied.error?.code).toBe('42501')

    await applyFiles(b.databaseUrl, migrations(), () => undefined)

    const d = await doctor()
    // 'sinks' and 'alert path' describe this machine (no OS notifier, no desktop session bus here), not the project.
    const notOk = d.checks.filter((c) => c.status !== 'ok' && !((c.name === 'sinks' || c.name === 'alert path') && c.status === 'warn'))
    expect(notOk, d.output.slice(-3000)).toEqual([])
    expect(d.code).toBe(0)
    for (const n of ['auth', 'realtime', 'rls: queued_requests', 'rls: is_mechanic', 'rls: feature_flags', 'flags', 'workstation_health']) {
      expect(d.checks.find((c) => c.name === n)?.status, n).toBe('ok')
    }

    const t = await startEngine(b)
    engines.push(t)
    await waitForState(t.engine, 'live', 15_000)
    await t.engine.feed!.idle()

    await onFallback(t)
    // postgres_changes alone: the event must carry a record (a SELECT grant on session_assignments), and the
    // details come from request_details (grants on the view and the intake columns it reads).
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 10 })
    const viaChanges = await createRequest(b, { name: 'Changes Path', concern: 'Grinding brakes' })
    await until(() => t.sink.rung().includes(viaChanges.id), 3000, 'ring via postgres_changes')
    b.faults.clear()
    // The private database broadcast alone (its trigger and realtime.send run as the migration's owner).
    b.faults.realtimeMessages({ kind: 'postgres_changes', action: 'drop', count: 10 })
    const viaBroadcast = await createRequest(b, { name: 'Broadcast Path', concern: 'Flat tyre' })
    await until(() => t.sink.rung().includes(viaBroadcast.id), 3000, 'ring via the database broadcast')
    b.faults.clear()
    for (const [r, concern] of [[viaChanges, 'Grinding brakes'], [viaBroadcast, 'Flat tyre']] as const) {
      const a = t.sink.alerts.find((x) => x.requestId === r.id)!
      expect(a.detail, r.name).toBe('full')
      expect(a.title).toContain(r.name)
      expect(a.body).toContain(concern)
    }
    expect(t.engine.snapshot().queue.find((q) => q.requestId === viaChanges.id)?.firstSource).toBe('postgres_changes')
    expect(t.engine.snapshot().queue.find((q) => q.requestId === viaBroadcast.id)?.firstSource).toBe('db-broadcast')
    expect(t.engine.snapshot().health.counters['postgres_changes:rejected'] ?? 0).toBe(0)

    expect(await t.engine.accept(viaChanges.id)).toEqual({ ok: true })
    const row = await b.sql.query('select status, mechanic_id from public.session_assignments where id = $1', [viaChanges.id])
    expect(row.rows[0]).toEqual({ status: 'accepted', mechanic_id: b.demoUsers[0]!.id })
    await until(() => !t.engine.snapshot().queue.some((q) => q.requestId === viaChanges.id), 3000, 'accepted request leaves the queue')
  }, 120_000)

  it('applying the migrations twice more is clean and changes no privilege, policy, function or constraint', async () => {
    await applyFiles(b.databaseUrl, migrations(), () => undefined)
    const before = await accessSnapshot()
    await applyFiles(b.databaseUrl, migrations(), () => undefined)
    await applyFiles(b.databaseUrl, migrations(), () => undefined)
    expect(await accessSnapshot()).toEqual(before)
    expect((await b.sql.query('select count(*)::int n from public.feature_flags')).rows[0].n).toBe(4)
  }, 60_000)
})
