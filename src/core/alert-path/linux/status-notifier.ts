// Linux tray host: Electron's Tray speaks StatusNotifierItem over D-Bus (electron#36333) and needs a host
// registered with org.kde.StatusNotifierWatcher to be seen. Vanilla GNOME has none without the
// "AppIndicator and KStatusNotifierItem Support" extension (electron#10427), so the icon — and its menu —
// simply never appear. Electron host only: headless has no tray.
import type { Detector, Finding } from '../types.js'
import { firstLine } from '../types.js'
import { getProperty, parseDbusBool } from './dbus.js'

const NO_HOST: Finding = {
  id: 'no-tray-host',
  affects: 'tray',
  reason: 'No tray host on this desktop: the BayAlert tray icon is invisible (on GNOME, enable the AppIndicator extension). The queue window stays reachable from the app launcher.',
}

export const statusNotifierDetector: Detector = {
  name: 'linux: tray host',
  async detect(os) {
    const a = await getProperty(os, { dest: 'org.kde.StatusNotifierWatcher', path: '/StatusNotifierWatcher' }, 'org.kde.StatusNotifierWatcher', 'IsStatusNotifierHostRegistered')
    switch (a.kind) {
      case 'reply': {
        const on = parseDbusBool(a.text)
        if (on === null) return { findings: [], unknown: `unreadable tray watcher answer (${firstLine(a.text, 60)})` }
        return { findings: on ? [] : [NO_HOST] }
      }
      case 'no-service':
        return { findings: [NO_HOST] }
      case 'no-bus':
        return { findings: [], unknown: `no desktop session bus (${a.detail})` }
      case 'unsupported':
        return { findings: [], unknown: `the tray watcher does not answer IsStatusNotifierHostRegistered (${a.detail})` }
      default:
        return { findings: [], unknown: a.why }
    }
  },
}
