// "Look here" per platform (BrowserWindow.flashFrame, app.dock.bounce in Electron's API docs; mattermost
// desktop's notifications/index.ts does the same):
// - win32, linux: BrowserWindow.flashFrame (Windows flashes the taskbar button, Linux sets the urgency
//   hint). It only shows when the window has a taskbar presence, and is pointless while it is focused.
// - darwin: app.dock.bounce('informational') — bounces once; 'critical' would bounce until focus, which a
//   mechanic across the bay cannot give. (LSUIElement hides the Dock icon, so this may be a no-op.)
export interface FlashTarget {
  flashFrame: ((on: boolean) => void) | null
  isFocused: () => boolean
  dockBounce: (() => void) | null
}

export function requestAttention(platform: NodeJS.Platform, t: FlashTarget): void {
  if (platform === 'darwin') {
    t.dockBounce?.()
    return
  }
  if (t.flashFrame && !t.isFocused()) t.flashFrame(true)
}

export function cancelAttention(platform: NodeJS.Platform, t: FlashTarget): void {
  if (platform !== 'darwin') t.flashFrame?.(false)
}
