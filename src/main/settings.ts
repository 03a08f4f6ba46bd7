// Non-secret settings (supabaseUrl, anonKey, email, sound on/off). Stored through a small key/value port
// (electron-store in production: settings-store.ts; a Map in tests). Every value, wherever it comes from,
// passes the rules of settings-rules.ts before it is used or saved: a refused URL or key is never handed to
// the engine and never written, and the reason is kept in `problems` (and by field in `fields`) so the
// queue window shows it next to the field instead of failing silently.
// Environment variables (SUPABASE_URL, SUPABASE_ANON_KEY, BAYALERT_EMAIL) override saved values; that is
// how `npm start` points the app at the local demo backend without touching the user's settings. An
// administrator's provisioning file (provisioning.ts) supplies the defaults under both.
import { type FieldProblems, type ProvisioningView, type SettingsField, type SettingsInput, type SettingsView } from '../shared/ipc.js'
import { SettingsInputSchema } from '../shared/ipc-schemas.js'
import { NO_PROVISIONING, type Provisioning } from './provisioning.js'
import { checkSettingsContent, isSecretKey, SETTINGS_FIELD_SCHEMAS } from './settings-rules.js'
import { DEFAULT_GLOBAL_SHORTCUT } from './global-shortcut/accelerator.js'

export interface KeyValueStore {
  get(key: string): unknown
  set(key: string, value: unknown): void
  delete(key: string): void
}

export const DEFAULT_SETTINGS: SettingsInput = { supabaseUrl: '', anonKey: '', email: '', soundEnabled: true, globalShortcut: DEFAULT_GLOBAL_SHORTCUT }

export interface LoadedSettings {
  settings: SettingsInput
  problems: string[]
  fields: FieldProblems
  /** True when both the URL and the key are usable (from disk, environment or provisioning). */
  configured: boolean
  /** The provisioning file in effect and the fields whose value comes from it. */
  provisioning: ProvisioningView
}

const ENV_NAME: Record<Exclude<SettingsField, 'soundEnabled' | 'globalShortcut'>, string> = {
  supabaseUrl: 'SUPABASE_URL',
  anonKey: 'SUPABASE_ANON_KEY',
  email: 'BAYALERT_EMAIL',
}

/**
 * Validates a raw stored object field by field, keeping every good value and defaulting the bad ones.
 * Precedence per field: environment > the user's saved settings > the administrator's provisioning file >
 * built-in default. A refused value falls back to the provisioned one (if any), never to nothing silently.
 */
export function loadSettings(raw: unknown, env: NodeJS.ProcessEnv = {}, provisioning: Provisioning = NO_PROVISIONING): LoadedSettings {
  const problems: string[] = [...provisioning.problems]
  const fields: FieldProblems = {}
  const fromProvisioning: SettingsField[] = []
  const prov = provisioning.values
  const note = (field: SettingsField, message: string) => {
    problems.push(message)
    fields[field] ??= message
  }
  const obj = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  if (raw !== undefined && raw !== null && obj !== raw) problems.push('Saved settings were not an object and were ignored.')
  const s: SettingsInput = { ...DEFAULT_SETTINGS }

  for (const field of ['supabaseUrl', 'anonKey', 'email'] as const) {
    const fromEnv = env[ENV_NAME[field]]
    const value = fromEnv ?? obj[field]
    const provisioned = field === 'email' ? undefined : prov[field]
    let use: string | undefined
    if (value !== undefined && value !== '') {
      const parsed = SETTINGS_FIELD_SCHEMAS[field].safeParse(value)
      const where = fromEnv !== undefined ? `${ENV_NAME[field]} (environment)` : 'Saved settings'
      const then = provisioned !== undefined ? "Using the administrator's provisioned value instead." : field === 'email' ? 'It was cleared.' : 'Not used until it is fixed.'
      if (!parsed.success) note(field, `${where}: ${parsed.error.issues[0]!.message} ${then}`)
      else use = parsed.data
    }
    if (use === undefined && provisioned !== undefined) {
      use = provisioned
      fromProvisioning.push(field)
    }
    if (use !== undefined) s[field] = use
  }
  const sound = SETTINGS_FIELD_SCHEMAS.soundEnabled.safeParse(obj.soundEnabled)
  if (sound.success) s.soundEnabled = sound.data
  else {
    if (obj.soundEnabled !== undefined) note('soundEnabled', `Saved sound setting was not on/off; ${prov.soundEnabled === false ? 'the provisioned value (off) is used' : 'sound is on'}.`)
    if (prov.soundEnabled !== undefined) {
      s.soundEnabled = prov.soundEnabled
      fromProvisioning.push('soundEnabled')
    }
  }
  if (obj.globalShortcut !== undefined) {
    const shortcut = SETTINGS_FIELD_SCHEMAS.globalShortcut.safeParse(obj.globalShortcut)
    if (shortcut.success && shortcut.data !== undefined) s.globalShortcut = shortcut.data
    else if (!shortcut.success) note('globalShortcut', `Saved shortcut: ${shortcut.error.issues[0]!.message} The default ${DEFAULT_GLOBAL_SHORTCUT} is used.`)
  }
  return {
    settings: s,
    problems,
    fields,
    configured: s.supabaseUrl !== '' && s.anonKey !== '',
    provisioning: { source: provisioning.source, fields: fromProvisioning },
  }
}

