/** @vitest-environment node */
// The launcher's decisions (`npm start`): Electron or headless, and what it downloads or builds on the way.
// Real files in a temporary project; only the child processes (Electron's installer, prebuild-install,
// node-gyp) are stubbed, at the launcher's runProcess seam, each doing to the disk what the real one does.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { headlessForced, planLaunch, SQLITE_BINDING_ENV } from '../../../scripts/launcher/plan.mjs'
import { electronSqliteDir } from '../../../scripts/launcher/electron-sqlite.mjs'
import type { ProcessResult, RunOptions } from '../../../scripts/launcher/run-process.mjs'

const ELECTRON = { version: '45.4.1', abi: '150' }
const SQLITE_VERSION: string = JSON.parse(readFileSync(resolve('node_modules/better-sqlite3/package.json'), 'utf8')).version
const NODE_BUILD = resolve('node_modules/better-sqlite3/build/Release/better_sqlite3.node')

type Behaviour = 'ok' | 'offline' | 'node-abi'
interface Call {
  tool: 'install' | 'prebuild' | 'node-gyp'
  args: string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
}

let root: string
let electronDir: string
let lines: string[]
let calls: Call[]

const ok = (stdout = ''): ProcessResult => ({ code: 0, signal: null, stdout, stderr: '', timedOut: null, spawnError: null })
const failed = (stderr: string): ProcessResult => ({ code: 1, signal: null, stdout: '', stderr, timedOut: null, spawnError: null })
const fakeNativeBuild = (abi: string) => Buffer.from(`\x7fELF...node_register_module_v${abi}\0...napi`, 'latin1')

/** A stand-in for the three children, doing what each real one does to the disk on success. */
function stubProcesses(behaviour: { install?: Behaviour; prebuild?: Behaviour; nodeGyp?: Behaviour }) {
  return async (_cmd: string, args: string[], options: RunOptions = {}): Promise<ProcessResult> => {
    const tool = args.some((a) => a.endsWith('install.js')) ? 'install' : args.some((a) => a.includes('prebuild-install')) ? 'prebuild' : 'node-gyp'
    calls.push({ tool, args, cwd: options.cwd, env: options.env })
    const how = tool === 'install' ? behaviour.install : tool === 'prebuild' ? behaviour.prebuild : behaviour.nodeGyp
    if (tool === 'install') {
      if (how !== 'ok') return failed('TypeError: fetch failed (getaddrinfo ENOTFOUND github.com)\n    at node:internal/deps/undici/undici:14976:13\n')
      for (const seen of [0, 52428800, 104857600]) options.onLine?.(`@bayalert-progress ${seen} 104857600`, 'stdout')
      options.onLine?.('@bayalert-extracting', 'stdout')
      options.onLine?.('@bayalert-extracting', 'stdout')
      mkdirSync(join(electronDir, 'dist'), { recursive: true })
      writeFileSync(join(electronDir, 'dist', 'electron'), '#!/bin/sh\n')
      writeFileSync(join(electronDir, 'path.txt'), 'electron')
      return ok()
    }
    if (how === 'offline' && tool === 'prebuild') return failed('prebuild-install warn install getaddrinfo ENOTFOUND github.com\n')
    if (how === 'offline')
      return failed(
        'gyp http GET https://electronjs.org/headers/v45.4.1/node-v45.4.1-headers.tar.gz\ngyp ERR! configure error\n' +
          'gyp ERR! stack Error: This is most likely not a problem with node-gyp or the package itself and\n' +
          'gyp ERR! stack is related to network connectivity.\ngyp ERR! stack at go (install.js:244:21)\ngyp ERR! not ok\n',
      )
    const out = join(options.cwd!, 'build', 'Release')
    mkdirSync(out, { recursive: true })
    writeFileSync(join(out, 'better_sqlite3.node'), fakeNativeBuild(how === 'node-abi' ? '115' : ELECTRON.abi))
    return ok()
  }
}

function installBinary() {
  mkdirSync(join(electronDir, 'dist'), { recursive: true })
  writeFileSync(join(electronDir, 'dist', 'electron'), '')
  writeFileSync(join(electronDir, 'path.txt'), 'electron')
}

