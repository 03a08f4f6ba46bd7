/** @vitest-environment node */
// Property-based tests (fast-check) over the invoke channels' argument schemas: whatever a renderer or a
// loopback client sends, parsing never throws; bad input is refused with a reason that names no value;
// good input comes back equal (a copy, not the caller's object).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { INVOKE_CONTRACT, parseInvokeArgs, type InvokeChannel } from '../../../src/shared/ipc-schemas.js'
import { REQUEST_ID_MAX, SETTINGS_LIMITS } from '../../../src/shared/ipc.js'

const CHANNELS = Object.keys(INVOKE_CONTRACT) as InvokeChannel[]

// Every string a hostile caller sends carries this marker, so a reason that echoes input is caught.
const MARK = 'SECRET'
const markedString = fc.string({ maxLength: 20 }).map((s) => `${MARK}${s}`)
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    markedString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(markedString, tie('value'), { maxKeys: 3 }),
  ),
})).value
const hostileArgs = fc.array(hostileValue, { maxLength: 4 })

const requestId = fc.stringMatching(new RegExp(`^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,${REQUEST_ID_MAX - 1}}$`))
const pause = fc.constantFrom({ minutes: 15 as const }, { minutes: 60 as const }, { indefinite: true as const })
const settingsShape = fc.record({
  supabaseUrl: fc.string({ maxLength: SETTINGS_LIMITS.supabaseUrl }),
  anonKey: fc.string({ maxLength: 200 }),
  email: fc.string({ maxLength: SETTINGS_LIMITS.email }),
  soundEnabled: fc.boolean(),
})
const email = fc.tuple(fc.stringMatching(/^[a-z0-9._+-]{1,64}$/), fc.stringMatching(/^[a-z0-9-]{1,20}\.[a-z]{2,6}$/)).map(([l, d]) => `${l}@${d}`)
const password = fc.string({ minLength: 1, maxLength: 1024 })
const prefsShape = fc.record({
  sound: fc.string({ maxLength: 32 }),
  volume: fc.double({ noNaN: true, noDefaultInfinity: true }),
  repeatIntervalSec: fc.integer(),
  amberAfterMin: fc.integer(),
  redAfterMin: fc.integer(),
  dashboardUrl: fc.string({ maxLength: 2048 }),
})
const choices = fc.record({ startAtLogin: fc.boolean(), soundHeard: fc.option(fc.boolean(), { nil: null }) })

/** One valid argument list per channel. */
const VALID: { [C in InvokeChannel]: fc.Arbitrary<unknown[]> } = {
  'engine:get-snapshot': fc.constant([]),
  'queue:acknowledge': fc.tuple(requestId),
  'queue:accept': fc.tuple(requestId),
  'alerts:pause': fc.tuple(pause),
  'alerts:resume': fc.constant([]),
  'link:reconnect': fc.constant([]),
  'history:get': fc.constant([]),
  'settings:get': fc.constant([]),
  'settings:save': fc.tuple(settingsShape),
  'session:sign-in': fc.tuple(email, password),
  'session:sign-out': fc.constant([]),
  'updates:get-status': fc.constant([]),
  'first-run:get-state': fc.constant([]),
  'first-run:test-alert': fc.constant([]),
  'first-run:finish': fc.tuple(choices),
  'diagnostics:export': fc.constant([]),
  'prefs:get': fc.constant([]),
  'prefs:save': fc.tuple(prefsShape),
  'prefs:test-sound': fc.constant([]),
  'dashboard:open': fc.tuple(requestId),
  'login-item:get': fc.constant([]),
  'login-item:set': fc.tuple(fc.boolean()),
  'alert-path:get-status': fc.constant([]),
  'alert-path:test': fc.constant([]),
  'sound:played': fc.tuple(fc.record({ nonce: fc.stringMatching(/^[A-Za-z0-9-]{1,64}$/), ok: fc.boolean(), error: fc.option(fc.string({ maxLength: 300 }), { nil: null }) })),
}

describe('invoke argument schemas (property-based)', () => {
  it('any argument list on any channel: never a crash; a refusal always has a value-free reason', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CHANNELS), hostileArgs, (channel, args) => {
        const r = parseInvokeArgs(channel, args)
        if (!r.ok) {
          expect(r.reason).toMatch(/^args/)
          expect(r.reason).not.toContain(MARK)
          expect(r.reason.length).toBeLessThan(400)
        }
      }),
      { numRuns: 500 },
    )
  })

  it.each(CHANNELS)('%s: good input round-trips as an equal copy', (channel) => {
    fc.assert(
      fc.property(VALID[channel], (args) => {
        const r = parseInvokeArgs(channel, args)
        expect(r).toEqual({ ok: true, args })
        if (r.ok && args.length > 0 && typeof args[0] === 'object') expect(r.args[0]).not.toBe(args[0])
      }),
    )
  })

  it.each(CHANNELS)('%s: good input with one argument too many is refused with a reason', (channel) => {
    fc.assert(
      fc.property(VALID[channel], hostileValue, (args, extra) => {
        const r = parseInvokeArgs(channel, [...args, extra])
        expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^args: Too big: expected array to have <=\d+ items$/) })
      }),
    )
  })

  it('an object argument with an extra key or one field of the wrong type is refused, naming where', () => {
    const objectChannels = ['alerts:pause', 'settings:save', 'first-run:finish', 'sound:played'] as const
    fc.assert(
      fc.property(fc.constantFrom(...objectChannels), fc.nat(), markedString, fc.boolean(), (channel, seed, key, addKey) => {
        const base = fc.sample(VALID[channel], { numRuns: 1, seed })[0]![0] as Record<string, unknown>
        const fields = Object.keys(base)
        const bad = addKey ? { ...base, [key]: 1 } : { ...base, [fields[seed % fields.length]!]: [key] }
        const r = parseInvokeArgs(channel, [bad])
        expect(r.ok).toBe(false)
        if (!r.ok) {
          expect(r.reason).toMatch(/^args\[0\]/)
          expect(r.reason).not.toContain(MARK)
        }
      }),
    )
  })
})
