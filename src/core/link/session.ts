// Session and token refresh: which refresh failures end a session and which are weather.
//
// GoTrue answers a refresh with 400/401/403 and an error code when the session is really gone
// (refresh_token_not_found, refresh_token_already_used, session_not_found, session_expired,
// validation_failed … https://supabase.com/docs/guides/auth/debugging/error-codes). Everything else — 408,
// 429 rate limiting, 5xx, a network failure — says nothing about the session: it is retried with backoff
// and the mechanic stays signed in.
//
// auth-js agrees only for 5xx and network errors (its AuthRetryableFetchError, lib/fetch.ts
// NETWORK_ERROR_CODES); a 408 or 429 on a refresh made after the access token expired makes it delete the
// session (GoTrueClient._callRefreshToken). So the fetch it is given hands it such answers as a 503 with
// the same body: auth-js then retries and keeps the session, and this module still knows the real status.
import { serverText } from '../server-text.js'

export interface RefreshFailure {
  status: number
  code: string
  message: string
  temporary: boolean
}

/** GoTrue codes that mean the refresh token or its session is gone for good. */
export const REVOKED_CODES: ReadonlySet<string> = new Set([
  'refresh_token_not_found',
  'refresh_token_already_used',
  'session_not_found',
  'session_expired',
  'validation_failed',
  'bad_jwt',
  'user_not_found',
  'user_banned',
])

/**
 * Temporary (retry, keep the session) or not. 0 = no answer (network). A revoking code wins whatever the
 * status; otherwise only 400/401/403 — GoTrue's "your credentials are bad" statuses — end the session.
 */
export function isTemporaryRefreshFailure(status: number, code: string): boolean {
  if (REVOKED_CODES.has(code)) return false
  return !(status === 400 || status === 401 || status === 403)
}

/** "HTTP 429 over_request_rate_limit: Request rate limit reached" / "network error: fetch failed (ECONNREFUSED)". */
export function describeRefreshFailure(f: Pick<RefreshFailure, 'status' | 'code' | 'message'>): string {
  if (f.status === 0) return f.message ? `network error: ${f.message}` : 'network error'
  const head = f.code ? `HTTP ${f.status} ${f.code}` : `HTTP ${f.status}`
  return f.message && f.message !== f.code ? `${head}: ${f.message}` : head
}

export function revokedReason(f: RefreshFailure | null): string {
  return f
    ? `Your session was revoked or expired (${describeRefreshFailure(f)}). Sign in again.`
    : 'Signed out by the server (session expired or revoked). Sign in again.'
}

function isRefreshUrl(input: string | URL | Request): boolean {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  return url.includes('/auth/v1/token') && url.includes('grant_type=refresh_token')
}

/**
 * The fetch handed to supabase-js: watches every refresh answer (reported through `onRefresh`), gives
 * auth-js temporary refusals as retryable 503s, and turns network failures into one-line errors.
 */
export class SessionWatch {
  lastFailure: RefreshFailure | null = null

  constructor(
    private readonly onRefresh: (failure: RefreshFailure | null) => void,
    private readonly debug: (msg: string, data: Record<string, unknown>) => void,
    private readonly realFetch: typeof fetch = (...a) => fetch(...a),
  ) {}

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const refresh = isRefreshUrl(input)
    let res: Response
    try {
      res = await this.realFetch(input, init)
    } catch (e) {
      // auth-js console.error()s every network failure with its full stack; hand it a one-line error
      // with the cause folded in. Aborts pass through untouched (postgrest-js detects them by name).
      const err = e as Error & { cause?: { message?: string; code?: string } }
      if (err?.name === 'AbortError') throw e
      const cause = err?.cause?.code ?? err?.cause?.message
      const clean = new TypeError(`${err?.message ?? 'fetch failed'}${cause ? ` (${cause})` : ''}`)
      clean.stack = `TypeError: ${clean.message}`
      if (refresh) this.report({ status: 0, code: '', message: serverText(clean.message, 200), temporary: true })
      throw clean
    }
    if (!refresh) return res
    if (res.ok) {
      this.report(null)
      return res
    }
    let code = ''
    let message = ''
    let body = ''
    try {
      body = await res.clone().text()
      const j = JSON.parse(body) as Record<string, unknown>
      code = String(j.code ?? j.error_code ?? j.error ?? '')
      message = String(j.message ?? j.msg ?? j.error_description ?? '')
    } catch {
      /* not JSON: the status is all there is */
    }
    const failure: RefreshFailure = {
      status: res.status,
      code: serverText(code, 40),
      message: serverText(message, 200),
      temporary: isTemporaryRefreshFailure(res.status, code),
    }
    this.report(failure)
    if (failure.temporary && res.status < 500) {
      this.debug('session: temporary refresh refusal handed to auth-js as a 503', { status: res.status })
      return new Response(body, { status: 503, statusText: 'Service Unavailable', headers: res.headers })
    }
    return res
  }

  private report(failure: RefreshFailure | null): void {
    this.lastFailure = failure
    try {
      this.onRefresh(failure)
    } catch (e) {
      this.debug('session: refresh observer failed', { cause: String(e) })
    }
  }
}
