// GoTrue subset (base /auth/v1; the supabase/auth server): password and refresh_token grants with rotation and the reuse
// interval, /user, /logout, /settings, /health. State lives in Postgres (auth.users / auth.sessions /
// auth.refresh_tokens from sql/platform.sql) so it survives a restart of the backend with a persistent dir.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { JwtService, JwtClaims } from './jwt.js'
import { HttpError, bearerOf, readBody, sendEmpty, sendJson, type Log } from './http.js'

export interface GoTrueOptions {
  pool: pg.Pool
  jwt: JwtService
  /** Base URL of the backend, e.g. http://127.0.0.1:54321 — the `iss` claim is `${url}/auth/v1`. */
  url: () => string
  tokenLifetimeSec: number
  /** GoTrue's REFRESH_TOKEN_REUSE_INTERVAL (default 10 s). */
  refreshReuseIntervalSec: number
  log: Log
}

// Every GoTrue response carries the API version; with it, errors use the {code, message} form (supabase/auth, the GoTrue server).
const API_VERSION = { 'X-Supabase-Api-Version': '2024-01-01' }

const authError = (status: number, code: string, message: string) => new HttpError(status, { code, message }, API_VERSION)

interface UserRow {
  id: string
  aud: string | null
  role: string | null
  email: string
  phone: string | null
  email_confirmed_at: Date | null
  last_sign_in_at: Date | null
  raw_app_meta_data: Record<string, unknown> | null
  raw_user_meta_data: Record<string, unknown> | null
  created_at: Date
  updated_at: Date
  is_anonymous: boolean
  banned_until: Date | null
}

const USER_COLS = `id, aud, role, email, phone, email_confirmed_at, last_sign_in_at, raw_app_meta_data, raw_user_meta_data,
  created_at, updated_at, is_anonymous, banned_until`

function userJson(u: UserRow) {
  const iso = (d: Date | null) => (d ? d.toISOString() : undefined)
  return {
    id: u.id,
    aud: u.aud ?? 'authenticated',
    role: u.role ?? 'authenticated',
    email: u.email,
    email_confirmed_at: iso(u.email_confirmed_at),
    phone: u.phone ?? '',
    confirmed_at: iso(u.email_confirmed_at),
    last_sign_in_at: iso(u.last_sign_in_at),
    app_metadata: u.raw_app_meta_data ?? { provider: 'email', providers: ['email'] },
    user_metadata: u.raw_user_meta_data ?? {},
    identities: [],
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
    is_anonymous: u.is_anonymous,
  }
}

/** GoTrue's (legacy-format) refresh tokens: 12 characters of lower-case base32 (`crypto.SecureAlphanumeric(12)`). */
const newRefreshToken = () => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  return [...randomBytes(12)].map((b) => alphabet[b & 31]).join('')
}

/**
 * GoTrue's `RefreshTokenGrantParams.Validate`: under 12 characters, 12 that are not `[a-z0-9]`, or a longer string
 * that is not a well-formed v2 token (base64url: version 0, session uuid, uvarint counter, 16-byte signature,
 * 4-byte sha256 checksum) is 400 validation_failed before any lookup.
 */
export function refreshTokenWellFormed(token: string): boolean {
  if (token.length < 12) return false
  if (token.length === 12) return /^[a-z0-9]{12}$/.test(token)
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return false
  const bytes = Buffer.from(token, 'base64url')
  const MIN = 1 + 16 + 1 + 16 + 4
  if (bytes.length < MIN || bytes.length > MIN + 8 || bytes[0] !== 0) return false
  const body = bytes.subarray(0, bytes.length - 4)
  if (!createHash('sha256').update(body).digest().subarray(0, 4).equals(bytes.subarray(bytes.length - 4))) return false
  // uvarint counter after version + uuid, then exactly the 16-byte signature.
  let i = 17
  while (i < body.length && body[i] & 0x80) i++
  return i < body.length && body.length - (i + 1) === 16
}

