// `npm run doctor -- [--json] [--export FILE] [--test-alert]`: one row per check — config, data dir + store, auth, realtime (join and the
// postgres_changes `system` ok within a deadline), RLS (queued_requests, feature_flags, is_mechanic),
// flags, workstation_health, sinks. Non-zero exit if any check fails. It signs in with a session of its
// own (memory only): reusing the headless session would rotate its refresh token from under it.
// --export FILE also writes the diagnostics bundle (cli/diagnostics.ts) after the checks. The "alert path" line
// says what on this machine would swallow an alert (Do Not Disturb, no notification daemon, muted output);
// --test-alert also fires one test alert through the OS notifier and says whether it was accepted.
import { join } from 'node:path'
import type { SupabaseClient } from '@supabase/supabase-js'
import { validateSettings, type ValidSettings } from '../core/config.js'
import { FEED_TOPIC, LinkSupervisor, SHOP_TOPIC } from '../core/link/supervisor.js'
import { describeRestError, restCall, type RestResult } from '../core/link/rest.js'
import { parseFlagRows } from '../core/feed/parse.js'
import { Store } from '../core/store/store.js'
import { HeldJournal, heldJournalPath } from '../core/store/held-journal.js'
import { DEFAULT_FLAGS, type LinkState } from '../shared/types.js'
import type { AlertSink, Logger } from '../core/ports.js'
import { systemClock } from '../core/ports.js'
import { detectNotifier, OsNotifierSink } from './notifier.js'
import { alertPathCheck, headlessAlertPath, notifierProof, testAlertCheck } from './alert-path.js'
import { runTestAlert } from '../core/alert-path/test-alert.js'
import type { AlertPathProbe } from '../core/alert-path/types.js'
import { exportHeadlessDiagnostics, takeExportArg } from './diagnostics.js'
import { appVersion, isMainModule, parseArgs, resolveSettings } from './settings.js'
import { MemorySecretStore } from '../core/memory-secret-store.js'
import type { DataDirSource } from './settings.js'

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip'
export interface Check {
  name: string
  status: CheckStatus
  detail: string
  ms?: number
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} }

export interface DoctorOptions {
  realtimeDeadlineMs?: number
  /** The alert-path probe (tests hand in one over a mocked command runner). */
  alertPath?: { probe: AlertPathProbe; detectorCount: number }
  /** Where a --test-alert goes (tests hand in a fake sink); default: this machine's OS notifier. */
  notifier?: () => { sink: AlertSink | null; why: string }
}

