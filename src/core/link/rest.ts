// PostgREST calls with a hard deadline and no hidden retries. supabase-js retries GETs on 503/520 with
// 1+2+4 s delays (postgrest-js's built-in retry), which would hold a first alert for ~7 s; our callers own their retry
// policy (feed/details.ts, feed/reconcile.ts), so every call here is `.retry(false)` + an abort timer.
import type { SupabaseClient } from '@supabase/supabase-js'
import { serverText } from '../server-text.js'

export type RestErrorKind = 'timeout' | 'network' | 'auth' | 'denied' | 'missing' | 'server' | 'other'

export interface RestError {
  kind: RestErrorKind
  status: number
  code: string
  /** Readable, cleaned and redacted (server-supplied: see server-text.ts). */
  message: string
}

export type RestResult<T> = { ok: true; data: T; ms: number } | { ok: false; error: RestError; ms: number }

interface RawError {
  code?: unknown
  message?: unknown
  details?: unknown
  hint?: unknown
}

export function classifyRestError(status: number, err: RawError | null | undefined): RestError {
  // PostgREST codes are short identifiers (PGRST301, 42501); anything else in that field is cut down too.
  const code = serverText(err?.code, 16)
  const raw = [err?.message, err?.hint].filter((s) => typeof s === 'string' && s).join(' — ')
  const message = serverText(raw) || `HTTP ${status}`
  let kind: RestErrorKind = 'other'
  if (status === 0) kind = /abort/i.test(message) || /abort/i.test(String(err?.details ?? '')) ? 'timeout' : 'network'
  else if (status === 401 && (code === 'PGRST303' || code === 'PGRST301' || code === 'PGRST302')) kind = 'auth'
  else if (status === 401 || status === 403 || code === '42501') kind = 'denied'
  else if (status === 404 || code === 'PGRST202' || code === 'PGRST205' || code === '42P01' || code === '42883') kind = 'missing'
  else if (status >= 500) kind = 'server'
  return { kind, status, code, message }
}

export function describeRestError(e: RestError): string {
  switch (e.kind) {
    case 'timeout':
      return `timed out (${e.message})`
    case 'network':
      return `network error (${e.message})`
    case 'auth':
      return `sign-in token rejected (${e.code || e.status})`
    case 'denied':
      return `permission denied by row-level security (${e.code || e.status}: ${e.message})`
    case 'missing':
      return `not found on the server — is the migration applied? (${e.code || e.status}: ${e.message})`
    case 'server':
      return `server error ${e.status} (${[e.code, e.message].filter(Boolean).join(' ')})`
    default:
      return `HTTP ${e.status} ${e.code} ${e.message}`.trim()
  }
}

type Builder = PromiseLike<{ data: unknown; error: RawError | null; status: number }> & {
  abortSignal(signal: AbortSignal): Builder
  retry?(enabled: boolean): Builder
}

/**
 * Runs one PostgREST request built by `build` with a deadline. An expired JWT (401 PGRST303 "JWT expired",
 * https://docs.postgrest.org/en/stable/references/errors.html) gets one session refresh and one retry.
 */
export async function restCall<T>(client: SupabaseClient, build: (c: SupabaseClient) => unknown, timeoutMs: number): Promise<RestResult<T>> {
  const started = Date.now()
  for (let attempt = 0; ; attempt++) {
    const ac = new AbortController()
    const timer = setTimeout(() => ac.abort(), timeoutMs)
    let res: { data: unknown; error: RawError | null; status: number }
    try {
      let b = build(client) as Builder
      if (typeof b.retry === 'function') b = b.retry(false)
      res = await b.abortSignal(ac.signal)
    } catch (e) {
      res = { data: null, error: { message: (e as Error)?.message ?? String(e) }, status: 0 }
    } finally {
      clearTimeout(timer)
    }
    if (!res.error) return { ok: true, data: res.data as T, ms: Date.now() - started }
    const error = classifyRestError(res.status ?? 0, res.error)
    if (ac.signal.aborted) error.kind = 'timeout'
    if (error.kind === 'auth' && attempt === 0) {
      const { error: refreshError } = await client.auth.refreshSession()
      if (!refreshError) continue
    }
    return { ok: false, error, ms: Date.now() - started }
  }
}