const cacheDir = () => electronSqliteDir(root, { abi: ELECTRON.abi, sqliteVersion: SQLITE_VERSION, platform: 'linux', arch: 'x64' })
const plan = (env: NodeJS.ProcessEnv, behaviour: Parameters<typeof stubProcesses>[0] = {}, extra: { isTTY?: boolean; out?: string[] } = {}) =>
  planLaunch({
    root,
    env,
    electronDir,
    platform: 'linux',
    arch: 'x64',
    runProcess: stubProcesses(behaviour),
    say: (m) => lines.push(m),
    write: (s) => extra.out?.push(s),
    isTTY: extra.isTTY ?? false,
  })

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'bayalert-launcher-'))
  writeFileSync(join(root, 'package.json'), '{"name":"bayalert-launcher-test","private":true}')
  // The real packages (better-sqlite3, prebuild-install, node-gyp) resolve as in the repo; the stubs never
  // write there, and the tests below check that nothing ran inside them.
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'))
  electronDir = join(root, 'electron-pkg')
  mkdirSync(electronDir)
  writeFileSync(join(electronDir, 'package.json'), JSON.stringify({ name: 'electron', version: ELECTRON.version }))
  writeFileSync(join(electronDir, 'abi_version'), `${ELECTRON.abi}\n`)
  writeFileSync(join(electronDir, 'install.js'), '')
  lines = []
  calls = []
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('headless on request', () => {
  it('BAYALERT_HEADLESS=1 runs headless without looking for, downloading or building anything', async () => {
    const p = await plan({ BAYALERT_HEADLESS: '1' }, { install: 'ok', prebuild: 'ok' })
    expect(p).toEqual({ mode: 'headless', reason: 'BAYALERT_HEADLESS is set' })
    expect(calls).toEqual([])
  })

  it.each([
    ['1', true],
    ['true', true],
    ['YES', true],
    [' on ', true],
    ['0', false],
    ['false', false],
    ['', false],
    [undefined, false],
  ])('BAYALERT_HEADLESS=%j forces headless: %s', (value, forced) => {
    expect(headlessForced({ BAYALERT_HEADLESS: value })).toBe(forced)
  })

  it('no electron package at all: headless, saying so', async () => {
    const p = await planLaunch({ root, env: {}, electronDir: null, runProcess: stubProcesses({}), say: (m) => lines.push(m) })
    expect(p).toEqual({ mode: 'headless', reason: expect.stringContaining('electron package is not installed') })
  })
})

