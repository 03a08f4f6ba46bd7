/** @vitest-environment node */
// The real electron-store (conf) on real files: settings and secrets files are owner-only. The real
// `electron` module is not loaded (vitest sets ELECTRON_OVERRIDE_DIST_PATH, so it is a path string and
// electron-store uses the directory it is given).
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openKeyValueStore } from '../../../src/main/settings-store.js'

const mode = (file: string) => statSync(file).mode & 0o777
let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-kv-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe.skipIf(process.platform === 'win32')('electron-store files are mode 0600 (no file modes on Windows)', () => {
  it('a new file is written owner-only, and stays so across writes', () => {
    const kv = openKeyValueStore('secrets', dir)
    kv.set('refreshToken', 'base64-ciphertext')
    expect(mode(join(dir, 'secrets.json'))).toBe(0o600)
    kv.set('refreshToken', 'another')
    kv.delete('refreshToken')
    expect(mode(join(dir, 'secrets.json'))).toBe(0o600)
  })

  it('a world-readable file left by an older version is tightened when opened, its contents kept', () => {
    const file = join(dir, 'settings.json')
    writeFileSync(file, JSON.stringify({ settings: { supabaseUrl: 'https://shop.supabase.co' } }))
    chmodSync(file, 0o644)
    const kv = openKeyValueStore('settings', dir)
    expect(mode(file)).toBe(0o600)
    expect(kv.get('settings')).toEqual({ supabaseUrl: 'https://shop.supabase.co' })
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ settings: { supabaseUrl: 'https://shop.supabase.co' } })
  })
})
