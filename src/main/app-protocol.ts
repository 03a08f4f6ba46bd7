// Serves the renderer bundle through app://bundle/ instead of file:// (security checklist #18,
// electron-notes §3): a standard, secure scheme gives the page a real origin for CSP 'self', and the
// handler decides exactly which files are reachable. Paths that escape the root are refused.
import { protocol, net } from 'electron'
import { isAbsolute, relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
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

/** Resolves `child` under `root`, or null if it is not strictly inside it. */
export function resolveInside(root: string, child: string): string | null {
  const base = resolve(root)
  const full = resolve(base, child)
  const rel = relative(base, full)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null
  return full.startsWith(base + sep) ? full : null
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
  let path: string
  try {
    path = decodeURIComponent(url.pathname)
  } catch {
    return null
  }
  if (path.includes('\0') || path.includes('\\')) return null
  if (path === '/' || path === '') path = '/index.html'
  if (path.startsWith('/sounds/')) return resolveInside(roots.sounds, path.slice('/sounds/'.length))
  return resolveInside(roots.renderer, path.slice(1))
}

const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
  wav: 'audio/wav',
  json: 'application/json',
}

export function mimeFor(path: string): string {
  return MIME[path.slice(path.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream'
}

export type FileFetcher = (fileUrl: string) => Promise<Response>

export function createAppRequestHandler(roots: AppRoots, fetchFile: FileFetcher = (u) => net.fetch(u)) {
  return async (request: Request): Promise<Response> => {
    const file = resolveAppPath(request.url, roots)
    if (!file) return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } })
    let upstream: Response
    try {
      upstream = await fetchFile(pathToFileURL(file).toString())
    } catch {
      return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } })
    }
    if (!upstream.ok) return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain' } })
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
