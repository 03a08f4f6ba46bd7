// Roll-out to many workstations: an administrator puts one JSON file on each machine (or beside the
// executable) with the shop's URL, its anon key and defaults, so that twelve bays start configured.
//
// Where (first file found wins; the machine-wide policy path first, because that is where IT tools such as
// Group Policy, Intune, Jamf or a config-management run put files a user cannot edit):
//   Windows  %ProgramData%\BayAlert\provisioning.json
//   macOS    /Library/Application Support/BayAlert/provisioning.json
//   Linux    /etc/bayalert/provisioning.json
//   then     provisioning.json beside the executable (BayAlert.exe, the AppImage, or the folder holding BayAlert.app)
//
// What: only public, non-secret values. The anon key is public by design (Supabase docs, "API keys":
// https://supabase.com/docs/guides/api/api-keys); anything that looks like a password, a token or a secret
// key makes the whole file refused — a file copied to every bay is not a place for credentials.
// A bad file never crashes the app: it is reported (window and log) and the app runs on safe defaults.
import { readFileSync } from 'node:fs'
import { posix, win32 } from 'node:path'
import { classifyKey, redactText } from '../core/config.js'
import { keyProblem, urlProblem } from './settings-rules.js'

export const PROVISIONING_FILE = 'provisioning.json'
/** Far more than any real file; a larger one is a mistake (or not ours) and is not parsed. */
export const PROVISIONING_MAX_BYTES = 64 * 1024
export const REPEAT_SECONDS = { min: 15, max: 3600 } as const
const WORKSTATION_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/

/** The values a provisioning file may set. Every one is optional. */
export interface ProvisionedValues {
  supabaseUrl?: string
  anonKey?: string
  soundEnabled?: boolean
  startAtLogin?: boolean
  /** How often an unacknowledged request rings again. */
  repeatIntervalSeconds?: number
  /** Shown in the shop's workstation list (engine workstationId). */
  workstationName?: string
  /** electron-updater generic feed (the folder holding latest.yml). No feed: updates are off. */
  updateFeedUrl?: string
}

export interface Provisioning {
  /** The file that was read, or null when there is none. */
  source: string | null
  /** Only values that passed validation. */
  values: ProvisionedValues
  /** One sentence per problem; the window and the log show them. */
  problems: string[]
}

export const NO_PROVISIONING: Provisioning = { source: null, values: {}, problems: [] }

/** The candidate files, most authoritative first. */
export function provisioningPaths(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, execPath: string): string[] {
  const { join } = pathFor(platform)
  const policy =
    platform === 'win32'
      ? join(env.ProgramData || env.PROGRAMDATA || 'C:\\ProgramData', 'BayAlert', PROVISIONING_FILE)
      : platform === 'darwin'
        ? join('/Library/Application Support/BayAlert', PROVISIONING_FILE)
        : join('/etc/bayalert', PROVISIONING_FILE)
  return [policy, join(executableDir(platform, env, execPath), PROVISIONING_FILE)]
}

/** The folder a person sees the app in: beside the AppImage, beside BayAlert.app, beside BayAlert.exe. */
export function executableDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, execPath: string): string {
  const { basename, dirname } = pathFor(platform)
  // An AppImage runs from a temporary mount; $APPIMAGE is the file the admin actually placed.
  if (platform === 'linux' && env.APPIMAGE) return dirname(env.APPIMAGE)
  if (platform === 'darwin') {
    // execPath is …/BayAlert.app/Contents/MacOS/BayAlert
    const macOs = dirname(execPath)
    const bundle = dirname(dirname(macOs))
    if (basename(dirname(macOs)) === 'Contents' && bundle.endsWith('.app')) return dirname(bundle)
  }
  return dirname(execPath)
}

/** Windows paths are judged by Windows rules even when the tests run on Linux. */
function pathFor(platform: NodeJS.Platform): typeof posix {
  return platform === 'win32' ? win32 : posix
}

const ALLOWED = ['supabaseUrl', 'anonKey', 'soundEnabled', 'startAtLogin', 'repeatIntervalSeconds', 'workstationName', 'updateFeedUrl'] as const
/** Names that say "credential": a file with any of them is refused whatever the value. */
const SECRET_NAME = /pass(word)?|secret|token|service.?role|private|credential|refresh|jwt/i
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./

