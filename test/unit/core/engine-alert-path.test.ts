// The alert-path self-test's findings through a real Engine (real store, desk and alert pipeline; signed out,
// so the link never dials), with the real probe, detectors and scheduler and the OS mocked only at the
// command runner: a muted output raises one health alert through every sink — the headless terminal's --json
// stream included — the hourly run that finds the same says nothing, a new problem is said with both, OK
// again withdraws it, and a Test alert that finds the problem says it again.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createEngine, type Engine } from '../../../src/core/engine.js'
import { MemorySecretStore } from '../../../src/core/memory-secret-store.js'
import { AlertPathMonitor } from '../../../src/core/alert-path/monitor.js'
import { createAlertPathProbe } from '../../../src/core/alert-path/probe.js'
import { platformDetectors } from '../../../src/core/alert-path/detectors.js'
import { ALERT_PATH_ALERT_KEY } from '../../../src/core/health/alert-path-alarm.js'
import { TerminalOutput, TerminalSink } from '../../../src/cli/output.js'
import type { CommandResult } from '../../../src/core/alert-path/types.js'
import type { Alert, AlertSink, SinkTier } from '../../../src/core/ports.js'
import { fakeOs, failed, ok } from '../alert-path/fake-os.js'
import { captureLog } from './helpers.js'

interface Heard extends AlertSink {
  alerts: Alert[]
  withdrawn: string[]
}
const sink = (name: string, tier: SinkTier): Heard => {
  const s: Heard = { name, tier, alerts: [], withdrawn: [], alert: (a) => void s.alerts.push(a), withdraw: (k) => void s.withdrawn.push(k) }
  return s
}

/** What the OS answers now; the tests change it between runs. A command not listed is not installed. */
let answers: Record<string, CommandResult>
const ASK_DAEMON = 'gdbus call --session --dest org.freedesktop.Notifications --object-path /org/freedesktop/Notifications --method org.freedesktop.Notifications.GetServerInformation'
const DAEMON = ok("('dunst', 'knopwob', '1.9.0', '1.2')\n")
const NO_DAEMON = failed('Error: GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.Notifications was not provided by any .service files')
const NOT_MUTED = ok('Mute: no\n')
const MUTED = ok('Mute: yes\n')

