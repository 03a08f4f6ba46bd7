// `npm run headless -- [--json] [--ui-port N] [--no-ui] [--verbose]`
// The engine under plain Node: alerts in the terminal (and the OS notifier where there is one, and the
// terminal bell), the queue UI and a read-only wallboard on loopback, locked by a per-run secret in the
// URLs it prints. One run per data directory (a lock file). Configuration from flags or
// SUPABASE_URL / SUPABASE_ANON_KEY / BAYALERT_EMAIL / BAYALERT_PASSWORD / BAYALERT_DATA_DIR; with none at
// all, the local backend's well-known defaults (`npm run backend`).
// Exit codes: 0 clean stop, 2 configuration, 3 sign-in refused, 4 server unreachable, 1 anything else.
import { join } from 'node:path'
import { validateSettings } from '../core/config.js'
import { createEngine } from '../core/engine.js'
import type { EngineHandle } from '../core/engine-api.js'
import type { AlertSink, Logger } from '../core/ports.js'
import { SignInError } from '../core/link/supervisor.js'
import { openHostLog } from '../core/logging/host-log.js'
import { FileSecretStore } from './secret-file.js'
import { acquireInstanceLock, heldMessage } from './instance-lock.js'
import { detectNotifier, OsNotifierSink } from './notifier.js'
import { attachOutput, BellSink, TerminalOutput, TerminalSink } from './output.js'
import { appVersion, isMainModule, parseArgs, resolveSettings, stderrLogger, workstationId } from './settings.js'
import { DEFAULT_RENDERER_DIR, startUiServer, type UiServer } from './ui-server.js'
import { ensureUiBuilt } from './ui-build.js'
import { UiPushSink } from './ui-sink.js'
import { parseJoinBudget } from '../core/link/join-window.js'
import { AlertPathMonitor } from '../core/alert-path/monitor.js'
import { watchForWake } from '../core/alert-path/wake-watch.js'
import { headlessAlertPath } from './alert-path.js'
// Repeats come sooner as a wait grows, at the queue UI's amber/red (headless has no preferences panel).
import { DEFAULT_URGENCY } from '../shared/urgency.js'
import { escalationFromEnv } from '../core/escalation-config.js'

