// Pure parts of the tray: which icon file a state uses, and the context-menu template. Kept free of
// Electron objects so they are unit-tested directly (electron/fiddle: pure functions for window options).
import type { MenuItemConstructorOptions } from 'electron'
import { LINK_STATE_LABEL, type LinkStateName, type PauseRequest, type PauseUntil } from '../shared/types.js'

export const LINK_STATES: readonly LinkStateName[] = ['signed-out', 'connecting', 'live', 'degraded', 'offline']

export function stateLabel(state: LinkStateName): string {
  return LINK_STATE_LABEL[state]
}

/**
 * Icon file for a state. Windows gets .ico (Explorer scales PNG tray icons badly); macOS a template image
 * (the name ending in "Template" is what makes nativeImage treat it as one, so the menu bar tints it for
 * light and dark mode); Linux a 22 px PNG. Each PNG has an @2x sibling that nativeImage picks up on HiDPI
 * (mattermost refreshImages). The attention variant adds a dot; on Windows it stands in for the badge
 * Windows does not have.
 */
export function trayIconFile(state: LinkStateName, attention: boolean, platform: NodeJS.Platform): string {
  const base = attention ? `${state}-attention` : state
  if (platform === 'win32') return `${base}.ico`
  if (platform === 'darwin') return `${base}Template.png`
  return `${base}.png`
}

export interface TrayModel {
  state: LinkStateName
  reason: string
  paused: PauseUntil
  waiting: number
  /** When the longest wait began (epoch ms), null when nobody waits: the tooltip names it. */
  longestWaitSince: number | null
  unacknowledged: number
  signedIn: boolean
  loginItem: { supported: boolean; enabled: boolean }
  /** The workstation watch's line ("2 of 3 workstations live — Bay 3 silent since 10:42"), or null while unknown. */
  workstations?: string | null
  /** The alert-path self-test found something that swallows alerts (its reasons); null/absent: nothing found. */
  alertPathWarning?: string | null
}

export interface TrayActions {
  showQueue(): void
  /** The large-type shop-screen view, in a window of its own. */
  openWallboard(): void
  acknowledgeAll(): void
  pause(request: PauseRequest): void
  resume(): void
  reconnectNow(): void
  setStartAtLogin(enabled: boolean): void
  signOut(): void
  quit(): void
  /** Test alert: the self-test plus one alert through every sink. */
  testAlert(): void
}

/**
 * The state whose icon the tray shows: a live link whose alerts something on this machine swallows is not
 * "all green" — it shows the degraded (warning) icon. Any other state already says more than the warning.
 */
export function iconState(m: Pick<TrayModel, 'state' | 'alertPathWarning'>): LinkStateName {
  return m.state === 'live' && m.alertPathWarning ? 'degraded' : m.state
}

export function pausedLabel(paused: PauseUntil, now: number): string | null {
  if (paused === null) return null
  if (paused === 'indefinite') return 'Alerts paused until resumed'
  const mins = Math.max(1, Math.ceil((paused - now) / 60_000))
  return `Alerts paused for ${mins} more min`
}

/** "longest 7 min", "longest < 1 min", "longest 1 h 05 min". */
export function longestWaitLabel(since: number, now: number): string {
  const m = Math.floor(Math.max(0, now - since) / 60_000)
  if (m < 1) return 'longest < 1 min'
  if (m < 60) return `longest ${m} min`
  return `longest ${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`
}

export function tooltipFor(m: TrayModel, now: number): string {
  const parts = [`BayAlert — ${stateLabel(m.state)}`]
  // The count and the longest wait first: they are what a glance at the tray is for (and Windows cuts the rest).
  if (m.waiting > 0) parts.push(m.longestWaitSince === null ? `${m.waiting} waiting` : `${m.waiting} waiting, ${longestWaitLabel(m.longestWaitSince, now)}`)
  if (m.alertPathWarning) parts.push('⚠ alerts may not reach you')
  const p = pausedLabel(m.paused, now)
  if (p) parts.push(p)
  // While live, the warning is the news; otherwise the link's reason is.
  const second = m.state === 'live' && m.alertPathWarning ? m.alertPathWarning : m.reason
  // Windows truncates tray tooltips at 127 characters.
  return `${parts.join(' · ')}\n${second}`.slice(0, 127)
}

/**
 * The context menu. It must always work on its own: some Linux trays never deliver 'click'
 * (electron#6773, #22037), so "Show queue" is the first item rather than relying on the icon click.
 */
export function buildTrayMenuTemplate(m: TrayModel, a: TrayActions, now: number): MenuItemConstructorOptions[] {
  const paused = pausedLabel(m.paused, now)
  const items: MenuItemConstructorOptions[] = [
    { id: 'status', label: `${stateLabel(m.state)} — ${truncate(m.reason, 60)}`, enabled: false },
  ]
  if (paused) items.push({ id: 'paused', label: paused, enabled: false })
  if (m.workstations) items.push({ id: 'workstations', label: truncate(m.workstations, 80), enabled: false })
  if (m.alertPathWarning) items.push({ id: 'alert-path', label: `⚠ ${truncate(m.alertPathWarning, 80)}`, enabled: false })
  items.push(
    { type: 'separator' },
    { id: 'show', label: m.waiting > 0 ? `Show queue (${m.waiting} waiting)` : 'Show queue', click: () => a.showQueue() },
    { id: 'wallboard', label: 'Open wallboard', click: () => a.openWallboard() },
    { id: 'ack-all', label: 'Acknowledge all', enabled: m.unacknowledged > 0, click: () => a.acknowledgeAll() },
    { type: 'separator' },
    { id: 'pause-15', label: 'Pause alerts 15 min', click: () => a.pause({ minutes: 15 }) },
    { id: 'pause-60', label: 'Pause alerts 1 h', click: () => a.pause({ minutes: 60 }) },
    { id: 'pause-indefinite', label: 'Pause until resumed', click: () => a.pause({ indefinite: true }) },
    { id: 'resume', label: 'Resume alerts', enabled: m.paused !== null, click: () => a.resume() },
    { id: 'reconnect', label: 'Reconnect now', enabled: m.signedIn, click: () => a.reconnectNow() },
    { id: 'test-alert', label: 'Test alert', click: () => a.testAlert() },
    { type: 'separator' },
    {
      id: 'login-item',
      label: m.loginItem.supported ? 'Start at login' : 'Start at login (packaged app only)',
      type: 'checkbox',
      checked: m.loginItem.enabled,
      enabled: m.loginItem.supported,
      click: (item) => a.setStartAtLogin(item.checked),
    },
    { id: 'sign-out', label: 'Sign out', enabled: m.signedIn, click: () => a.signOut() },
    { id: 'quit', label: 'Quit BayAlert', click: () => a.quit() },
  )
  return items
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s
}
