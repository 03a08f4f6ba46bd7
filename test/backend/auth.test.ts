// GoTrue subset through the real supabase-js client (supabase/auth, the GoTrue server) + JWT verification messages (Phoenix socket protocol, supabase/realtime realtime_channel.ex).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackend, type Backend } from './index.js'
import { signJwt, verifyJwtWithSecret, JwtService, DEMO_ANON_KEY, DEMO_SERVICE_ROLE_KEY, DEMO_JWT_SECRET, verifyJwt } from './jwt.js'
import { anonClient, decodeJwt, signedIn, sleep, tokenClient } from './helpers.js'
import { refreshTokenWellFormed } from './gotrue.js'
import { createHash, randomBytes } from 'node:crypto'

let b: Backend
// Short lifetimes so expiry and the reuse interval can be observed in seconds.
const LIFETIME = 2
const REUSE = 1

beforeAll(async () => {
  b = await startBackend({ port: 0, tokenLifetimeSec: LIFETIME, refreshReuseIntervalSec: REUSE, realtime: false })
})
afterAll(async () => {
  await b?.stop()
})

describe('JWT', () => {
  it('ships the well-known `supabase start` demo keys', () => {
    expect(b.anonKey).toBe(DEMO_ANON_KEY)
    expect(b.serviceRoleKey).toBe(DEMO_SERVICE_ROLE_KEY)
    expect(b.jwtSecret).toBe(DEMO_JWT_SECRET)
    expect(decodeJwt(DEMO_ANON_KEY)).toEqual({ iss: 'supabase-demo', role: 'anon', exp: 1983812996 })
    const v = verifyJwt(DEMO_SERVICE_ROLE_KEY)
    expect(v.ok && v.claims.role).toBe('service_role')
  })

  it('rejects with the real servers’ messages', () => {
    const s = DEMO_JWT_SECRET
    const now = Math.floor(Date.now() / 1000)
    const msg = (t: string) => {
      const v = verifyJwtWithSecret(t, s)
      return v.ok ? 'ok' : v.error.message
    }
    expect(msg('nope')).toBe('The token provided is not a valid JWT')
    expect(msg(signJwt({ role: 'anon', exp: now + 60 }, 'another-secret-another-secret-another-secret'))).toBe('Failed to validate JWT signature')
    expect(msg(signJwt({ role: 'anon' }, s))).toBe('Fields `role` and `exp` are required in JWT')
    expect(msg(signJwt({ role: 'authenticated', exp: now - 12 }, s))).toMatch(/^Token has expired 1[23] seconds ago$/)
    const v = verifyJwtWithSecret(signJwt({ role: 'authenticated', exp: now - 12 }, s), s)
    expect(!v.ok && v.error.reason).toMatch(/^InvalidJWTToken: Token has expired/)
  })

  it('"expire all tokens now" expires user tokens issued before, not the keys or later tokens', () => {
    const j = new JwtService()
    const exp = Math.floor(Date.now() / 1000) + 3600
    const before = j.sign({ role: 'authenticated', sub: 'u', exp, iat: exp - 3600 })
    j.expireAllNow()
    const after = j.sign({ role: 'authenticated', sub: 'u2', exp, iat: exp - 3600 })
    const r = j.verify(before)
    expect(r.ok).toBe(false)
    expect(!r.ok && r.error.message).toMatch(/^Token has expired \d+ seconds ago$/)
    expect(j.verify(after).ok).toBe(true)
    expect(j.verify(j.anonKey).ok).toBe(true)
    expect(j.verify(j.serviceRoleKey).ok).toBe(true)
  })
})

