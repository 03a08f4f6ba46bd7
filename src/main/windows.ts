// Window options as pure functions (electron/fiddle src/main/windows.ts style) plus the queue window's
// lifecycle. The queue window is small and hides on close: BayAlert lives in the tray, and closing the
// list must never stop alerts (only "Quit" in the tray menu does).
import { BrowserWindow, type BrowserWindowConstructorOptions } from 'electron'
import type { Logger } from '../core/ports.js'
import type { PushChannel, PushChannels } from '../shared/ipc.js'
import { RestartBudget } from './restart-budget.js'
import { APP_ORIGIN, secureWebPreferences } from './security.js'
import { push } from './typed-ipc.js'

export const QUEUE_URL = `${APP_ORIGIN}/index.html`
export const SOUND_URL = `${APP_ORIGIN}/sound.html`
export const WALLBOARD_URL = `${APP_ORIGIN}/wallboard.html`

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
 * The wallboard: a shop screen across the bay, so large and resizable, full screen allowed, and like the
 * queue window it hides on close (alerts never depend on it). Read-only: same preload, same sender check.
 */
export function wallboardWindowOptions(preload: string, isPackaged: boolean): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 720,
    minWidth: 480,
    minHeight: 320,
    show: false,
    title: 'BayAlert — wallboard',
    autoHideMenuBar: true,
    fullscreenable: true,
    backgroundColor: '#0f1419',
    // Its waits must keep counting while it is the only thing on a screen nobody touches.
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
  /**
   * Sends to the page once it has loaded: a message sent while the window is being created or reloaded
   * would reach no listener and be lost (the first in-app alert usually creates the window). Queued ones
   * go out in order on 'did-finish-load', once.
   */
  sendWhenReady<C extends PushChannel>(channel: C, ...args: PushChannels[C]): void
}

export interface RendererRecovery {
  log?: Logger
  budget?: RestartBudget
  /** The renderer kept dying and the restart budget is spent: surface it (health, tray). */
  onGaveUp?: (reason: string) => void
}

/** Messages kept for a page that is not loaded yet; older ones are dropped past this (alerts repeat). */
const MAX_QUEUED = 20

export function createQueueWindowController(
  preload: string,
  isPackaged: boolean,
  url: string = QUEUE_URL,
  recovery: RendererRecovery = {},
  optionsFor: (preload: string, isPackaged: boolean) => BrowserWindowConstructorOptions = queueWindowOptions,
): QueueWindow {
  let win: BrowserWindow | null = null
  let quitting = false
  let ready = false
  let queued: Array<() => void> = []
  const budget = recovery.budget ?? new RestartBudget()
  const flush = () => {
    const pending = queued
    queued = []
    for (const send of pending) send()
  }
  const get = (): BrowserWindow => {
    if (win && !win.isDestroyed()) return win
    const w = new BrowserWindow(optionsFor(preload, isPackaged))
    ready = false
    w.on('close', (event) => {
      if (quitting) return
      event.preventDefault()
      w.hide()
    })
    w.on('closed', () => {
      if (win === w) {
        win = null
        ready = false
      }
    })
    w.webContents.on('did-finish-load', () => {
      if (win !== w) return
      ready = true
      flush()
    })
    // The page is gone (crash, OOM kill, GPU reset): reload it so the queue is on screen again; the
    // snapshot and pending in-app alerts reach it once it has loaded. Electron's render-process-gone docs
    // list the reasons; webContents.reload() starts a new renderer for the same window.
    w.webContents.on('render-process-gone', (_e, details: { reason: string; exitCode?: number }) => {
      if (win !== w || w.isDestroyed()) return
      ready = false
      if (budget.take()) {
        recovery.log?.warn('queue window renderer gone; reloading', { reason: details.reason, exitCode: details.exitCode ?? null, restarts: budget.used() })
        w.webContents.reload()
      } else {
        const reason = `The queue window keeps crashing (${details.reason}); not reloading it for now. Alerts still ring; open the queue from the tray to try again.`
        recovery.log?.error('queue window renderer gone again; restart budget spent', { reason: details.reason, restarts: budget.used() })
        recovery.onGaveUp?.(reason)
        // Closed, so the next show() or alert creates a fresh window (and a fresh renderer).
        win = null
        w.destroy()
      }
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
    sendWhenReady(channel, ...args) {
      const w = win && !win.isDestroyed() ? win : null
      if (w && ready) return push(w.webContents, channel, ...args)
      queued.push(() => push(win?.webContents, channel, ...args))
      if (queued.length > MAX_QUEUED) queued.shift()
    },
  }
}
