// The rules of settings validation and redaction, pinned down as behaviour: which settings a workstation
// accepts, how they are normalised, what each refusal says, and that no secret survives redaction — checked
// precisely (the exact replacement), not only as "the whole secret is absent", because a regex that redacted a
// single character would pass that.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { classifyKey, decodeJwtClaims, redact, redactText, validateSettings, type RawSettings } from '../../../src/core/config.js'

const b64url = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url')
const jwt = (claims: unknown, sig = 'c2lnbmF0dXJl') => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.${sig}`

const dir = mkdtempSync(join(tmpdir(), 'bayalert-config-rules-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const good: RawSettings = { supabaseUrl: 'https://xyz.supabase.co', anonKey: jwt({ role: 'anon' }), email: 'm@shop.test', password: 'pw', dataDir: dir }

function problemsOf(raw: RawSettings) {
  const r = validateSettings(raw)
  if (r.ok) throw new Error('expected a refusal')
  return r.problems
}
function settingsOf(raw: RawSettings) {
  const r = validateSettings(raw)
  if (!r.ok) throw new Error(`expected acceptance, got ${JSON.stringify(r.problems)}`)
  return r.settings
}

describe('the project URL', () => {
  it.each([
    ['https://xyz.supabase.co/', 'https://xyz.supabase.co'],
    ['https://xyz.supabase.co///', 'https://xyz.supabase.co'],
    ['https://h.example/base/', 'https://h.example/base'],
    ['  https://xyz.supabase.co  ', 'https://xyz.supabase.co'],
    ['HTTPS://XYZ.Supabase.CO', 'https://xyz.supabase.co'],
    ['https://xyz.supabase.co/?x=1#frag', 'https://xyz.supabase.co'],
    ['http://127.0.0.1:54321', 'http://127.0.0.1:54321'],
  ])('%s is used as %s (trailing slashes, query and fragment dropped)', (input, expected) => {
    expect(settingsOf({ ...good, supabaseUrl: input }).supabaseUrl).toBe(expected)
  })

  it.each([null, undefined, '', '   '])('a missing URL (%j) is reported as missing, once', (u) => {
    const p = problemsOf({ ...good, supabaseUrl: u })
    expect(p).toEqual([{ field: 'supabaseUrl', message: expect.stringContaining('SUPABASE_URL is missing') }])
  })

  it.each(['https://user@xyz.supabase.co', 'https://:pw@xyz.supabase.co', 'https://user:pw@xyz.supabase.co'])(
    '%s is refused because it carries credentials, and the message does not repeat them',
    (u) => {
      const p = problemsOf({ ...good, supabaseUrl: u })
      expect(p).toEqual([{ field: 'supabaseUrl', message: 'SUPABASE_URL must not contain a user name or password.' }])
    },
  )

  it('plain http to another machine is refused, naming the host (at most 80 characters)', () => {
    const host = `${'h'.repeat(100)}.example`
    const [p] = problemsOf({ ...good, supabaseUrl: `http://${host}` })
    expect(p!.field).toBe('supabaseUrl')
    expect(p!.message).toContain(`plain http:// to ${'h'.repeat(80)}, which is not this machine`)
  })

  it('a URL that is not http(s) is quoted back (redacted, at most 120 characters) with an example', () => {
    const [p] = problemsOf({ ...good, supabaseUrl: 'ftp://files.example' })
    expect(p!.message).toBe('SUPABASE_URL "ftp://files.example" is not an http(s) URL. Use the project URL, e.g. https://xyz.supabase.co.')
    const long = 'x'.repeat(500)
    const [q] = problemsOf({ ...good, supabaseUrl: long })
    expect(q!.message).toContain(`"${'x'.repeat(120)}"`)
    expect(q!.message).not.toContain('x'.repeat(121))
  })

  it('a malformed URL that contains a key or a password does not echo them', () => {
    const key = 'sb_secret_0123456789abcdef'
    const [p] = problemsOf({ ...good, supabaseUrl: `xyz.supabase.co?apikey=${key}` })
    expect(p!.field).toBe('supabaseUrl')
    expect(p!.message).not.toContain('0123456789abcdef')
    const [q] = problemsOf({ ...good, supabaseUrl: 'ftp://admin:hunter2@xyz.supabase.co' })
    expect(q!.message).toBe('SUPABASE_URL "ftp://(redacted)@xyz.supabase.co" is not an http(s) URL. Use the project URL, e.g. https://xyz.supabase.co.')
  })
})

