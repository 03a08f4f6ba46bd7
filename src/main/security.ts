// One place for every renderer security decision (Electron docs tutorial/security.md, checklist items
// 2-4, 5, 7, 11-14, 17-18). Every BrowserWindow is built from secureWebPreferences(),
// every webContents goes through hardenWebContents(), and the default session denies all permissions.
import type { Session, WebContents, WebPreferences } from 'electron'

export const APP_SCHEME = 'app'
export const APP_HOST = 'bundle'
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`

/**
 * Sent as a header on every app:// response; index.html carries the same policy as a <meta> (plus the
 * loopback ws: the headless bridge needs). In Electron the renderer talks only to IPC, so connect-src is
 * 'none' here. media-src 'self' lets the hidden sound window play app://bundle/sounds/*.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * The only webPreferences any window gets. Explicit even where Electron's defaults agree (checklist 2-4).
 * DevTools only in development: in an installed app they would let anyone at the workstation read the
 * queue's customer details and drive the bridge from the console.
 */
export function secureWebPreferences(
  preload: string,
  isPackaged: boolean,
  extra: Pick<WebPreferences, 'backgroundThrottling' | 'autoplayPolicy'> = {},
): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    ...extra,
    devTools: !isPackaged,
  }
}

/** True for URLs our own protocol serves. app:// is a standard scheme, so URL parses host and path. */
export function isAppUrl(raw: string | undefined | null): boolean {
  if (!raw) return false
  try {
    const url = new URL(raw)
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && !url.username && !url.password
  } catch {
    return false
  }
}

/** Checklist #5: "By default, Electron will automatically approve all permission requests". We need none. */
export function installSessionSecurity(session: Session): void {
  session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
}

interface PreventableEvent {
  preventDefault(): void
}

/**
 * Checklist #11-14 for one webContents (called from app 'web-contents-created', so it covers every window):
 * no navigation away from the bundle, no window.open, no <webview>.
 */
export function hardenWebContents(contents: WebContents, log: (msg: string, url: string) => void = () => {}): void {
  const block = (what: string) => (event: PreventableEvent, url: string) => {
    event.preventDefault()
    log(`blocked ${what}`, url)
  }
  contents.on('will-navigate', block('navigation'))
  contents.on('will-redirect', block('redirect'))
  contents.on('will-attach-webview', (event) => {
    event.preventDefault()
    log('blocked webview attach', '')
  })
  contents.setWindowOpenHandler(({ url }) => {
    log('blocked window.open', url)
    return { action: 'deny' }
  })
}