export async function runDoctor(argv: string[], opts: DoctorOptions = {}): Promise<{ checks: Check[]; ok: boolean }> {
  const checks: Check[] = []
  const add = (c: Check) => checks.push(c)
  const testAlert = argv.includes(TEST_ALERT_ARG)
  const args = parseArgs(argv.filter((a) => a !== TEST_ALERT_ARG))
  for (const p of args.problems) add({ name: 'arguments', status: 'fail', detail: p })
  // The same resolution as headless (and as npm start's demo): the store checked is the one the app uses.
  const { settings: raw, usingLocalDefaults, dataDirSource } = resolveSettings(args)
  const v = validateSettings(raw)
  if (!v.ok) {
    for (const p of v.problems) add({ name: `config: ${p.field}`, status: 'fail', detail: p.message })
    for (const n of ['data dir', 'auth', 'realtime', 'rls', 'flags', 'sinks']) add({ name: n, status: 'skip', detail: 'fix the configuration first' })
    return { checks, ok: false }
  }
  const s = v.settings
  add({
    name: 'config',
    status: 'ok',
    detail: `${s.supabaseUrl} with an ${s.keyKind === 'publishable' ? 'sb_publishable_ key' : 'anon JWT'} as ${s.email}${usingLocalDefaults ? ' (local backend defaults)' : ''}`,
  })
  add(checkStore(s, dataDirSource))
  add(checkSinks())
  // Beside the network checks (it asks only this machine), its lines in this place: what this machine would
  // swallow does not depend on the shop, and its few seconds at most must not eat the realtime deadline.
  const alertPathRun = checkAlertPath(opts, testAlert)
  const alertPathAt = checks.length
  const placeAlertPath = async () => void checks.splice(alertPathAt, 0, ...(await alertPathRun))

  const t0 = Date.now()
  const link = new LinkSupervisor({ supabaseUrl: s.supabaseUrl, anonKey: s.anonKey }, { secrets: new MemorySecretStore(), log: quiet, clock: systemClock })
  try {
    await link.start()
    try {
      await link.signIn(s.email, s.password)
      add({ name: 'auth', status: 'ok', detail: `signed in as ${s.email}`, ms: Date.now() - t0 })
    } catch (e) {
      add({ name: 'auth', status: 'fail', detail: (e as Error).message, ms: Date.now() - t0 })
      for (const n of ['realtime', 'rls', 'flags']) add({ name: n, status: 'skip', detail: 'needs a signed-in session' })
      await placeAlertPath()
      return { checks, ok: false }
    }
    // RLS and RPCs while realtime joins.
    const client = link.client
    const [queued, flags, mech, health] = await Promise.all([
      readQueue(client),
      restCall<unknown>(client, (c) => c.from('feature_flags').select('key,enabled'), 8000),
      restCall<unknown>(client, (c) => c.rpc('is_mechanic'), 8000),
      restCall<unknown>(client, (c) => c.from('workstation_health').select('workstation_id').limit(1), 8000),
    ])
    add(queueCheck(queued))
    add(
      mech.ok
        ? mech.data === true
          ? { name: 'rls: is_mechanic', status: 'ok', detail: 'this account is a mechanic', ms: mech.ms }
          : { name: 'rls: is_mechanic', status: 'fail', detail: 'this account is not in public.mechanics: row-level security will show it no requests', ms: mech.ms }
        : { name: 'rls: is_mechanic', status: 'warn', detail: `could not ask (${describeRestError(mech.error)})`, ms: mech.ms },
    )
    if (flags.ok) {
      const { flags: f, problems } = parseFlagRows(flags.data)
      const all = { ...DEFAULT_FLAGS, ...f }
      const text = Object.entries(all)
        .map(([k, on]) => `${k}=${on ? 'on' : 'OFF'}${k in f ? '' : ' (default)'}`)
        .join(', ')
      add({ name: 'rls: feature_flags', status: 'ok', detail: 'readable', ms: flags.ms })
      add({ name: 'flags', status: all.mech_new_request_alerts ? (problems.length ? 'warn' : 'ok') : 'warn', detail: `${text}${problems.length ? `; ${problems.join('; ')}` : ''}` })
    } else {
      add({ name: 'rls: feature_flags', status: 'fail', detail: describeRestError(flags.error), ms: flags.ms })
      add({ name: 'flags', status: 'skip', detail: 'feature_flags is not readable' })
    }
    add(
      health.ok
        ? { name: 'workstation_health', status: 'ok', detail: 'table present: heartbeats will be written', ms: health.ms }
        : health.error.kind === 'missing'
          ? { name: 'workstation_health', status: 'warn', detail: 'table missing: heartbeats are off (optional)', ms: health.ms }
          : { name: 'workstation_health', status: 'warn', detail: describeRestError(health.error), ms: health.ms },
    )
    add(await checkRealtime(link, opts.realtimeDeadlineMs ?? 15_000))
  } finally {
    await link.stop()
  }
  await placeAlertPath()
  return { checks, ok: checks.every((c) => c.status !== 'fail') }
}

/**
 * The queue as the app reads it: queued_requests_page, or queued_requests on a project without migration
 * 20261206000000_bayalert_queue_read.sql (the app falls back the same way; `legacy` says which was read).
 */
async function readQueue(client: SupabaseClient): Promise<RestResult<unknown[]> & { legacy: boolean }> {
  const args = { p_after_queued_at: null, p_after_id: null, p_limit: 1000 }
  const page = await restCall<unknown[]>(client, (c) => c.rpc('queued_requests_page', args), 8000)
  if (page.ok || page.error.kind !== 'missing') return { ...page, legacy: false }
  return { ...(await restCall<unknown[]>(client, (c) => c.rpc('queued_requests', args), 8000)), legacy: true }
}

/** The `rls: queued_requests` check (its name is part of the doctor's output contract). */
export function queueCheck(queued: RestResult<unknown[]> & { legacy: boolean }): Check {
  const name = 'rls: queued_requests'
  if (!queued.ok) return { name, status: 'fail', detail: describeRestError(queued.error), ms: queued.ms }
  const waiting = `readable; ${Array.isArray(queued.data) ? queued.data.length : '?'} request(s) waiting now`
  if (!queued.legacy) return { name, status: 'ok', detail: waiting, ms: queued.ms }
  return {
    name,
    status: 'warn',
    detail: `${waiting} — through queued_requests: queued_requests_page is missing, so each queue read costs more as the shop's history grows and a full page needs one more read; apply supabase/migrations/20261206000000_bayalert_queue_read.sql`,
    ms: queued.ms,
  }
}

