// Which detectors a host runs on which platform. The Electron host adds its own (src/main/alert-path) and
// asks for the tray check; headless has no tray.
import type { Detector } from './types.js'
import { audioDetector } from './linux/audio.js'
import { notificationDaemonDetector } from './linux/notification-daemon.js'
import { dunstPausedDetector, gnomeBannersDetector, inhibitedDetector } from './linux/notification-dnd.js'
import { statusNotifierDetector } from './linux/status-notifier.js'
import { macAudioDetector } from './macos/audio.js'
import { focusDetector } from './macos/focus.js'
import { quietHoursDetector } from './windows/quiet-hours.js'
import { windowsAudioDetector } from './windows/audio.js'
import { toastsDetector } from './windows/toasts-enabled.js'

export interface DetectorChoice {
  platform: NodeJS.Platform
  /** The host shows a tray icon (Electron): check that a tray host exists. */
  tray: boolean
  /** Windows AppUserModelID whose per-app notification switch is read. */
  appId: string
  /**
   * The host shows OS pop-ups (default true). Headless without an OS notifier (none installed, no desktop session,
   * or BAYALERT_NO_NOTIFIER) shows none, so what would hide them — Do Not Disturb, no notification daemon — swallows
   * nothing there, and a health alert about it at every start would be noise; only the audio checks remain.
   */
  popups?: boolean
}

export function platformDetectors(c: DetectorChoice): Detector[] {
  const popups = c.popups ?? true
  if (c.platform === 'win32') return popups ? [quietHoursDetector, toastsDetector(c.appId), windowsAudioDetector] : [windowsAudioDetector]
  if (c.platform === 'darwin') return popups ? [focusDetector, macAudioDetector] : [macAudioDetector]
  if (c.platform === 'linux' || c.platform === 'freebsd' || c.platform === 'openbsd') {
    const list = popups ? [notificationDaemonDetector, inhibitedDetector, gnomeBannersDetector, dunstPausedDetector, audioDetector] : [audioDetector]
    return c.tray ? [...list, statusNotifierDetector] : list
  }
  return []
}
