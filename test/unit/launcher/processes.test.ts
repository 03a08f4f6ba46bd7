/** @vitest-environment node */
// The launcher's real process seam and the real Electron installer, on loopback only: what the user reads
// when a child fails, a download that stalls is stopped, and install.js with our preload reports progress and
// the real cause of its failure.
import { createServer, type Server } from 'node:http'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { electronPackageDir, findElectronBinary, installElectron } from '../../../scripts/launcher/electron-binary.mjs'
import { nativeAbiOf } from '../../../scripts/launcher/electron-sqlite.mjs'
import { failureLine, runProcess, type ProcessResult } from '../../../scripts/launcher/run-process.mjs'

const result = (over: Partial<ProcessResult>): ProcessResult => ({ code: 1, signal: null, stdout: '', stderr: '', timedOut: null, spawnError: null, ...over })

describe('failureLine: the one line a user reads', () => {
  it('a stack trace gives its message, not its frames', () => {
    expect(failureLine(result({ stderr: 'TypeError: fetch failed (getaddrinfo ENOTFOUND github.com)\n    at x (y.js:1:1)\n' }))).toBe(
      'TypeError: fetch failed (getaddrinfo ENOTFOUND github.com)',
    )
  })
  it('prebuild-install: the warning without its prefix', () => {
    expect(failureLine(result({ stderr: 'prebuild-install info begin Prebuild-install version 7.1.3\nprebuild-install warn install No prebuilt binaries found (target=45.4.1 runtime=electron arch=x64)\n' }))).toBe(
      'No prebuilt binaries found (target=45.4.1 runtime=electron arch=x64)',
    )
  })
  it('node-gyp: its "ERR! stack" message lines joined, frames and the bare "configure error" dropped', () => {
    const stderr = 'gyp info it worked\ngyp ERR! configure error\ngyp ERR! stack Error: `make` failed with exit code: 2\ngyp ERR! stack at ChildProcess.onExit (build.js:1:1)\ngyp ERR! not ok\n'
    expect(failureLine(result({ stderr }))).toBe('Error: `make` failed with exit code: 2')
  })
  it('no error-looking line: the last line; no output at all: the exit code', () => {
    expect(failureLine(result({ stdout: 'one\ntwo\n' }))).toBe('two')
    expect(failureLine(result({ code: 3 }))).toBe('exit code 3')
  })
  it('a spawn error wins; a timeout says so before the last words; long lines are cut', () => {
    expect(failureLine(result({ spawnError: 'spawn nope ENOENT', stderr: 'Error: x' }))).toBe('spawn nope ENOENT')
    expect(failureLine(result({ timedOut: 'no progress for 60 s', stderr: 'Error: slow' }))).toBe('no progress for 60 s (Error: slow)')
    const cut = failureLine(result({ stderr: `Error: ${'x'.repeat(400)}` }))
    expect(cut).toHaveLength(300)
    expect(cut.endsWith('...')).toBe(true)
  })
})

describe('runProcess', () => {
  it('captures both streams line by line and the exit code', async () => {
    const seen: string[] = []
    const r = await runProcess(process.execPath, ['-e', 'console.log("out"); console.error("err"); process.exit(4)'], { onLine: (l, s) => seen.push(`${s}:${l}`) })
    expect(r).toMatchObject({ code: 4, stdout: 'out\n', stderr: 'err\n', timedOut: null })
    expect(seen.sort()).toEqual(['stderr:err', 'stdout:out'])
  })
  it('stops a child that goes quiet for the stall timeout, and keeps one that keeps talking', async () => {
    const quiet = await runProcess(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stallTimeoutMs: 300 })
    expect(quiet.timedOut).toBe('no progress for 300 ms')
    expect(quiet.signal).toBe('SIGTERM')
    // Runs for ~4 s, longer than the stall timeout, but never quiet for that long (the margin covers a slow
    // Node start-up on a loaded machine).
    const chatty = await runProcess(process.execPath, ['-e', 'let n = 0; console.log(n); const t = setInterval(() => { console.log(++n); if (n === 10) clearInterval(t) }, 400)'], { stallTimeoutMs: 2500 })
    expect(chatty).toMatchObject({ code: 0, timedOut: null })
  }, 20_000)
  it('a command that does not exist is a spawn error, not a crash', async () => {
    const r = await runProcess('/nonexistent/bayalert-tool', [])
    expect(r.spawnError).toMatch(/ENOENT/)
    expect(failureLine(r)).toMatch(/ENOENT/)
  })
})

describe('nativeAbiOf', () => {
  it("reads the ABI a real build registers for: node_modules' better-sqlite3 is Node's", () => {
    expect(nativeAbiOf(resolve('node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(process.versions.modules)
  })
})

// The real node_modules/electron/install.js, pointed at a loopback mirror (ELECTRON_MIRROR) that serves a
// body which cannot match Electron's published checksum: the installer downloads, our preload reports the
// progress, the checksum check fails and nothing is extracted into node_modules.
describe("Electron's own installer through the launcher", () => {
  let server: Server
  let mirror: string
  const cacheRoot = mkdtempSync(join(tmpdir(), 'bayalert-electron-cache-'))
  const electronDir = electronPackageDir(resolve('.'))!
  const BODY = Buffer.alloc(3 * 1048576, 7)
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.endsWith('.zip')) {
        res.writeHead(200, { 'content-type': 'application/zip', 'content-length': BODY.length })
        res.end(BODY)
      } else {
        res.writeHead(404).end()
      }
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  afterAll(async () => {
    await new Promise((r) => server.close(r))
    rmSync(cacheRoot, { recursive: true, force: true })
  })

  it.skipIf(findElectronBinary(electronDir) !== undefined)('reports download progress, then the checksum failure in one line (skipped where a binary is installed: install.js would exit at once)', async () => {
    const out: string[] = []
    const said: string[] = []
    const r = await installElectron({
      electronDir,
      env: { ...process.env, ELECTRON_MIRROR: mirror, electron_config_cache: cacheRoot, force_no_cache: 'true' },
      runProcess,
      say: (m) => said.push(m),
      write: (s) => out.push(s),
      isTTY: false,
    })
    expect(said).toEqual([expect.stringMatching(/^Electron \d+\.\d+\.\d+ binary not installed: downloading it/)])
    expect(out.slice(-2)).toEqual([
      expect.stringMatching(/^\[start\] Downloading Electron [\d.]+: 100% \(3\.0 of 3\.0 MB\)\n$/),
      expect.stringMatching(/^\[start\] Downloaded Electron [\d.]+; verifying and extracting it…\n$/),
    ])
    expect(r.ok).toBe(false)
    expect(!r.ok && r.reason).toMatch(/checksum/i)
    expect(!r.ok && r.reason).not.toContain('\n')
    expect(findElectronBinary(electronDir)).toBeUndefined()
    expect(readdirSync(cacheRoot)).toEqual([])
  }, 60_000)

  it.skipIf(findElectronBinary(electronDir) !== undefined)('a refused connection is named, not just "fetch failed"', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    const r = await installElectron({
      electronDir,
      env: { ...process.env, ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_config_cache: cacheRoot },
      runProcess,
      say: () => {},
      write: () => {},
      isTTY: false,
    })
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^TypeError: fetch failed \(.*ECONNREFUSED/) })
  }, 60_000)
})