describe('GoTrue', () => {
  it('password sign-in returns the session and claims GoTrue (supabase/auth) issues', async () => {
    const u = b.demoUsers[0]
    const c = anonClient(b)
    const { data, error } = await c.auth.signInWithPassword({ email: u.email, password: u.password })
    expect(error).toBeNull()
    const s = data.session!
    expect(s.token_type).toBe('bearer')
    expect(s.expires_in).toBe(LIFETIME)
    expect(s.refresh_token).toBeTruthy()
    expect(data.user).toMatchObject({ id: u.id, aud: 'authenticated', role: 'authenticated', email: u.email, app_metadata: { provider: 'email' }, is_anonymous: false })
    const claims = decodeJwt(s.access_token)
    expect(claims).toMatchObject({ iss: `${b.url}/auth/v1`, sub: u.id, aud: 'authenticated', email: u.email, phone: '', role: 'authenticated', aal: 'aal1', is_anonymous: false })
    expect(claims.exp as number - (claims.iat as number)).toBe(LIFETIME)
    expect(typeof claims.session_id).toBe('string')
    expect((claims.amr as { method: string }[])[0].method).toBe('password')
    expect(s.expires_at).toBe(claims.exp)
  })

  it('wrong password: 400 invalid_credentials with the API-version header', async () => {
    const c = anonClient(b)
    const { data, error } = await c.auth.signInWithPassword({ email: b.demoUsers[0].email, password: 'wrong' })
    expect(data.session).toBeNull()
    expect(error).toMatchObject({ status: 400, code: 'invalid_credentials', message: 'Invalid login credentials' })
    const raw = await fetch(`${b.url}/auth/v1/token?grant_type=password`, {
      method: 'POST',
      headers: { apikey: b.anonKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'x' }),
    })
    expect(raw.status).toBe(400)
    expect(raw.headers.get('x-supabase-api-version')).toBe('2024-01-01')
    expect(await raw.json()).toEqual({ code: 'invalid_credentials', message: 'Invalid login credentials' })
  })

  it('the gateway wants an API key', async () => {
    const raw = await fetch(`${b.url}/auth/v1/token?grant_type=password`, { method: 'POST', body: '{}' })
    expect(raw.status).toBe(401)
    expect(await raw.json()).toMatchObject({ message: 'No API key found in request' })
  })

  it('refresh rotates: a new 12-character token each time, same session', async () => {
    const c = await signedIn(b, b.demoUsers[1])
    const first = (await c.auth.getSession()).data.session!
    const r1 = await c.auth.refreshSession({ refresh_token: first.refresh_token })
    expect(r1.error).toBeNull()
    const second = r1.data.session!
    expect(second.refresh_token).not.toBe(first.refresh_token)
    // GoTrue's legacy format, which its own validation accepts: 12 characters of lower-case base32.
    for (const t of [first.refresh_token, second.refresh_token]) expect(t).toMatch(/^[a-z2-7]{12}$/)
    // (The access token may be byte-identical when refreshed within the same second: iat has 1 s resolution.)
    expect(decodeJwt(second.access_token).session_id).toBe(decodeJwt(first.access_token).session_id)
  })

  it('an expired access token: REST 401 PGRST303 with WWW-Authenticate, GoTrue 403 bad_jwt; refresh still works', async () => {
    const c = await signedIn(b, b.demoUsers[2])
    const s = (await c.auth.getSession()).data.session!
    await sleep(LIFETIME * 1000 + 1100)
    const rest = await tokenClient(b, s.access_token).from('feature_flags').select('key')
    expect(rest.status).toBe(401)
    expect(rest.error).toMatchObject({ code: 'PGRST303', message: 'JWT expired', details: null, hint: null })
    const raw = await fetch(`${b.url}/rest/v1/feature_flags`, { headers: { apikey: b.anonKey, Authorization: `Bearer ${s.access_token}` } })
    expect(raw.headers.get('www-authenticate')).toBe('Bearer error="invalid_token", error_description="JWT expired"')
    const u = await c.auth.getUser(s.access_token)
    expect(u.error).toMatchObject({ status: 403, code: 'bad_jwt' })
    const r = await anonClient(b).auth.refreshSession({ refresh_token: s.refresh_token })
    expect(r.error).toBeNull()
    const ok = await tokenClient(b, r.data.session!.access_token).from('feature_flags').select('key')
    expect(ok.error).toBeNull()
    expect(ok.data).toHaveLength(4)
  })

  it('/user and /logout', async () => {
    const c = await signedIn(b, b.demoUsers[0])
    const s = (await c.auth.getSession()).data.session!
    const u = await c.auth.getUser()
    expect(u.data.user?.email).toBe(b.demoUsers[0].email)
    expect((await c.auth.signOut()).error).toBeNull()
    const r = await anonClient(b).auth.refreshSession({ refresh_token: s.refresh_token })
    expect(r.error).toMatchObject({ status: 400, code: 'refresh_token_not_found' })
    const raw = await fetch(`${b.url}/auth/v1/user`, { headers: { apikey: b.anonKey, Authorization: `Bearer ${s.access_token}` } })
    if (decodeJwt(s.access_token).exp as number > Date.now() / 1000) {
      expect(raw.status).toBe(403)
      expect(await raw.json()).toMatchObject({ code: 'session_not_found' })
    } else expect(raw.status).toBe(403)
  })

  it('a bad JWT on REST: 401 PGRST301', async () => {
    const bad = signJwt({ role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 60 }, 'not-the-secret-not-the-secret-not-the-secret')
    const r = await tokenClient(b, bad).from('feature_flags').select('key')
    expect(r.status).toBe(401)
    expect(r.error?.code).toBe('PGRST301')
  })
})

