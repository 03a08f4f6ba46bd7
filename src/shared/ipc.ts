// The one IPC contract between the Electron main process and its renderers (electron/fiddle's single
// contract file, zulip's typed channel maps). The loopback UI server (src/cli/ui-server.ts) speaks the same
// invoke channels over HTTP and shares the argument validators below, so the queue UI sees one API in both
// hosts. Pure data and pure functions only: this file is compiled for the renderer too (no Node, no DOM).
import type { AcceptResult, BayAlertApi, EngineSnapshot, PauseRequest } from './types.js'

/** Non-secret settings as the settings form sees them. The anon key is public by design in Supabase. */
export interface SettingsInput {
  supabaseUrl: string
  anonKey: string
  email: string
  soundEnabled: boolean
}

export interface SettingsView extends SettingsInput {
  /** Human-readable problems with the saved settings (bad values were replaced by safe defaults). */
  problems: string[]
  /** Whether secrets are really encrypted at rest (false on Linux without a keyring: `basic_text`). */
  secretStorage: { protected: boolean; backend: string; message: string | null }
  configured: boolean
}

export type SaveSettingsResult = { ok: true; settings: SettingsView } | { ok: false; problems: string[] }
/** "Export diagnostics": where the file was written, or why not (cancelled included). */
export type DiagnosticsExportResult = { ok: true; path: string } | { ok: false; error: string }
export type SignInResult = { ok: true } | { ok: false; message: string }

/** Shown in the queue window when the in-app sink fires (the tray and notification carry the rest). */
export interface InAppAlert {
  title: string
  body: string
  requestId: string | null
  at: number
}

export const SOUND_NAMES = ['request', 'health'] as const
export type SoundName = (typeof SOUND_NAMES)[number]

/** renderer → main (ipcRenderer.invoke / ipcMain.handle). */
export interface InvokeChannels {
  'engine:get-snapshot': { args: []; result: EngineSnapshot }
  'queue:acknowledge': { args: [requestId: string]; result: void }
  'queue:accept': { args: [requestId: string]; result: AcceptResult }
  'alerts:pause': { args: [request: PauseRequest]; result: void }
  'alerts:resume': { args: []; result: void }
  'link:reconnect': { args: []; result: void }
  'settings:get': { args: []; result: SettingsView }
  'settings:save': { args: [settings: SettingsInput]; result: SaveSettingsResult }
  'session:sign-in': { args: [email: string, password: string]; result: SignInResult }
  'session:sign-out': { args: []; result: void }
  'diagnostics:export': { args: []; result: DiagnosticsExportResult }
}
export type InvokeChannel = keyof InvokeChannels

/** main → renderer (webContents.send / ipcRenderer.on). */
export interface PushChannels {
  'engine:snapshot': [snapshot: EngineSnapshot]
  'alert:in-app': [alert: InAppAlert]
  'settings:changed': [settings: SettingsView]
  'sound:play': [sound: SoundName]
}
export type PushChannel = keyof PushChannels

/** The channels the headless loopback server exposes: the BayAlertApi commands, nothing host-specific. */
export const QUEUE_CHANNELS = [
  'engine:get-snapshot',
  'queue:acknowledge',
  'queue:accept',
  'alerts:pause',
  'alerts:resume',
  'link:reconnect',
] as const satisfies readonly InvokeChannel[]
export type QueueChannel = (typeof QUEUE_CHANNELS)[number]

/** Settings and sign-in, present only in the Electron host (headless is configured from the environment). */
export interface BayAlertHostApi {
  getSettings(): Promise<SettingsView>
  saveSettings(settings: SettingsInput): Promise<SaveSettingsResult>
  signIn(email: string, password: string): Promise<SignInResult>
  signOut(): Promise<void>
  onSettingsChanged(listener: (settings: SettingsView) => void): () => void
  /** Save dialog, then one JSON file with secrets and customer data removed. */
  exportDiagnostics?(): Promise<DiagnosticsExportResult>
}

/** What `window.bayalert` is: the BayAlertApi plus optional extras a host may offer. */
export interface BayAlertBridge extends BayAlertApi {
  onAlert?(listener: (alert: InAppAlert) => void): () => void
  host?: BayAlertHostApi
}

// ---------------------------------------------------------------------------------------------------
// Runtime validation. Renderer input is untrusted (Electron security checklist #17; mattermost's
// ipcValidate): every handler checks its arguments before they reach the engine.

export const REQUEST_ID_MAX = 128
const REQUEST_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/

export function isRequestId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= REQUEST_ID_MAX && REQUEST_ID_RE.test(v)
}