describe('the Electron binary', () => {
  it('present, with its better-sqlite3 build cached: launches Electron with the build path, running nothing', async () => {
    installBinary()
    mkdirSync(cacheDir(), { recursive: true })
    writeFileSync(join(cacheDir(), 'better_sqlite3.node'), fakeNativeBuild(ELECTRON.abi))
    const p = await plan({ SUPABASE_URL: 'http://127.0.0.1:1' })
    expect(p).toEqual({
      mode: 'electron',
      bin: join(electronDir, 'dist', 'electron'),
      env: { SUPABASE_URL: 'http://127.0.0.1:1', [SQLITE_BINDING_ENV]: join(cacheDir(), 'better_sqlite3.node') },
    })
    expect(calls).toEqual([])
    expect(lines).toEqual([])
  })

  it('ELECTRON_OVERRIDE_DIST_PATH is where the binary is looked for', async () => {
    writeFileSync(join(electronDir, 'path.txt'), 'electron')
    const dist = join(root, 'elsewhere')
    mkdirSync(dist)
    writeFileSync(join(dist, 'electron'), '')
    const p = await plan({ ELECTRON_OVERRIDE_DIST_PATH: dist }, { prebuild: 'ok' })
    expect(p).toMatchObject({ mode: 'electron', bin: join(dist, 'electron') })
    expect(calls.map((c) => c.tool)).toEqual(['prebuild'])
  })

  it("missing and downloadable: runs Electron's own install.js with a progress line, then launches it", async () => {
    const out: string[] = []
    const p = await plan({}, { install: 'ok', prebuild: 'ok' }, { out })
    expect(p).toMatchObject({ mode: 'electron', bin: join(electronDir, 'dist', 'electron') })
    const install = calls[0]!
    expect(install.tool).toBe('install')
    expect(install.args.at(-1)).toBe(join(electronDir, 'install.js'))
    // The preload that reports progress and the real cause of a failed fetch.
    expect(install.args.slice(0, 2)).toEqual(['--require', expect.stringMatching(/explain-fetch-errors\.cjs$/)])
    expect(install.env?.ELECTRON_GET_NO_PROGRESS).toBe('1')
    expect(lines[0]).toMatch(/^Electron 45\.4\.1 binary not installed: downloading it with Electron's installer/)
    expect(out).toEqual([
      '[start] Downloading Electron 45.4.1: 0% (0.0 of 100.0 MB)\n',
      '[start] Downloading Electron 45.4.1: 50% (50.0 of 100.0 MB)\n',
      '[start] Downloading Electron 45.4.1: 100% (100.0 of 100.0 MB)\n',
      '[start] Downloaded Electron 45.4.1; verifying and extracting it…\n',
    ])
  })

  it('on a terminal the progress line is rewritten in place and ended once', async () => {
    const out: string[] = []
    await plan({}, { install: 'ok', prebuild: 'ok' }, { out, isTTY: true })
    expect(out).toEqual([
      '\r\x1b[K[start] Downloading Electron 45.4.1: 0% (0.0 of 100.0 MB)',
      '\r\x1b[K[start] Downloading Electron 45.4.1: 50% (50.0 of 100.0 MB)',
      '\r\x1b[K[start] Downloading Electron 45.4.1: 100% (100.0 of 100.0 MB)',
      '\r\x1b[K[start] Downloaded Electron 45.4.1; verifying and extracting it…',
      '\n',
    ])
  })

  it("missing and offline: headless, with the installer's real error in one line, and nothing built", async () => {
    const p = await plan({}, { install: 'offline', prebuild: 'ok' })
    expect(p).toEqual({ mode: 'headless', reason: 'Electron could not be installed: TypeError: fetch failed (getaddrinfo ENOTFOUND github.com)' })
    expect(calls.map((c) => c.tool)).toEqual(['install'])
  })
})

describe('better-sqlite3 for the Electron ABI', () => {
  beforeEach(installBinary)

  it('missing and published: fetched by prebuild-install for the electron runtime in a scratch dir, cached, reused', async () => {
    const p = await plan({}, { prebuild: 'ok' })
    const cached = join(cacheDir(), 'better_sqlite3.node')
    expect(p).toMatchObject({ mode: 'electron', env: { [SQLITE_BINDING_ENV]: cached } })
    const [fetch] = calls
    expect(fetch!.tool).toBe('prebuild')
    expect(fetch!.args).toEqual(expect.arrayContaining(['--runtime=electron', '--target=45.4.1', '--arch=x64', '--platform=linux', `--path=${fetch!.cwd}`]))
    expect(fetch!.cwd!.startsWith(join(root, '.cache'))).toBe(true)
    expect(existsSync(fetch!.cwd!)).toBe(false) // scratch removed
    expect(JSON.parse(readFileSync(join(cacheDir(), 'build-info.json'), 'utf8'))).toMatchObject({ electron: '45.4.1', abi: '150', betterSqlite3: SQLITE_VERSION, how: 'download' })

    calls = []
    lines = []
    expect(await plan({}, {})).toMatchObject({ mode: 'electron', env: { [SQLITE_BINDING_ENV]: cached } })
    expect(calls).toEqual([])
  })

  it('no published build: compiled by node-gyp against Electron headers from a copy of the sources', async () => {
    const p = await plan({}, { prebuild: 'offline', nodeGyp: 'ok' })
    expect(p).toMatchObject({ mode: 'electron', env: { [SQLITE_BINDING_ENV]: join(cacheDir(), 'better_sqlite3.node') } })
    const compile = calls[1]!
    expect(compile.tool).toBe('node-gyp')
    expect(compile.args).toEqual(expect.arrayContaining(['rebuild', '--runtime=electron', '--target=45.4.1', '--dist-url=https://electronjs.org/headers']))
    expect(lines[1]).toMatch(/^No published build \(download: getaddrinfo ENOTFOUND github\.com\); compiling/)
    expect(JSON.parse(readFileSync(join(cacheDir(), 'build-info.json'), 'utf8')).how).toBe('compile')
  })

  it("a download that brings Node's ABI instead of Electron's is refused and compiled instead", async () => {
    const p = await plan({}, { prebuild: 'node-abi', nodeGyp: 'ok' })
    expect(p.mode).toBe('electron')
    expect(calls.map((c) => c.tool)).toEqual(['prebuild', 'node-gyp'])
    expect(lines[1]).toContain('produced a build for ABI 115, not Electron')
  })

  it('a cached file for the wrong ABI is replaced', async () => {
    mkdirSync(cacheDir(), { recursive: true })
    writeFileSync(join(cacheDir(), 'better_sqlite3.node'), fakeNativeBuild('115'))
    expect((await plan({}, { prebuild: 'ok' })).mode).toBe('electron')
    expect(calls.map((c) => c.tool)).toEqual(['prebuild'])
  })

  it('missing and neither fetchable nor buildable: headless, one line with both causes, node_modules untouched', async () => {
    const before = statSync(NODE_BUILD).mtimeMs
    const p = await plan({}, { prebuild: 'offline', nodeGyp: 'offline' })
    expect(p).toEqual({
      mode: 'headless',
      reason:
        'better-sqlite3 could not be made for Electron 45.4.1 (ABI 150): download: getaddrinfo ENOTFOUND github.com; ' +
        'compile: Error: This is most likely not a problem with node-gyp or the package itself and is related to network connectivity.',
    })
    expect(p.mode === 'headless' && p.reason).not.toContain('\n')
    for (const c of calls) expect(c.cwd!.startsWith(join(root, '.cache'))).toBe(true)
    expect(existsSync(cacheDir())).toBe(false)
    expect(readdirNames(dirname(cacheDir()))).toEqual([]) // no scratch left behind
    expect(statSync(NODE_BUILD).mtimeMs).toBe(before)
  })
})

function readdirNames(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : []
}
