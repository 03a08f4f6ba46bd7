// Linux: is anything serving org.freedesktop.Notifications? Without a daemon (a bare window manager, a
// kiosk session) libnotify — and so Electron's Notification and notify-send — have nobody to show a pop-up.
// GetServerInformation is the Desktop Notifications spec's cheapest call
// (https://specifications.freedesktop.org/notification-spec/latest/protocol.html).
import type { Detector } from '../types.js'
import { callMethod } from './dbus.js'

export const NOTIFICATIONS = { dest: 'org.freedesktop.Notifications', path: '/org/freedesktop/Notifications' }

export const notificationDaemonDetector: Detector = {
  name: 'linux: notification daemon',
  async detect(os) {
    const a = await callMethod(os, NOTIFICATIONS, 'org.freedesktop.Notifications.GetServerInformation')
    switch (a.kind) {
      case 'reply':
        // gdbus: ('dunst', 'knopwob', '1.9.0', '1.2'); dbus-send: string "dunst" … — either way a name comes first.
        return /['"][^'"]+['"]/.test(a.text) ? { findings: [] } : { findings: [], unknown: 'the notification daemon answered something unreadable' }
      case 'no-service':
        return {
          findings: [{ id: 'no-notification-daemon', affects: 'notifications', reason: 'No notification daemon is running: pop-up notifications cannot show (install or start one, e.g. your desktop’s or dunst).' }],
        }
      case 'no-bus':
        return {
          findings: [{ id: 'no-notification-daemon', affects: 'notifications', reason: `No desktop session bus (${a.detail}): pop-up notifications cannot show.` }],
        }
      case 'unsupported':
        return { findings: [], unknown: `the notification daemon does not answer GetServerInformation (${a.detail})` }
      default:
        return { findings: [], unknown: a.why }
    }
  },
}