function hasExactKeys(v: object, keys: string[]): boolean {
  const own = Object.keys(v)
  return own.length === keys.length && keys.every((k) => own.includes(k))
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** Exactly the PauseRequest union: {minutes:15} | {minutes:60} | {indefinite:true}, no extra keys. */
export function isPauseRequest(v: unknown): v is PauseRequest {
  if (!isPlainObject(v)) return false
  if (hasExactKeys(v, ['minutes'])) return v.minutes === 15 || v.minutes === 60
  if (hasExactKeys(v, ['indefinite'])) return v.indefinite === true
  return false
}

const EMAIL_RE = /^[^\s@<>"'`]{1,64}@[A-Za-z0-9.-]{1,253}$/

export function isEmail(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 254 && EMAIL_RE.test(v)
}

export function isPassword(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 1024
}

/** Returns a problem sentence, or null when the URL is a usable Supabase project URL. */
export function supabaseUrlProblem(v: unknown): string | null {
  if (typeof v !== 'string' || v.length === 0) return 'Supabase URL is empty.'
  if (v.length > 2048) return 'Supabase URL is too long.'
  let url: URL
  try {
    url = new URL(v)
  } catch {
    return 'Supabase URL is not a valid URL.'
  }
  if (url.username || url.password) return 'Supabase URL must not contain a user name or password.'
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]'
  if (url.protocol === 'https:') return null
  if (url.protocol === 'http:' && loopback) return null
  return 'Supabase URL must use https:// (plain http:// is allowed only for a local backend on 127.0.0.1).'
}

const ANON_KEY_RE = /^[A-Za-z0-9_.=+/-]+$/
export function anonKeyProblem(v: unknown): string | null {
  if (typeof v !== 'string' || v.length === 0) return 'Anon key is empty.'
  if (v.length > 4096 || !ANON_KEY_RE.test(v)) return 'Anon key has characters a Supabase key never has.'
  return null
}

/** Problems with a settings object (empty array: valid). Unknown keys are a problem too. */
export function settingsProblems(v: unknown): string[] {
  if (!isPlainObject(v)) return ['Settings must be an object.']
  if (!hasExactKeys(v, ['supabaseUrl', 'anonKey', 'email', 'soundEnabled'])) {
    return ['Settings must have exactly supabaseUrl, anonKey, email and soundEnabled.']
  }
  const problems: string[] = []
  const u = supabaseUrlProblem(v.supabaseUrl)
  if (u) problems.push(u)
  const k = anonKeyProblem(v.anonKey)
  if (k) problems.push(k)
  if (v.email !== '' && !isEmail(v.email)) problems.push('E-mail address is not valid.')
  if (typeof v.soundEnabled !== 'boolean') problems.push('Sound on/off must be true or false.')
  return problems
}

export function isSettingsInput(v: unknown): v is SettingsInput {
  return settingsProblems(v).length === 0
}

type ArgsValidator<C extends InvokeChannel> = (args: readonly unknown[]) => args is InvokeChannels[C]['args']

const none = (args: readonly unknown[]): args is [] => args.length === 0
const oneRequestId = (args: readonly unknown[]): args is [string] => args.length === 1 && isRequestId(args[0])

/** One validator per invoke channel; the typed handle() wrappers refuse anything these reject. */
export const ARG_VALIDATORS: { [C in InvokeChannel]: ArgsValidator<C> } = {
  'engine:get-snapshot': none,
  'queue:acknowledge': oneRequestId,
  'queue:accept': oneRequestId,
  'alerts:pause': (a): a is [PauseRequest] => a.length === 1 && isPauseRequest(a[0]),
  'alerts:resume': none,
  'link:reconnect': none,
  'settings:get': none,
  'settings:save': (a): a is [SettingsInput] => a.length === 1 && isSettingsInput(a[0]),
  'session:sign-in': (a): a is [string, string] => a.length === 2 && isEmail(a[0]) && isPassword(a[1]),
  'session:sign-out': none,
  'diagnostics:export': none,
}

export function isQueueChannel(v: unknown): v is QueueChannel {
  return typeof v === 'string' && (QUEUE_CHANNELS as readonly string[]).includes(v)
}

/** Describes a rejected argument list for logs without echoing its (possibly huge or secret) content. */
export function describeArgs(args: readonly unknown[]): string {
  return `[${args
    .map((a) => (a === null ? 'null' : Array.isArray(a) ? `array(${a.length})` : typeof a === 'string' ? `string(${a.length})` : typeof a))
    .join(', ')}]`
}