const USAGE = `Usage: npm run headless -- [options]

  --json            one JSON object per line on stdout (ts, type: state|alert|retract|queue|health|error|workstations|alert-path)
  --ui-port N       serve the queue UI and the wallboard on 127.0.0.1 port N (default: any free port);
                    their addresses, with this run's secret, are printed on stderr ("queue UI: …", "wallboard: …")
  --no-ui           serve neither
  --verbose, -v     log info lines to stderr
  --url URL, --anon-key KEY, --email E, --password P, --data-dir DIR
                    override SUPABASE_URL, SUPABASE_ANON_KEY, BAYALERT_EMAIL, BAYALERT_PASSWORD, BAYALERT_DATA_DIR
                    (prefer the environment for the password: flags show up in process lists)

With no configuration at all it connects to the local shop backend (npm run backend) as the demo mechanic,
keeping its data in .bayalert/demo (the directory npm start's demo uses).`

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv)
  if (args.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const tty = !args.json && !!process.stdout.isTTY
  const out = new TerminalOutput({
    json: args.json,
    tty,
    out: (l) => process.stdout.write(`${l}\n`),
    raw: tty ? (s) => process.stdout.write(s) : undefined,
  })
  const say = (msg: string) => process.stderr.write(`bayalert: ${msg}\n`)
  const fail = (code: number, message: string): number => {
    if (args.json) out.error(message)
    say(message)
    return code
  }
  if (args.problems.length) {
    for (const p of args.problems) say(p)
    process.stderr.write(`${USAGE}\n`)
    return 2
  }

  const { settings: raw, usingLocalDefaults } = resolveSettings(args)
  const checked = validateSettings(raw)
  if (!checked.ok) {
    for (const p of checked.problems) {
      if (args.json) out.error(p.message)
      say(p.message)
    }
    return 2
  }
  const settings = checked.settings
  let lock: ReturnType<typeof acquireInstanceLock>
  try {
    lock = acquireInstanceLock(settings.dataDir)
  } catch (e) {
    return fail(2, `Could not lock the data directory ${settings.dataDir}: ${(e as Error).message}`)
  }
  if (!lock.ok) return fail(2, heldMessage(lock.holder))
  // 'exit' also runs on process.exit() from the signal handlers and on every return below.
  const release = lock.release
  process.once('exit', () => {
    const problem = release()
    if (problem) say(problem)
  })
  if (lock.tookOverFrom) {
    const was = lock.tookOverFrom === 'unreadable' ? 'an unreadable lock file' : `pid ${lock.tookOverFrom.pid}, since ${lock.tookOverFrom.startedAt}`
    say(`took over the data directory lock of a headless run that is no longer running (${was})`)
  }
  if (usingLocalDefaults) say(`no shop configured: using the local backend at ${settings.supabaseUrl} as ${settings.email} (start it with \`npm run backend\`)`)

  // The log file keeps info lines whatever --verbose says: it is what a person sends when something went wrong.
  const logDir = join(settings.dataDir, 'logs')
  const hostLog = openHostLog({ dir: logDir, onFailure: (cause) => say(`cannot write the log file in ${logDir} (${cause}); logging to stderr only until it can`) })
  const log = hostLog.logger('headless', stderrLogger(args.verbose, args.json))
  const secrets = new FileSecretStore(settings.dataDir, log)
  const sinks: AlertSink[] = [new TerminalSink(out)]
  // The queue UI is one more sink of the pipeline (attached once its server listens).
  const uiSink = args.noUi ? null : new UiPushSink()
  if (uiSink) sinks.push(uiSink)
  if (tty) sinks.push(new BellSink((s) => process.stdout.write(s)))
  const notifier = detectNotifier()
  if (notifier.kind && notifier.command) sinks.push(new OsNotifierSink({ ...notifier, command: notifier.command }))
  else say(`no OS notifier on this machine (${notifier.why}); alerts show in this terminal${args.noUi ? '' : ' and the queue UI'} only`)

  const joinBudget = parseJoinBudget(process.env.BAYALERT_JOIN_BUDGET)
  if (joinBudget.problem) log.warn(joinBudget.problem)
  const escalation = escalationFromEnv(process.env)
  for (const p of escalation.problems) log.warn(p)
  // The alert-path self-test (Do Not Disturb, no notification daemon, muted output): at start, after the
  // machine slept and hourly, in the background; its verdict is a line of its own ('alert-path') when it changes,
  // and the engine raises a health alert when it finds something swallowing alerts.
  // Without an OS notifier there are no pop-ups to hide: only what would silence the bell is checked.
  const alertPath = new AlertPathMonitor({ probe: headlessAlertPath(process.platform, process.env, !!notifier.command).probe, log })
  alertPath.onChange((v) => out.alertPath(v))
  const engine = createEngine(
    { supabaseUrl: settings.supabaseUrl, anonKey: settings.anonKey, dataDir: settings.dataDir, workstationId: workstationId(), appVersion: appVersion(), joinBudgetPerSec: joinBudget.budget, urgency: DEFAULT_URGENCY, ...escalation.config },
    { secrets, sinks, log, alertPath },
  )
  const detach = attachOutput(engine, out)
  const stopWakeWatch = watchForWake({ onWake: () => alertPath.onResume() })

  let ui: UiServer | null = null
  let stopping: Promise<void> | null = null
  const shutdown = (why: string): Promise<void> => {
    stopping ??= (async () => {
      log.info(`stopping (${why})`)
      await ui?.close().catch((e) => log.warn('closing the UI server failed', { cause: String(e) }))
      stopWakeWatch()
      alertPath.stop()
      await engine.stop()
      detach()
      await hostLog.file.close()
      if (tty) process.stdout.write('\r\x1b[2K')
    })()
    return stopping
  }
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) process.exit(130) // second signal: do not wait any longer
    void shutdown(sig).then(() => process.exit(0))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  try {
    await engine.start()
  } catch (e) {
    log.error('engine start failed', { cause: (e as Error).message })
    await hostLog.file.close()
    return fail(1, (e as Error).message)
  }

  if (engine.snapshot().link.state === 'signed-out') {
    try {
      await engine.signIn(settings.email, settings.password)
    } catch (e) {
      await shutdown('sign-in failed')
      if (e instanceof SignInError) {
        if (e.kind === 'credentials') return fail(3, `${e.message} — check BAYALERT_EMAIL and BAYALERT_PASSWORD.`)
        if (e.kind === 'network') return fail(4, `${e.message} — is SUPABASE_URL (${settings.supabaseUrl}) right and reachable?`)
        return fail(3, `${e.message} — is SUPABASE_URL (${settings.supabaseUrl}) the project URL?`)
      }
      return fail(1, `Sign-in failed: ${(e as Error).message}`)
    }
  }

  alertPath.start()
  if (uiSink) ui = await startUi(engine, uiSink, args.uiPort, say, log)
  if (ui) {
    // Other programs parse these two lines (so no "bayalert: " prefix: a line starts with its name); each
    // URL carries the secret that unlocks its view. Stderr only: never in the --json stream or a log.
    process.stderr.write(`queue UI: ${ui.url}\nwallboard: ${ui.wallboardUrl}\n`)
  }
  const s = engine.snapshot()
  out.queue(s.queue)
  out.redraw(s)
  // Runs until SIGINT/SIGTERM (which exit the process after a clean engine.stop()).
  await new Promise<void>(() => {
    setInterval(() => {}, 1 << 30)
  })
  return 0
}

async function startUi(engine: EngineHandle, alerts: UiPushSink, port: number | null, say: (m: string) => void, log: Logger): Promise<UiServer | null> {
  await ensureUiBuilt(DEFAULT_RENDERER_DIR, say)
  try {
    return await startUiServer({ engine, alerts, port: port ?? 0, host: '127.0.0.1', log })
  } catch (e) {
    say(`could not start the queue UI (${(e as Error).message}); running without it`)
    return null
  }
}

if (isMainModule(import.meta.url)) {
  process.on('unhandledRejection', (e) => process.stderr.write(`bayalert: unhandled rejection: ${(e as Error)?.stack ?? e}\n`))
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`bayalert: ${(e as Error)?.stack ?? e}\n`)
      process.exit(1)
    },
  )
}
