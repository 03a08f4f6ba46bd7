// The content rules for the Electron host's settings, shared by everything that can put a shop URL or a key
// into the app: the settings panel (over IPC), the saved settings file read at start, the environment that
// `npm start` passes, a pasted connection string and an admin's provisioning file. One rule set, so a key
// refused in one place cannot get in through another.
//
// Keys: a workstation holds only the project's public key — an anon JWT or an `sb_publishable_` key. A
// service-role JWT or an `sb_secret_` key bypasses row-level security (Supabase docs, "API keys":
// https://supabase.com/docs/guides/api/api-keys — "never expose the secret or service_role key"), and a JWT
// of any other role (authenticated, a custom role, none) is a user's token, not a project key. The kind comes
// from classifyKey in src/core/config.ts, the same classifier headless and doctor use.
import { classifyKey } from '../core/config.js'
import { anonKeyProblem, isEmail, supabaseUrlProblem, type FieldProblems, type SettingsInput } from '../shared/ipc.js'

const FIX = "Paste the project's anon (publishable) key from its API settings."

/** A role claim is text from an untrusted key: shown only in a short, plain form. */
function roleLabel(role: string | undefined): string {
  if (role === undefined || role === '') return 'no role'
  const safe = role.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40)
  return safe ? `role "${safe}"` : 'an unreadable role'
}

/** One sentence for the key field, or null when the key is an anon JWT or an sb_publishable_ key. Never echoes the key. */
export function keyProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return `The anon key is empty. ${FIX}`
  const key = value.trim()
  if (anonKeyProblem(key)) return `This is not a Supabase key (it has characters a key never has). ${FIX}`
  const c = classifyKey(key)
  switch (c.kind) {
    case 'anon-jwt':
    case 'publishable':
      return null
    case 'service-role':
    case 'secret':
      return `This is a secret (service-role) key: it bypasses row-level security and must never be put on a workstation. ${FIX}`
    case 'other-role':
      return `This key is a token for ${roleLabel(c.role)}, not the project's anon key. ${FIX}`
    default:
      return `This is not a Supabase anon key (neither an anon JWT nor an sb_publishable_ key). ${FIX}`
  }
}

/** A key that bypasses row-level security (service_role / supabase_admin JWT, sb_secret_). */
export function isSecretKey(value: string): boolean {
  const kind = classifyKey(value).kind
  return kind === 'service-role' || kind === 'secret'
}

/** One sentence for the URL field, or null: https, or plain http only to this computer (loopback). */
export function urlProblem(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return 'The Supabase URL is empty. Use the project URL, e.g. https://xyz.supabase.co.'
  return supabaseUrlProblem(value.trim())
}

/** The e-mail is optional (the mechanic may type it at sign-in); when present it must look like one. */
export function emailProblem(value: unknown): string | null {
  if (value === '' || value === undefined) return null
  return typeof value === 'string' && isEmail(value.trim()) ? null : 'The e-mail address is not valid.'
}

/** The settings with surrounding whitespace removed (a key pasted with a trailing newline is still the key). */
export function trimSettings(input: SettingsInput): SettingsInput {
  return { supabaseUrl: input.supabaseUrl.trim(), anonKey: input.anonKey.trim(), email: input.email.trim(), soundEnabled: input.soundEnabled }
}

/** Every field's problem, keyed by field (empty object: valid). */
export function settingsFieldProblems(input: SettingsInput): FieldProblems {
  const fields: FieldProblems = {}
  const u = urlProblem(input.supabaseUrl)
  if (u) fields.supabaseUrl = u
  const k = keyProblem(input.anonKey)
  if (k) fields.anonKey = k
  const e = emailProblem(input.email)
  if (e) fields.email = e
  return fields
}