/** Why this data directory: said in the check, so a doctor run beside an app shows it checked that app's store. */
export const DATA_DIR_SOURCE_TEXT: Record<DataDirSource, string> = {
  '--data-dir': 'from --data-dir',
  BAYALERT_DATA_DIR: 'from BAYALERT_DATA_DIR',
  demo: "the demo's, as npm start and headless use with no shop configured",
  default: "headless default; the tray app keeps its own in its user-data directory unless BAYALERT_DATA_DIR is set",
}

export function checkStore(s: Pick<ValidSettings, 'dataDir'>, source: DataDirSource): Check {
  const t0 = Date.now()
  const which = `${s.dataDir} (${DATA_DIR_SOURCE_TEXT[source]})`
  try {
    // Not on a ring path: doctor may wait for a running app's short transactions like any reader would, and it
    // does not prune that app's store (its write lock would make the app hold its writes in memory meanwhile).
    const path = join(s.dataDir, 'bayalert.db')
    const store = Store.open({ path, log: quiet, clock: systemClock, busyTimeoutMs: 2000, pruneOnOpen: false })
    const n = store.listQueue().length
    // A file that opens but refuses writes (locked by another program, read-only) is the finding.
    const cannotWrite = store.probeWritable()
    store.close()
    const held = heldJournalText(path)
    if (cannotWrite) return { name: 'data dir + store', status: 'fail', detail: `the store in ${which} opens but cannot be written: ${cannotWrite}${held}`, ms: Date.now() - t0 }
    return { name: 'data dir + store', status: 'ok', detail: `${which} writable; store opens (${n} request(s) in the local queue)${held}`, ms: Date.now() - t0 }
  } catch (e) {
    return { name: 'data dir + store', status: 'fail', detail: `the store in ${which} does not open: ${(e as Error).message}`, ms: Date.now() - t0 }
  }
}

/**
 * The held journal beside the store, read only (the app applies and removes it): ring marks kept while the store
 * could not be written, by a running app now or by one that was killed meanwhile. '' when there is none.
 */
function heldJournalText(dbPath: string): string {
  const journal = new HeldJournal({ path: heldJournalPath(dbPath), log: quiet, clock: systemClock })
  if (!journal.exists()) return ''
  try {
    const { entries, skipped } = journal.read()
    return `; held journal ${journal.path}: ${entries.length} ring mark(s)${skipped ? ` and ${skipped} unreadable line(s)` : ''} kept while the store could not be written — the app writes them to the store once it can, or at its next start`
  } catch (e) {
    return `; held journal ${journal.path} cannot be read: ${(e as Error).message}`
  }
}

export const TEST_ALERT_ARG = '--test-alert'

function defaultNotifier(): { sink: AlertSink | null; why: string } {
  const n = detectNotifier()
  return n.kind && n.command ? { sink: new OsNotifierSink({ ...n, command: n.command }), why: n.why } : { sink: null, why: n.why }
}

/** The "alert path" line, and with --test-alert the "test alert" line (one alert through the OS notifier). */
async function checkAlertPath(opts: DoctorOptions, testAlert: boolean): Promise<Check[]> {
  const t0 = Date.now()
  const ap = opts.alertPath ?? headlessAlertPath()
  const out: Check[] = [{ ...alertPathCheck(await ap.probe.check('doctor'), ap.detectorCount), ms: Date.now() - t0 }]
  if (testAlert) {
    const t1 = Date.now()
    const n = (opts.notifier ?? defaultNotifier)()
    const reports = n.sink ? await runTestAlert([notifierProof(n.sink)]) : []
    out.push({ ...testAlertCheck(reports, n.sink ? null : n.why), ms: Date.now() - t1 })
  }
  return out
}

function checkSinks(): Check {
  const n = detectNotifier()
  return n.kind
    ? { name: 'sinks', status: 'ok', detail: `OS notifier: ${n.kind} (${n.why}); terminal; loopback queue UI` }
    : { name: 'sinks', status: 'warn', detail: `no OS notifier (${n.why}); alerts go to the terminal and the loopback queue UI only` }
}

