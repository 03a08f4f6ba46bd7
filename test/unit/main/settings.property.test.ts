/** @vitest-environment node */
// Property-based tests (fast-check) over settings parsing: a stored settings object, the environment, the
// settings form and an administrator's provisioning file may hold anything. Parsing never throws, always
// ends in usable settings (bad values replaced by safe defaults), every refusal carries a sentence, and good
// settings round-trip through save and load unchanged.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SettingsInputSchema } from '../../../src/shared/ipc-schemas.js'
import { DEFAULT_SETTINGS, loadSettings, SettingsService } from '../../../src/main/settings.js'
import { checkSettingsContent, urlProblem } from '../../../src/main/settings-rules.js'
import { REPEAT_SECONDS, validateProvisioning } from '../../../src/main/provisioning.js'
import { jwt, memoryKv } from './fixtures.js'


const KEYS = ['supabaseUrl', 'anonKey', 'email', 'soundEnabled']
/** Plausible and hostile field values: the right keys with anything in them, plus junk keys. */
const anyValue = fc.oneof(fc.string({ maxLength: 40 }), fc.constant(jwt({ role: 'service_role' })), fc.constant('sb_secret_x'), fc.integer(), fc.boolean(), fc.constant(null), fc.anything())
const storedSettings = fc.oneof(
  fc.anything(),
  fc.dictionary(fc.constantFrom(...KEYS, 'password', '__proto__', 'extra'), anyValue, { maxKeys: 6 }),
)

const goodSettings = fc.record({
  supabaseUrl: fc.oneof(fc.stringMatching(/^[a-z]{3,20}$/).map((r) => `https://${r}.supabase.co`), fc.integer({ min: 1, max: 65535 }).map((p) => `http://127.0.0.1:${p}`)),
  anonKey: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).map((s) => `sb_publishable_${s}`), fc.stringMatching(/^[a-z]{1,10}$/).map((ref) => jwt({ role: 'anon', ref }))),
  email: fc.oneof(fc.constant(''), fc.tuple(fc.stringMatching(/^[a-z0-9._-]{1,30}$/), fc.stringMatching(/^[a-z]{1,12}\.[a-z]{2,4}$/)).map(([l, d]) => `${l}@${d}`)),
  soundEnabled: fc.boolean(),
})

describe('loadSettings (property-based)', () => {
  it('anything stored, in the environment or provisioned: never a crash, always usable settings, every problem a sentence', () => {
    const env = fc.record({ SUPABASE_URL: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }), SUPABASE_ANON_KEY: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }) })
    fc.assert(
      fc.property(storedSettings, env, storedSettings, (raw, e, prov) => {
        const loaded = loadSettings(raw, e as NodeJS.ProcessEnv, validateProvisioning(prov, 'P'))
        expect(SettingsInputSchema.safeParse(loaded.settings).success).toBe(true)
        // A value in use is always one the rules accept (or the empty default that means "not configured").
        if (loaded.settings.supabaseUrl !== '') expect(urlProblem(loaded.settings.supabaseUrl)).toBeNull()
        expect(checkSettingsContent(loaded.settings).ok || loaded.settings.supabaseUrl === '' || loaded.settings.anonKey === '').toBe(true)
        expect(loaded.configured).toBe(loaded.settings.supabaseUrl !== '' && loaded.settings.anonKey !== '')
        for (const p of loaded.problems) expect(p).toMatch(/^[A-Z].*[.)]$/s)
        for (const m of Object.values(loaded.fields)) expect(loaded.problems).toContain(m)
      }),
      { numRuns: 300 },
    )
  })

  it('a non-object is ignored with a problem, and the defaults are used', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.anything())), (raw) => {
        const loaded = loadSettings(raw)
        expect(loaded.settings).toEqual(DEFAULT_SETTINGS)
        expect(loaded.problems).toEqual(['Saved settings were not an object and were ignored.'])
      }),
    )
  })
})

