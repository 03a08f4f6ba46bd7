// Serves the renderer bundle through app://bundle/ instead of file:// (Electron's security checklist,
// "Use a custom protocol instead of file://": https://www.electronjs.org/docs/latest/tutorial/security):
// a standard, secure scheme gives the page a real origin for CSP 'self', and the handler decides exactly
// which files are reachable. Paths that escape the root are refused.
import { protocol, net } from 'electron'
import { pathToFileURL } from 'node:url'
import { decodeRequestPath, extensionOf, resolveInside, UI_CONTENT_TYPES } from '../core/static-files.js'
import { APP_HOST, APP_SCHEME, CONTENT_SECURITY_POLICY } from './security.js'

/** Must run before app 'ready' (Electron: registerSchemesAsPrivileged "can only be used before ready"). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ])
}

export interface AppRoots {
  /** out/renderer */
  renderer: string
  /** resources/sounds (process.resourcesPath/sounds when packaged) */
  sounds: string
}

/**
 * Maps an app:// URL to a file, or null (→ 404). /sounds/<file> comes from the sounds directory, the
 * rest from the renderer bundle. Percent-decoding happens once, before the containment check, so encoded
 * `..%2f` cannot slip past it; backslashes and NUL are refused outright.
 */
export function resolveAppPath(rawUrl: string, roots: AppRoots): string | null {
  let url: URL
  try {
    url = new URL(rawUrl)
  } catch {
    return null
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null
  const decoded = decodeRequestPath(url.pathname)
  if (!('path' in decoded)) return null
  const { path } = decoded
  if (path.startsWith('/sounds/')) return resolveInside(roots.sounds, path.slice('/sounds/'.length))
  return resolveInside(roots.renderer, path.slice(1))
}

export function mimeFor(path: string): string {
  return UI_CONTENT_TYPES[extensionOf(path)] ?? 'application/octet-stream'
}

const notFound = (): Response => new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } })

export type FileFetcher = (fileUrl: string) => Promise<Response>

export function createAppRequestHandler(roots: AppRoots, fetchFile: FileFetcher = (u) => net.fetch(u)) {
  return async (request: Request): Promise<Response> => {
    const file = resolveAppPath(request.url, roots)
    if (!file) return notFound()
    let upstream: Response
    try {
      upstream = await fetchFile(pathToFileURL(file).toString())
    } catch {
      // net.fetch rejects for a file that vanished or cannot be read; to the page that is a plain 404.
      return notFound()
    }
    if (!upstream.ok) return notFound()
    return new Response(upstream.body, {
      status: 200,
      headers: {
        'content-type': mimeFor(file),
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      },
    })
  }
}

/** After 'ready'. */
export function installAppProtocol(roots: AppRoots): void {
  protocol.handle(APP_SCHEME, createAppRequestHandler(roots))
}
