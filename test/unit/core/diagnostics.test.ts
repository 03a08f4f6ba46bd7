// The diagnostics bundle leaves the shop: whatever its parts hold — log lines quoting a customer, a
// snapshot with a full queue, a settings object with a key — the file has no secret and no customer
// name, vehicle or concern, and still says what support needs (versions, checks, states, ids, times).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildDiagnostics, collectVersions, DIAGNOSTICS_FORMAT, maskEmail, writeDiagnostics } from '../../../src/core/diagnostics/bundle.js'
import { CUSTOMER_MARK, CUSTOMER_REMOVED, CustomerScrubber } from '../../../src/core/diagnostics/scrub.js'
import { makeItem, makeSnapshot } from '../../mocks/fake-engine.js'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bayalert-diag-'))
  dirs.push(d)
  return d
}

function jwt(claims: Record<string, unknown>): string {
  const b = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b({ alg: 'HS256', typ: 'JWT' })}.${b(claims)}.c2lnbmF0dXJl`
}
const SERVICE_ROLE = jwt({ role: 'service_role' })

// Hostile and ordinary customer strings, as a local queue may hold them.
const CUSTOMERS = [
  { customerName: "Robert'); DROP TABLE intakes;--", vehicle: '1989 Wartburg 353', concern: '<img src=x onerror=alert(1)> brakes squeal' },
  { customerName: 'Zoë Ångström-Nakamura', vehicle: '2014 Honda Civic', concern: 'Grinding noise when braking' },
  { customerName: 'Al Li', vehicle: null, concern: null },
]
const NEEDLES = ["Robert'); DROP TABLE intakes;--", '1989 Wartburg 353', '<img src=x onerror=alert(1)> brakes squeal', 'Zoë Ångström-Nakamura', 'Ångström-Nakamura', '2014 Honda Civic', 'Grinding noise when braking']

describe('CustomerScrubber', () => {
  const s = new CustomerScrubber(CUSTOMERS)

  it('replaces every known string wherever it appears, in any letter case', () => {
    expect(s.text("details for ROBERT'); drop table intakes;-- arrived")).toBe(`details for ${CUSTOMER_MARK} arrived`)
    expect(s.text('vehicle=2014 honda civic; concern=Grinding noise when braking')).toBe(`vehicle=${CUSTOMER_MARK}; concern=${CUSTOMER_MARK}`)
    expect(s.text('just Ångström-Nakamura')).toBe(`just ${CUSTOMER_MARK}`)
    expect(s.text('zoë ångström-nakamura called')).toBe(`${CUSTOMER_MARK} called`)
  })

  it('parts of a name are removed in their own letter case only, so a hostile name does not blank out ordinary words', () => {
    expect(s.text('the DROP TABLE part of Robert')).toBe(`the ${CUSTOMER_MARK} ${CUSTOMER_MARK} part of ${CUSTOMER_MARK}`)
    expect(s.text('workstation_health table present; drop it')).toBe('workstation_health table present; drop it')
    expect(s.text('nakamura in lower case is a different word')).toBe('nakamura in lower case is a different word')
  })

  it('matches a name that starts or ends with a letter as a whole word only: short names do not eat words', () => {
    expect(s.text('Alert raised for Al Li; Alice unaffected')).toBe(`Alert raised for ${CUSTOMER_MARK}; Alice unaffected`)
    // Single letters and parts under 3 characters are not looked for on their own.
    expect(new CustomerScrubber([{ customerName: 'X' }]).text('X marks')).toBe('X marks')
    expect(s.text('Al went home')).toBe('Al went home')
  })

  it('removes customer-named fields whole, redacts secret-named ones, and cleans keys too', () => {
    const out = s.value({
      customerName: 'Someone Unknown',
      vehicle: 'Unknown Car',
      concern: null,
      title: 'New request',
      body: 'b',
      details: { customerName: 'x' },
      items: [1],
      password: 'p',
      nested: { apikey: SERVICE_ROLE, note: `key ${SERVICE_ROLE}` },
      [`by ${CUSTOMERS[1]!.customerName}`]: 1,
    }) as Record<string, unknown>
    expect(out).toEqual({
      customerName: CUSTOMER_REMOVED,
      vehicle: CUSTOMER_REMOVED,
      concern: null,
      title: CUSTOMER_REMOVED,
      body: CUSTOMER_REMOVED,
      details: CUSTOMER_REMOVED,
      items: CUSTOMER_REMOVED,
      password: '[redacted]',
      nested: { apikey: '[redacted]', note: expect.stringMatching(/^key eyJh…\(redacted \d+ chars\)$/) },
      [`by ${CUSTOMER_MARK}`]: 1,
    })
  })

  it('no known strings: only redaction', () => {
    expect(new CustomerScrubber([]).text(`Dana ${SERVICE_ROLE}`)).toMatch(/^Dana eyJh…\(redacted/)
  })
})

describe('buildDiagnostics', () => {
  function logDirWith(lines: string[]): string {
    const dir = join(tempDir(), 'logs')
    mkdirSync(dir)
    writeFileSync(join(dir, 'bayalert.log'), `${lines.join('\n')}\n`)
    return dir
  }

  it('has versions, checks, settings, state with queue ids and the log lines — and none of the customer strings or secrets', () => {
    const logDir = logDirWith([
      JSON.stringify({ level: 'info', time: '2026-11-30T10:00:00.000Z', scope: 'engine', msg: "alert for Robert'); DROP TABLE intakes;-- (1989 Wartburg 353)", requestId: 'r-1' }),
      JSON.stringify({ level: 'warn', scope: 'engine', msg: 'details: unreadable row', reason: 'Zoë Ångström-Nakamura: bad vehicle 2014 Honda Civic', customerName: 'Zoë Ångström-Nakamura' }),
      JSON.stringify({ level: 'error', scope: 'main', msg: `refresh failed Bearer ${SERVICE_ROLE}`, headers: { authorization: 'Bearer opaque123' } }),
      'not json: Grinding noise when braking',
    ])
    const snapshot = makeSnapshot({
      queue: CUSTOMERS.map((c, i) => makeItem({ requestId: `r-${i + 1}`, details: { ...c, sessionType: 'video' } })),
      health: { ...makeSnapshot().health, degradedReason: 'Local store unavailable: database is locked' },
    })
    const bundle = buildDiagnostics({
      host: 'electron',
      versions: collectVersions('1.2.3'),
      checks: [{ name: 'link', status: 'ok', detail: 'live' }],
      settings: { supabaseUrl: 'https://xyz.supabase.co', anonKey: SERVICE_ROLE, email: maskEmail('mechanic1@shop.test') },
      snapshot,
      logDir,
      known: [],
      now: () => Date.parse('2026-11-30T12:00:00Z'),
    })
    const text = JSON.stringify(bundle)
    for (const n of NEEDLES) expect(text.toLowerCase(), n).not.toContain(n.toLowerCase())
    expect(text).not.toContain(SERVICE_ROLE)
    expect(text).not.toContain('opaque123')
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+/)

    expect(bundle).toMatchObject({
      format: DIAGNOSTICS_FORMAT,
      generatedAt: '2026-11-30T12:00:00.000Z',
      host: 'electron',
      versions: { app: '1.2.3', node: process.versions.node, supabaseJs: expect.stringMatching(/^2\.\d+\.\d+/), platform: process.platform },
      checks: [{ name: 'link', status: 'ok', detail: 'live' }],
      settings: { supabaseUrl: 'https://xyz.supabase.co', anonKey: '[redacted]', email: 'm…@shop.test' },
      state: {
        link: { state: 'live' },
        signedIn: true,
        health: { degradedReason: 'Local store unavailable: database is locked' },
        queue: [
          { requestId: 'r-1', detail: 'full', acknowledged: false, confirmed: true, alertCount: 1 },
          { requestId: 'r-2' },
          { requestId: 'r-3' },
        ],
      },
      logs: { dir: logDir, lineCount: 4, problems: [] },
    })
    const lines = (bundle.logs as { lines: unknown[] }).lines
    expect(lines[0]).toEqual({ level: 'info', time: '2026-11-30T10:00:00.000Z', scope: 'engine', msg: `alert for ${CUSTOMER_MARK} (${CUSTOMER_MARK})`, requestId: 'r-1' })
    expect(lines[1]).toMatchObject({ reason: `${CUSTOMER_MARK}: bad vehicle ${CUSTOMER_MARK}`, customerName: CUSTOMER_REMOVED })
    expect(lines[2]).toMatchObject({ headers: { authorization: '[redacted]' } })
    expect(lines[3]).toBe(`not json: ${CUSTOMER_MARK}`)
  })

  it('names from the local store (known) are removed even when the engine is not running', () => {
    const logDir = logDirWith([JSON.stringify({ msg: 'ringing for Zoë Ångström-Nakamura' })])
    const bundle = buildDiagnostics({ host: 'headless', versions: collectVersions('1'), checks: [], settings: {}, snapshot: null, logDir, known: CUSTOMERS })
    expect(JSON.stringify(bundle)).not.toContain('Ångström')
    expect(bundle.state).toBeNull()
  })

  it('keeps the newest log lines up to the limit and says when there is no log yet', () => {
    const logDir = logDirWith(Array.from({ length: 30 }, (_, i) => JSON.stringify({ msg: `m${i}` })))
    const b = buildDiagnostics({ host: 'headless', versions: collectVersions('1'), checks: [], settings: {}, logDir, known: [], logLines: 5 })
    expect((b.logs as { lines: Array<{ msg: string }> }).lines.map((l) => l.msg)).toEqual(['m25', 'm26', 'm27', 'm28', 'm29'])
    const empty = buildDiagnostics({ host: 'headless', versions: collectVersions('1'), checks: [], settings: {}, logDir: join(tempDir(), 'none'), known: [] })
    expect(empty.logs).toMatchObject({ lineCount: 0, lines: [], problems: [] })
  })

  it('is written owner-only, as indented JSON', () => {
    const path = join(tempDir(), 'd.json')
    writeDiagnostics(path, { a: 1 })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ a: 1 })
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it('maskEmail keeps the first letter and the domain', () => {
    expect(maskEmail('mechanic1@shop.test')).toBe('m…@shop.test')
    expect(maskEmail(null)).toBeNull()
    expect(maskEmail('nope')).toBe('(not an e-mail address)')
    expect(maskEmail('@x')).toBe('(not an e-mail address)')
  })
})
