#!/usr/bin/env node
// `npm start`: build, make sure there is a shop to talk to, then run the tray app — or, where the
// Electron binary cannot run (no binary: Electron >= 42 downloads it lazily and this machine cannot),
// say so plainly and run the same engine headless with the queue UI on loopback.
//
//   1. vite build (main, preload, renderer)
//   2. no SUPABASE_URL in the environment and no saved settings → start the local shop backend
//      (`npm run backend`: prints SUPABASE_URL=…, SUPABASE_ANON_KEY=…, DEMO_MECHANIC_1=email:password,
//      then READY) and sign in as the demo mechanic. The shop's database and the app's store both live
//      under .bayalert/demo (scripts/launcher/demo-shop.mjs), so a restart continues the same shop;
//      --reset-demo (or BAYALERT_RESET_DEMO=1) deletes both first.
//   3. decide Electron or headless (scripts/launcher/plan.mjs): where the Electron binary is missing, run
//      Electron's own installer; make better-sqlite3 for Electron's ABI into .cache/ when missing; when either
//      cannot be done, say why in one line and run `npm run headless` with the same environment.
//      BAYALERT_HEADLESS=1 skips all of that.
//   The backend child is stopped when this script exits (Ctrl+C included).
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { demoDirs, parseStartArgs, prepareDemoDirs, resetDemo } from './launcher/demo-shop.mjs'
import { planLaunch } from './launcher/plan.mjs'
import { runProcess } from './launcher/run-process.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const BACKEND_READY_TIMEOUT_MS = Number(process.env.BAYALERT_BACKEND_TIMEOUT_MS ?? 180_000)
const say = (msg) => console.log(`[start] ${msg}`)
const children = new Set()

/** Where electron-store keeps the Electron host's settings (app name "bayalert" from package.json). */
function savedSettingsUrl() {
  const base =
    process.platform === 'win32'
      ? process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming')
      : process.platform === 'darwin'
        ? join(homedir(), 'Library', 'Application Support')
        : process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config')
  try {
    const json = JSON.parse(readFileSync(join(base, 'bayalert', 'settings.json'), 'utf8'))
    return typeof json?.settings?.supabaseUrl === 'string' && json.settings.supabaseUrl ? json.settings.supabaseUrl : null
  } catch {
    return null
  }
}

function stopChild(child, name) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((done) => {
    const kill = (sig) => {
      try {
        // Detached children lead their own process group: this reaches e.g. the backend's postgres too.
        process.kill(-child.pid, sig)
      } catch {
        // No process group (not detached, or already gone): signal the child itself.
        try {
          child.kill(sig)
        } catch (err) {
          // Only if the child exited between the exitCode check and now; 'exit' settles the wait, and the
          // SIGKILL timer says so if it does not.
          say(`could not signal ${name} (${sig}): ${err.message}`)
        }
      }
    }
    const t = setTimeout(() => {
      say(`${name} did not stop in 10 s; killing it`)
      kill('SIGKILL')
    }, 10_000)
    child.once('exit', () => {
      clearTimeout(t)
      done()
    })
    kill('SIGTERM')
  })
}

let shuttingDown = false
async function shutdown(code) {
  if (shuttingDown) return
  shuttingDown = true
  await Promise.all([...children].map(({ child, name }) => stopChild(child, name)))
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(130))
process.on('SIGTERM', () => void shutdown(143))

function run(name, cmd, args, env, { detached = true, pipe = false } = {}) {
  const child = spawn(cmd, args, { cwd: root, env, stdio: pipe ? ['ignore', 'pipe', 'inherit'] : 'inherit', detached })
  const entry = { child, name }
  children.add(entry)
  child.once('exit', () => children.delete(entry))
  return child
}