export function createGoTrue(opts: GoTrueOptions) {
  const { pool, jwt, log } = opts

  function issueAccessToken(u: UserRow, sessionId: string, amrTs: number) {
    const iat = Math.floor(Date.now() / 1000)
    const exp = iat + opts.tokenLifetimeSec
    const claims = {
      iss: `${opts.url()}/auth/v1`,
      sub: u.id,
      aud: u.aud ?? 'authenticated',
      exp,
      iat,
      email: u.email,
      phone: u.phone ?? '',
      app_metadata: u.raw_app_meta_data ?? { provider: 'email', providers: ['email'] },
      user_metadata: u.raw_user_meta_data ?? {},
      role: u.role ?? 'authenticated',
      aal: 'aal1',
      amr: [{ method: 'password', timestamp: amrTs }],
      session_id: sessionId,
      is_anonymous: u.is_anonymous,
    }
    return { token: jwt.sign(claims), exp }
  }

  function sessionResponse(u: UserRow, sessionId: string, refreshToken: string, amrTs: number) {
    const { token, exp } = issueAccessToken(u, sessionId, amrTs)
    return {
      access_token: token,
      token_type: 'bearer',
      expires_in: opts.tokenLifetimeSec,
      expires_at: exp,
      refresh_token: refreshToken,
      user: userJson(u),
    }
  }

  async function passwordGrant(body: Record<string, unknown>) {
    const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : ''
    const password = typeof body.password === 'string' ? body.password : ''
    if (!email && !body.phone) throw authError(400, 'validation_failed', 'missing email or phone')
    const client = await pool.connect()
    try {
      await client.query('begin')
      const r = await client.query<UserRow>(
        `select ${USER_COLS} from auth.users
          where lower(email) = $1 and deleted_at is null
            and encrypted_password = extensions.crypt($2, encrypted_password)`,
        [email, password],
      )
      const u = r.rows[0]
      if (!u) {
        await client.query('rollback')
        throw authError(400, 'invalid_credentials', 'Invalid login credentials')
      }
      if (u.banned_until && u.banned_until.getTime() > Date.now()) {
        await client.query('rollback')
        throw authError(400, 'user_banned', 'User is banned')
      }
      const sessionId = randomUUID()
      const rt = newRefreshToken()
      await client.query('insert into auth.sessions (id, user_id) values ($1, $2)', [sessionId, u.id])
      await client.query('insert into auth.refresh_tokens (token, user_id, session_id) values ($1, $2, $3)', [rt, u.id, sessionId])
      const upd = await client.query<UserRow>(
        `update auth.users set last_sign_in_at = now() where id = $1 returning ${USER_COLS}`,
        [u.id],
      )
      await client.query('commit')
      return sessionResponse(upd.rows[0], sessionId, rt, Math.floor(Date.now() / 1000))
    } catch (e) {
      await client.query('rollback').catch(() => undefined)
      throw e
    } finally {
      client.release()
    }
  }

  // Rotation as GoTrue does it (internal/tokens/service.go): each use revokes the token and issues a child. A revoked
  // token that is the PARENT of the session's active token is always accepted and answered with the active token
  // (the client refreshed but crashed before saving the result), with no time limit. Any other revoked token is
  // accepted within the reuse interval (concurrent refreshes by two processes) and gets the active token back; after
  // it, that is token theft: the whole session is revoked and the answer is refresh_token_already_used.
  async function refreshGrant(body: Record<string, unknown>) {
    const rt = typeof body.refresh_token === 'string' ? body.refresh_token : ''
    if (!refreshTokenWellFormed(rt)) throw authError(400, 'validation_failed', 'Refresh token is not valid')
    const client = await pool.connect()
    try {
      await client.query('begin')
      const r = await client.query<{
        id: string
        revoked: boolean
        session_id: string
        user_id: string
        revoked_for_ms: number
        amr_ts: number
      }>(
        `select t.id, t.revoked, t.session_id, t.user_id,
                extract(epoch from (now() - t.updated_at)) * 1000 as revoked_for_ms,
                extract(epoch from s.created_at)::bigint as amr_ts
           from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id
          where t.token = $1
          for update of t`,
        [rt],
      )
      const row = r.rows[0]
      if (!row) throw authError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
      const ur = await client.query<UserRow>(`select ${USER_COLS} from auth.users where id = $1 and deleted_at is null`, [row.user_id])
      const u = ur.rows[0]
      if (!u) throw authError(400, 'refresh_token_not_found', 'Invalid Refresh Token: Refresh Token Not Found')
      let next: string
      if (row.revoked) {
        const active = await client.query<{ token: string; parent: string | null }>(
          'select token, parent from auth.refresh_tokens where session_id = $1 and not revoked order by id desc limit 1',
          [row.session_id],
        )
        const current = active.rows[0]
        const isParentOfActive = current?.parent === rt
        if (current && (isParentOfActive || Number(row.revoked_for_ms) <= opts.refreshReuseIntervalSec * 1000)) {
          next = current.token
        } else {
          await client.query('delete from auth.sessions where id = $1', [row.session_id])
          await client.query('commit')
          log(`auth: refresh token reused after the ${opts.refreshReuseIntervalSec}s reuse interval; session ${row.session_id} revoked`)
          throw authError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used')
        }
      } else {
        next = newRefreshToken()
        await client.query('update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1', [row.id])
        await client.query('insert into auth.refresh_tokens (token, user_id, session_id, parent) values ($1, $2, $3, $4)', [
          next,
          row.user_id,
          row.session_id,
          rt,
        ])
      }
      await client.query('update auth.sessions set refreshed_at = now(), updated_at = now() where id = $1', [row.session_id])
      await client.query('commit')
      return sessionResponse(u, row.session_id, next, Number(row.amr_ts))
    } catch (e) {
      await client.query('rollback').catch(() => undefined)
      throw e
    } finally {
      client.release()
    }
  }

  /** The signed-in user behind a Bearer token, as GoTrue checks it (403 bad_jwt / session_not_found). */
  async function authenticate(req: IncomingMessage): Promise<{ claims: JwtClaims; user: UserRow }> {
    const token = bearerOf(req)
    if (!token) throw authError(401, 'no_authorization', 'This endpoint requires a valid Bearer token')
    const v = jwt.verify(token)
    if (!v.ok) {
      const why = v.error.expired ? 'token has invalid claims: token is expired' : 'unable to parse or verify signature'
      throw authError(403, 'bad_jwt', `invalid JWT: unable to parse or verify signature, ${why}`)
    }
    const sub = v.claims.sub
    if (!sub) throw authError(403, 'bad_jwt', 'invalid claim: missing sub claim')
    const ur = await pool.query<UserRow>(`select ${USER_COLS} from auth.users where id = $1 and deleted_at is null`, [sub])
    if (!ur.rows[0]) throw authError(403, 'user_not_found', 'User from sub claim in JWT does not exist')
    if (v.claims.session_id) {
      const s = await pool.query('select 1 from auth.sessions where id = $1', [v.claims.session_id])
      if (!s.rowCount) throw authError(403, 'session_not_found', 'Session from session_id claim in JWT does not exist')
    }
    return { claims: v.claims, user: ur.rows[0] }
  }

  async function parseJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const text = await readBody(req)
    if (!text.trim()) return {}
    try {
      const v = JSON.parse(text)
      if (v && typeof v === 'object' && !Array.isArray(v)) return v
    } catch {
      /* fall through */
    }
    throw authError(400, 'bad_json', 'Could not parse request body as JSON')
  }

  /** Handles /auth/v1/*; `path` is what follows /auth/v1. Unexpected failures (database down…) → 500 as GoTrue. */
  async function handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    try {
      await route(req, res, path, url)
    } catch (e) {
      if (e instanceof HttpError) throw e
      log(`auth: ${req.method} /auth/v1${path} failed: ${(e as Error).message}`)
      // auth-js retries 5xx with backoff and keeps the session (supabase/auth, the GoTrue server).
      throw authError(500, 'unexpected_failure', `Database error: ${(e as Error).message}`)
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    const method = req.method ?? 'GET'
    if (path === '/token' && method === 'POST') {
      const grant = url.searchParams.get('grant_type')
      const body = await parseJson(req)
      if (grant === 'password') return sendJson(res, 200, await passwordGrant(body), API_VERSION)
      if (grant === 'refresh_token') return sendJson(res, 200, await refreshGrant(body), API_VERSION)
      throw authError(400, 'validation_failed', 'unsupported_grant_type')
    }
    if (path === '/user' && method === 'GET') {
      const { user } = await authenticate(req)
      return sendJson(res, 200, userJson(user), API_VERSION)
    }
    if (path === '/logout' && method === 'POST') {
      const { claims } = await authenticate(req)
      const scope = url.searchParams.get('scope') ?? 'global'
      if (scope === 'local') await pool.query('delete from auth.sessions where id = $1', [claims.session_id])
      else if (scope === 'others')
        await pool.query('delete from auth.sessions where user_id = $1 and id <> $2', [claims.sub, claims.session_id])
      else await pool.query('delete from auth.sessions where user_id = $1', [claims.sub])
      return sendEmpty(res, 204, API_VERSION)
    }
    if (path === '/settings' && method === 'GET') {
      return sendJson(
        res,
        200,
        { external: { email: true, phone: false }, disable_signup: true, mailer_autoconfirm: true, phone_autoconfirm: false, sms_provider: '' },
        API_VERSION,
      )
    }
    if (path === '/health' && method === 'GET') {
      return sendJson(res, 200, { version: 'bayalert-fake', name: 'GoTrue', description: 'BayAlert local GoTrue subset' }, API_VERSION)
    }
    throw authError(404, 'not_found', `Not found: ${method} /auth/v1${path}`)
  }

  return { handle }
}
