// The store loads the SQLite driver build its host names (better-sqlite3's nativeBinding option): Electron's
// main process in development needs a build for Electron's ABI, not the Node one in node_modules. Real
// better-sqlite3 and real files.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStateCore } from '../../../src/core/desk/state-core.js'
import { Store } from '../../../src/core/store/store.js'
import { captureLog } from './helpers.js'

const NODE_BUILD = resolve('node_modules/better-sqlite3/build/Release/better_sqlite3.node')
let dir: string
let path: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-binding-'))
  path = join(dir, 'bayalert.db')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('Store nativeBinding', () => {
  it('opens and works with the build it is given (here the Node build, by absolute path)', () => {
    const core = openStateCore({ dbPath: path, sinks: [], log: captureLog(), nativeBinding: NODE_BUILD })
    core.store.recordEvent({ receivedAt: 1, source: 'broadcast', eventId: 'e1', kind: 'queued', requestId: 'r1', dedupKey: 'r1@', outcome: 'duplicate', reason: null })
    expect(core.store.counts().events).toBe(1)
    core.close()
  })

  it('a build that does not exist: an error naming it, and the existing database is left exactly as it was', () => {
    Store.open({ path, log: captureLog() }).close()
    const before = readFileSync(path)
    const missing = join(dir, 'electron-150', 'better_sqlite3.node')
    const log = captureLog()
    expect(() => Store.open({ path, log, nativeBinding: missing })).toThrow(
      expect.objectContaining({ message: expect.stringContaining(`the SQLite driver's native build could not be loaded from ${missing}`), code: 'MODULE_NOT_FOUND' }),
    )
    expect(readFileSync(path)).toEqual(before)
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt-'))).toEqual([])
    expect(log.errors()).toEqual([])
  })

  it('a file that is not a loadable build (wrong ABI, truncated): ERR_DLOPEN_FAILED named, nothing moved aside', () => {
    Store.open({ path, log: captureLog() }).close()
    const junk = join(dir, 'better_sqlite3.node')
    writeFileSync(junk, 'not an ELF file')
    expect(() => Store.open({ path, log: captureLog(), nativeBinding: junk })).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/native build could not be loaded from .*better_sqlite3\.node: /), code: 'ERR_DLOPEN_FAILED' }),
    )
    expect(readdirSync(dir).filter((f) => f.includes('.corrupt-'))).toEqual([])
  })
})

describe('EngineConfig.sqliteNativeBinding (the host-given build)', () => {
  it('reaches the store: a missing build fails start() with the store error naming it, before any network', async () => {
    const { createEngine } = await import('../../../src/core/engine.js')
    const { MemorySecretStore } = await import('../../../src/core/memory-secret-store.js')
    const missing = join(dir, 'nope', 'better_sqlite3.node')
    const engine = createEngine(
      { supabaseUrl: 'http://127.0.0.1:9', anonKey: 'k', dataDir: dir, workstationId: 'w', appVersion: '0', sqliteNativeBinding: missing },
      { secrets: new MemorySecretStore(), sinks: [], log: captureLog() },
    )
    const failure = await engine.start().then(() => null, (e: Error) => e)
    expect(failure?.message).toContain(`Cannot open the local store in ${dir}: the SQLite driver's native build could not be loaded from ${missing}`)
    // The store's own error stays attached (a host logging the stack sees where it came from).
    expect((failure?.cause as Error | undefined)?.message).toContain(missing)
    await engine.stop()
  })
})