const KEY = 'settings'

export class SettingsService {
  private removedSecret = false
  private current: LoadedSettings
  private listeners = new Set<(s: LoadedSettings) => void>()

  constructor(
    private readonly store: KeyValueStore,
    private readonly env: NodeJS.ProcessEnv = {},
    private readonly provisioning: Provisioning = NO_PROVISIONING,
  ) {
    this.current = loadSettings(this.withoutSecretKey(store.get(KEY)), env, provisioning)
    if (this.removedSecret) {
      const message = 'A secret (service-role) key was saved on this workstation by an earlier version; it bypasses row-level security and has been deleted. Enter the anon (publishable) key.'
      this.current.problems.unshift(message)
      this.current.fields.anonKey ??= message
    }
  }

  /**
   * A secret (service-role / sb_secret_) key saved by an older version is deleted from disk, not only
   * ignored: it bypasses row-level security and must not stay on a workstation. The problem list says so.
   */
  private withoutSecretKey(raw: unknown): unknown {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw
    const { anonKey, ...rest } = raw as Record<string, unknown>
    if (typeof anonKey !== 'string' || !isSecretKey(anonKey)) return raw
    this.store.set(KEY, rest)
    this.removedSecret = true
    return rest
  }

  get(): LoadedSettings {
    return this.current
  }

  /** True when start-up deleted a saved secret key (the host logs it once; the window lists it). */
  removedSecretKey(): boolean {
    return this.removedSecret
  }

  /** Validates strictly (the renderer gets one message per bad field back) and only then writes. */
  save(input: unknown): { ok: true; loaded: LoadedSettings } | { ok: false; problems: string[]; fields: FieldProblems } {
    // The IPC layer checks the shape already; checked again because sign-in and first run call this too.
    const shape = SettingsInputSchema.safeParse(input)
    if (!shape.success) return { ok: false, problems: ['Settings must have exactly supabaseUrl, anonKey, email and soundEnabled.'], fields: {} }
    const content = checkSettingsContent(shape.data)
    if (!content.ok) return { ok: false, problems: Object.values(content.fields), fields: content.fields }
    const s = content.settings
    // A value equal to the provisioned one is not stored: it keeps following the administrator's file, so a
    // later change there (a new shop URL) reaches this workstation instead of being masked by a copy.
    const prov = this.provisioning.values
    const stored: Partial<SettingsInput> = { email: s.email }
    if (s.supabaseUrl !== prov.supabaseUrl) stored.supabaseUrl = s.supabaseUrl
    if (s.anonKey !== prov.anonKey) stored.anonKey = s.anonKey
    if (s.soundEnabled !== prov.soundEnabled) stored.soundEnabled = s.soundEnabled
    // A caller without the field (sign-in, first run, an older window) keeps the shortcut in effect.
    const shortcut = s.globalShortcut ?? this.current.settings.globalShortcut
    // Like a provisioned value, the default is not stored: it stays the default.
    if (shortcut !== undefined && shortcut !== DEFAULT_GLOBAL_SHORTCUT) stored.globalShortcut = shortcut
    this.store.set(KEY, stored)
    this.current = loadSettings(this.store.get(KEY), this.env, this.provisioning)
    for (const l of this.listeners) l(this.current)
    return { ok: true, loaded: this.current }
  }

  onChange(listener: (s: LoadedSettings) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

export function settingsView(loaded: LoadedSettings, secretStorage: SettingsView['secretStorage']): SettingsView {
  return {
    ...loaded.settings,
    problems: [...loaded.problems],
    fields: { ...loaded.fields },
    secretStorage,
    configured: loaded.configured,
    provisioning: { source: loaded.provisioning.source, fields: [...loaded.provisioning.fields] },
  }
}
