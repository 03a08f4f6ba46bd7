/** @vitest-environment node */
// An administrator's provisioning file: found at the per-OS policy path or beside the executable, parsed and
// validated like settings, refused whole when it carries a credential or a bad key, never crashing the app,
// and then the default under the user's own settings (environment > user settings > provisioning).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, win32 } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  executableDir,
  NO_PROVISIONING,
  PROVISIONING_MAX_BYTES,
  provisioningPaths,
  readProvisioning,
  validateProvisioning,
} from '../../../src/main/provisioning.js'
import { loadSettings, SettingsService } from '../../../src/main/settings.js'
import { jwt, memoryKv } from './fixtures.js'

const ANON = jwt({ role: 'anon', exp: 2e9 })
const GOOD = {
  supabaseUrl: 'https://shop.supabase.co',
  anonKey: ANON,
  soundEnabled: false,
  startAtLogin: true,
  repeatIntervalSeconds: 120,
  workstationName: 'Bay 3',
  updateFeedUrl: 'https://updates.shop.example/bayalert/',
}
const tmp = mkdtempSync(join(tmpdir(), 'bayalert-provisioning-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
let n = 0
function file(content: string | Buffer): string {
  const p = join(tmp, `p${n++}.json`)
  writeFileSync(p, content)
  return p
}

describe('where the file is looked for', () => {
  it('policy path first, then beside the executable, per OS', () => {
    expect(provisioningPaths('win32', { ProgramData: 'D:\\PD' }, 'C:\\Users\\m\\AppData\\Local\\Programs\\BayAlert\\BayAlert.exe')).toEqual([
      'D:\\PD\\BayAlert\\provisioning.json',
      'C:\\Users\\m\\AppData\\Local\\Programs\\BayAlert\\provisioning.json',
    ])
    expect(provisioningPaths('win32', {}, 'C:\\x\\BayAlert.exe')[0]).toBe(win32.join('C:\\ProgramData', 'BayAlert', 'provisioning.json'))
    expect(provisioningPaths('darwin', {}, '/Applications/BayAlert.app/Contents/MacOS/BayAlert')).toEqual([
      '/Library/Application Support/BayAlert/provisioning.json',
      '/Applications/provisioning.json',
    ])
    expect(provisioningPaths('linux', { APPIMAGE: '/opt/apps/BayAlert.AppImage' }, '/tmp/.mount_Bay123/bayalert')).toEqual([
      '/etc/bayalert/provisioning.json',
      '/opt/apps/provisioning.json',
    ])
    expect(provisioningPaths('linux', {}, '/opt/BayAlert/bayalert')[1]).toBe('/opt/BayAlert/provisioning.json')
  })
  it('a macOS binary that is not inside a .app bundle uses its own folder', () => {
    expect(executableDir('darwin', {}, '/usr/local/bin/bayalert')).toBe('/usr/local/bin')
  })
})

describe('reading', () => {
  it('no file anywhere is normal: no values, no problems', () => {
    expect(readProvisioning([join(tmp, 'none-1.json'), join(tmp, 'missing-dir', 'none.json')])).toEqual(NO_PROVISIONING)
  })
  it('the first file found wins; the second is not read', () => {
    const first = file(JSON.stringify({ workstationName: 'Policy' }))
    const second = file(JSON.stringify({ workstationName: 'Beside' }))
    expect(readProvisioning([join(tmp, 'absent.json'), first, second])).toEqual({ source: first, values: { workstationName: 'Policy' }, problems: [] })
  })
  it('reads a full good file (with the byte-order mark Notepad writes)', () => {
    const p = file(`\uFEFF${JSON.stringify(GOOD, null, 2)}`)
    expect(readProvisioning([p])).toEqual({ source: p, values: GOOD, problems: [] })
  })
  it('invalid JSON is a clear problem and no values, without quoting a key from the file', () => {
    const p = file(`{ "anonKey": "${ANON}", "supabaseUrl": oops }`)
    const r = readProvisioning([p])
    expect(r.values).toEqual({})
    expect(r.problems).toHaveLength(1)
    expect(r.problems[0]).toMatch(new RegExp(`^The provisioning file ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON \\(.+\\)\\. BayAlert runs without it\\.$`))
    expect(r.problems[0]).not.toContain(ANON.slice(20))
  })
  it('an unreadable path is a problem, not a crash', () => {
    const dir = join(tmp, 'a-directory.json')
    mkdirSync(dir)
    const r = readProvisioning([dir])
    expect(r).toMatchObject({ source: dir, values: {} })
    expect(r.problems[0]).toMatch(/could not be read \(EISDIR\)/)
  })
  it('a file over the size limit is not parsed; one at the limit is', () => {
    const atLimit = JSON.stringify({ workstationName: 'Bay 1', $schema: '' }).replace('""', `"${'x'.repeat(PROVISIONING_MAX_BYTES - 40)}"`)
    const padded = atLimit.padEnd(PROVISIONING_MAX_BYTES, ' ')
    expect(Buffer.byteLength(padded)).toBe(PROVISIONING_MAX_BYTES)
    expect(readProvisioning([file(padded)]).values).toEqual({ workstationName: 'Bay 1' })
    const r = readProvisioning([file(`${padded} `)])
    expect(r.values).toEqual({})
    expect(r.problems[0]).toMatch(/larger than 64 KB/)
  })
})

describe('validation', () => {
  const refused = (raw: unknown) => {
    const r = validateProvisioning(raw, '/etc/bayalert/provisioning.json')
    expect(r.values).toEqual({})
    expect(r.problems).toHaveLength(1)
    expect(r.problems[0]).toMatch(/^The provisioning file \/etc\/bayalert\/provisioning\.json was refused: .+ BayAlert runs without it until it is fixed\.$/)
    return r.problems[0]!
  }

  it.each([['password'], ['mechanicPassword'], ['serviceRoleKey'], ['secret'], ['refreshToken']])('a "%s" entry refuses the whole file', (name) => {
    const msg = refused({ ...GOOD, [name]: 'hunter2' })
    expect(msg).toMatch(/no password or secret/)
    expect(msg).not.toContain('hunter2')
  })
  it.each([
    ['a service_role JWT', jwt({ role: 'service_role' }), /secret key/],
    ['an sb_secret_ key', 'sb_secret_abc123', /secret key/],
    ['an authenticated JWT', jwt({ role: 'authenticated' }), /not usable.*role "authenticated"/],
    ['garbage', 'not-a-key', /not usable/],
    ['an empty key', '', /not usable.*missing/],
    ['a number', 42, /not usable/],
  ])('an anonKey that is %s refuses the whole file', (_name, anonKey, why) => {
    const msg = refused({ ...GOOD, anonKey })
    expect(msg).toMatch(why)
    if (typeof anonKey === 'string' && anonKey) expect(msg).not.toContain(anonKey)
  })
  it('a key hidden in another entry refuses the whole file', () => {
    expect(refused({ ...GOOD, workstationName: 'sb_secret_abc123' })).toMatch(/"workstationName" entry holds a key or token/)
    expect(refused({ ...GOOD, updateFeedUrl: `https://x.example/?t=${jwt({ role: 'service_role' })}` })).toMatch(/"updateFeedUrl" entry holds a key/)
  })
  it.each([[null], [[GOOD]], ['a string'], [42]])('%j is not an object', (raw) => {
    expect(refused(raw)).toMatch(/not a JSON object/)
  })

  it('a bad value is ignored with a message; the good ones are kept', () => {
    const r = validateProvisioning(
      { ...GOOD, supabaseUrl: 'http://192.168.1.9:8000', soundEnabled: 'no', repeatIntervalSeconds: 14, workstationName: '<Bay 3>', updateFeedUrl: 'ftp://x', supabaseUrll: 'typo' },
      'P',
    )
    expect(r.values).toEqual({ anonKey: ANON, startAtLogin: true })
    expect(r.problems).toEqual([
      expect.stringMatching(/^Provisioning file P: "supabaseUrll" is not a setting BayAlert knows .* It was ignored\.$/),
      expect.stringMatching(/"supabaseUrl" is not usable: .*https.* It was ignored\./),
      expect.stringMatching(/"soundEnabled" must be true or false/),
      expect.stringMatching(/"repeatIntervalSeconds" must be a whole number of seconds from 15 to 3600/),
      expect.stringMatching(/"workstationName" must be 1 to 64/),
      expect.stringMatching(/"updateFeedUrl" is not usable: The update feed URL/),
      expect.stringMatching(/has an anonKey but no usable supabaseUrl/),
    ])
  })
  it.each([
    [15, true],
    [3600, true],
    [14, false],
    [3601, false],
    [60.5, false],
    ['60', false],
  ])('repeatIntervalSeconds %j accepted: %s', (v, ok) => {
    expect(validateProvisioning({ repeatIntervalSeconds: v }, 'P').values.repeatIntervalSeconds).toBe(ok ? v : undefined)
  })
  it('a workstation name of 64 characters is accepted, 65 is not', () => {
    expect(validateProvisioning({ workstationName: 'B'.repeat(64) }, 'P').values.workstationName).toBe('B'.repeat(64))
    expect(validateProvisioning({ workstationName: 'B'.repeat(65) }, 'P').values.workstationName).toBeUndefined()
  })
  it('an empty file object is valid and sets nothing', () => {
    expect(validateProvisioning({ $schema: 'x' }, 'P')).toEqual({ source: 'P', values: {}, problems: [] })
  })
})

describe('provisioned values under the user settings', () => {
  const prov = { source: '/etc/bayalert/provisioning.json', values: { supabaseUrl: 'https://shop.supabase.co', anonKey: ANON, soundEnabled: false }, problems: [] }

  it('a fresh workstation starts configured from the file, and says which fields came from it', () => {
    const l = loadSettings(undefined, {}, prov)
    expect(l).toMatchObject({ configured: true, settings: { supabaseUrl: 'https://shop.supabase.co', anonKey: ANON, soundEnabled: false } })
    expect(l.provisioning).toEqual({ source: prov.source, fields: ['supabaseUrl', 'anonKey', 'soundEnabled'] })
  })
  it('environment > user settings > provisioning', () => {
    const saved = { supabaseUrl: 'https://user.supabase.co', soundEnabled: true }
    expect(loadSettings(saved, {}, prov).settings).toMatchObject({ supabaseUrl: 'https://user.supabase.co', anonKey: ANON, soundEnabled: true })
    expect(loadSettings(saved, { SUPABASE_URL: 'http://127.0.0.1:54321' }, prov).settings.supabaseUrl).toBe('http://127.0.0.1:54321')
    expect(loadSettings(saved, {}, prov).provisioning.fields).toEqual(['anonKey'])
  })
  it("a refused saved key falls back to the administrator's key, and says so", () => {
    const l = loadSettings({ anonKey: 'sb_secret_oops' }, {}, prov)
    expect(l.settings.anonKey).toBe(ANON)
    expect(l.fields.anonKey).toMatch(/^Saved settings: The anon key is a service-role\/secret key.* Using the administrator's provisioned value instead\.$/)
  })
  it('problems of the file reach the settings view', () => {
    const l = loadSettings(undefined, {}, { source: 'P', values: {}, problems: ['The provisioning file P was refused: x'] })
    expect(l.problems).toEqual(['The provisioning file P was refused: x'])
    expect(l.configured).toBe(false)
  })
  it('saving the provisioned values stores no copy of them, so a later change of the file still arrives', () => {
    const kv = memoryKv()
    const svc = new SettingsService(kv, {}, prov)
    expect(svc.save({ supabaseUrl: 'https://shop.supabase.co', anonKey: ANON, email: 'm@shop.example', soundEnabled: false }).ok).toBe(true)
    expect(kv.map.get('settings')).toEqual({ email: 'm@shop.example' })
    const moved = { ...prov, values: { ...prov.values, supabaseUrl: 'https://new-shop.supabase.co' } }
    expect(new SettingsService(kv, {}, moved).get().settings.supabaseUrl).toBe('https://new-shop.supabase.co')
  })
  it("a user's own change is stored and wins over the file", () => {
    const kv = memoryKv()
    const svc = new SettingsService(kv, {}, prov)
    expect(svc.save({ supabaseUrl: 'https://other.supabase.co', anonKey: ANON, email: '', soundEnabled: true }).ok).toBe(true)
    expect(kv.map.get('settings')).toEqual({ supabaseUrl: 'https://other.supabase.co', email: '', soundEnabled: true })
    expect(svc.get().provisioning.fields).toEqual(['anonKey'])
  })
})
