// Finding and installing the Electron binary. Electron >= 42 has no postinstall: it downloads its binary on
// the first require('electron') (electron/index.js calls install.js and throws when that fails), so the
// launcher never requires it. It reads what install.js leaves behind (path.txt + dist/) and, when the binary
// is missing, runs that same install.js itself, with a progress line and a one-line reason on failure.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { failureLine } from './run-process.mjs'

const PRELOAD = join(dirname(fileURLToPath(import.meta.url)), 'explain-fetch-errors.cjs')
/** A download that sends nothing for this long is treated as blocked (firewalls often drop, not refuse). */
export const INSTALL_STALL_MS = 60_000

/** The installed electron package's directory, or undefined when electron is not installed at all. */
export function electronPackageDir(root) {
  try {
    return dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'))
  } catch {
    return undefined
  }
}

/** Version and NODE_MODULE_VERSION of the installed electron package — both known without the binary. */
export function electronInfo(electronDir) {
  const { version } = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8'))
  const abi = readFileSync(join(electronDir, 'abi_version'), 'utf8').trim()
  return { version: String(version), abi }
}

/** The binary install.js put in place (path.txt names it inside dist/ or ELECTRON_OVERRIDE_DIST_PATH). */
export function findElectronBinary(electronDir, env = process.env) {
  const pathTxt = join(electronDir, 'path.txt')
  if (!existsSync(pathTxt)) return undefined
  const bin = join(env.ELECTRON_OVERRIDE_DIST_PATH || join(electronDir, 'dist'), readFileSync(pathTxt, 'utf8').trim())
  return existsSync(bin) ? bin : undefined
}

/**
 * Renders install.js download progress as one line (rewritten in place on a terminal, every 10 % otherwise).
 * @param {{ version: string, isTTY: boolean, write: (s: string) => void }} opts
 */
export function progressReporter({ version, isTTY, write }) {
  let lastDecile = -1
  let drawn = false
  let extracting = false
  const mb = (n) => (n / 1048576).toFixed(1)
  return {
    /** @param {string} line */
    line(line) {
      if (line === '@bayalert-extracting') {
        if (!extracting) {
          extracting = true
          const text = `[start] Downloaded Electron ${version}; verifying and extracting it…`
          write(isTTY ? `\r\x1b[K${text}` : `${text}\n`)
          drawn = isTTY
        }
        return true
      }
      const m = /^@bayalert-progress (\d+) (\d+)$/.exec(line)
      if (!m) return false
      const seen = Number(m[1])
      const total = Number(m[2])
      const pct = total > 0 ? Math.min(100, Math.floor((seen / total) * 100)) : null
      const text = `[start] Downloading Electron ${version}: ${pct === null ? `${mb(seen)} MB` : `${pct}% (${mb(seen)} of ${mb(total)} MB)`}`
      if (isTTY) {
        // \x1b[K clears what a longer previous line left behind.
        write(`\r\x1b[K${text}`)
        drawn = true
      } else {
        const decile = pct === null ? Math.floor(seen / 10485760) : Math.floor(pct / 10)
        if (decile !== lastDecile) {
          lastDecile = decile
          write(`${text}\n`)
        }
      }
      return true
    },
    end() {
      if (drawn) write('\n')
      drawn = false
    },
  }
}

/**
 * Runs Electron's own installer. Resolves { ok: true, bin } when it put the binary in place, else
 * { ok: false, reason } with the installer's real error in one line.
 * @param {{ electronDir: string, env: NodeJS.ProcessEnv, runProcess: import('./run-process.mjs').RunProcess,
 *   say: (msg: string) => void, write: (s: string) => void, isTTY: boolean, nodePath?: string }} opts
 */
export async function installElectron({ electronDir, env, runProcess, say, write, isTTY, nodePath = process.execPath }) {
  const { version } = electronInfo(electronDir)
  say(`Electron ${version} binary not installed: downloading it with Electron's installer (node_modules/electron/install.js)…`)
  const progress = progressReporter({ version, isTTY, write })
  const result = await runProcess(nodePath, ['--require', PRELOAD, join(electronDir, 'install.js')], {
    cwd: electronDir,
    // Our progress line replaces @electron/get's own bar (which would only appear after 30 s).
    env: { ...env, ELECTRON_GET_NO_PROGRESS: '1' },
    stallTimeoutMs: INSTALL_STALL_MS,
    onLine: (line) => void progress.line(line),
  })
  progress.end()
  if (result.code !== 0) return /** @type {const} */ ({ ok: false, reason: failureLine(result) })
  const bin = findElectronBinary(electronDir, env)
  if (!bin) return /** @type {const} */ ({ ok: false, reason: 'the installer finished but left no binary where path.txt says' })
  return /** @type {const} */ ({ ok: true, bin })
}
