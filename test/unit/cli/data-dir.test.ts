// Which data directory headless and doctor use: --data-dir, then BAYALERT_DATA_DIR, then — with no shop
// configured, the demo — the same .bayalert/demo npm start gives the app, else the headless default. So
// `npm run doctor` in a second terminal checks the store the running demo uses, and says which one it is.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { DEMO_DATA_DIR, defaultDataDir, parseArgs, resolveSettings } from '../../../src/cli/settings.js'
import { checkStore } from '../../../src/cli/doctor.js'
import { Store } from '../../../src/core/store/store.js'
import { HeldJournal, heldJournalPath } from '../../../src/core/store/held-journal.js'

const quiet = { debug() {}, info() {}, warn() {}, error() {} }
import { demoDirs } from '../../../scripts/launcher/demo-shop.mjs'

const ROOT = resolve(import.meta.dirname, '../../..')
const SHOP = { SUPABASE_URL: 'https://abc.supabase.co', SUPABASE_ANON_KEY: 'k', BAYALERT_EMAIL: 'a@b.c', BAYALERT_PASSWORD: 'p' }

describe('resolveSettings: the data directory', () => {
  it("with no shop configured it is npm start's demo directory", () => {
    const r = resolveSettings(parseArgs([]), { HOME: '/home/m' })
    expect(r).toMatchObject({ usingLocalDefaults: true, dataDirSource: 'demo' })
    expect(r.settings.dataDir).toBe(DEMO_DATA_DIR)
    expect(DEMO_DATA_DIR).toBe(demoDirs(ROOT, {}).dataDir)
  })

  it.each([
    ['--data-dir beats the environment', ['--data-dir', '/flag'], { BAYALERT_DATA_DIR: '/env' }, '/flag', '--data-dir'],
    ['BAYALERT_DATA_DIR with no shop configured', [], { BAYALERT_DATA_DIR: '/env' }, '/env', 'BAYALERT_DATA_DIR'],
    ['BAYALERT_DATA_DIR with a shop', [], { ...SHOP, BAYALERT_DATA_DIR: '/env' }, '/env', 'BAYALERT_DATA_DIR'],
    ['an empty BAYALERT_DATA_DIR is not a directory', [], { BAYALERT_DATA_DIR: '' }, DEMO_DATA_DIR, 'demo'],
    ['a configured shop without a directory: the headless default', [], { ...SHOP, XDG_DATA_HOME: '/xdg' }, defaultDataDir({ XDG_DATA_HOME: '/xdg' }), 'default'],
    ['one setting is enough to leave the demo', [], { SUPABASE_URL: 'https://abc.supabase.co', XDG_DATA_HOME: '/xdg' }, defaultDataDir({ XDG_DATA_HOME: '/xdg' }), 'default'],
  ] as const)('%s', (_what, argv, env, dir, source) => {
    const r = resolveSettings(parseArgs([...argv]), { ...env })
    expect(r.settings.dataDir).toBe(dir)
    expect(r.dataDirSource).toBe(source)
  })
})

describe("doctor's data dir check", () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  const temp = () => {
    const d = mkdtempSync(join(tmpdir(), 'bayalert-doctor-dir-'))
    dirs.push(d)
    return d
  }

  it('names the directory and why it is the one checked', () => {
    const dir = temp()
    const c = checkStore({ dataDir: dir }, 'demo')
    expect(c.status).toBe('ok')
    expect(c.detail).toBe(`${dir} (the demo's, as npm start and headless use with no shop configured) writable; store opens (0 request(s) in the local queue)`)
    expect(checkStore({ dataDir: dir }, 'BAYALERT_DATA_DIR').detail).toContain(`${dir} (from BAYALERT_DATA_DIR)`)
  })

  it('fails with the reason when the store opens but another program holds its write lock', () => {
    const dir = temp()
    expect(checkStore({ dataDir: dir }, 'demo').status).toBe('ok')
    const other = new Database(join(dir, 'bayalert.db'))
    try {
      other.exec('BEGIN EXCLUSIVE')
      const c = checkStore({ dataDir: dir }, 'demo')
      expect(c.status).toBe('fail')
      expect(c.detail).toMatch(/opens but cannot be written: database is locked$/)
    } finally {
      other.close()
    }
  })

  it("leaves a running app's store as it found it: no prune, even of rows past their age", () => {
    const dir = temp()
    const app = Store.open({ path: join(dir, 'bayalert.db'), log: quiet })
    app.recordEvent({ receivedAt: 1, source: 'broadcast', eventId: 'old', kind: 'queued', requestId: 'r', dedupKey: 'r@', outcome: 'alerted', reason: null })
    expect(checkStore({ dataDir: dir }, 'demo').status).toBe('ok')
    expect(app.recentEvents(5).map((e) => e.eventId)).toEqual(['old'])
    app.close()
  })

  it('names a held journal beside the store and its marks, and leaves it for the app to apply', () => {
    const dir = temp()
    const journal = new HeldJournal({ path: heldJournalPath(join(dir, 'bayalert.db')), log: quiet, clock: { now: () => 1 } })
    journal.noteGone({ key: 'r@x', requestId: 'r', queuedAt: null, removedAt: 1, removedCommitTs: null, reason: 'accepted' })
    journal.flush()
    journal.close()
    appendFileSync(journal.path, '{"t":"ran')
    const c = checkStore({ dataDir: dir }, 'demo')
    expect(c.status).toBe('ok')
    expect(c.detail).toMatch(/; held journal .*bayalert\.db\.held\.jsonl: 1 ring mark\(s\) and 1 unreadable line\(s\) kept while the store could not be written/)
    expect(journal.read().entries).toHaveLength(1)
    // Without one, nothing is said about it.
    rmSync(journal.path)
    expect(checkStore({ dataDir: dir }, 'demo').detail).not.toContain('held journal')
  })

  it('fails with the directory, its source and the cause when the store cannot open', () => {
    const dir = temp()
    writeFileSync(join(dir, 'not-a-dir'), 'x')
    const c = checkStore({ dataDir: join(dir, 'not-a-dir') }, '--data-dir')
    expect(c.status).toBe('fail')
    expect(c.detail).toMatch(new RegExp(`^the store in ${join(dir, 'not-a-dir')} \\(from --data-dir\\) does not open: .+`))
  })
})
