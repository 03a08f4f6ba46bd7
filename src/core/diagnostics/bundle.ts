// "Export diagnostics": one JSON file a mechanic can send to support — the checks (the doctor's, or
// the Electron host's own), versions, settings, the link/health state, the queue as ids and times only,
// and the last lines of the log. Secrets and customer data are removed from all of it (scrub.ts) as the
// last step, whatever the parts contain. One JSON file rather than a zip: it opens in any editor, can be
// searched and checked by eye before it is sent, and needs no extra library; the log part is capped.
import { writeFileSync } from 'node:fs'
import { arch, platform, release, type } from 'node:os'
import supabasePackage from '@supabase/supabase-js/package.json' with { type: 'json' }
import type { LogFileStats } from '../logging/log-file.js'
import { readRecentLogLines } from '../logging/recent-lines.js'
import type { EngineSnapshot } from '../../shared/types.js'
import { CustomerScrubber, type KnownCustomerData } from './scrub.js'

export const DIAGNOSTICS_FORMAT = 'bayalert-diagnostics/1'
/** Log lines in a bundle: enough for the last hours of a normal day, a few hundred kB at most. */
export const DEFAULT_LOG_LINES = 2000
const LOG_BYTES = 1024 * 1024

export interface DiagnosticsCheck {
  name: string
  status: 'ok' | 'warn' | 'fail' | 'skip'
  detail: string
  ms?: number
}

export interface Versions {
  app: string
  node: string
  electron: string | null
  chrome: string | null
  supabaseJs: string
  os: string
  platform: string
  arch: string
}

export function collectVersions(appVersion: string): Versions {
  return {
    app: appVersion,
    node: process.versions.node,
    electron: process.versions.electron ?? null,
    chrome: process.versions.chrome ?? null,
    supabaseJs: (supabasePackage as { version?: string }).version ?? 'unknown',
    os: `${type()} ${release()}`,
    platform: platform(),
    arch: arch(),
  }
}

export interface DiagnosticsInput {
  host: 'electron' | 'headless'
  versions: Versions
  checks: DiagnosticsCheck[]
  /** Non-secret settings; still scrubbed. */
  settings: Record<string, unknown>
  /** The engine's snapshot, when there is one: the queue's details are never copied. */
  snapshot?: EngineSnapshot | null
  logDir: string
  logStats?: LogFileStats | null
  /** Customer strings this workstation knows (its local queue), to remove from the log lines. */
  known: Iterable<KnownCustomerData>
  logLines?: number
  now?: () => number
}

function stateOf(s: EngineSnapshot): Record<string, unknown> {
  return {
    link: s.link,
    paused: s.paused,
    signedIn: s.user !== null,
    flags: s.flags,
    health: s.health,
    // Ids, times and states only: names, vehicles and concerns never leave through this.
    queue: s.queue.map((q) => ({ requestId: q.requestId, queuedAt: q.queuedAt, detail: q.detail, acknowledged: q.acknowledged, confirmed: q.confirmed, alertCount: q.alertCount })),
  }
}

function parseLine(line: string): unknown {
  try {
    const v: unknown = JSON.parse(line)
    return v && typeof v === 'object' ? v : line
  } catch {
    return line
  }
}

export function buildDiagnostics(input: DiagnosticsInput): Record<string, unknown> {
  const known = [...input.known, ...(input.snapshot?.queue.map((q) => q.details) ?? [])]
  const scrub = new CustomerScrubber(known)
  const recent = readRecentLogLines(input.logDir, input.logLines ?? DEFAULT_LOG_LINES, LOG_BYTES)
  const bundle = {
    format: DIAGNOSTICS_FORMAT,
    generatedAt: new Date((input.now ?? Date.now)()).toISOString(),
    host: input.host,
    versions: input.versions,
    checks: input.checks,
    settings: input.settings,
    state: input.snapshot ? stateOf(input.snapshot) : null,
    logs: {
      dir: input.logDir,
      file: input.logStats ?? null,
      problems: recent.problems,
      lineCount: recent.lines.length,
      lines: recent.lines.map(parseLine),
    },
    removed: 'Keys, tokens and passwords are redacted; customer names, vehicles and concerns are removed.',
  }
  return scrub.value(bundle) as Record<string, unknown>
}

/** Owner-only: the bundle is meant for support, not for other users of the machine. */
export function writeDiagnostics(path: string, bundle: Record<string, unknown>): void {
  writeFileSync(path, `${JSON.stringify(bundle, null, 2)}\n`, { mode: 0o600 })
}

/** "m…@shop.example": which account, without the full address. */
export function maskEmail(email: string | null | undefined): string | null {
  if (!email) return null
  const at = email.lastIndexOf('@')
  if (at <= 0) return '(not an e-mail address)'
  return `${email[0]}…${email.slice(at)}`
}
