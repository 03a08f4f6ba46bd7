// Window options as pure functions (electron/fiddle src/main/windows.ts style) plus the queue window's
// lifecycle. The queue window is small and hides on close: BayAlert lives in the tray, and closing the
// list must never stop alerts (only "Quit" in the tray menu does).
import { BrowserWindow, type BrowserWindowConstructorOptions } from 'electron'
import { APP_ORIGIN, secureWebPreferences } from './security.js'

export const QUEUE_URL = `${APP_ORIGIN}/index.html`
export const SOUND_URL = `${APP_ORIGIN}/sound.html`

export function queueWindowOptions(preload: string, isPackaged: boolean): BrowserWindowConstructorOptions {
  return {
    width: 440,
    height: 620,
    minWidth: 340,
    minHeight: 360,
    show: false,
    title: 'BayAlert — queue',
    autoHideMenuBar: true,
    backgroundColor: '#0f1419',
    // The queue's "waiting 3 min" counters and snapshot pushes must keep ticking while the window is
    // behind others; alerts themselves never depend on this window.
    webPreferences: secureWebPreferences(preload, isPackaged, { backgroundThrottling: false }),
  }
}

/**
 * Hidden audio player (hovancik/stretchly's approach, app/main.js): autoplay without a user gesture,
 * no throttling while hidden, no taskbar entry.
 */
export function soundWindowOptions(preload: string, isPackaged: boolean): BrowserWindowConstructorOptions {
  return {
    width: 1,
    height: 1,
    show: false,
    skipTaskbar: true,
    focusable: false,
    title: 'BayAlert sound',
    webPreferences: secureWebPreferences(preload, isPackaged, {
      backgroundThrottling: false,
      autoplayPolicy: 'no-user-gesture-required',
    }),
  }
}

export interface QueueWindow {
  /** The live window, created on first use. */
  get(): BrowserWindow
  /** Show and focus (tray "Show queue", second instance, notification click). */
  show(): void
  /** Show without stealing focus from whatever the mechanic is typing in. */
  showInactive(): void
  /** Called before quitting so that 'close' really closes. */
  allowClose(): void
  existing(): BrowserWindow | null
}

export function createQueueWindowController(preload: string, isPackaged: boolean, url: string = QUEUE_URL): QueueWindow {
  let win: BrowserWindow | null = null
  let quitting = false
  const get = (): BrowserWindow => {
    if (win && !win.isDestroyed()) return win
    const w = new BrowserWindow(queueWindowOptions(preload, isPackaged))
    w.on('close', (event) => {
      if (quitting) return
      event.preventDefault()
      w.hide()
    })
    w.on('closed', () => {
      if (win === w) win = null
    })
    void w.loadURL(url)
    win = w
    return w
  }
  return {
    get,
    show() {
      const w = get()
      if (w.isMinimized()) w.restore()
      w.show()
      w.focus()
    },
    showInactive() {
      const w = get()
      if (!w.isVisible()) w.showInactive()
    },
    allowClose() {
      quitting = true
    },
    existing: () => (win && !win.isDestroyed() ? win : null),
  }
}