describe('the key', () => {
  it('stray whitespace around a key is trimmed, and the trimmed key is what is used', () => {
    const key = jwt({ role: 'anon' })
    expect(settingsOf({ ...good, anonKey: `  ${key}\n` })).toMatchObject({ anonKey: key, keyKind: 'anon-jwt' })
    expect(settingsOf({ ...good, anonKey: ' sb_publishable_abc ' })).toMatchObject({ anonKey: 'sb_publishable_abc', keyKind: 'publishable' })
    expect(classifyKey('\tsb_secret_abc ')).toEqual({ kind: 'secret' })
  })

  it('a key of up to 8192 characters is read; a longer one is refused before any decoding', () => {
    const at = `sb_publishable_${'k'.repeat(8192 - 'sb_publishable_'.length)}`
    expect(classifyKey(at)).toEqual({ kind: 'publishable' })
    expect(classifyKey(`${at}k`)).toEqual({ kind: 'invalid' })
  })

  it('a role made only of invisible characters is shown as "(blank)"', () => {
    expect(problemsOf({ ...good, anonKey: jwt({ role: '\u200b\u202e' }) })[0]!.message).toContain('role "(blank)"')
  })

  it('a key that merely contains a prefix is not that kind of key', () => {
    expect(classifyKey('x_sb_publishable_abc').kind).toBe('invalid')
    expect(classifyKey('x_sb_secret_abc').kind).toBe('invalid')
  })

  it.each([
    [{ role: 'anon' }, { kind: 'anon-jwt', role: 'anon' }],
    [{ role: 'service_role' }, { kind: 'service-role', role: 'service_role' }],
    [{ role: 'supabase_admin' }, { kind: 'service-role', role: 'supabase_admin' }],
    [{ role: 'authenticated' }, { kind: 'other-role', role: 'authenticated' }],
    [{ role: 'ANON' }, { kind: 'other-role', role: 'ANON' }],
    [{ sub: 'u1' }, { kind: 'other-role' }],
    [{ role: 7 }, { kind: 'other-role' }],
  ])('a JWT with claims %j is classified %j', (claims, expected) => {
    expect(classifyKey(jwt(claims))).toEqual(expected)
  })

  it.each([null, undefined, '', '  '])('a missing key (%j) is reported as missing', (k) => {
    expect(problemsOf({ ...good, anonKey: k })).toEqual([{ field: 'anonKey', message: expect.stringContaining('SUPABASE_ANON_KEY is missing') }])
  })

  it('a JWT for another role names that role, or says it has none', () => {
    expect(problemsOf({ ...good, anonKey: jwt({ role: 'authenticated' }) })).toEqual([
      { field: 'anonKey', message: 'SUPABASE_ANON_KEY is a JWT for role "authenticated", not "anon". Use the project\'s anon (publishable) key.' },
    ])
    expect(problemsOf({ ...good, anonKey: jwt({ sub: 'x' }) })[0]!.message).toContain('role "(none)"')
  })

  it('a key that is neither a JWT nor an sb_ key is refused as such', () => {
    expect(problemsOf({ ...good, anonKey: 'not-a-key' })).toEqual([{ field: 'anonKey', message: expect.stringContaining('neither a JWT nor an sb_publishable_ key') }])
  })

  it('a supabase_admin JWT is refused like a service-role key', () => {
    const [p] = problemsOf({ ...good, anonKey: jwt({ role: 'supabase_admin' }) })
    expect(p!.message).toContain('bypasses row-level security')
  })

  it('claims are read from base64url (the alphabet with - and _), and anything but a JSON object is not a JWT', () => {
    // '?>' encodes to "Pz4" in base64: a claim value chosen so that its base64url form contains '-' or '_'.
    const claims = { role: 'anon', note: '???>>>~~~' }
    const token = jwt(claims)
    expect(token.split('.')[1]).toMatch(/[-_]/)
    expect(decodeJwtClaims(token)).toEqual(claims)
    for (const payload of ['[1,2]', 'null', '42', '"text"', 'not json']) {
      expect(decodeJwtClaims(`${b64url({ alg: 'HS256' })}.${b64url(payload)}.sig`)).toBeNull()
    }
    expect(decodeJwtClaims(`${b64url({ role: 'anon' })}.${b64url({ role: 'anon' })}`)).toBeNull()
    expect(decodeJwtClaims(`${jwt({ role: 'anon' })}.extra`)).toBeNull()
    expect(classifyKey('a.b.c').kind).toBe('invalid')
  })
})

