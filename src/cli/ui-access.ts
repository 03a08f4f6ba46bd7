// Who may use the headless UI server. Host/Origin checks stop browsers on other sites, but any program or
// other OS user on this machine can send whatever headers it likes to a loopback port; what they cannot
// get is the secret printed on this run's stderr. So every request and websocket must prove it holds one:
//   - one random secret per run and scope (256 bits from the OS CSPRNG): 'queue' may do everything the
//     queue window does, 'wallboard' may only read (snapshot and pushes), for a shop screen;
//   - carried once in the printed URL (?k=…), exchanged for an HttpOnly SameSite=Strict cookie so page
//     scripts cannot read it and no other site can make the browser send it; non-browser clients send
//     `Authorization: Bearer <secret>` instead;
//   - compared in constant time: SHA-256 of both sides (equal lengths whatever was sent), then
//     crypto.timingSafeEqual.
// Cookies are scoped by host, not port (RFC 6265 §8.5), so each cookie name carries the port: two headless
// runs on different ports must not overwrite each other's cookie in the same browser.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export type UiScope = 'queue' | 'wallboard'

/** The query parameter that carries the secret in a printed URL. */
export const KEY_PARAM = 'k'
/** Longer than any secret this module makes; anything longer is refused without hashing it. */
const MAX_PRESENTED = 256

export interface UiAccess {
  /** The secret that unlocks `scope` (goes into the printed URL only). */
  secret(scope: UiScope): string
  cookieName(scope: UiScope): string
  /** The Set-Cookie header value that holds this scope's secret for the rest of the browser session. */
  setCookie(scope: UiScope): string
  /** The scope a presented secret unlocks, or null. */
  scopeOfKey(presented: string): UiScope | null
  /** The widest scope a request proves with its cookies or its bearer header, or null. */
  scopeOf(headers: IncomingHttpHeaders): UiScope | null
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest()

export function createUiAccess(port: number, random: (bytes: number) => Buffer = randomBytes): UiAccess {
  const secrets: Record<UiScope, string> = { queue: random(32).toString('base64url'), wallboard: random(32).toString('base64url') }
  if (secrets.queue === secrets.wallboard) throw new Error('the UI secrets must differ') // a broken random source
  const digests: Record<UiScope, Buffer> = { queue: digest(secrets.queue), wallboard: digest(secrets.wallboard) }
  const names: Record<UiScope, string> = { queue: `bayalert-${port}-queue`, wallboard: `bayalert-${port}-wallboard` }

  const scopeOfKey = (presented: string): UiScope | null => {
    if (presented.length === 0 || presented.length > MAX_PRESENTED) return null
    const d = digest(presented)
    // Both comparisons always run, so the time taken does not say which scope (if any) matched.
    const queue = timingSafeEqual(d, digests.queue)
    const wallboard = timingSafeEqual(d, digests.wallboard)
    return queue ? 'queue' : wallboard ? 'wallboard' : null
  }

  return {
    secret: (scope) => secrets[scope],
    cookieName: (scope) => names[scope],
    setCookie: (scope) => `${names[scope]}=${secrets[scope]}; HttpOnly; SameSite=Strict; Path=/`,
    scopeOfKey,
    scopeOf(headers) {
      let best: UiScope | null = null
      const auth = headers.authorization
      const bearer = typeof auth === 'string' ? /^Bearer (\S+)$/i.exec(auth.trim()) : null
      if (bearer) {
        best = scopeOfKey(bearer[1]!)
        if (best === 'queue') return best
      }
      for (const [name, value] of parseCookies(headers.cookie)) {
        // A cookie only counts under its own name: the wallboard's secret in the queue cookie unlocks nothing.
        if (name === names.queue && scopeOfKey(value) === 'queue') return 'queue'
        if (name === names.wallboard && scopeOfKey(value) === 'wallboard') best = 'wallboard'
      }
      return best
    },
  }
}

/** name/value pairs of a Cookie header, in order; values are taken as sent (our secrets need no decoding). */
export function parseCookies(header: string | undefined): [string, string][] {
  if (!header) return []
  const pairs: [string, string][] = []
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    const name = eq === -1 ? '' : part.slice(0, eq).trim()
    if (name) pairs.push([name, part.slice(eq + 1).trim()])
  }
  return pairs.slice(0, 50) // a header stuffed with thousands of cookies costs no more than 50 hashes
}