/** What the live link uses, in words: its channels, where postgres_changes is, and what a private-only project lacks. */
export function describeLiveLink(layout: LinkSupervisor['channelLayout']): string {
  if (!layout.fallback) {
    return (
      `socket open; private ${SHOP_TOPIC} joined — the database broadcast, the one live path (feature_flags changes on it confirmed, system ok); ` +
      `postgres_changes on requests and the public ${FEED_TOPIC} hints are joined only while that path is refused or reported broken`
    )
  }
  if (!layout.privateOnly) {
    return `socket open; on the fallback (${layout.fallback}): public ${FEED_TOPIC} (postgres_changes, and the shop backend's legacy broadcast as hints only) and private ${SHOP_TOPIC} (database broadcast) joined; postgres_changes confirmed (system ok)`
  }
  return (
    `socket open; on the fallback (${layout.fallback}): private ${SHOP_TOPIC} joined with postgres_changes on it, confirmed (system ok). ` +
    `This project allows private channels only (the server refused ${FEED_TOPIC}: ${layout.publicRefused}), ` +
    `so the shop backend's legacy public broadcast is not heard — not an error: it is only a hint, requests come from the private database broadcast, postgres_changes and reads`
  )
}

/** Live = socket open, every channel joined and the postgres_changes `system` ok received. */
function checkRealtime(link: LinkSupervisor, deadlineMs: number): Promise<Check> {
  const t0 = Date.now()
  return new Promise((resolve) => {
    let last: LinkState = link.state
    const done = (c: Check) => {
      clearTimeout(timer)
      off()
      resolve(c)
    }
    const off = link.on('state', (st) => {
      last = st
      if (st.state === 'live') done({ name: 'realtime', status: 'ok', detail: describeLiveLink(link.channelLayout), ms: Date.now() - t0 })
    })
    const timer = setTimeout(
      () => done({ name: 'realtime', status: 'fail', detail: `not live within ${Math.round(deadlineMs / 1000)} s: [${last.state}] ${last.reason}`, ms: Date.now() - t0 }),
      deadlineMs,
    )
    if (link.isLive) done({ name: 'realtime', status: 'ok', detail: describeLiveLink(link.channelLayout), ms: 0 })
  })
}

export function formatTable(checks: Check[], tty: boolean): string {
  const mark: Record<CheckStatus, string> = tty
    ? { ok: '\x1b[32m ok \x1b[0m', warn: '\x1b[33mwarn\x1b[0m', fail: '\x1b[31mFAIL\x1b[0m', skip: '\x1b[2mskip\x1b[0m' }
    : { ok: ' ok ', warn: 'warn', fail: 'FAIL', skip: 'skip' }
  const w = Math.max(...checks.map((c) => c.name.length), 5)
  return checks.map((c) => `${mark[c.status]}  ${c.name.padEnd(w)}  ${c.detail}${c.ms !== undefined ? `  (${c.ms} ms)` : ''}`).join('\n')
}

if (isMainModule(import.meta.url)) {
  const { argv, exportPath, problem } = takeExportArg(process.argv.slice(2))
  const json = argv.includes('--json')
  if (problem) {
    process.stderr.write(`doctor: ${problem}\n`)
    process.exit(2)
  }
  runDoctor(argv.filter((a) => a !== '--json')).then(
    ({ checks, ok }) => {
      process.stdout.write(json ? `${JSON.stringify({ ok, checks })}\n` : `${formatTable(checks, !!process.stdout.isTTY)}\n${ok ? 'all checks passed' : 'some checks FAILED'}\n`)
      if (exportPath) {
        // On stderr: with --json, stdout stays the one JSON object other programs parse.
        try {
          const { settings, usingLocalDefaults } = resolveSettings(parseArgs(argv.filter((a) => a !== '--json')))
          exportHeadlessDiagnostics({ path: exportPath, checks, settings, usingLocalDefaults, appVersion: appVersion() })
          process.stderr.write(`diagnostics written to ${exportPath} (keys, passwords and customer data removed)\n`)
        } catch (e) {
          process.stderr.write(`doctor: could not write the diagnostics to ${exportPath}: ${(e as Error).message}\n`)
          process.exit(1)
        }
      }
      process.exit(ok ? 0 : 1)
    },
    (e) => {
      process.stderr.write(`doctor: ${(e as Error)?.stack ?? e}\n`)
      process.exit(1)
    },
  )
}
