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
import { z } from 'zod'
import { supabaseUrlProblem, type FieldProblems, type SettingsField, type SettingsInput } from '../shared/ipc.js'
import { EmailSchema } from '../shared/ipc-schemas.js'
import { GlobalShortcutSchema } from './global-shortcut/accelerator.js'

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
  return typeof value === 'string' && EmailSchema.safeParse(value.trim()).success ? null : 'The e-mail address is not valid.'
}

/**
 * A value checked by one of the rules above, trimmed when it passes: the rule's sentence is the schema's
 * message, so every place that parses with these schemas reports exactly what the settings form shows.
 */
function ruleField(rule: (value: unknown) => string | null) {
  return z
    .unknown()
    .superRefine((value, ctx) => {
      const problem = rule(value)
      if (problem) ctx.addIssue({ code: 'custom', message: problem })
    })
    .transform((value) => (typeof value === 'string' ? value.trim() : ''))
}

/** Each settings field's content rule as a schema (loadSettings parses stored and environment values with these). */
export const SETTINGS_FIELD_SCHEMAS = {
  supabaseUrl: ruleField(urlProblem),
  anonKey: ruleField(keyProblem),
  email: ruleField(emailProblem),
  soundEnabled: z.boolean(),
  globalShortcut: GlobalShortcutSchema.optional(),
}

/** The settings a mechanic saves: usable content, whitespace trimmed (a key pasted with a trailing newline is still the key). */
export const SettingsContentSchema = z.object(SETTINGS_FIELD_SCHEMAS)

export type SettingsContentCheck = { ok: true; settings: SettingsInput } | { ok: false; fields: FieldProblems }

/** Judges well-formed settings: the trimmed settings, or every field's problem keyed by field (first problem each). */
export function checkSettingsContent(input: SettingsInput): SettingsContentCheck {
  const parsed = SettingsContentSchema.safeParse(input)
  if (parsed.success) return { ok: true, settings: parsed.data }
  const fields: FieldProblems = {}
  for (const issue of parsed.error.issues) {
    const field = issue.path[0] as SettingsField
    fields[field] ??= issue.message
  }
  return { ok: false, fields }
}
