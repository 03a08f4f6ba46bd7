/** @vitest-environment node */
// The Electron host's engine configuration: nothing until a shop is configured; workstation id and data dir
// from the environment first, then the provisioning file, then the defaults.
import { describe, expect, it } from 'vitest'
import { engineConfigFor, engineConfigKey } from '../../../src/main/engine-config.js'
import { loadSettings } from '../../../src/main/settings.js'

const loaded = loadSettings({ supabaseUrl: 'https://shop.supabase.co', anonKey: 'sb_publishable_abc' })
const base = { loaded, provisioned: {}, env: {}, defaultDataDir: '/home/m/.config/bayalert/data', hostName: 'bay3-pc', appVersion: '1.2.3' }

describe('engineConfigFor', () => {
  it('no engine while no shop is configured', () => {
    expect(engineConfigFor({ ...base, loaded: loadSettings(undefined) })).toBeNull()
    expect(engineConfigKey(null)).toBe('')
  })
  it('defaults: host name, default data dir, the engine’s own repeat interval', () => {
    expect(engineConfigFor(base)).toEqual({
      supabaseUrl: 'https://shop.supabase.co',
      anonKey: 'sb_publishable_abc',
      dataDir: '/home/m/.config/bayalert/data',
      workstationId: 'bay3-pc',
      appVersion: '1.2.3',
    })
  })
  it('provisioned workstation name and repeat interval; the environment wins over both', () => {
    const provisioned = { workstationName: 'Bay 3', repeatIntervalSeconds: 90 }
    expect(engineConfigFor({ ...base, provisioned })).toMatchObject({ workstationId: 'Bay 3', repeatIntervalMs: 90_000 })
    expect(engineConfigFor({ ...base, provisioned, env: { BAYALERT_WORKSTATION_ID: 'env-id', BAYALERT_DATA_DIR: '/data' } })).toMatchObject({
      workstationId: 'env-id',
      dataDir: '/data',
      repeatIntervalMs: 90_000,
    })
  })
  it("the mechanic's alert preferences: their repeat interval wins over the provisioned one, and their thresholds reach the engine", () => {
    const provisioned = { repeatIntervalSeconds: 90 }
    const urgency = { amberAfterMs: 240_000, redAfterMs: 600_000 }
    expect(engineConfigFor({ ...base, provisioned, repeatIntervalSec: 45, urgency })).toMatchObject({ repeatIntervalMs: 45_000, urgency })
    const k = engineConfigKey(engineConfigFor({ ...base, urgency }))
    expect(engineConfigKey(engineConfigFor({ ...base, urgency: { ...urgency, redAfterMs: 660_000 } }))).not.toBe(k)
    expect(engineConfigKey(engineConfigFor({ ...base, urgency, repeatIntervalSec: 60 }))).not.toBe(k)
  })
  it('passes the Electron build of better-sqlite3 on when there is one', () => {
    expect(engineConfigFor({ ...base, sqliteNativeBinding: '/repo/.cache/better-sqlite3/x.node' })?.sqliteNativeBinding).toBe('/repo/.cache/better-sqlite3/x.node')
    expect(engineConfigFor(base)).not.toHaveProperty('sqliteNativeBinding')
  })
  it('a change of any engine-fixed value changes the key (a new engine is started)', () => {
    const k = engineConfigKey(engineConfigFor(base))
    expect(engineConfigKey(engineConfigFor(base))).toBe(k)
    expect(engineConfigKey(engineConfigFor({ ...base, provisioned: { workstationName: 'Bay 4' } }))).not.toBe(k)
    expect(engineConfigKey(engineConfigFor({ ...base, provisioned: { repeatIntervalSeconds: 30 } }))).not.toBe(k)
    expect(engineConfigKey(engineConfigFor({ ...base, loaded: loadSettings({ supabaseUrl: 'https://shop.supabase.co', anonKey: 'sb_publishable_xyz' }) }))).not.toBe(k)
    expect(engineConfigKey(engineConfigFor({ ...base, env: { BAYALERT_JOIN_BUDGET: '500' } }))).not.toBe(k)
    for (const env of [{ BAYALERT_ESCALATE_AFTER_S: '60' }, { BAYALERT_ESCALATE_BELOW_LIVE: '3' }, { BAYALERT_ESCALATE_REPEAT_S: '10' }]) {
      expect(engineConfigKey(engineConfigFor({ ...base, env })), JSON.stringify(env)).not.toBe(k)
    }
  })
  it('escalation from the environment; unset leaves the engine its defaults', () => {
    const env = { BAYALERT_ESCALATE_AFTER_S: '120', BAYALERT_ESCALATE_BELOW_LIVE: '3', BAYALERT_ESCALATE_REPEAT_S: '15' }
    expect(engineConfigFor({ ...base, env })).toMatchObject({ escalateAfterMs: 120_000, escalateBelowLive: 3, escalatedRepeatMs: 15_000 })
    expect(engineConfigFor(base)).not.toHaveProperty('escalateAfterMs')
  })
  it('BAYALERT_JOIN_BUDGET sets the join budget; a bad value is the default (100), unset leaves it to the engine', () => {
    expect(engineConfigFor({ ...base, env: { BAYALERT_JOIN_BUDGET: '500' } })?.joinBudgetPerSec).toBe(500)
    expect(engineConfigFor({ ...base, env: { BAYALERT_JOIN_BUDGET: 'many' } })?.joinBudgetPerSec).toBe(100)
    expect(engineConfigFor(base)).not.toHaveProperty('joinBudgetPerSec')
  })
})
