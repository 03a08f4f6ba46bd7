// Non-secret settings (supabaseUrl, anonKey, email, sound on/off). Stored through a small key/value port
// (electron-store in production: settings-store.ts; a Map in tests). Whatever is on disk is validated
// with the same rules the IPC handler uses; a bad value is replaced by its safe default and the reason is
// kept in `problems` so the queue window can show it instead of failing silently.
// Environment variables (SUPABASE_URL, SUPABASE_ANON_KEY, BAYALERT_EMAIL) override saved values; that is
// how `npm start` points the app at the local demo backend without touching the user's settings.
import type { SettingsInput, SettingsView } from '../shared/ipc.js'
import { anonKeyProblem, isEmail, settingsProblems, supabaseUrlProblem } from '../shared/ipc.js'

export interface KeyValueStore {
  get(key: string): unknown
  set(key: string, value: unknown): void
  delete(key: string): void
}

export const DEFAULT_SETTINGS: SettingsInput = { supabaseUrl: '', anonKey: '', email: '', soundEnabled: true }

export interface LoadedSettings {
  settings: SettingsInput
  problems: string[]
  /** True when both the URL and the key are usable (from disk or environment). */
  configured: boolean
}

/** Validates a raw stored object field by field, keeping every good value and defaulting the bad ones. */
export function loadSettings(raw: unknown, env: NodeJS.ProcessEnv = {}): LoadedSettings {
  const problems: string[] = []
  const obj = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  if (raw !== undefined && raw !== null && obj !== raw) problems.push('Saved settings were not an object and were ignored.')
  const s: SettingsInput = { ...DEFAULT_SETTINGS }

  const url = env.SUPABASE_URL ?? obj.supabaseUrl
  if (url !== undefined && url !== '') {
    const p = supabaseUrlProblem(url)
    if (p) problems.push(`${p} Using no shop until it is fixed.`)
    else s.supabaseUrl = url as string
  }
  const key = env.SUPABASE_ANON_KEY ?? obj.anonKey
  if (key !== undefined && key !== '') {
    const p = anonKeyProblem(key)
    if (p) problems.push(`${p} Using no key until it is fixed.`)
    else s.anonKey = key as string
  }
  const email = env.BAYALERT_EMAIL ?? obj.email
  if (email !== undefined && email !== '') {
    if (isEmail(email)) s.email = email
    else problems.push('Saved e-mail address is not valid and was cleared.')
  }
  if (obj.soundEnabled !== undefined) {
    if (typeof obj.soundEnabled === 'boolean') s.soundEnabled = obj.soundEnabled
    else problems.push('Saved sound setting was not on/off; sound is on.')
  }
  return { settings: s, problems, configured: s.supabaseUrl !== '' && s.anonKey !== '' }
}

const KEY = 'settings'

export class SettingsService {
  private current: LoadedSettings
  private listeners = new Set<(s: LoadedSettings) => void>()

  constructor(
    private readonly store: KeyValueStore,
    private readonly env: NodeJS.ProcessEnv = {},
  ) {
    this.current = loadSettings(store.get(KEY), env)
  }

  get(): LoadedSettings {
    return this.current
  }

  /** Validates strictly (the renderer gets the problems back) and only then writes. */
  save(input: unknown): { ok: true; loaded: LoadedSettings } | { ok: false; problems: string[] } {
    const problems = settingsProblems(input)
    if (problems.length) return { ok: false, problems }
    const s = input as SettingsInput
    this.store.set(KEY, { supabaseUrl: s.supabaseUrl, anonKey: s.anonKey, email: s.email, soundEnabled: s.soundEnabled })
    this.current = loadSettings(this.store.get(KEY), this.env)
    for (const l of this.listeners) l(this.current)
    return { ok: true, loaded: this.current }
  }

  onChange(listener: (s: LoadedSettings) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}

export function settingsView(loaded: LoadedSettings, secretStorage: SettingsView['secretStorage']): SettingsView {
  return { ...loaded.settings, problems: [...loaded.problems], secretStorage, configured: loaded.configured }
}