describe('refresh-token reuse (GoTrue internal/tokens/service.go)', () => {
  const refresh = (token: string) => anonClient(b).auth.refreshSession({ refresh_token: token })
  async function chain(n: number): Promise<string[]> {
    const c = await signedIn(b, b.demoUsers[1])
    const tokens = [(await c.auth.getSession()).data.session!.refresh_token]
    for (let i = 1; i < n; i++) {
      const r = await refresh(tokens[i - 1])
      expect(r.error).toBeNull()
      tokens.push(r.data.session!.refresh_token)
    }
    return tokens
  }

  it('the parent of the active token is accepted long after the reuse interval and answers with the active token', async () => {
    const [first, second] = await chain(2)
    await sleep(REUSE * 1000 + 300)
    // The app refreshed, then crashed before saving `second`: it comes back with `first`.
    const again = await refresh(first)
    expect(again.error).toBeNull()
    expect(again.data.session!.refresh_token).toBe(second)
    expect(decodeJwt(again.data.session!.access_token).exp).toBeGreaterThan(Math.floor(Date.now() / 1000))
    // …as often as it likes, and the session goes on normally from the active token.
    expect((await refresh(first)).data.session?.refresh_token).toBe(second)
    const next = await refresh(second)
    expect(next.error).toBeNull()
    expect(next.data.session!.refresh_token).not.toBe(second)
  })

  it('an older token inside the reuse interval gets the active one (two processes refreshing at once)', async () => {
    const [first, , third] = await chain(3)
    const r = await refresh(first)
    expect(r.error).toBeNull()
    expect(r.data.session!.refresh_token).toBe(third)
  })

  it('an older token past the reuse interval → 400 refresh_token_already_used, and the whole session is revoked', async () => {
    const [first, , third] = await chain(3)
    await sleep(REUSE * 1000 + 300)
    const late = await refresh(first)
    expect(late.error).toMatchObject({ status: 400, code: 'refresh_token_already_used', message: 'Invalid Refresh Token: Already Used' })
    const after = await refresh(third)
    expect(after.error).toMatchObject({ status: 400, code: 'refresh_token_not_found' })
  })

  it('a malformed refresh token → 400 {"code":"validation_failed","message":"Refresh token is not valid"} before any lookup', async () => {
    const post = (refresh_token: unknown) =>
      fetch(`${b.url}/auth/v1/token?grant_type=refresh_token`, {
        method: 'POST',
        headers: { apikey: b.anonKey, 'Content-Type': 'application/json', 'X-Supabase-Api-Version': '2024-01-01' },
        body: JSON.stringify({ refresh_token }),
      })
    for (const bad of ['', 'abc', 'abcdefghijk', 'ABCDEFGHIJKL', 'abcdefghijk!', 'x'.repeat(40), undefined, 42]) {
      const r = await post(bad)
      expect(r.status, JSON.stringify(bad)).toBe(400)
      expect(r.headers.get('x-supabase-api-version')).toBe('2024-01-01')
      expect(await r.json()).toEqual({ code: 'validation_failed', message: 'Refresh token is not valid' })
    }
    // Well-formed but unknown: the lookup answers, as GoTrue does.
    const notFound = { code: 'refresh_token_not_found', message: 'Invalid Refresh Token: Refresh Token Not Found' }
    const legacy = await post('abcdefghijkl')
    expect([legacy.status, await legacy.json()]).toEqual([400, notFound])
    const v2 = Buffer.concat([Buffer.from([0]), randomBytes(16), Buffer.from([1]), randomBytes(16)])
    const token = Buffer.concat([v2, createHash('sha256').update(v2).digest().subarray(0, 4)]).toString('base64url')
    expect(refreshTokenWellFormed(token)).toBe(true)
    const unknownV2 = await post(token)
    expect([unknownV2.status, await unknownV2.json()]).toEqual([400, notFound])
    // One flipped checksum byte makes the same shape malformed.
    const broken = Buffer.from(token, 'base64url')
    broken[broken.length - 1] ^= 0xff
    expect(refreshTokenWellFormed(broken.toString('base64url'))).toBe(false)
  })
})
