// HS256 JWTs shared by the fake GoTrue, PostgREST and Realtime (one secret for all three, as on a Supabase project).
// Written on node:crypto rather than a JWT library so that every rejection carries exactly the reason
// string the real Realtime server sends (Phoenix socket protocol, supabase/realtime realtime_channel.ex), which the app and the realtime fake surface verbatim.
import { createHmac, timingSafeEqual } from 'node:crypto'

/** The well-known demo secret of `supabase start`; never use it for anything real. */
export const DEMO_JWT_SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long'
/** `supabase start`'s demo anon key: {"iss":"supabase-demo","role":"anon","exp":1983812996} signed with DEMO_JWT_SECRET. */
export const DEMO_ANON_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0'
/** `supabase start`'s demo service_role key, same secret. */
export const DEMO_SERVICE_ROLE_KEY =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU'

export type JwtClaims = Record<string, unknown> & {
  role: string
  exp: number
  iat?: number
  sub?: string
  session_id?: string
}

/**
 * Why a token was refused. `kind` maps onto the real servers' error families:
 * - Realtime: `${kind}: ${message}` is the join/system reason (supabase/realtime realtime_channel.ex, e.g. "InvalidJWTToken: Token has expired 12 seconds ago");
 * - PostgREST: `expired` → 401 PGRST303 "JWT expired", anything else → 401 PGRST301 (PostgREST, docs.postgrest.org);
 * - GoTrue: 403 bad_jwt.
 */
export class JwtError extends Error {
  constructor(
    readonly kind: 'MalformedJWT' | 'JwtSignatureError' | 'InvalidJWTToken',
    message: string,
    readonly expired = false,
  ) {
    super(message)
    this.name = 'JwtError'
  }
  /** The reason string as the real Realtime server words it, e.g. "InvalidJWTToken: Token has expired 3 seconds ago". */
  get reason(): string {
    return `${this.kind}: ${this.message}`
  }
}

export type JwtResult = { ok: true; claims: JwtClaims } | { ok: false; error: JwtError }

const b64url = (buf: Buffer | string) => Buffer.from(buf).toString('base64url')

export function signJwt(claims: Record<string, unknown>, secret: string): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const body = b64url(JSON.stringify(claims))
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')
  return `${head}.${body}.${sig}`
}

function decodePart(part: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null
  } catch {
    return null
  }
}

/** Verify without any fault state: signature, shape, `role`+`exp`, expiry. */
export function verifyJwtWithSecret(token: string, secret: string, nowMs = Date.now()): JwtResult {
  const malformed = () => ({ ok: false as const, error: new JwtError('MalformedJWT', 'The token provided is not a valid JWT') })
  if (typeof token !== 'string') return malformed()
  const parts = token.split('.')
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return malformed()
  const header = decodePart(parts[0])
  const claims = decodePart(parts[1])
  if (!header || !claims) return malformed()
  if (header.alg !== 'HS256') {
    return { ok: false, error: new JwtError('JwtSignatureError', 'Failed to validate JWT signature') }
  }
  const expect = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest()
  const got = Buffer.from(parts[2], 'base64url')
  if (got.length !== expect.length || !timingSafeEqual(got, expect)) {
    return { ok: false, error: new JwtError('JwtSignatureError', 'Failed to validate JWT signature') }
  }
  // Realtime requires both (supabase/auth, the GoTrue server) and `iat`, if present, must be a number.
  if (typeof claims.role !== 'string' || typeof claims.exp !== 'number' || ('iat' in claims && typeof claims.iat !== 'number')) {
    return { ok: false, error: new JwtError('InvalidJWTToken', 'Fields `role` and `exp` are required in JWT') }
  }
  const now = Math.floor(nowMs / 1000)
  if (claims.exp <= now) {
    return { ok: false, error: expiredError(now - claims.exp) }
  }
  return { ok: true, claims: claims as JwtClaims }
}

function expiredError(secondsAgo: number): JwtError {
  return new JwtError('InvalidJWTToken', `Token has expired ${Math.max(0, Math.round(secondsAgo))} seconds ago`, true)
}

/**
 * The backend's token service: signing with the shared secret, verification, and the "expire all tokens now"
 * fault (expired JWT → PGRST303 / Realtime "Token has expired"). The anon and service-role keys are
 * never expired by the fault — on a real project they are long-lived and the fault models a user session going stale.
 */
export class JwtService {
  readonly anonKey: string
  readonly serviceRoleKey: string
  /** Tokens this service issued → issue sequence number (iat has 1 s resolution, too coarse for the fault). */
  private issued = new Map<string, number>()
  private seq = 0
  private expiredBeforeMs: number | null = null
  private expiredUpToSeq = 0

  constructor(readonly secret: string = DEMO_JWT_SECRET) {
    if (secret === DEMO_JWT_SECRET) {
      this.anonKey = DEMO_ANON_KEY
      this.serviceRoleKey = DEMO_SERVICE_ROLE_KEY
    } else {
      this.anonKey = signJwt({ iss: 'supabase-demo', role: 'anon', exp: 1983812996 }, secret)
      this.serviceRoleKey = signJwt({ iss: 'supabase-demo', role: 'service_role', exp: 1983812996 }, secret)
    }
  }

  sign(claims: Record<string, unknown>): string {
    const token = signJwt(claims, this.secret)
    this.issued.set(token.slice(token.lastIndexOf('.') + 1), ++this.seq)
    if (this.issued.size > 5000) {
      // Bounded memory: forget the oldest half (Map iterates in insertion order).
      let drop = this.issued.size / 2
      for (const k of this.issued.keys()) {
        if (drop-- <= 0) break
        this.issued.delete(k)
      }
    }
    return token
  }

  /** Fault: every user token issued before now verifies as expired from now on. */
  expireAllNow(): void {
    this.expiredBeforeMs = Date.now()
    this.expiredUpToSeq = this.seq
  }

  clearExpiry(): void {
    this.expiredBeforeMs = null
  }

  /** Claims or a JwtError whose message is the real server's wording. Bound: pass `jwt.verify` around freely. */
  verify = (token: string): JwtResult => {
    const res = verifyJwtWithSecret(token, this.secret)
    if (!res.ok || this.expiredBeforeMs === null) return res
    const role = res.claims.role
    if (role === 'anon' || role === 'service_role') return res
    const sig = token.slice(token.lastIndexOf('.') + 1)
    const seq = this.issued.get(sig)
    // Ours: by issue order. Foreign (signed elsewhere with the secret): by iat.
    const before = seq !== undefined ? seq <= this.expiredUpToSeq : (typeof res.claims.iat === 'number' ? res.claims.iat * 1000 : 0) < this.expiredBeforeMs
    if (before) {
      return { ok: false, error: expiredError((Date.now() - this.expiredBeforeMs) / 1000) }
    }
    return res
  }
}

const defaultService = new JwtService()

/** Verify with the demo secret and no fault state (for code that has no backend handle). */
export function verifyJwt(token: string): JwtResult {
  return defaultService.verify(token)
}
