// better-sqlite3 for Electron's ABI, kept apart from the one in node_modules. One .node file serves exactly
// one NODE_MODULE_VERSION (Node 20 = 115, Electron 45 = 150): node_modules keeps Node's build for tests and
// tools, and the Electron main process loads its own build from a cache through better-sqlite3's
// `nativeBinding` option (WiseLibs/better-sqlite3 lib/database.js). Rebuilding in node_modules instead would
// break every Node user of it, and electron-rebuild's failed attempt deletes the Node build before it fails.
//
// Made on first `npm start`: prebuild-install fetches the published Electron build (quick); when there is
// none, node-gyp compiles it against Electron's headers (a minute or two, needs a C++ toolchain). Both run
// in a scratch directory, never in node_modules. The result is checked for the ABI it was built for before it
// is cached (prebuild-install can quietly fetch the Node build instead: daintreehq/daintree#4419).
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import { failureLine } from './run-process.mjs'

export const BINARY_NAME = 'better_sqlite3.node'
const FETCH_STALL_MS = 60_000
const COMPILE_TOTAL_MS = 15 * 60_000

export function betterSqliteDir(root) {
  return dirname(createRequire(join(root, 'package.json')).resolve('better-sqlite3/package.json'))
}

/**
 * Cache directory of one Electron build. Keyed by everything the file depends on: Electron's ABI, the
 * better-sqlite3 version (its JS and its C++ must match), platform and arch.
 */
export function electronSqliteDir(root, { abi, sqliteVersion, platform = process.platform, arch = process.arch }) {
  return join(root, '.cache', 'better-sqlite3', `electron-${abi}-v${sqliteVersion}-${platform}-${arch}`)
}

/**
 * The NODE_MODULE_VERSION a better-sqlite3 build registers itself for, read from its exported symbol
 * `node_register_module_v<abi>` (NODE_MODULE_INIT in node.h) — no need to load it, which Node could not do
 * for an Electron build anyway. Null when the file has no such symbol.
 */
export function nativeAbiOf(file) {
  const m = /node_register_module_v(\d+)/.exec(readFileSync(file).toString('latin1'))
  return m ? m[1] : null
}

/**
 * The cached Electron build, made when missing. Resolves { ok: true, path, made } or { ok: false, reason }
 * where reason says in one line why neither a download nor a compile produced it.
 * @param {{ root: string, electron: { version: string, abi: string }, runProcess: import('./run-process.mjs').RunProcess,
 *   say: (msg: string) => void, env?: NodeJS.ProcessEnv, platform?: string, arch?: string, nodePath?: string }} opts
 */
export async function ensureElectronSqlite({ root, electron, runProcess, say, env = process.env, platform = process.platform, arch = process.arch, nodePath = process.execPath }) {
  const pkgDir = betterSqliteDir(root)
  const sqliteVersion = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version
  const dir = electronSqliteDir(root, { abi: electron.abi, sqliteVersion, platform, arch })
  const target = join(dir, BINARY_NAME)
  if (existsSync(target) && nativeAbiOf(target) === electron.abi) return { ok: true, path: target, made: false }

  say(`better-sqlite3 ${sqliteVersion} has no build for Electron ${electron.version} (ABI ${electron.abi}) yet: fetching the published one (prebuild-install)…`)
  const scratch = join(root, '.cache', 'better-sqlite3', `.scratch-${process.pid}`)
  const failures = []
  try {
    const tryBuild = async (how, args, options) => {
      const built = join(scratch, 'build', 'Release', BINARY_NAME)
      const r = await runProcess(nodePath, args, { cwd: scratch, env, ...options })
      if (r.code !== 0 || !existsSync(built)) {
        failures.push(`${how}: ${r.code === 0 ? 'finished without producing build/Release/better_sqlite3.node' : failureLine(r)}`)
        return false
      }
      const abi = nativeAbiOf(built)
      if (abi !== electron.abi) {
        failures.push(`${how}: produced a build for ABI ${abi ?? 'unknown'}, not Electron's ${electron.abi}`)
        return false
      }
      mkdirSync(dir, { recursive: true })
      // Rename within one filesystem: a concurrent `npm start` sees either no file or a whole one.
      renameSync(built, target)
      writeFileSync(join(dir, 'build-info.json'), `${JSON.stringify({ electron: electron.version, abi: electron.abi, betterSqlite3: sqliteVersion, platform, arch, how }, null, 2)}\n`)
      return true
    }

    rmSync(scratch, { recursive: true, force: true })
    mkdirSync(scratch, { recursive: true })
    // prebuild-install reads ./package.json (name, version, repository → the GitHub release URL) and unpacks
    // into --path; a copy of package.json is all it needs.
    cpSync(join(pkgDir, 'package.json'), join(scratch, 'package.json'))
    const prebuildInstall = createRequire(join(pkgDir, 'package.json')).resolve('prebuild-install/bin.js')
    const fetched = await tryBuild(
      'download',
      [prebuildInstall, '--runtime=electron', `--target=${electron.version}`, `--arch=${arch}`, `--platform=${platform}`, `--path=${scratch}`],
      { stallTimeoutMs: FETCH_STALL_MS },
    )
    if (fetched) return { ok: true, path: target, made: true }

    say(`No published build (${failures[0]}); compiling better-sqlite3 against Electron ${electron.version}'s headers with node-gyp (a minute or two)…`)
    for (const part of ['binding.gyp', 'src', 'deps']) cpSync(join(pkgDir, part), join(scratch, part), { recursive: true })
    let nodeGyp
    try {
      nodeGyp = createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js')
    } catch (err) {
      failures.push(`compile: node-gyp is not installed (${err.message.split('\n')[0]})`)
      return { ok: false, reason: failures.join('; ') }
    }
    const compiled = await tryBuild(
      'compile',
      [
        nodeGyp,
        'rebuild',
        '--release',
        '--runtime=electron',
        `--target=${electron.version}`,
        `--arch=${arch}`,
        '--dist-url=https://electronjs.org/headers',
        // The headers cache @electron/rebuild uses, so either tool reuses the other's download.
        `--devdir=${join(homedir(), '.electron-gyp')}`,
      ],
      { totalTimeoutMs: COMPILE_TOTAL_MS },
    )
    if (compiled) return { ok: true, path: target, made: true }
    return { ok: false, reason: failures.join('; ') }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}
