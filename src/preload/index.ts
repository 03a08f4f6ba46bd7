// Preload (sandboxed, contextIsolation): exposes window.bayalert — the BayAlertApi plus the Electron-only
// settings/sign-in extras — over the typed IPC contract. Security checklist #20: task-specific functions
// only, no raw ipcRenderer, listeners wrapped so the page never receives an IpcRendererEvent (which would
// hand it `sender`), and every subscription returns its own unsubscribe.
// The hidden sound window gets only window.bayalertSound (one listener), nothing else.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import type { BayAlertBridge, InvokeChannel, InvokeChannels, PushChannel, PushChannels, SoundName, SoundPlayedReport } from '../shared/ipc.js'

function invoke<C extends InvokeChannel>(channel: C, ...args: InvokeChannels[C]['args']): Promise<InvokeChannels[C]['result']> {
  return ipcRenderer.invoke(channel, ...args) as Promise<InvokeChannels[C]['result']>
}

function subscribe<C extends PushChannel>(channel: C, listener: (...args: PushChannels[C]) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('listener must be a function')
  const wrapped = (_event: IpcRendererEvent, ...args: unknown[]) => listener(...(args as PushChannels[C]))
  ipcRenderer.on(channel, wrapped)
  return () => {
    ipcRenderer.removeListener(channel, wrapped)
  }
}

export const bayalert: BayAlertBridge = {
  getSnapshot: () => invoke('engine:get-snapshot'),
  acknowledge: (requestId) => invoke('queue:acknowledge', requestId),
  accept: (requestId) => invoke('queue:accept', requestId),
  pause: (request) => invoke('alerts:pause', request),
  resume: () => invoke('alerts:resume'),
  reconnectNow: () => invoke('link:reconnect'),
  getHistory: () => invoke('history:get'),
  onSnapshot: (listener) => subscribe('engine:snapshot', listener),
  onAlert: (listener) => subscribe('alert:in-app', listener),
  onFocusRequest: (listener) => subscribe('queue:focus', listener),
  host: {
    getSettings: () => invoke('settings:get'),
    saveSettings: (settings) => invoke('settings:save', settings),
    signIn: (email, password) => invoke('session:sign-in', email, password),
    signOut: () => invoke('session:sign-out'),
    onSettingsChanged: (listener) => subscribe('settings:changed', listener),
    getUpdateStatus: () => invoke('updates:get-status'),
    onUpdateStatus: (listener) => subscribe('updates:status', listener),
    getFirstRunState: () => invoke('first-run:get-state'),
    testAlert: () => invoke('first-run:test-alert'),
    finishFirstRun: (choices) => invoke('first-run:finish', choices),
    exportDiagnostics: () => invoke('diagnostics:export'),
    getAlertPrefs: () => invoke('prefs:get'),
    saveAlertPrefs: (prefs) => invoke('prefs:save', prefs),
    onAlertPrefsChanged: (listener) => subscribe('prefs:changed', listener),
    testSound: () => invoke('prefs:test-sound'),
    openDashboard: (requestId) => invoke('dashboard:open', requestId),
    getStartAtLogin: () => invoke('login-item:get'),
    setStartAtLogin: (enabled) => invoke('login-item:set', enabled),
    getAlertPath: () => invoke('alert-path:get-status'),
    onAlertPath: (listener) => subscribe('alert-path:status', listener),
    testAlertPath: () => invoke('alert-path:test'),
  },
}

export const bayalertSound = {
  onPlay: (listener: (sound: SoundName, volume: number, nonce?: string) => void) => subscribe('sound:play', listener),
  /** Answers a play request that carried a nonce: the Test alert's proof that the sound really played. */
  reportPlayed: (report: SoundPlayedReport) => invoke('sound:played', report),
}

/** Each page gets only the API it needs. */
export function exposeFor(pathname: string): void {
  if (pathname.endsWith('/sound.html')) contextBridge.exposeInMainWorld('bayalertSound', bayalertSound)
  else contextBridge.exposeInMainWorld('bayalert', bayalert)
}

exposeFor((globalThis as { location?: { pathname?: string } }).location?.pathname ?? '')