describe('the account', () => {
  it.each(['a@b@c', 'a b@shop.test', '@shop.test', 'mechanic@', 'mechanic'])('%s is not an e-mail address', (email) => {
    expect(problemsOf({ ...good, email })).toEqual([{ field: 'email', message: `BAYALERT_EMAIL "${email}" is not an e-mail address.` }])
  })

  it.each([null, undefined, '', ' \t'])('a missing e-mail (%j) is reported as missing', (email) => {
    expect(problemsOf({ ...good, email })).toEqual([{ field: 'email', message: 'BAYALERT_EMAIL is missing: the mechanic account to sign in with.' }])
  })

  it('the e-mail is trimmed; a long invalid one is quoted to 80 characters', () => {
    expect(settingsOf({ ...good, email: '  m@shop.test ' }).email).toBe('m@shop.test')
    const long = 'y'.repeat(200)
    const msg = problemsOf({ ...good, email: long })[0]!.message
    expect(msg).toContain(`"${'y'.repeat(80)}"`)
    expect(msg).not.toContain('y'.repeat(81))
  })

  it('a password is used exactly as typed (spaces are characters of a password), and only an empty one is missing', () => {
    expect(settingsOf({ ...good, password: '  pass word ' }).password).toBe('  pass word ')
    expect(problemsOf({ ...good, password: '' })).toEqual([{ field: 'password', message: expect.stringContaining('BAYALERT_PASSWORD is missing') }])
    expect(problemsOf({ ...good, password: null })[0]!.field).toBe('password')
  })
})

describe('the data directory', () => {
  it('is trimmed and made absolute', () => {
    expect(settingsOf({ ...good, dataDir: `  ${dir}  ` }).dataDir).toBe(dir)
    const rel = join('.tmp', `config-rules-${process.pid}`)
    try {
      expect(settingsOf({ ...good, dataDir: rel }).dataDir).toBe(resolve(rel))
    } finally {
      rmSync(resolve(rel), { recursive: true, force: true })
    }
  })

  it('a missing one is reported; one under a file is refused with the reason code', () => {
    expect(problemsOf({ ...good, dataDir: ' ' })).toEqual([{ field: 'dataDir', message: 'BAYALERT_DATA_DIR is missing.' }])
    const file = join(dir, 'plain-file')
    writeFileSync(file, 'x')
    const [p] = problemsOf({ ...good, dataDir: join(file, 'sub') })
    expect(p).toEqual({ field: 'dataDir', message: expect.stringMatching(/^The data directory .*plain-file\/sub is not writable \(ENOTDIR\)\./) })
  })

  it('accepted settings carry every field', () => {
    expect(settingsOf(good)).toEqual({ supabaseUrl: 'https://xyz.supabase.co', anonKey: good.anonKey, email: 'm@shop.test', password: 'pw', dataDir: dir, keyKind: 'anon-jwt' })
  })
})

describe('redact', () => {
  it('keeps four characters and the length, and says "(none)" for nothing', () => {
    expect(redact('abcdefghij')).toBe('abcd…(redacted 10 chars)')
    expect(redact('abc')).toBe('abc…(redacted 3 chars)')
    expect(redact(null)).toBe('(none)')
    expect(redact(undefined)).toBe('(none)')
    expect(redact('')).toBe('(none)')
  })
})

