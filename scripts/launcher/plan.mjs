// What `npm start` runs: the tray app under Electron, or the same engine headless. Every decision lives
// here, with the children it may need (Electron's installer, the Electron build of better-sqlite3) behind
// the runProcess seam, so the unit tests drive each branch with a stubbed process and real files.
//
//   BAYALERT_HEADLESS=1                    → headless, nothing downloaded
//   no electron package                    → headless
//   binary missing → install.js            → failed: headless, with the installer's error in one line
//   better-sqlite3 for Electron's ABI missing → fetched or compiled into .cache/ → failed: headless, one line
//   all there                              → Electron, told where its better-sqlite3 build is
import { electronInfo, electronPackageDir, findElectronBinary, installElectron } from './electron-binary.mjs'
import { ensureElectronSqlite } from './electron-sqlite.mjs'

/** The environment variable through which the Electron main process learns its better-sqlite3 build. */
export const SQLITE_BINDING_ENV = 'BAYALERT_SQLITE_BINDING'

/** True for the values people use to mean yes; anything else (unset, 0, false, no) leaves Electron on. */
export function headlessForced(env) {
  return /^(1|true|yes|on)$/i.test(String(env.BAYALERT_HEADLESS ?? '').trim())
}

/**
 * @typedef {{ mode: 'electron', bin: string, env: NodeJS.ProcessEnv } | { mode: 'headless', reason: string }} LaunchPlan
 * @param {{ root: string, env: NodeJS.ProcessEnv, runProcess: import('./run-process.mjs').RunProcess,
 *   say: (msg: string) => void, write?: (s: string) => void, isTTY?: boolean, electronDir?: string | null,
 *   platform?: string, arch?: string }} opts
 * @returns {Promise<LaunchPlan>}
 */
export async function planLaunch({ root, env, runProcess, say, write = (s) => void process.stdout.write(s), isTTY = false, electronDir, platform, arch }) {
  if (headlessForced(env)) return { mode: 'headless', reason: 'BAYALERT_HEADLESS is set' }
  const dir = electronDir === undefined ? electronPackageDir(root) : electronDir
  if (!dir) return { mode: 'headless', reason: 'the electron package is not installed (npm install)' }

  let bin = findElectronBinary(dir, env)
  if (!bin) {
    const installed = await installElectron({ electronDir: dir, env, runProcess, say, write, isTTY })
    if (!installed.ok) return { mode: 'headless', reason: `Electron could not be installed: ${installed.reason}` }
    bin = installed.bin
  }

  const electron = electronInfo(dir)
  const sqlite = await ensureElectronSqlite({ root, electron, runProcess, say, env, platform, arch })
  if (!sqlite.ok) {
    return { mode: 'headless', reason: `better-sqlite3 could not be made for Electron ${electron.version} (ABI ${electron.abi}): ${sqlite.reason}` }
  }
  return { mode: 'electron', bin, env: { ...env, [SQLITE_BINDING_ENV]: sqlite.path } }
}
