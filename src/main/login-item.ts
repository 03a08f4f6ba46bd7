// Start at login, per platform (Electron's app.setLoginItemSettings, https://www.electronjs.org/docs/latest/api/app;
// zulip and stretchly branch the same way).
// - darwin, win32: app.setLoginItemSettings (typed @platform darwin,win32). macOS 13+: 'mainAppService'.
//   Windows: '--hidden' so a login start goes straight to the tray.
// - linux: a freedesktop autostart entry in $XDG_CONFIG_HOME/autostart (app.getPath('appData') is
//   ~/.config). AppImage: Exec must point at $APPIMAGE, not the temporary mount's execPath.
// - Unpackaged (dev, `npm start`): not offered — the entry would point at a bare electron binary.
import { app } from 'electron'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const AUTOSTART_FILE = 'com.bayalert.BayAlert.desktop'
export const HIDDEN_ARG = '--hidden'

export interface LoginItemEnv {
  platform: NodeJS.Platform
  isPackaged: boolean
  /** app.getPath('appData') */
  appData: string
  execPath: string
  appImage?: string
}

export function loginItemSupported(env: Pick<LoginItemEnv, 'platform' | 'isPackaged'>): boolean {
  return env.isPackaged && (env.platform === 'darwin' || env.platform === 'win32' || env.platform === 'linux')
}

/** Desktop Entry spec quoting: double quotes, with ", `, $ and \ escaped. */
export function quoteExecArg(arg: string): string {
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`
}

export function autostartDesktopEntry(exec: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=BayAlert',
    'Comment=Rings when a customer is waiting',
    `Exec=${quoteExecArg(exec)} ${HIDDEN_ARG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n')
}

function autostartPath(env: LoginItemEnv): string {
  return join(env.appData, 'autostart', AUTOSTART_FILE)
}

export function getStartAtLogin(env: LoginItemEnv): boolean {
  if (!loginItemSupported(env)) return false
  if (env.platform === 'linux') return existsSync(autostartPath(env))
  return app.getLoginItemSettings(env.platform === 'darwin' ? { type: 'mainAppService' } : { args: [HIDDEN_ARG] }).openAtLogin
}

/** Returns the state actually in effect afterwards. */
export function setStartAtLogin(env: LoginItemEnv, enabled: boolean): boolean {
  if (!loginItemSupported(env)) return false
  if (env.platform === 'linux') {
    const file = autostartPath(env)
    if (enabled) {
      mkdirSync(join(env.appData, 'autostart'), { recursive: true })
      writeFileSync(file, autostartDesktopEntry(env.appImage || env.execPath), { mode: 0o644 })
    } else {
      rmSync(file, { force: true })
    }
  } else if (env.platform === 'darwin') {
    app.setLoginItemSettings({ openAtLogin: enabled, type: 'mainAppService' })
  } else {
    app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] })
  }
  return getStartAtLogin(env)
}
