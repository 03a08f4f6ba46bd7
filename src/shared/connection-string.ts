// One pasted text that connects a workstation to its shop, so nobody types a 200-character key by hand.
// Two forms are accepted:
//   1. bayalert://connect?url=<project URL>&key=<anon key>          (what an admin can mail or put in a QR code)
//   2. KEY=value lines, as `npm run backend` prints them or as a project's .env holds them:
//        SUPABASE_URL=https://xyz.supabase.co
//        SUPABASE_ANON_KEY=eyJ…            (also *_SUPABASE_URL / *_SUPABASE_ANON_KEY / *_SUPABASE_PUBLISHABLE_KEY,
//                                          e.g. NEXT_PUBLIC_…, optional `export ` and quotes)
// Only the URL and the public key are taken. Anything else — the service-role key, a database URL, demo
// passwords that the backend also prints — is ignored and never kept, and the person is told so.
// This file parses only; the settings rules in the main process judge the URL and the key (https, key kind)
// exactly as for typed settings. Pure, no Node and no DOM: the renderer and the main process both use it.

export const CONNECT_PREFIX = 'bayalert://connect'
const MAX_TEXT = 16_384

export type ParsedConnection = { ok: true; supabaseUrl: string; anonKey: string; notes: string[] } | { ok: false; problem: string }

/** The bayalert:// form for a URL and an anon key (for admins; the README shows one). */
export function formatConnectionString(supabaseUrl: string, anonKey: string): string {
  return `${CONNECT_PREFIX}?url=${encodeURIComponent(supabaseUrl)}&key=${encodeURIComponent(anonKey)}`
}

const SENSITIVE_NAME = /service.?role|secret|password|passwd|db_url|database_url|jwt_secret|token|demo_mechanic/i

function unquote(v: string): string {
  const t = v.trim()
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) return t.slice(1, -1)
  return t
}

function fromLink(text: string): ParsedConnection {
  let u: URL
  try {
    u = new URL(text)
  } catch {
    return { ok: false, problem: 'The connection link is not a valid bayalert://connect link.' }
  }
  if (u.protocol !== 'bayalert:' || u.host !== 'connect') return { ok: false, problem: 'The connection link must start with bayalert://connect?' }
  const urls = u.searchParams.getAll('url')
  const keys = u.searchParams.getAll('key')
  if (urls.length !== 1 || keys.length !== 1) return { ok: false, problem: 'The connection link must have exactly one url= and one key=.' }
  const notes = [...u.searchParams.keys()].some((k) => k !== 'url' && k !== 'key') ? ['Other parts of the link were ignored.'] : []
  return { ok: true, supabaseUrl: urls[0]!.trim(), anonKey: keys[0]!.trim(), notes }
}

function fromLines(text: string): ParsedConnection {
  let url: string | undefined
  let key: string | undefined
  const ignored = new Set<string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, '')
    if (!line || line.startsWith('#')) continue
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line)
    if (!m) continue
    const name = m[1]!.toUpperCase()
    const value = unquote(m[2]!)
    if (/(^|_)SUPABASE_URL$/.test(name)) url ??= value
    else if (/(^|_)SUPABASE_(ANON|PUBLISHABLE)_KEY$/.test(name)) key ??= value
    else if (SENSITIVE_NAME.test(name)) ignored.add(name)
  }
  if (url === undefined && key === undefined) {
    return { ok: false, problem: 'Nothing to connect with: paste a bayalert://connect link or the SUPABASE_URL=… and SUPABASE_ANON_KEY=… lines.' }
  }
  if (url === undefined) return { ok: false, problem: 'The pasted text has no SUPABASE_URL=… line.' }
  if (key === undefined) return { ok: false, problem: 'The pasted text has no SUPABASE_ANON_KEY=… (or SUPABASE_PUBLISHABLE_KEY=…) line.' }
  const notes = ignored.size
    ? [`Ignored and not kept: ${[...ignored].slice(0, 6).join(', ')}. A workstation needs only the URL and the anon key — never a service-role key or a password.`]
    : []
  return { ok: true, supabaseUrl: url, anonKey: key, notes }
}

export function parseConnectionString(text: unknown): ParsedConnection {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, problem: 'Paste the connection text first.' }
  if (text.length > MAX_TEXT) return { ok: false, problem: 'The pasted text is too long to be a connection string.' }
  const t = text.trim()
  return t.toLowerCase().startsWith('bayalert:') ? fromLink(t) : fromLines(t)
}
