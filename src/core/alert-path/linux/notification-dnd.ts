// Linux Do Not Disturb, asked three cheap ways; each is silent where it does not apply (another desktop):
//  - the Notifications daemon's `Inhibited` property (KDE Plasma and others; the spec's inhibition support,
//    https://specifications.freedesktop.org/notification-spec/latest/protocol.html — stretchly's dndManager
//    reads the same property);
//  - GNOME: `gsettings get org.gnome.desktop.notifications show-banners` (false = Do Not Disturb in the
//    GNOME quick settings);
//  - dunst: `dunstctl is-paused`.
import { firstLine, notAnswered, type Detector, type Finding } from '../types.js'
import { getProperty, parseDbusBool } from './dbus.js'
import { NOTIFICATIONS } from './notification-daemon.js'

const dnd = (where: string): Finding => ({
  id: 'do-not-disturb',
  affects: 'notifications',
  reason: `Do Not Disturb is on (${where}): alerts show no pop-up — the queue window is brought to the front instead.`,
})

export const inhibitedDetector: Detector = {
  name: 'linux: notifications inhibited',
  async detect(os) {
    const a = await getProperty(os, NOTIFICATIONS, 'org.freedesktop.Notifications', 'Inhibited')
    if (a.kind === 'reply') {
      const on = parseDbusBool(a.text)
      if (on === null) return { findings: [], unknown: `unreadable Inhibited answer (${firstLine(a.text, 60)})` }
      return { findings: on ? [dnd('the notification daemon is inhibited')] : [] }
    }
    // No daemon is the daemon detector's finding; a daemon without the property simply does not support it.
    if (a.kind === 'no-service' || a.kind === 'no-bus' || a.kind === 'unsupported') return { findings: [] }
    return { findings: [], unknown: a.why }
  },
}

export const gnomeBannersDetector: Detector = {
  name: 'linux: GNOME show-banners',
  async detect(os) {
    const r = await os.run('gsettings', ['get', 'org.gnome.desktop.notifications', 'show-banners'])
    if (r.kind === 'missing') return { findings: [] }
    const not = notAnswered('gsettings', r)
    if (not) return { findings: [], unknown: not }
    if (r.kind === 'failed') {
      // Not GNOME (the schema is not installed): nothing to say.
      if (/No such schema|No such key/i.test(r.stderr)) return { findings: [] }
      return { findings: [], unknown: `gsettings failed (${firstLine(r.stderr) || `exit ${r.code}`})` }
    }
    if (r.kind !== 'ok') return { findings: [], unknown: 'gsettings gave no answer' }
    const v = r.stdout.trim()
    if (v === 'true') return { findings: [] }
    if (v === 'false') return { findings: [dnd('GNOME')] }
    return { findings: [], unknown: `unreadable show-banners value (${firstLine(v, 40)})` }
  },
}

export const dunstPausedDetector: Detector = {
  name: 'linux: dunst paused',
  async detect(os) {
    const r = await os.run('dunstctl', ['is-paused'])
    if (r.kind === 'missing') return { findings: [] }
    const not = notAnswered('dunstctl', r)
    if (not) return { findings: [], unknown: not }
    // dunstctl installed but dunst not running: the daemon detector reports the missing daemon.
    if (r.kind === 'failed') return { findings: [] }
    if (r.kind !== 'ok') return { findings: [], unknown: 'dunstctl gave no answer' }
    const v = r.stdout.trim()
    if (v === 'false') return { findings: [] }
    if (v === 'true') return { findings: [dnd('dunst is paused')] }
    return { findings: [], unknown: `unreadable dunstctl answer (${firstLine(v, 40)})` }
  },
}