function startBackend(env) {
  say('No shop configured: starting the local demo shop backend (npm run backend)…')
  const child = run('backend', 'npm', ['run', '--silent', 'backend'], env, { pipe: true })
  const found = {}
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend did not print READY within ${BACKEND_READY_TIMEOUT_MS / 1000} s`)), BACKEND_READY_TIMEOUT_MS)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`backend exited before READY (code ${code}, signal ${signal})`))
    })
    const lines = createInterface({ input: child.stdout })
    let ready = false
    lines.on('line', (line) => {
      if (ready) {
        console.log(`[backend] ${line}`)
        return
      }
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
      if (m) found[m[1]] = m[2]
      else if (line.trim() === 'READY') {
        ready = true
        clearTimeout(timer)
        child.removeAllListeners('exit')
        child.once('exit', (code) => {
          if (!shuttingDown) {
            say(`backend exited (code ${code}); stopping`)
            void shutdown(1)
          }
        })
        resolveReady(found)
      } else console.log(`[backend] ${line}`)
    })
  })
}

const USAGE = `Usage: npm start [-- --reset-demo]

  --reset-demo   with no shop configured: delete the demo shop's database and the app's demo queue and
                 session (.bayalert/demo), then start afresh (also BAYALERT_RESET_DEMO=1)`

async function main() {
  const args = parseStartArgs(process.argv.slice(2), process.env)
  if (args.help) {
    console.log(USAGE)
    process.exit(0)
  }
  if (args.problems.length) {
    for (const p of args.problems) say(p)
    console.error(USAGE)
    process.exit(2)
  }
  say('Building (vite build)…')
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) {
    say('Build failed; see the errors above.')
    process.exit(build.status ?? 1)
  }

  const plan = await planLaunch({ root, env: process.env, runProcess, say, isTTY: Boolean(process.stdout.isTTY) })
  const env = plan.mode === 'electron' ? plan.env : { ...process.env }
  const configured = Boolean(env.SUPABASE_URL) || (plan.mode === 'electron' && savedSettingsUrl() !== null)
  if (configured && args.resetDemo) say('--reset-demo: a shop is configured (SUPABASE_URL or saved settings), so there is no demo to reset; nothing deleted.')
  if (!configured) {
    // Keep demo data apart from a real workstation's store, and the demo shop's database beside it.
    const dirs = demoDirs(root, env)
    if (args.resetDemo) {
      const reset = resetDemo(dirs)
      if (!reset.ok) {
        say(`Cannot reset the demo: ${reset.reason}.`)
        await shutdown(2)
      }
      say(reset.removed.length ? `Demo reset: deleted ${reset.removed.length} item(s) under ${dirs.dataDir} and ${dirs.shopDir}; the shop and the queue start empty.` : 'Demo reset: there was no demo data yet.')
    }
    env.BAYALERT_DATA_DIR = dirs.dataDir
    const unkeepable = prepareDemoDirs(dirs, { root, isRoot: process.getuid?.() === 0 })
    if (unkeepable) {
      delete env.BAYALERT_BACKEND_DIR
      say(`The demo shop starts empty on every start: ${unkeepable}. Set BAYALERT_BACKEND_DIR to a directory it can enter to keep it.`)
    } else env.BAYALERT_BACKEND_DIR = dirs.shopDir
    const vars = await startBackend(env).catch(async (err) => {
      say(`Could not start the local shop backend: ${err.message}`)
      await shutdown(1)
    })
    env.SUPABASE_URL = vars.SUPABASE_URL
    env.SUPABASE_ANON_KEY = vars.SUPABASE_ANON_KEY
    const demo = vars.DEMO_MECHANIC_1 ?? ''
    const i = demo.indexOf(':')
    if (i > 0) {
      env.BAYALERT_EMAIL = demo.slice(0, i)
      env.BAYALERT_PASSWORD = demo.slice(i + 1)
    }
    if (!env.SUPABASE_URL || !env.SUPABASE_ANON_KEY) {
      say('The backend did not print SUPABASE_URL and SUPABASE_ANON_KEY.')
      await shutdown(1)
    }
    say(`Demo shop at ${env.SUPABASE_URL}; signing in as ${env.BAYALERT_EMAIL ?? '(no demo mechanic printed)'}. Add requests with: npm run simulate -- --count 3`)
    say(
      env.BAYALERT_BACKEND_DIR
        ? `Demo data (shop and queue) is kept in ${dirs.dataDir}; start over with: npm start -- --reset-demo`
        : `The app's demo queue is kept in ${dirs.dataDir}; start over with: npm start -- --reset-demo`,
    )
  }

  let app
  if (plan.mode === 'electron') {
    say(`Launching Electron (${plan.bin})`)
    app = run('electron', plan.bin, ['.'], env, { detached: false })
  } else {
    say(`Running headless: ${plan.reason.replace(/\.$/, '')}.`)
    say('The same engine runs under Node; alerts go to this terminal and the queue UI is served on 127.0.0.1 (URL below).')
    app = run('headless', 'npm', ['run', '--silent', 'headless'], env, { detached: false })
  }
  app.once('exit', (code, signal) => {
    if (!shuttingDown) void shutdown(code ?? (signal ? 1 : 0))
  })
}

main().catch(async (err) => {
  say(`failed: ${err?.message ?? err}`)
  await shutdown(1)
})
