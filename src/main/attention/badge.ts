// Count badge, per platform (Electron's app.setBadgeCount, https://www.electronjs.org/docs/latest/api/app;
// mattermost desktop's src/app/system/badge.ts).
// - darwin, linux: app.setBadgeCount (linux: only docks speaking the Unity LauncherEntry D-Bus API show it,
//   and only when package.json desktopName matches the installed .desktop file).
// - win32: no badge API; the taskbar overlay icon on the queue window (needs a taskbar button —
//   mattermost/desktop#1265: invisible with small taskbar buttons). The tray's red-dot variant is set on
//   every platform because it is the one indicator a tray-only app always has.
export interface BadgeTarget {
  setBadgeCount(count: number): void
  /** Windows overlay: a red dot with an accessible description, or null to clear. */
  setOverlay(description: string | null): void
  setTrayAttention(on: boolean): void
}

export function applyBadge(platform: NodeJS.Platform, count: number, t: BadgeTarget): void {
  const n = Math.max(0, Math.floor(count))
  if (platform === 'darwin' || platform === 'linux') t.setBadgeCount(n)
  else if (platform === 'win32') t.setOverlay(n > 0 ? `${n > 99 ? '99+' : n} waiting` : null)
  t.setTrayAttention(n > 0)
}
