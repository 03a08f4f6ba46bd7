// Windows: does the shell accept notifications right now? SHQueryUserNotificationState
// (https://learn.microsoft.com/en-us/windows/win32/api/shellapi/nf-shellapi-shqueryusernotificationstate)
// through a one-line PowerShell Add-Type. It reports full-screen/presentation ("busy") and quiet time; it
// does NOT report Focus Assist's priority-only mode, which has no public API (mattermost reads it through
// the native windows-focus-assist module) — so "ok" here means "nothing the shell admits to".
import { firstLine, notAnswered, type Detector, type Finding } from '../types.js'

export const QUNS_SCRIPT =
  '$t = Add-Type -MemberDefinition \'[DllImport("shell32.dll")] public static extern int SHQueryUserNotificationState(out int state);\' ' +
  "-Name Quns -Namespace BayAlert -PassThru; $s = 0; $hr = $t::SHQueryUserNotificationState([ref]$s); Write-Output \"$hr $s\""

const suppressed = (why: string): Finding => ({
  id: 'focus-assist',
  affects: 'notifications',
  reason: `Windows is holding notifications back (${why}): alerts show no pop-up — the queue window is brought to the front instead.`,
})

/** QUERY_USER_NOTIFICATION_STATE → a finding, none, or null for a value outside the enum. */
export function shellNotificationState(state: number): Finding | 'ok' | null {
  switch (state) {
    case 1: // QUNS_NOT_PRESENT: locked or screen saver — nobody is looking, and the toast waits in Action Center.
    case 5: // QUNS_ACCEPTS_NOTIFICATIONS
      return 'ok'
    case 2:
      return suppressed('a full-screen app is running')
    case 3:
      return suppressed('a full-screen game or video is running')
    case 4:
      return suppressed('presentation mode is on')
    case 6:
      return suppressed('quiet time after sign-in or an update')
    case 7:
      return suppressed('a full-screen Store app is running')
    default:
      return null
  }
}

export const quietHoursDetector: Detector = {
  name: 'windows: notification state',
  async detect(os) {
    const r = await os.run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', QUNS_SCRIPT], { timeoutMs: 4000 })
    const not = notAnswered('PowerShell', r)
    if (not) return { findings: [], unknown: not }
    if (r.kind === 'failed') return { findings: [], unknown: `PowerShell failed (${firstLine(r.stderr) || `exit ${r.code}`})` }
    if (r.kind !== 'ok') return { findings: [], unknown: 'PowerShell gave no answer' }
    const m = /^(-?\d+)\s+(\d+)\s*$/m.exec(r.stdout)
    if (!m) return { findings: [], unknown: `unreadable answer (${firstLine(r.stdout, 60)})` }
    if (Number(m[1]) !== 0) return { findings: [], unknown: `SHQueryUserNotificationState returned HRESULT ${m[1]}` }
    const q = shellNotificationState(Number(m[2]))
    if (q === null) return { findings: [], unknown: `unknown notification state ${m[2]}` }
    return { findings: q === 'ok' ? [] : [q] }
  },
}