/** Validates parsed JSON. Pure: no file access (tested directly). */
export function validateProvisioning(raw: unknown, source: string): Provisioning {
  const refuse = (why: string): Provisioning => ({
    source,
    values: {},
    problems: [`The provisioning file ${source} was refused: ${why} BayAlert runs without it until it is fixed.`],
  })
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return refuse('it is not a JSON object.')
  const obj = raw as Record<string, unknown>

  // Credentials first: they make the whole file untrustworthy, so nothing in it is used.
  for (const [name, value] of Object.entries(obj)) {
    if (name === '$schema' || name === 'anonKey') continue
    if (SECRET_NAME.test(name)) return refuse(`it has a "${name.slice(0, 40)}" entry. A provisioning file must hold no password or secret; each mechanic signs in on the workstation.`)
    if (typeof value === 'string' && (value.includes('sb_secret_') || JWT_LIKE.test(value))) {
      return refuse(`its "${name.slice(0, 40)}" entry holds a key or token. Only the anon key may be in this file.`)
    }
  }
  if (obj.anonKey !== undefined) {
    const p = keyProblem(obj.anonKey)
    if (p) {
      const kind = typeof obj.anonKey === 'string' ? classifyKey(obj.anonKey).kind : 'invalid'
      return refuse(kind === 'service-role' || kind === 'secret' ? `its anonKey is a secret key. ${p}` : `its anonKey is not usable. ${p}`)
    }
  }

  const values: ProvisionedValues = {}
  const problems: string[] = []
  const bad = (name: string, why: string) => problems.push(`Provisioning file ${source}: "${name}" ${why} It was ignored.`)
  for (const name of Object.keys(obj)) {
    if (name !== '$schema' && !(ALLOWED as readonly string[]).includes(name)) bad(name.slice(0, 40), `is not a setting BayAlert knows (known: ${ALLOWED.join(', ')}).`)
  }
  if (typeof obj.anonKey === 'string') values.anonKey = obj.anonKey.trim()
  if (obj.supabaseUrl !== undefined) {
    const p = urlProblem(obj.supabaseUrl)
    if (p) bad('supabaseUrl', `is not usable: ${p}`)
    else values.supabaseUrl = (obj.supabaseUrl as string).trim()
  }
  for (const name of ['soundEnabled', 'startAtLogin'] as const) {
    if (obj[name] === undefined) continue
    if (typeof obj[name] === 'boolean') values[name] = obj[name]
    else bad(name, 'must be true or false.')
  }
  if (obj.repeatIntervalSeconds !== undefined) {
    const v = obj.repeatIntervalSeconds
    if (typeof v === 'number' && Number.isInteger(v) && v >= REPEAT_SECONDS.min && v <= REPEAT_SECONDS.max) values.repeatIntervalSeconds = v
    else bad('repeatIntervalSeconds', `must be a whole number of seconds from ${REPEAT_SECONDS.min} to ${REPEAT_SECONDS.max}.`)
  }
  if (obj.workstationName !== undefined) {
    const v = obj.workstationName
    if (typeof v === 'string' && WORKSTATION_RE.test(v.trim())) values.workstationName = v.trim()
    else bad('workstationName', 'must be 1 to 64 letters, digits, spaces, dots, dashes or underscores.')
  }
  if (obj.updateFeedUrl !== undefined) {
    const p = urlProblem(obj.updateFeedUrl)
    if (p) bad('updateFeedUrl', `is not usable: ${p.replace('Supabase URL', 'The update feed URL')}`)
    else values.updateFeedUrl = (obj.updateFeedUrl as string).trim()
  }
  if (values.anonKey !== undefined && values.supabaseUrl === undefined) {
    problems.push(`Provisioning file ${source}: it has an anonKey but no usable supabaseUrl; the key is used only with a shop URL from the settings.`)
  }
  return { source, values, problems }
}

export interface FileReader {
  readFile(path: string): Buffer
}
const realFs: FileReader = { readFile: (p) => readFileSync(p) }

/** Reads the first candidate that exists. A missing file is normal; every other failure is a problem. */
export function readProvisioning(candidates: readonly string[], fs: FileReader = realFs): Provisioning {
  for (const path of candidates) {
    let bytes: Buffer
    try {
      bytes = fs.readFile(path)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') continue
      return { source: path, values: {}, problems: [`The provisioning file ${path} could not be read (${code ?? 'error'}). BayAlert runs without it.`] }
    }
    if (bytes.length > PROVISIONING_MAX_BYTES) {
      return { source: path, values: {}, problems: [`The provisioning file ${path} is larger than ${PROVISIONING_MAX_BYTES / 1024} KB and was not read. BayAlert runs without it.`] }
    }
    let parsed: unknown
    try {
      // A UTF-8 byte-order mark (Notepad writes one) is not JSON.
      parsed = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''))
    } catch (err) {
      // Node's JSON.parse message quotes a stretch of the text around the error: scrub keys and passwords from it.
      const why = err instanceof Error ? redactText(err.message).slice(0, 160) : 'not JSON'
      return { source: path, values: {}, problems: [`The provisioning file ${path} is not valid JSON (${why}). BayAlert runs without it.`] }
    }
    return validateProvisioning(parsed, path)
  }
  return NO_PROVISIONING
}