describe('redactText', () => {
  it('replaces a JWT, signature included, by its redacted form and leaves the text around it', () => {
    const token = jwt({ role: 'authenticated', sub: 'u' }, 'SIGNATURE-with_url-safe-chars')
    expect(redactText(`Bearer ${token} at /x`)).toBe(`Bearer ${redact(token)} at /x`)
  })

  it('replaces sb_secret_ and sb_publishable_ keys whole, including - and _', () => {
    const secret = 'sb_secret_AbC-123_xyz'
    expect(redactText(`key ${secret}, next`)).toBe(`key sb_s…(redacted ${secret.length} chars), next`)
    expect(redactText('sb_publishable_Q-w_e')).toBe('sb_p…(redacted 20 chars)')
  })

  it.each([
    ['password=hunter2', 'password="(redacted)"'],
    ['password=hunter2&next=1', 'password="(redacted)"&next=1'],
    ['{"password":"hunter 2","x":1}', '{"password":"(redacted)","x":1}'],
    ['password: hunter2, user: m', 'password: "(redacted)", user: m'],
    ['PassWord = hunter2}', 'PassWord = "(redacted)"}'],
    ['access_token=a1&refresh_token=r2', 'access_token="(redacted)"&refresh_token="(redacted)"'],
    ['apikey=k1 api_key=k2 token=t3', 'apikey="(redacted)" api_key="(redacted)" token="(redacted)"'],
    ['"authorization":"opaque"', '"authorization":"(redacted)"'],
  ])('%s becomes %s', (input, expected) => {
    expect(redactText(input)).toBe(expected)
  })

  it('a JSON password containing an escaped quote is redacted whole', () => {
    const body = JSON.stringify({ password: 'pa"ss-word-secret', user: 'm' })
    expect(redactText(body)).toBe('{"password":"(redacted)","user":"m"}')
  })

  it('an opaque bearer token is redacted, not the word "Bearer"', () => {
    expect(redactText('Authorization: Bearer opaque-token-1234, next')).toBe('Authorization: "(redacted)", next')
    expect(redactText('authorization=bearer \t opaque-token-1234')).toBe('authorization="(redacted)"')
  })

  it('credentials in a URL are redacted and the rest of the URL kept', () => {
    expect(redactText('ftp://admin:hunter2@files.example/x and https://h.example/a@b')).toBe(
      'ftp://(redacted)@files.example/x and https://h.example/a@b',
    )
  })

  it('text without secrets is left exactly as it is', () => {
    const plain = 'GET /rest/v1/queued_requests 503 (PGRST001) after 812 ms; eyJ alone; sb_other_x'
    expect(redactText(plain)).toBe(plain)
  })

  // The rule is about every secret, so it is checked for generated ones. A secret is "left" when any 8
  // consecutive characters of it survive — redact() itself keeps the first 4, which is fine.
  const secretChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_')
  const secret = fc.string({ unit: secretChars, minLength: 8, maxLength: 60 })
  const around = fc.string({ unit: fc.constantFrom(...'abc xyz:;/?()[]\n'), maxLength: 20 })
  const leftOf = (out: string, s: string) => {
    for (let i = 0; i + 8 <= s.length; i++) if (out.includes(s.slice(i, i + 8))) return s.slice(i, i + 8)
    return null
  }

  it('never leaves 8 characters of a generated sb_ key or JWT', () => {
    fc.assert(
      fc.property(secret, secret, secret, around, around, fc.constantFrom('sb_secret_', 'sb_publishable_', 'jwt'), (a, b, c, pre, post, kind) => {
        const s = kind === 'jwt' ? `eyJ${a}.${b}.${c}` : `${kind}${a}`
        const out = redactText(`${pre} ${s} ${post}`)
        expect(leftOf(out, kind === 'jwt' ? `${b}.${c}` : a)).toBeNull()
      }),
    )
  })

  it('never leaves 8 characters of a generated password, quoted (JSON) or not', () => {
    const anyPassword = fc.string({ minLength: 8, maxLength: 40 })
    fc.assert(
      fc.property(anyPassword, secret, fc.constantFrom('password', 'refresh_token', 'access_token', 'apikey'), around, (quoted, bare, field, pre) => {
        const json = `${pre}${JSON.stringify({ [field]: quoted, user: 'm' })}`
        expect(leftOf(redactText(json), JSON.stringify(quoted).slice(1, -1))).toBeNull()
        expect(leftOf(redactText(`${pre} ${field}=${bare}&x=1`), bare)).toBeNull()
        expect(leftOf(redactText(`${pre} Authorization: Bearer ${bare}\n`), bare)).toBeNull()
        expect(leftOf(redactText(`${pre} https://mech:${bare}@xyz.supabase.co/`), bare)).toBeNull()
      }),
    )
  })
})
