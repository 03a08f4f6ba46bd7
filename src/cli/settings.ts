// Headless/doctor settings: flags beat environment beat the local backend's well-known defaults.
import { homedir, hostname } from 'node:os'
import { join } from 'node:path'
import { readFileSync, realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { LOCAL_DEFAULTS, type RawSettings } from '../core/config.js'

export interface CliArgs {
  json: boolean
  noUi: boolean
  uiPort: number | null
  verbose: boolean
  help: boolean
  settings: RawSettings
  problems: string[]
}

const FLAG_TO_SETTING: Record<string, keyof RawSettings> = {
  '--url': 'supabaseUrl',
  '--anon-key': 'anonKey',
  '--email': 'email',
  '--password': 'password',
  '--data-dir': 'dataDir',
}

export function parseArgs(argv: string[]): CliArgs {
  const a: CliArgs = { json: false, noUi: false, uiPort: null, verbose: false, help: false, settings: {}, problems: [] }
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!
    const [flag, inline] = raw.includes('=') ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)] : [raw, undefined]
    const value = () => inline ?? argv[++i]
    if (flag === '--json') a.json = true
    else if (flag === '--no-ui') a.noUi = true
    else if (flag === '--verbose' || flag === '-v') a.verbose = true
    else if (flag === '--help' || flag === '-h') a.help = true
    else if (flag === '--ui-port') {
      const v = Number(value())
      if (!Number.isInteger(v) || v < 0 || v > 65535) a.problems.push(`--ui-port needs a port number 0–65535`)
      else a.uiPort = v
    } else if (flag in FLAG_TO_SETTING) {
      const v = value()
      if (v === undefined) a.problems.push(`${flag} needs a value`)
      else a.settings[FLAG_TO_SETTING[flag]!] = v
    } else if (flag !== '--') a.problems.push(`unknown option ${flag.slice(0, 40)}`)
  }
  return a
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'BayAlert', 'headless')
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'BayAlert', 'headless')
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'bayalert', 'headless')
}

/**
 * The demo's data directory, `.bayalert/demo` in this repository: where `npm start` keeps the app's store
 * (and the demo shop's database) when no shop is configured — scripts/launcher/demo-shop.mjs names the
 * same directory. Headless and doctor use it whenever they fall back to the local backend's defaults, so
 * `npm run doctor` beside a running demo checks the store that demo uses.
 */
export const DEMO_DATA_DIR = fileURLToPath(new URL('../../.bayalert/demo', import.meta.url))

/** Where the data directory came from, for messages that say which one is used and why. */
export type DataDirSource = '--data-dir' | 'BAYALERT_DATA_DIR' | 'demo' | 'default'

/**
 * Flags, then environment, then (only when no shop is configured at all) the local backend defaults.
 * The data directory: --data-dir, BAYALERT_DATA_DIR, the demo's (no shop configured), the headless default.
 */
export function resolveSettings(
  args: CliArgs,
  env: NodeJS.ProcessEnv = process.env,
): { settings: RawSettings; usingLocalDefaults: boolean; dataDirSource: DataDirSource } {
  const s: RawSettings = {
    supabaseUrl: args.settings.supabaseUrl ?? env.SUPABASE_URL,
    anonKey: args.settings.anonKey ?? env.SUPABASE_ANON_KEY,
    email: args.settings.email ?? env.BAYALERT_EMAIL,
    password: args.settings.password ?? env.BAYALERT_PASSWORD,
  }
  const nothingConfigured = !s.supabaseUrl && !s.anonKey && !s.email && !s.password
  const [dataDir, dataDirSource]: [string, DataDirSource] =
    args.settings.dataDir != null
      ? [args.settings.dataDir, '--data-dir']
      : env.BAYALERT_DATA_DIR
        ? [env.BAYALERT_DATA_DIR, 'BAYALERT_DATA_DIR']
        : nothingConfigured
          ? [DEMO_DATA_DIR, 'demo']
          : [defaultDataDir(env), 'default']
  s.dataDir = dataDir
  if (nothingConfigured) {
    return { settings: { ...s, ...LOCAL_DEFAULTS }, usingLocalDefaults: true, dataDirSource }
  }
  return { settings: s, usingLocalDefaults: false, dataDirSource }
}

/** True when the module at `moduleUrl` (its import.meta.url) is the script node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}

export function workstationId(env: NodeJS.ProcessEnv = process.env): string {
  return env.BAYALERT_WORKSTATION_ID || `${hostname()}-headless`
}

export function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

/** A Logger to stderr: warnings and errors always, info/debug with --verbose. Fields are redacted by the caller. */
export function stderrLogger(verbose: boolean, json: boolean) {
  const line = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    const f = fields && Object.keys(fields).length ? ` ${safeJson(fields)}` : ''
    process.stderr.write(json ? `${safeJson({ ts: new Date().toISOString(), level, msg, ...fields })}\n` : `[${level}] ${msg}${f}\n`)
  }
  const off = () => {}
  return { debug: verbose && process.env.BAYALERT_DEBUG ? line('debug') : off, info: verbose ? line('info') : off, warn: line('warn'), error: line('error') }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v)
  } catch {
    return '"[unserializable]"'
  }
}