let dir: string
let engine: Engine
let monitor: AlertPathMonitor
let sound: Heard
let inApp: Heard
let lines: string[]
let log: ReturnType<typeof captureLog>

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-alertpath-'))
  answers = { 'pactl get-sink-mute': NOT_MUTED, [ASK_DAEMON]: DAEMON }
  const os = fakeOs({}, { env: { HOME: '/home/m' }, run: async (command, args) => {
    const full = [command, ...args].join(' ')
    const key = Object.keys(answers).find((k) => full.startsWith(k))
    return key ? answers[key]! : { kind: 'missing' }
  } })
  log = captureLog()
  // Headless Linux's detectors; the hourly timer is the test's (runs are started by hand).
  const probe = createAlertPathProbe({ detectors: platformDetectors({ platform: 'linux', tray: false, appId: 'x' }), os })
  monitor = new AlertPathMonitor({ probe, log, timers: { every: () => () => {} } })
  sound = sink('sound', 'sound')
  inApp = sink('in-app', 'in-app')
  lines = []
  const terminal = new TerminalSink(new TerminalOutput({ json: true, tty: false, out: (l) => lines.push(l) }))
  engine = createEngine(
    { supabaseUrl: 'http://127.0.0.1:9', anonKey: 'anon', dataDir: dir, workstationId: 'ws-test', appVersion: '0.0.0' },
    { secrets: new MemorySecretStore(), sinks: [sound, inApp, terminal], log, alertPath: monitor },
  ) as Engine
  await engine.start()
})
afterEach(async () => {
  monitor.stop()
  await engine.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** The pipeline delivers on a later tick than the run that decided. */
const settle = () => new Promise<void>((r) => setTimeout(r, 10))
const healthAlerts = (s: Heard) => s.alerts.filter((a) => a.kind === 'health')

describe('the self-test’s findings as a health alert, through the engine', () => {
  it('muted → one health alert to every sink, not repeated hourly; the notification daemon gone too → said with both; OK → withdrawn', async () => {
    answers['pactl get-sink-mute'] = MUTED
    await monitor.run('start')
    await settle()
    expect(healthAlerts(sound)).toHaveLength(1)
    const first = healthAlerts(inApp)[0]!
    expect(first).toMatchObject({ kind: 'health', key: ALERT_PATH_ALERT_KEY, title: 'BayAlert: alert sounds may not reach you' })
    expect(first.body).toContain('The sound output is muted (or at zero volume): alert sounds are silent.')
    expect(first.body).toContain('Still working: pop-up notifications, the queue window.')
    // The headless --json stream carries it as a health alert line.
    expect(lines.map((l) => JSON.parse(l)).filter((l) => l.type === 'alert' && l.kind === 'health')).toHaveLength(1)
    expect(engine.snapshot().health.counters['health:alert-path']).toBe(1)

    await monitor.run('hourly')
    await monitor.run('resume')
    await settle()
    expect(healthAlerts(sound)).toHaveLength(1)

    // The notification daemon goes away while still muted: the set changed, said again in full.
    answers = { 'pactl get-sink-mute': MUTED, [ASK_DAEMON]: NO_DAEMON }
    await monitor.run('hourly')
    await settle()
    expect(healthAlerts(inApp)).toHaveLength(2)
    expect(healthAlerts(inApp)[1]!.title).toBe('BayAlert: pop-up notifications and alert sounds may not reach you')
    expect(sound.withdrawn).toEqual([])

    answers = { 'pactl get-sink-mute': NOT_MUTED, [ASK_DAEMON]: DAEMON }
    await monitor.run('hourly')
    await settle()
    expect(sound.withdrawn).toEqual([ALERT_PATH_ALERT_KEY])
    expect(inApp.withdrawn).toEqual([ALERT_PATH_ALERT_KEY])
    expect(healthAlerts(inApp)).toHaveLength(2)
    expect(engine.snapshot().health.counters['health:alert-path-cleared']).toBe(1)
  })

  it('a Test alert that finds the problem says it again, under the test’s title', async () => {
    answers['pactl get-sink-mute'] = failed('Failed to get sink information: No such entity')
    await monitor.run('start')
    await monitor.run('test')
    await settle()
    const said = healthAlerts(sound)
    expect(said.map((a) => a.title)).toEqual(['BayAlert: alert sounds may not reach you', 'Test alert: alert sounds may not reach you'])
    expect(said[1]!.body).toContain('No sound output device: alert sounds cannot play')
  })

  it('a new engine on the same self-test (Electron after a settings change) does not say it again, and withdraws it when OK', async () => {
    answers['pactl get-sink-mute'] = MUTED
    await monitor.run('start')
    await settle()
    expect(healthAlerts(sound)).toHaveLength(1)
    await engine.stop()
    const dir2 = mkdtempSync(join(tmpdir(), 'bayalert-alertpath-'))
    const next = createEngine(
      { supabaseUrl: 'http://127.0.0.1:9', anonKey: 'anon', dataDir: dir2, workstationId: 'ws-test', appVersion: '0.0.0' },
      { secrets: new MemorySecretStore(), sinks: [sound, inApp], log: captureLog(), alertPath: monitor },
    )
    try {
      await next.start()
      await monitor.run('hourly')
      await settle()
      expect(healthAlerts(sound)).toHaveLength(1)
      answers['pactl get-sink-mute'] = NOT_MUTED
      await monitor.run('hourly')
      await settle()
      // Once: the stopped engine no longer listens.
      expect(sound.withdrawn).toEqual([ALERT_PATH_ALERT_KEY])
    } finally {
      await next.stop()
      rmSync(dir2, { recursive: true, force: true })
    }
  })

  it('a verdict the self-test had before the engine started is said at start', async () => {
    answers['pactl get-sink-mute'] = MUTED
    const early = new AlertPathMonitor({ probe: createAlertPathProbe({ detectors: platformDetectors({ platform: 'linux', tray: false, appId: 'x' }), os: fakeOs({ 'pactl get-sink-mute': MUTED }) }), log, timers: { every: () => () => {} } })
    await early.run('start')
    const other = sink('sound', 'sound')
    const dir2 = mkdtempSync(join(tmpdir(), 'bayalert-alertpath-'))
    const second = createEngine(
      { supabaseUrl: 'http://127.0.0.1:9', anonKey: 'anon', dataDir: dir2, workstationId: 'ws-2', appVersion: '0.0.0' },
      { secrets: new MemorySecretStore(), sinks: [other], log: captureLog(), alertPath: early },
    )
    try {
      await second.start()
      await settle()
      expect(healthAlerts(other).map((a) => a.title)).toEqual(['BayAlert: alert sounds may not reach you'])
    } finally {
      early.stop()
      await second.stop()
      rmSync(dir2, { recursive: true, force: true })
    }
  })

  it('without the port the engine raises nothing for the alert path', async () => {
    const other = sink('sound', 'sound')
    const dir2 = mkdtempSync(join(tmpdir(), 'bayalert-alertpath-'))
    const second = createEngine(
      { supabaseUrl: 'http://127.0.0.1:9', anonKey: 'anon', dataDir: dir2, workstationId: 'ws-2', appVersion: '0.0.0' },
      { secrets: new MemorySecretStore(), sinks: [other], log: captureLog() },
    )
    try {
      await second.start()
      answers['pactl get-sink-mute'] = MUTED
      await monitor.run('start')
      await settle()
      expect(healthAlerts(other)).toEqual([])
    } finally {
      await second.stop()
      rmSync(dir2, { recursive: true, force: true })
    }
  })
})
