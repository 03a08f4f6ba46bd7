/** @vitest-environment node */
import { describe, expect, it } from 'vitest'
import { SQLITE_BINDING_ENV as LAUNCHER_ENV } from '../../../scripts/launcher/plan.mjs'
import { SQLITE_BINDING_ENV, sqliteNativeBinding } from '../../../src/main/native-binding.js'

describe('the better-sqlite3 build the Electron main process loads', () => {
  it('development: the build `npm start` names', () => {
    expect(sqliteNativeBinding(false, { [SQLITE_BINDING_ENV]: '/repo/.cache/better-sqlite3/electron-150/better_sqlite3.node' })).toBe(
      '/repo/.cache/better-sqlite3/electron-150/better_sqlite3.node',
    )
  })
  it('development without the launcher (unset or blank): better-sqlite3 finds its own', () => {
    expect(sqliteNativeBinding(false, {})).toBeUndefined()
    expect(sqliteNativeBinding(false, { [SQLITE_BINDING_ENV]: '  ' })).toBeUndefined()
  })
  it('packaged: always the build inside the app, whatever the environment says', () => {
    expect(sqliteNativeBinding(true, { [SQLITE_BINDING_ENV]: '/tmp/evil.node' })).toBeUndefined()
  })
  it('the launcher and the main process agree on the variable', () => {
    expect(LAUNCHER_ENV).toBe(SQLITE_BINDING_ENV)
  })
})
