/** @vitest-environment node */
// npm start's demo shop: the shop's database and the app's store live under one demo directory so a restart
// continues the same shop, --reset-demo deletes exactly BayAlert's files there (never while they are in use),
// and the directories stay reachable for the database server. Real files in a temporary project.
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { APP_DATA_FILES, demoDirs, parseStartArgs, prepareDemoDirs, resetDemo } from '../../../scripts/launcher/demo-shop.mjs'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'bayalert-demo-shop-'))
  chmodSync(root, 0o755)
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('demoDirs', () => {
  it('puts the shop inside the demo data dir of the repository by default', () => {
    expect(demoDirs(root, {})).toEqual({ dataDir: join(root, '.bayalert', 'demo'), shopDir: join(root, '.bayalert', 'demo', 'shop') })
  })
  it('follows BAYALERT_DATA_DIR (the shop beside it) and BAYALERT_BACKEND_DIR', () => {
    expect(demoDirs(root, { BAYALERT_DATA_DIR: '/srv/ba' })).toEqual({ dataDir: '/srv/ba', shopDir: '/srv/ba/shop' })
    expect(demoDirs(root, { BAYALERT_DATA_DIR: '/srv/ba', BAYALERT_BACKEND_DIR: '/srv/pg' })).toEqual({ dataDir: '/srv/ba', shopDir: '/srv/pg' })
  })
  it('ignores empty variables', () => {
    expect(demoDirs(root, { BAYALERT_DATA_DIR: '', BAYALERT_BACKEND_DIR: '' })).toEqual(demoDirs(root, {}))
  })
})

describe('parseStartArgs', () => {
  it.each([
    [[], {}, { resetDemo: false, help: false, problems: [] }],
    [['--reset-demo'], {}, { resetDemo: true, help: false, problems: [] }],
    [['--', '--reset-demo'], {}, { resetDemo: true, help: false, problems: [] }],
    [[], { BAYALERT_RESET_DEMO: '1' }, { resetDemo: true, help: false, problems: [] }],
    [[], { BAYALERT_RESET_DEMO: 'yes' }, { resetDemo: true, help: false, problems: [] }],
    [[], { BAYALERT_RESET_DEMO: '0' }, { resetDemo: false, help: false, problems: [] }],
    [['-h'], {}, { resetDemo: false, help: true, problems: [] }],
    [['--reset'], {}, { resetDemo: false, help: false, problems: ['unknown option --reset'] }],
  ])('%j with %j', (argv, env, expected) => {
    expect(parseStartArgs(argv, env)).toEqual(expected)
  })
})

describe('resetDemo', () => {
  const fill = () => {
    const dirs = demoDirs(root, {})
    mkdirSync(join(dirs.shopDir, 'pgdata', 'base'), { recursive: true })
    writeFileSync(join(dirs.shopDir, 'pgdata', 'PG_VERSION'), '18')
    for (const f of APP_DATA_FILES) writeFileSync(join(dirs.dataDir, f), 'x')
    // Left by a run killed while its store was locked: the next start would apply it to the fresh store.
    writeFileSync(join(dirs.dataDir, 'bayalert.db.held.jsonl'), '{"t":"rang"}\n')
    writeFileSync(join(dirs.dataDir, 'bayalert.db.corrupt-2026'), 'kept')
    writeFileSync(join(dirs.dataDir, 'notes.txt'), 'not ours')
    return dirs
  }

  it("deletes the shop's database and the app's store and session, and nothing else", () => {
    const dirs = fill()
    const r = resetDemo(dirs)
    expect(r.ok).toBe(true)
    expect(r.ok && r.removed.length).toBe(1 + APP_DATA_FILES.length)
    expect(readdirSync(dirs.dataDir).sort()).toEqual(['bayalert.db.corrupt-2026', 'notes.txt', 'shop'])
    expect(readdirSync(dirs.shopDir)).toEqual([])
  })

  it('with nothing there, removes nothing and succeeds', () => {
    expect(resetDemo(demoDirs(root, {}))).toEqual({ ok: true, removed: [] })
  })

  it("refuses while the shop's database server runs (live postmaster.pid), deleting nothing", () => {
    const dirs = fill()
    writeFileSync(join(dirs.shopDir, 'pgdata', 'postmaster.pid'), `${process.pid}\n/data\n`)
    const r = resetDemo(dirs)
    expect(r).toEqual({ ok: false, reason: expect.stringContaining(`pid ${process.pid}`) })
    expect(existsSync(join(dirs.dataDir, 'bayalert.db'))).toBe(true)
  })

  it('refuses while a headless app holds the demo data dir, and goes ahead once that process is gone', async () => {
    const dirs = fill()
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' })
    try {
      writeFileSync(join(dirs.dataDir, 'headless.lock'), JSON.stringify({ pid: child.pid, startedAt: new Date().toISOString() }))
      expect(resetDemo(dirs)).toEqual({ ok: false, reason: expect.stringContaining(`pid ${child.pid}`) })
    } finally {
      child.kill('SIGKILL')
      await new Promise((r) => child.once('exit', r))
    }
    expect(resetDemo(dirs).ok).toBe(true)
    expect(existsSync(join(dirs.dataDir, 'bayalert.db'))).toBe(false)
  })

  it('a stale postmaster.pid (process gone) does not block the reset', () => {
    const dirs = fill()
    writeFileSync(join(dirs.shopDir, 'pgdata', 'postmaster.pid'), '2147483646\n')
    expect(resetDemo(dirs).ok).toBe(true)
    expect(existsSync(join(dirs.shopDir, 'pgdata'))).toBe(false)
  })
})

describe('prepareDemoDirs', () => {
  const mode = (p: string) => statSync(p).mode & 0o777

  it('creates the demo data dir owner-only and, not as root, changes nothing else', () => {
    const dirs = demoDirs(root, {})
    expect(prepareDemoDirs(dirs, { root, isRoot: false })).toBeNull()
    expect(mode(dirs.dataDir)).toBe(0o700)
    expect(mode(join(root, '.bayalert'))).toBe(0o700)
  })

  it("as root, lets others pass through the repository's .bayalert dirs (0711), so postgres reaches the shop", () => {
    const dirs = demoDirs(root, {})
    expect(prepareDemoDirs(dirs, { root, isRoot: true })).toBeNull()
    expect(mode(dirs.dataDir)).toBe(0o711)
    expect(mode(join(root, '.bayalert'))).toBe(0o711)
  })

  it('as root, names a directory above the shop that postgres cannot enter, and leaves it alone', () => {
    const outside = join(root, 'private')
    mkdirSync(outside, { mode: 0o700 })
    chmodSync(outside, 0o700)
    const dirs = demoDirs(root, { BAYALERT_DATA_DIR: join(outside, 'demo') })
    expect(prepareDemoDirs(dirs, { root, isRoot: true })).toBe(`the database server runs as the postgres user, which cannot enter ${outside} (mode 700)`)
    expect(mode(outside)).toBe(0o700)
    expect(mode(dirs.dataDir)).toBe(0o711)
  })
})
