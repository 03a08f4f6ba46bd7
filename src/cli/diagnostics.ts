// `npm run doctor -- --export FILE`: the doctor's checks plus versions, settings, the local queue as ids
// and the last log lines of the headless data directory, in one JSON file with secrets and customer data
// removed (core/diagnostics). The local store is read read-only for the customer strings to remove:
// opening it through Store would migrate or move aside a file a running headless engine is using.
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { classifyKey, type RawSettings } from '../core/config.js'
import { buildDiagnostics, collectVersions, maskEmail, writeDiagnostics, type DiagnosticsCheck } from '../core/diagnostics/bundle.js'
import type { KnownCustomerData } from '../core/diagnostics/scrub.js'

/** Splits `--export FILE` / `--export=FILE` off the doctor's arguments. */
export function takeExportArg(argv: string[]): { argv: string[]; exportPath: string | null; problem: string | null } {
  const rest: string[] = []
  let exportPath: string | null = null
  let problem: string | null = null
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--export' || a.startsWith('--export=')) {
      const v = a === '--export' ? argv[++i] : a.slice('--export='.length)
      if (!v || v.startsWith('--')) problem = '--export needs a file name, e.g. --export bayalert-diagnostics.json'
      else exportPath = resolve(v)
    } else rest.push(a)
  }
  return { argv: rest, exportPath, problem }
}

/** Names, vehicles and concerns in the local queue; [] (and why) when the store cannot be read. */
export function knownCustomerData(dataDir: string): { known: KnownCustomerData[]; problem: string | null } {
  const path = join(dataDir, 'bayalert.db')
  if (!existsSync(path)) return { known: [], problem: null }
  let db: Database.Database | null = null
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
    db.pragma('busy_timeout = 2000')
    const rows = db.prepare('SELECT customer_name AS customerName, vehicle, concern FROM queue').all() as KnownCustomerData[]
    return { known: rows, problem: null }
  } catch (e) {
    return { known: [], problem: `the local queue could not be read (${(e as Error).message}); customer fields are still removed by name, free-text mentions may remain` }
  } finally {
    db?.close()
  }
}

export interface HeadlessExportInput {
  path: string
  checks: DiagnosticsCheck[]
  settings: RawSettings
  usingLocalDefaults: boolean
  appVersion: string
}

export function exportHeadlessDiagnostics(input: HeadlessExportInput): void {
  const dataDir = resolve(input.settings.dataDir ?? '.')
  const { known, problem } = knownCustomerData(dataDir)
  const key = input.settings.anonKey ?? ''
  const checks = problem ? [...input.checks, { name: 'export: customer data', status: 'warn' as const, detail: problem }] : input.checks
  const bundle = buildDiagnostics({
    host: 'headless',
    versions: collectVersions(input.appVersion),
    checks,
    settings: {
      supabaseUrl: input.settings.supabaseUrl ?? null,
      // The kind tells support what was configured; the key itself stays out.
      keyKind: key ? classifyKey(key).kind : null,
      email: maskEmail(input.settings.email),
      credentialsGiven: !!input.settings.email && !!input.settings.password,
      dataDir,
      usingLocalDefaults: input.usingLocalDefaults,
      workstationId: process.env.BAYALERT_WORKSTATION_ID ?? null,
    },
    logDir: join(dataDir, 'logs'),
    known,
  })
  writeDiagnostics(input.path, bundle)
}
