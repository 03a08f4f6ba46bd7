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

export type SettingsField = keyof SettingsInput
/** One sentence per field, shown next to that field in the settings form. */
export type FieldProblems = Partial<Record<SettingsField, string>>

export interface SettingsView extends SettingsInput {
  /** Human-readable problems with the saved settings (bad values were replaced by safe defaults). */
  problems: string[]
  /** The same problems, by the field they belong to (for the message next to the field). */
  fields: FieldProblems
  /** Whether secrets are really encrypted at rest (false on Linux without a keyring: `basic_text`). */
  secretStorage: { protected: boolean; backend: string; message: string | null }
  configured: boolean
  provisioning: ProvisioningView
}

/** The administrator's provisioning file in effect (null: none) and the fields whose value comes from it. */
export interface ProvisioningView {
  source: string | null
  fields: SettingsField[]
}

export type SaveSettingsResult = { ok: true; settings: SettingsView } | { ok: false; problems: string[]; fields: FieldProblems }
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

/** What the window says about updates (update-policy.ts decides; updater.ts reports). */
export interface UpdateStatus {
  phase: 'off' | 'idle' | 'checking' | 'downloading' | 'downloaded' | 'error'
  version: string | null
  text: string
}

export type FirstRunStep = 'connect' | 'sign-in' | 'test-alert' | 'finish'

/** What the queue window needs to open on the first-run panel (step null: no panel). */
export interface FirstRunState {
  step: FirstRunStep | null
  startAtLoginDefault: boolean
  loginItemSupported: boolean
}

export interface TestAlertResult {
  /** The sound sink was asked to play (false: sound is off in the settings). */
  played: boolean
  message: string
}

/** The mechanic's choices at the end of first run. */
export interface FirstRunChoices {
  startAtLogin: boolean
  soundHeard: boolean | null
}

/** One doctor-like check, as the first-run panel lists them. */
export interface Check {
  name: string
  status: 'ok' | 'warn' | 'fail'
  detail: string
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
  'updates:get-status': { args: []; result: UpdateStatus }
  'first-run:get-state': { args: []; result: FirstRunState }
  'first-run:test-alert': { args: []; result: TestAlertResult }
  'first-run:finish': { args: [choices: FirstRunChoices]; result: Check[] }
  'diagnostics:export': { args: []; result: DiagnosticsExportResult }
}
export type InvokeChannel = keyof InvokeChannels

/** main → renderer (webContents.send / ipcRenderer.on). */
export interface PushChannels {
  'engine:snapshot': [snapshot: EngineSnapshot]
  'alert:in-app': [alert: InAppAlert]
  'settings:changed': [settings: SettingsView]
  'sound:play': [sound: SoundName]
  'updates:status': [status: UpdateStatus]
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
  getUpdateStatus(): Promise<UpdateStatus>
  onUpdateStatus(listener: (status: UpdateStatus) => void): () => void
  getFirstRunState(): Promise<FirstRunState>
  testAlert(): Promise<TestAlertResult>
  finishFirstRun(choices: FirstRunChoices): Promise<Check[]>
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

export const SETTINGS_LIMITS = { supabaseUrl: 2048, anonKey: 4096, email: 254 } as const

/**
 * The shape the IPC layer accepts for settings: exactly the four keys, strings within their size limits and
 * a boolean. The content (https, which kind of key, e-mail form) is judged by the main process, which
 * answers with one message per field instead of an "invalid arguments" error the mechanic cannot act on.
 */
export function isSettingsShape(v: unknown): v is SettingsInput {
  if (!isPlainObject(v) || !hasExactKeys(v, ['supabaseUrl', 'anonKey', 'email', 'soundEnabled'])) return false
  const str = (x: unknown, max: number) => typeof x === 'string' && x.length <= max
  return (
    str(v.supabaseUrl, SETTINGS_LIMITS.supabaseUrl) &&
    str(v.anonKey, SETTINGS_LIMITS.anonKey) &&
    str(v.email, SETTINGS_LIMITS.email) &&
    typeof v.soundEnabled === 'boolean'
  )
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
  'settings:save': (a): a is [SettingsInput] => a.length === 1 && isSettingsShape(a[0]),
  'session:sign-in': (a): a is [string, string] => a.length === 2 && isEmail(a[0]) && isPassword(a[1]),
  'session:sign-out': none,
  'updates:get-status': none,
  'first-run:get-state': none,
  'first-run:test-alert': none,
  'first-run:finish': (a): a is [FirstRunChoices] => a.length === 1 && isFirstRunChoices(a[0]),
  'diagnostics:export': none,
}

/** Exactly {startAtLogin: boolean, soundHeard: boolean | null}. */
export function isFirstRunChoices(v: unknown): v is FirstRunChoices {
  return (
    isPlainObject(v) &&
    hasExactKeys(v, ['startAtLogin', 'soundHeard']) &&
    typeof v.startAtLogin === 'boolean' &&
    (v.soundHeard === null || typeof v.soundHeard === 'boolean')
  )
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
