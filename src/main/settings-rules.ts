// The content rules for the Electron host's settings, shared by everything that can put a shop URL or a key
// into the app: the settings panel (over IPC), the saved settings file read at start, the environment that
// `npm start` passes, a pasted connection string and an admin's provisioning file. One rule set, so a key
// refused in one place cannot get in through another.
//
// Keys: a workstation holds only the project's public key — an anon JWT or an `sb_publishable_` key. A
// service-role JWT or an `sb_secret_` key bypasses row-level security (Supabase docs, "API keys":
// https://supabase.com/docs/guides/api/api-keys — "never expose the secret or service_role key"), and a JWT
// of any other role (authenticated, a custom role, none) is a user's token, not a project key. The kind and the
// message come from classifyKey/keyProblem in src/core/config.ts, the same ones the engine, headless and doctor use.
import { classifyKey, keyProblem as coreKeyProblem } from '../core/config.js'
import { isEmail, supabaseUrlProblem, type FieldProblems, type SettingsInput } from '../shared/ipc.js'

/**
 * One sentence for the key field, or null when the key is an anon JWT or an sb_publishable_ key. The same
 * sentence the engine, headless and doctor give (core keyProblem); never echoes the key.
 */
export function keyProblem(value: unknown): string | null {
  return coreKeyProblem(typeof value === 'string' ? value : '', 'The anon key')
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
