// Static-file rules shared by the two hosts of the queue UI: the Electron app:// protocol
// (src/main/app-protocol.ts) and the headless loopback server (src/cli/ui-server.ts). Pure: strings in,
// strings out — no electron, no DOM, no file access.
import { isAbsolute, relative, resolve, sep } from 'node:path'

/** Resolves `child` under `root`, or null if it is not strictly inside it. */
export function resolveInside(root: string, child: string): string | null {
  const base = resolve(root)
  const full = resolve(base, child)
  const rel = relative(base, full)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null
  return full.startsWith(base + sep) ? full : null
}

/**
 * A URL pathname as the path to serve: percent-decoded once, so the containment check that follows
 * (resolveInside) sees encoded `..%2f` as `../`; '/' (or '') is '/index.html'. Refused: a malformed
 * escape ('undecodable'), and backslashes or NUL anywhere ('forbidden'), outright.
 */
export function decodeRequestPath(pathname: string): { path: string } | { refused: 'undecodable' | 'forbidden' } {
  let path: string
  try {
    path = decodeURIComponent(pathname)
  } catch {
    return { refused: 'undecodable' }
  }
  if (path.includes('\0') || path.includes('\\')) return { refused: 'forbidden' }
  if (path === '/' || path === '') path = '/index.html'
  return { path }
}

/** Content types of the files the UI bundle and the sounds directory hold, by lower-case extension. */
export const UI_CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
  wav: 'audio/wav',
  json: 'application/json',
}

/** The lower-case text after the last dot ('' for a trailing dot; the whole name when there is none). */
export function extensionOf(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1).toLowerCase()
}
