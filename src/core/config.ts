// Settings validation for every host (headless flags/env, Electron settings, doctor).
// One clear message per problem; never a key, password or token in any message or log line.
import { accessSync, constants as fsConstants, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { safeText } from './alerts/safe-text.js'

/** The local shop backend's well-known defaults (`npm run backend` prints the same values). */
export const LOCAL_DEFAULTS = {
  supabaseUrl: 'http://127.0.0.1:54321',
  // The Supabase CLI's public demo anon key: {"iss":"supabase-demo","role":"anon","exp":1983812996}
  // (shared/reference/supabase-wire.md §8). It is not a secret: it only works against a local stack.
  anonKey:
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0',
  // DEMO_MECHANICS[0] of the local backend (test/backend/demo.ts).
  email: 'mechanic1@bayalert.test',
  password: 'bayalert-demo-1',
}

export interface RawSettings {
  supabaseUrl?: string | null
  anonKey?: string | null
  email?: string | null
  password?: string | null
  dataDir?: string | null
}

export interface ValidSettings {
  supabaseUrl: string
  anonKey: string
  email: string
  password: string
  dataDir: string
  /** What kind of key anonKey is (for doctor output). */
  keyKind: 'anon-jwt' | 'publishable'
}

export type ConfigField = keyof RawSettings

export interface ConfigProblem {
  field: ConfigField
  /** One sentence a person can act on. Never contains the offending secret. */
  message: string
}

export type ConfigResult = { ok: true; settings: ValidSettings } | { ok: false; problems: ConfigProblem[] }

export type KeyKind = 'anon-jwt' | 'publishable' | 'service-role' | 'secret' | 'other-role' | 'invalid'

// A JWT is three base64url segments (RFC 7519 §3, RFC 7515 §7.1: no padding, no other characters).
const BASE64URL = /^[A-Za-z0-9_-]+$/
// Supabase's new API keys: `sb_publishable_…` (public, like anon) and `sb_secret_…` (like service_role),
// https://supabase.com/docs/guides/api/api-keys
const PUBLISHABLE = /^sb_publishable_[A-Za-z0-9_-]+$/
/** No real key comes near this; a longer one is refused before any decoding. */
const MAX_KEY_CHARS = 8192

function decodeJsonObject(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/**
 * Decodes a JWT's claims without verifying it (the server verifies; we only refuse obvious misuse).
 * Strict: exactly three base64url segments, and both header and payload JSON objects — Node's base64
 * decoder skips characters it does not know, so a lenient check would read garbage as a token.
 */
export function decodeJwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return null
  if (!decodeJsonObject(parts[0]!)) return null
  return decodeJsonObject(parts[1]!)
}

/**
 * The one key classifier for every host and the link supervisor. Only 'anon-jwt' and 'publishable'
 * may be used on a workstation. Whitespace around a key is ignored (pasted keys often carry it).
 */
export function classifyKey(key: string): { kind: KeyKind; role?: string } {
  const k = typeof key === 'string' ? key.trim() : ''
  if (k.length === 0 || k.length > MAX_KEY_CHARS) return { kind: 'invalid' }
  if (k.startsWith('sb_secret_')) return { kind: 'secret' }
  if (k.startsWith('sb_publishable_')) return PUBLISHABLE.test(k) ? { kind: 'publishable' } : { kind: 'invalid' }
  const claims = decodeJwtClaims(k)
  if (!claims) return { kind: 'invalid' }
  const role = typeof claims.role === 'string' ? claims.role : undefined
  if (role === 'anon') return { kind: 'anon-jwt', role }
  if (role === 'service_role' || role === 'supabase_admin') return { kind: 'service-role', role }
  return { kind: 'other-role', role }
}

/**
 * Why `key` must not be used on a workstation — one sentence naming it `name` and never containing
 * the key — or null for an anon JWT or a publishable key.
 */
export function keyProblem(key: string, name = 'The key'): string | null {
  const c = classifyKey(key)
  switch (c.kind) {
    case 'anon-jwt':
    case 'publishable':
      return null
    case 'service-role':
    case 'secret':
      // A workstation must never hold a key that bypasses row-level security.
      return `${name} is a service-role/secret key, which bypasses row-level security and must never be put on a workstation. Use the anon (publishable) key instead.`
    case 'other-role': {
      // The role comes from an untrusted token: shown only as a short, cleaned word.
      const role = c.role === undefined ? '(none)' : (safeText(c.role, 40) ?? '(blank)')
      return `${name} is a JWT for role "${role}", not "anon". Use the project's anon (publishable) key.`
    }
    default:
      return typeof key !== 'string' || key.trim() === ''
        ? `${name} is missing. Use the project's anon (publishable) key from the API settings.`
        : `${name} is neither a JWT nor an sb_publishable_ key. Copy the anon (publishable) key from the project's API settings.`
  }
}

/** Checks that dir exists (creating it) and that a file can be written in it. Returns a problem or null. */
export function checkDataDir(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    accessSync(dir, fsConstants.W_OK | fsConstants.R_OK)
    const probe = join(dir, `.write-probe-${process.pid}`)
    writeFileSync(probe, 'ok', { mode: 0o600 })
    rmSync(probe, { force: true })
    return null
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    return `The data directory ${dir} is not writable (${code}). Set BAYALERT_DATA_DIR to a directory this user can write.`
  }
}

