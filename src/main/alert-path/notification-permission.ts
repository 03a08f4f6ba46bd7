// Electron-only facts about notifications, as a detector of the alert-path port: the platform says native
// notifications are unsupported (Notification.isSupported() false — e.g. no notification server Electron can
// use), or, on Windows, the app has no AppUserModelID a Start-menu shortcut carries. Windows shows toasts only
// for an app whose AUMID matches an installed shortcut (https://www.electronjs.org/docs/latest/tutorial/notifications,
// "Windows"); the installer writes it for the packaged app, so an unpackaged run on Windows shows none.
// The facts are handed in, so this module imports no Electron and is tested directly.
import type { Detector, Finding } from '../../core/alert-path/types.js'

export interface NotificationFacts {
  platform: NodeJS.Platform
  isSupported: () => boolean
  isPackaged: boolean
  /** app.setAppUserModelId() was called (Windows). */
  appUserModelIdSet: boolean
}

const UNSUPPORTED: Finding = {
  id: 'notifications-denied',
  affects: 'notifications',
  reason: 'This system does not offer native notifications to BayAlert: alerts show no pop-up — the queue window is brought to the front instead.',
}
const NO_AUMID: Finding = {
  id: 'no-app-user-model-id',
  affects: 'notifications',
  reason: 'BayAlert has no Windows app identity (AppUserModelID): Windows drops its notifications — the queue window is brought to the front instead.',
}
const UNPACKAGED_WINDOWS: Finding = {
  id: 'no-app-user-model-id',
  affects: 'notifications',
  reason: 'BayAlert runs unpackaged on Windows, without the Start-menu shortcut its notifications need: alerts show no pop-up — install the packaged app.',
}

export function notificationPermissionDetector(f: NotificationFacts): Detector {
  return {
    name: 'electron: notifications',
    async detect() {
      if (!f.isSupported()) return { findings: [UNSUPPORTED] }
      if (f.platform !== 'win32') return { findings: [] }
      if (!f.appUserModelIdSet) return { findings: [NO_AUMID] }
      return { findings: f.isPackaged ? [] : [UNPACKAGED_WINDOWS] }
    },
  }
}
