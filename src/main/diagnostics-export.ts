// "Export diagnostics" in the Electron host (IPC `diagnostics:export`): a save dialog, then one JSON file
// (core/diagnostics) with this host's own checks — it has no password to run the doctor's sign-in, so it
// reports what the running app knows: settings, link, health, flags, secret storage, the log file, host
// faults, notifications — plus versions, the state with the queue as ids only, and the last log lines.
// Secrets and customer data (the names, vehicles and concerns of the queue) are removed from all of it.
import { dialog, type BrowserWindow } from 'electron'
import { join } from 'node:path'
import { classifyKey } from '../core/config.js'
import { buildDiagnostics, collectVersions, maskEmail, writeDiagnostics, type DiagnosticsCheck } from '../core/diagnostics/bundle.js'
import type { LogFileStats } from '../core/logging/log-file.js'
import type { Logger } from '../core/ports.js'
import type { AlertPathStatus, DiagnosticsExportResult, SettingsView } from '../shared/ipc.js'
import type { EngineSnapshot } from '../shared/types.js'
import type { LoadedSettings } from './settings.js'
import { handle } from './typed-ipc.js'

export interface HostFacts {
  snapshot: EngineSnapshot
  settings: LoadedSettings
  secretStorage: SettingsView['secretStorage']
  logStats: LogFileStats
  notificationsSupported: boolean
  /** The alert-path self-test's status (absent: the host has none). */
  alertPath?: AlertPathStatus
}

export function hostChecks(f: HostFacts): DiagnosticsCheck[] {
  const { snapshot: s, settings } = f
  const link = s.link.state
  const flags = Object.entries(s.flags)
    .map(([k, on]) => `${k}=${on ? 'on' : 'OFF'}`)
    .join(', ')
  const hostFaults = s.health.counters['host:fault'] ?? 0
  return [
    settings.configured && settings.problems.length === 0
      ? { name: 'config', status: 'ok', detail: `${settings.settings.supabaseUrl} with an ${classifyKey(settings.settings.anonKey).kind} key` }
      : { name: 'config', status: settings.configured ? 'warn' : 'fail', detail: settings.problems.join(' ') || 'No shop configured yet.' },
    {
      name: 'link',
      status: link === 'live' ? 'ok' : link === 'connecting' || link === 'degraded' ? 'warn' : 'fail',
      detail: `[${link}] ${s.link.reason} (since ${new Date(s.link.since).toISOString()})`,
    },
    s.health.degradedReason
      ? { name: 'health', status: 'warn', detail: `${s.health.degradedReason} (fetch failures ${Math.round(s.health.fetchFailureRate * 100)} %, sink failures ${Math.round(s.health.sinkFailureRate * 100)} %)` }
      : { name: 'health', status: 'ok', detail: `no problem; alert latency p95 ${s.health.latencyMs.p95 ?? '–'} ms over ${s.health.latencyMs.count} alerts` },
    { name: 'flags', status: s.flags.mech_new_request_alerts ? 'ok' : 'warn', detail: flags },
    { name: 'secret storage', status: f.secretStorage.protected ? 'ok' : 'warn', detail: f.secretStorage.message ?? `encrypted (${f.secretStorage.backend})` },
    f.logStats.failures === 0
      ? { name: 'log file', status: 'ok', detail: `${f.logStats.path}: no write failures` }
      : { name: 'log file', status: 'warn', detail: `${f.logStats.path}: ${f.logStats.failures} failure(s), ${f.logStats.droppedLines} line(s) lost; last: ${f.logStats.lastFailure}` },
    hostFaults === 0 ? { name: 'host faults', status: 'ok', detail: 'none since start' } : { name: 'host faults', status: 'warn', detail: `${hostFaults} since start (see the error lines in the log)` },
    f.notificationsSupported
      ? { name: 'notifications', status: 'ok', detail: 'supported by this system' }
      : { name: 'notifications', status: 'fail', detail: 'native notifications are not supported on this system: alerts are sound, tray and window only' },
    ...(f.alertPath ? [alertPathCheck(f.alertPath)] : []),
  ]
}

/** What the self-test found (a warning with its reasons), what it could not tell, and the last Test alert. */
function alertPathCheck(a: AlertPathStatus): DiagnosticsCheck {
  const unknown = a.unknown.length ? `; could not tell: ${a.unknown.map((u) => `${u.detector} (${u.why})`).join(', ')}` : ''
  const test = a.deliveries ? `; last test alert: ${a.deliveries.map((d) => `${d.sink} ${d.outcome}`).join(', ')}` : ''
  return { name: 'alert path', status: a.state === 'ok' ? 'ok' : 'warn', detail: `${a.text}${unknown}${test}` }
}

export interface ExportDeps {
  facts: () => Promise<HostFacts>
  logDir: string
  appVersion: string
  /** The save dialog: the chosen path, or null when cancelled. */
  choosePath: (defaultPath: string) => Promise<string | null>
  defaultDir: string
  log: Logger
  now?: () => number
}

export async function exportDiagnostics(d: ExportDeps): Promise<DiagnosticsExportResult> {
  const stamp = new Date((d.now ?? Date.now)()).toISOString().slice(0, 19).replace(/[:T]/g, '-')
  let path: string | null
  try {
    path = await d.choosePath(join(d.defaultDir, `bayalert-diagnostics-${stamp}.json`))
  } catch (e) {
    d.log.warn('diagnostics export: the save dialog failed', { cause: (e as Error).message })
    return { ok: false, error: `The save dialog could not open: ${(e as Error).message}` }
  }
  if (!path) return { ok: false, error: 'Cancelled.' }
  try {
    const f = await d.facts()
    const bundle = buildDiagnostics({
      host: 'electron',
      versions: collectVersions(d.appVersion),
      checks: hostChecks(f),
      settings: {
        supabaseUrl: f.settings.settings.supabaseUrl,
        keyKind: f.settings.settings.anonKey ? classifyKey(f.settings.settings.anonKey).kind : null,
        email: maskEmail(f.settings.settings.email),
        soundEnabled: f.settings.settings.soundEnabled,
        configured: f.settings.configured,
        problems: f.settings.problems,
        // Which administrator file set which fields (a roll-out's settings explain a lot of tickets).
        provisioning: f.settings.provisioning,
        secretStorage: f.secretStorage,
      },
      snapshot: f.snapshot,
      logDir: d.logDir,
      logStats: f.logStats,
      known: [],
      now: d.now,
    })
    writeDiagnostics(path, bundle)
    d.log.info('diagnostics exported', { path })
    return { ok: true, path }
  } catch (e) {
    d.log.error('diagnostics export failed', { path, cause: (e as Error).message })
    return { ok: false, error: `Could not write ${path}: ${(e as Error).message}` }
  }
}

/** The native save dialog, over the queue window when it is open (so it is not lost behind it). */
export function saveDialog(parent: () => BrowserWindow | null): (defaultPath: string) => Promise<string | null> {
  return async (defaultPath) => {
    const options = { title: 'Export diagnostics', defaultPath, filters: [{ name: 'JSON', extensions: ['json'] }] }
    const win = parent()
    const r = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options)
    return r.canceled || !r.filePath ? null : r.filePath
  }
}

export function registerDiagnosticsExport(deps: ExportDeps): void {
  handle('diagnostics:export', () => exportDiagnostics(deps), deps.log)
}