/**
 * True for the names of this machine's loopback interface: 127.0.0.0/8, ::1 and localhost. Takes a WHATWG
 * URL hostname, which is already normalised (`127.1` → `127.0.0.1`, `[::1]` keeps its brackets, lower case).
 */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true
  const octets = hostname.split('.')
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)
}

export function validateSettings(raw: RawSettings): ConfigResult {
  const problems: ConfigProblem[] = []
  const url = (raw.supabaseUrl ?? '').trim()
  let supabaseUrl = url
  if (!url) {
    problems.push({ field: 'supabaseUrl', message: 'SUPABASE_URL is missing. Set it to your project URL, e.g. https://xyz.supabase.co.' })
  } else {
    let parsed: URL | null = null
    try {
      parsed = new URL(url)
    } catch {
      parsed = null
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
      problems.push({
        field: 'supabaseUrl',
        message: `SUPABASE_URL "${redactText(url).slice(0, 120)}" is not an http(s) URL. Use the project URL, e.g. https://xyz.supabase.co.`,
      })
    } else if (parsed.username || parsed.password) {
      problems.push({ field: 'supabaseUrl', message: 'SUPABASE_URL must not contain a user name or password.' })
    } else if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
      // Plain http to another machine would send the anon key, the mechanic's password and the session
      // tokens readable (and changeable) by anyone on the network path.
      problems.push({
        field: 'supabaseUrl',
        message: `SUPABASE_URL uses plain http:// to ${parsed.hostname.slice(0, 80)}, which is not this machine. Use https:// (http:// is allowed only for a local backend on 127.0.0.1, ::1 or localhost).`,
      })
    } else {
      supabaseUrl = parsed.origin + parsed.pathname.replace(/\/+$/, '')
    }
  }

  const key = (raw.anonKey ?? '').trim()
  let keyKind: ValidSettings['keyKind'] = 'anon-jwt'
  if (!key) {
    problems.push({ field: 'anonKey', message: 'SUPABASE_ANON_KEY is missing. Use the project\'s anon (publishable) key from the API settings.' })
  } else {
    const problem = keyProblem(key, 'SUPABASE_ANON_KEY')
    if (problem) problems.push({ field: 'anonKey', message: problem })
    else keyKind = classifyKey(key).kind as ValidSettings['keyKind']
  }

  const email = (raw.email ?? '').trim()
  if (!email) problems.push({ field: 'email', message: 'BAYALERT_EMAIL is missing: the mechanic account to sign in with.' })
  else if (!/^[^\s@]+@[^\s@]+$/.test(email)) problems.push({ field: 'email', message: `BAYALERT_EMAIL "${email.slice(0, 80)}" is not an e-mail address.` })

  const password = raw.password ?? ''
  if (!password) problems.push({ field: 'password', message: 'BAYALERT_PASSWORD is missing: the mechanic account\'s password.' })

  const dir = (raw.dataDir ?? '').trim()
  let dataDir = dir
  if (!dir) problems.push({ field: 'dataDir', message: 'BAYALERT_DATA_DIR is missing.' })
  else {
    dataDir = resolve(dir)
    const p = checkDataDir(dataDir)
    if (p) problems.push({ field: 'dataDir', message: p })
  }

  if (problems.length > 0) return { ok: false, problems }
  return { ok: true, settings: { supabaseUrl, anonKey: key, email, password, dataDir, keyKind } }
}

/** "eyJh…(redacted 212 chars)" — enough to tell two values apart in a log, never enough to use. */
export function redact(value: string | null | undefined): string {
  if (!value) return '(none)'
  return `${value.slice(0, 4)}…(redacted ${value.length} chars)`
}

const JWT_RE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/g
const SB_KEY_RE = /sb_(?:secret|publishable)_[A-Za-z0-9_-]+/g
// An opaque bearer credential (RFC 6750 §2.1 b64token) is as secret as a JWT but matches no pattern above,
// also where no "Authorization:" precedes it (a log message quoting the scheme and token). A JWT already
// replaced by its redacted form ("eyJh…(redacted N chars)") is left as it is.
const BEARER_RE = /\bBearer\s+(?![A-Za-z0-9._~+/-]*…)[A-Za-z0-9._~+/-]+=*/gi
// The value is a whole JSON string (escaped quotes included: `"pa\"ss"` must not leave `ss"` behind) or
// a bare word; an `Authorization: Bearer <token>` header's value is the token after the scheme.
const SECRET_FIELD_RE =
  /("?(?:password|access_token|refresh_token|apikey|api_key|authorization|token)"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|(?:Bearer\s+)?[^\s,&}]+)/gi
// User info in a URL (`https://user:password@host`), which a mistyped SUPABASE_URL can carry.
const URL_USERINFO_RE = /(\/\/)[^\s/?#@]+@/g

/** Removes JWTs, sb_ keys, Bearer credentials, URL user info and password/token fields from free text (error messages, URLs, bodies). */
export function redactText(text: string): string {
  return text
    .replace(JWT_RE, (m) => redact(m))
    .replace(SB_KEY_RE, (m) => redact(m))
    .replace(BEARER_RE, 'Bearer (redacted)')
    .replace(URL_USERINFO_RE, '$1(redacted)@')
    .replace(SECRET_FIELD_RE, (_m, k: string) => `${k}"(redacted)"`)
}
