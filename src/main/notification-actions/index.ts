// The one seam between a native notification and "take it" / "open the queue on it", per platform:
// - macOS: a Take it button (`actions`) and the notification's 'action' event. (Buttons show only for a signed
//   app whose NSUserNotificationAlertStyle is 'alert': https://www.electronjs.org/docs/latest/api/structures/notification-action)
// - Windows: toast XML with a Take it button; its activation comes back through Notification.handleActivation
//   (windows.ts), not through this notification object.
// - Linux: Electron's libnotify notifications offer no buttons of our own (action buttons are macOS and Windows
//   only, per the page above; libnotify gets one fixed default action, electron/electron#30273), so a click opens
//   the queue window on that request with its Take it button focused.
// Only a notification about one request gets a Take it button; a summary of several opens the queue.
import type { PlatformActions } from './types.js'
import { macActions } from './mac.js'
import { linuxActions } from './linux.js'
import { windowsActions } from './windows.js'

export type { ActionableNotification, NotificationActionHandlers, PlatformActions } from './types.js'
export { takeableRequest } from './types.js'

export function platformActions(platform: NodeJS.Platform): PlatformActions {
  if (platform === 'darwin') return macActions
  if (platform === 'win32') return windowsActions
  return linuxActions
}
