// The OS notifier for headless mode, where the machine has one: notify-send (freedesktop), osascript
// (macOS) or PowerShell (Windows toast). Detected once; "none" is said once, never silently.
// Customer text goes in as argv/environment — never through a shell or a script string.
import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import type { Alert, AlertSink } from '../core/ports.js'
import { escapeMarkup } from '../core/alerts/safe-text.js'

export interface NotifierInfo {
  kind: 'notify-send' | 'osascript' | 'powershell' | null
  command: string | null
  /** Why this one, or why none. */
  why: string
}

function which(cmd: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    for (const ext of process.platform === 'win32' ? ['.exe', '.cmd', ''] : ['']) {
      const p = join(dir, cmd + ext)
      try {
        accessSync(p, constants.X_OK)
        return p
      } catch {
        /* next */
      }
    }
  }
  return null
}

export function detectNotifier(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): NotifierInfo {
  if (env.BAYALERT_NO_NOTIFIER) return { kind: null, command: null, why: 'disabled by BAYALERT_NO_NOTIFIER' }
  if (platform === 'darwin') {
    const p = which('osascript', env)
    return p ? { kind: 'osascript', command: p, why: 'macOS notification centre' } : { kind: null, command: null, why: 'osascript not found' }
  }
  if (platform === 'win32') {
    const p = which('powershell', env) ?? which('pwsh', env)
    return p ? { kind: 'powershell', command: p, why: 'Windows toast via PowerShell' } : { kind: null, command: null, why: 'PowerShell not found' }
  }
  const p = which('notify-send', env)
  if (!p) return { kind: null, command: null, why: 'notify-send not found (install libnotify-bin)' }
  if (!env.DBUS_SESSION_BUS_ADDRESS && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { kind: null, command: null, why: 'no desktop session (no DBUS_SESSION_BUS_ADDRESS/DISPLAY)' }
  }
  return { kind: 'notify-send', command: p, why: 'freedesktop notifications' }
}

const PS_TOAST = `
[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] | Out-Null
$t = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02)
$n = $t.GetElementsByTagName('text')
$n.Item(0).AppendChild($t.CreateTextNode($env:BAYALERT_TITLE)) | Out-Null
$n.Item(1).AppendChild($t.CreateTextNode($env:BAYALERT_BODY)) | Out-Null
[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier('BayAlert').Show([Windows.UI.Notifications.ToastNotification]::new($t))
`

export class OsNotifierSink implements AlertSink {
  readonly name: string
  readonly tier = 'notification' as const
  constructor(private readonly info: NotifierInfo & { command: string }) {
    this.name = `os-notifier:${info.kind}`
  }

  alert(a: Alert): Promise<void> {
    const title = a.title
    const body = a.body
    let args: string[]
    let env: NodeJS.ProcessEnv | undefined
    switch (this.info.kind) {
      case 'notify-send':
        // The freedesktop spec allows markup in bodies: escape (safe-text.ts, escapeMarkup).
        args = ['--app-name=BayAlert', `--urgency=${a.kind === 'health' ? 'normal' : 'critical'}`, '--', title, escapeMarkup(body)]
        break
      case 'osascript':
        args = ['-e', 'on run argv', '-e', 'display notification (item 2 of argv) with title (item 1 of argv)', '-e', 'end run', '--', title, body]
        break
      default:
        args = ['-NoProfile', '-NonInteractive', '-Command', PS_TOAST]
        env = { ...process.env, BAYALERT_TITLE: title, BAYALERT_BODY: body }
    }
    return new Promise((resolve, reject) => {
      execFile(this.info.command, args, { timeout: 5000, env, windowsHide: true }, (err) => (err ? reject(new Error(`${this.info.kind} failed: ${err.message}`)) : resolve()))
    })
  }
}
