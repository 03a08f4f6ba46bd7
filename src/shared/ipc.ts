// The one IPC contract between the Electron main process and its renderers (electron/fiddle's single
// contract file, zulip's typed channel maps). The invoke channels, their argument and result types come from
// the schemas in ./ipc-schemas.ts (re-exported here as types only); the loopback UI server
// (src/cli/ui-server.ts) speaks the same invoke channels over HTTP and parses with the same schemas, so the
// queue UI sees one API in both hosts. Pure data and pure functions only, and no runtime import of the
// schemas: this file is compiled for the renderer and the sandboxed preload too (no Node, no DOM, no zod).
import type { BayAlertApi, EngineSnapshot } from './types.js'
import type { InvokeChannel, SettingsInput, SettingsView, SaveSettingsResult, SignInResult, UpdateStatus, FirstRunState, TestAlertResult, FirstRunChoices, Check, DiagnosticsExportResult, AlertPrefsView, SaveAlertPrefsResult, OpenDashboardResult, LoginItemState } from './ipc-schemas.js'
import type { AlertPathStatus, AlertPathTestResult } from './ipc-schemas.js'
import type { AlertPrefs, RequestSound } from './alert-prefs.js'

export type {
  AlertPathStatus,
  AlertPathTestResult,
  SoundPlayedReport,
  AlertPrefsView,
  LoginItemState,
  OpenDashboardResult,
  SaveAlertPrefsResult,
  Check,
  DiagnosticsExportResult,
  FieldProblems,
  FirstRunChoices,
  FirstRunState,
  FirstRunStep,
  InvokeChannel,
  InvokeChannels,
  ProvisioningView,
  SaveSettingsResult,
  SettingsField,
  SettingsInput,
  SettingsView,
  SignInResult,
  TestAlertResult,
  UpdateStatus,
} from './ipc-schemas.js'

/** Shown in the queue window when the in-app sink fires (the tray and notification carry the rest). */
export interface InAppAlert {
  title: string
  body: string
  requestId: string | null
  at: number
}

/** Every sound the hidden sound window may play: the request sounds a mechanic chooses from, and health. */
export const SOUND_NAMES = ['request', 'bell', 'pulse', 'health'] as const satisfies readonly (RequestSound | 'health')[]
export type SoundName = (typeof SOUND_NAMES)[number]
/** Volume as the sound window takes it: 0.1–1 (alert-prefs' 10–100 %). */
export type SoundVolume = number

/** main → renderer (webContents.send / ipcRenderer.on). */
export interface PushChannels {
  'engine:snapshot': [snapshot: EngineSnapshot]
  'alert:in-app': [alert: InAppAlert]
  'settings:changed': [settings: SettingsView]
  /** nonce: set when the main process wants proof it played (answered on the 'sound:played' channel). */
  'sound:play': [sound: SoundName, volume: SoundVolume, nonce?: string]
  'prefs:changed': [view: AlertPrefsView]
  'alert-path:status': [status: AlertPathStatus]
  'updates:status': [status: UpdateStatus]
  /** Show this request with its Take it button focused (a notification was clicked, or its take needs a retry). */
  'queue:focus': [requestId: string]
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
  'history:get',
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
  getAlertPrefs?(): Promise<AlertPrefsView>
  saveAlertPrefs?(prefs: AlertPrefs): Promise<SaveAlertPrefsResult>
  onAlertPrefsChanged?(listener: (view: AlertPrefsView) => void): () => void
  /** Plays the chosen request sound at the chosen volume (the settings' "Test" button). */
  testSound?(): Promise<TestAlertResult>
  /** Opens the request in the shop's dashboard (the configured https link) in the default browser. */
  openDashboard?(requestId: string): Promise<OpenDashboardResult>
  /** Start at login (Settings): the OS login item, read and set at once (not part of Save). */
  getStartAtLogin?(): Promise<LoginItemState>
  setStartAtLogin?(enabled: boolean): Promise<LoginItemState>
  /** The alert-path self-test: what on this machine swallows alerts (Do Not Disturb, muted output, no tray host). */
  getAlertPath?(): Promise<AlertPathStatus>
  onAlertPath?(listener: (status: AlertPathStatus) => void): () => void
  /** Test alert: a fresh self-test plus one alert through every sink, each proving delivery where it can. */
  testAlertPath?(): Promise<AlertPathTestResult>
}

/** What `window.bayalert` is: the BayAlertApi plus optional extras a host may offer. */
export interface BayAlertBridge extends BayAlertApi {
  onAlert?(listener: (alert: InAppAlert) => void): () => void
  /** The host asks to bring one request's Take it into focus. */
  onFocusRequest?(listener: (requestId: string) => void): () => void
  host?: BayAlertHostApi
}

// ---------------------------------------------------------------------------------------------------
// Limits and rules shared by the schemas (src/shared/ipc-schemas.ts) and the settings rules.

export const REQUEST_ID_MAX = 128

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

export const SETTINGS_LIMITS = { supabaseUrl: 2048, anonKey: 4096, email: 254, globalShortcut: 100 } as const

export function isQueueChannel(v: unknown): v is QueueChannel {
  return typeof v === 'string' && (QUEUE_CHANNELS as readonly string[]).includes(v)
}

/** Describes a rejected argument list for logs without echoing its (possibly huge or secret) content. */
export function describeArgs(args: readonly unknown[]): string {
  return `[${args
    .map((a) => (a === null ? 'null' : Array.isArray(a) ? `array(${a.length})` : typeof a === 'string' ? `string(${a.length})` : typeof a))
    .join(', ')}]`
}