describe('saving settings (property-based)', () => {
  it('good settings round-trip: saved, then read back on the next start, unchanged', () => {
    fc.assert(
      fc.property(goodSettings, (input) => {
        const kv = memoryKv()
        const saved = new SettingsService(kv).save(input)
        // A caller that does not send the shortcut keeps the default one.
        const expected = { globalShortcut: DEFAULT_SETTINGS.globalShortcut, ...input }
        expect(saved).toMatchObject({ ok: true, loaded: { settings: expected, problems: [], configured: true } })
        expect(new SettingsService(kv).get().settings).toEqual(expected)
      }),
    )
  })

  it('surrounding whitespace is not part of a value', () => {
    fc.assert(
      fc.property(goodSettings, fc.stringMatching(/^[ \t\n]{1,3}$/), (input, ws) => {
        const padded = { ...input, supabaseUrl: ws + input.supabaseUrl + ws, anonKey: input.anonKey + ws, email: input.email === '' ? '' : ws + input.email }
        expect(checkSettingsContent(padded)).toEqual({ ok: true, settings: input })
      }),
    )
  })

  it('anything else is refused with one sentence per bad field, and nothing is written', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ supabaseUrl: fc.string(), anonKey: fc.string(), email: fc.string(), soundEnabled: fc.boolean() })), (input) => {
        const kv = memoryKv()
        const service = new SettingsService(kv)
        const r = service.save(input)
        if (r.ok) {
          expect(checkSettingsContent(input as never).ok).toBe(true)
          return
        }
        expect(r.problems.length).toBeGreaterThan(0)
        for (const p of r.problems) expect(p).toMatch(/^[A-Z].*[.)]$/s)
        expect(Object.values(r.fields)).toEqual(Object.keys(r.fields).length ? r.problems : [])
        expect(kv.get('settings')).toBeUndefined()
      }),
      { numRuns: 300 },
    )
  })
})

describe('validateProvisioning (property-based)', () => {
  const KNOWN = ['supabaseUrl', 'anonKey', 'soundEnabled', 'startAtLogin', 'repeatIntervalSeconds', 'workstationName', 'updateFeedUrl']
  it('any file content: never a crash; only valid values are kept; each refusal names the file', () => {
    const file = fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom(...KNOWN, 'unknownThing'), anyValue, { maxKeys: 7 }))
    fc.assert(
      fc.property(file, (raw) => {
        const p = validateProvisioning(raw, '/etc/bayalert/provisioning.json')
        for (const problem of p.problems) expect(problem).toContain('/etc/bayalert/provisioning.json')
        const v = p.values
        for (const k of Object.keys(v)) expect(KNOWN).toContain(k)
        if (v.supabaseUrl !== undefined) expect(urlProblem(v.supabaseUrl)).toBeNull()
        if (v.updateFeedUrl !== undefined) expect(urlProblem(v.updateFeedUrl)).toBeNull()
        for (const b of [v.soundEnabled, v.startAtLogin]) expect(b === undefined || typeof b === 'boolean').toBe(true)
        if (v.repeatIntervalSeconds !== undefined) {
          expect(Number.isInteger(v.repeatIntervalSeconds)).toBe(true)
          expect(v.repeatIntervalSeconds).toBeGreaterThanOrEqual(REPEAT_SECONDS.min)
          expect(v.repeatIntervalSeconds).toBeLessThanOrEqual(REPEAT_SECONDS.max)
        }
        if (v.workstationName !== undefined) expect(v.workstationName).toMatch(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/)
        // Each value given but not kept has its own problem.
        if (raw && typeof raw === 'object' && !Array.isArray(raw) && p.problems.every((m) => !m.includes('was refused'))) {
          for (const k of KNOWN) {
            if (k !== 'anonKey' && (raw as Record<string, unknown>)[k] !== undefined && !(k in v)) expect(p.problems.some((m) => m.includes(`"${k}"`))).toBe(true)
          }
        }
      }),
      { numRuns: 300 },
    )
  })

  it('good values round-trip', () => {
    const good = fc.record(
      {
        supabaseUrl: fc.stringMatching(/^[a-z]{3,12}$/).map((r) => `https://${r}.supabase.co`),
        soundEnabled: fc.boolean(),
        startAtLogin: fc.boolean(),
        repeatIntervalSeconds: fc.integer({ min: REPEAT_SECONDS.min, max: REPEAT_SECONDS.max }),
        workstationName: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
        updateFeedUrl: fc.stringMatching(/^[a-z]{3,12}$/).map((h) => `https://${h}.example/feed/`),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(good, (values) => {
        expect(validateProvisioning(values, 'P')).toEqual({ source: 'P', values, problems: [] })
      }),
    )
  })
})
