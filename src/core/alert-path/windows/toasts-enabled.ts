// Windows: notifications switched off in Settings, globally ("Get notifications from apps and other
// senders": HKCU\…\PushNotifications ToastEnabled = 0) or for this app (HKCU\…\Notifications\Settings\<AUMID>
// Enabled = 0). Read with `reg query`, which every Windows has; a value that is not there is the default (on).
import { firstLine, notAnswered, type CommandResult, type Detector, type DetectorResult, type Finding } from '../types.js'

export const GLOBAL_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\PushNotifications'
export const appKey = (aumid: string) => `HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Notifications\\Settings\\${aumid}`

const OFF_GLOBAL: Finding = {
  id: 'toasts-disabled',
  affects: 'notifications',
  reason: 'Windows notifications are switched off (Settings → System → Notifications): alerts show no pop-up — the queue window is brought to the front instead.',
}
const OFF_APP: Finding = {
  id: 'notifications-denied',
  affects: 'notifications',
  reason: 'Notifications for BayAlert are switched off in Windows Settings → System → Notifications: alerts show no pop-up — the queue window is brought to the front instead.',
}

/** REG_DWORD value from `reg query` output: 1, 0, null when absent; 'garbage' when the line is unreadable. */
export function regDword(r: CommandResult, value: string): number | null | 'garbage' | { unknown: string } {
  const not = notAnswered('reg', r)
  if (not) return { unknown: not }
  // reg exits 1 with "ERROR: The system was unable to find the specified registry key or value."
  if (r.kind === 'failed') return /unable to find/i.test(`${r.stderr}${r.stdout}`) ? null : { unknown: `reg failed (${firstLine(r.stderr) || `exit ${r.code}`})` }
  if (r.kind !== 'ok') return { unknown: 'reg gave no answer' }
  const m = new RegExp(`^\\s*${value}\\s+REG_DWORD\\s+0x([0-9a-fA-F]+)\\s*$`, 'm').exec(r.stdout)
  return m ? parseInt(m[1]!, 16) : 'garbage'
}

export function toastsDetector(aumid: string): Detector {
  return {
    name: 'windows: notifications switched on',
    async detect(os) {
      const [g, a] = await Promise.all([
        os.run('reg', ['query', GLOBAL_KEY, '/v', 'ToastEnabled']),
        os.run('reg', ['query', appKey(aumid), '/v', 'Enabled']),
      ])
      const out: DetectorResult = { findings: [] }
      const unknown: string[] = []
      for (const [res, value, finding] of [
        [regDword(g, 'ToastEnabled'), 'ToastEnabled', OFF_GLOBAL],
        [regDword(a, 'Enabled'), 'Enabled', OFF_APP],
      ] as const) {
        if (res === 0) out.findings.push(finding)
        else if (res === 'garbage') unknown.push(`unreadable ${value} value`)
        else if (res !== null && typeof res === 'object') unknown.push(res.unknown)
      }
      if (unknown.length) out.unknown = [...new Set(unknown)].join('; ')
      return out
    },
  }
}
