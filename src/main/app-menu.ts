// The application menu. Electron's default menu carries View → Reload / Force Reload / Toggle Developer
// Tools: fine while developing, not in an installed app (a reload drops the queue window's state, DevTools
// expose customer details). Packaged builds get no menu on Windows and Linux; macOS keeps the App and Edit
// menus only, because without an Edit menu Cmd+C / Cmd+V do nothing in text fields (the shop URL and key are
// pasted into the settings form) and Cmd+Q lives in the App menu.
import { Menu, type MenuItemConstructorOptions } from 'electron'

/** 'default': leave Electron's menu; null: no menu; otherwise the template to install. */
export function applicationMenuTemplate(platform: NodeJS.Platform, isPackaged: boolean): MenuItemConstructorOptions[] | null | 'default' {
  if (!isPackaged) return 'default'
  if (platform !== 'darwin') return null
  return [{ role: 'appMenu' }, { role: 'editMenu' }]
}

export function installApplicationMenu(platform: NodeJS.Platform, isPackaged: boolean): void {
  const template = applicationMenuTemplate(platform, isPackaged)
  if (template === 'default') return
  Menu.setApplicationMenu(template === null ? null : Menu.buildFromTemplate(template))
}
