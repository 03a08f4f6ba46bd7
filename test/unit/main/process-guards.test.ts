/** @vitest-environment node */
// Faults of the Electron host itself are never silent: an uncaught exception or rejection in main is
// logged with its cause and stack and surfaced as a health state plus one health alert through the
// sinks (gated by the tier flags, rate-limited, each sink isolated). The process keeps running.
import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Alert, AlertSink, SinkTier } from '../../../src/core/ports.js'
import { DEFAULT_FLAGS, type FeatureFlags } from '../../../src/shared/types.js'
import { FakeEngine } from '../../mocks/fake-engine.js'

vi.mock('electron', () => import('../../mocks/electron.js'))
const { installProcessGuards } = await import('../../../src/main/process-guards.js')
const { HostFaults, HOST_FAULT_TITLE } = await import('../../../src/main/host-faults.js')
const { EngineHost } = await import('../../../src/main/engine-host.js')

function capture() {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = []
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

function sink(name: string, tier: SinkTier, behaviour: 'ok' | 'throw' | 'reject' = 'ok'): AlertSink & { got: Alert[] } {
  const got: Alert[] = []
  return {
    name,
    tier,
    got,
    alert(a: Alert) {
      got.push(a)
      if (behaviour === 'throw') throw new Error(`${name} broke`)
      if (behaviour === 'reject') return Promise.reject(new Error(`${name} rejected`))
    },
  }
}

describe('installProcessGuards', () => {
  it('logs an uncaught exception with its cause, stack and origin, and hands it on once', () => {
    const target = new EventEmitter()
    const log = capture()
    const onFault = vi.fn()
    installProcessGuards(target as never, log, onFault)
    const err = new TypeError('Cannot read properties of undefined')
    target.emit('uncaughtException', err, 'uncaughtException')
    expect(log.lines).toEqual([
      {
        level: 'error',
        msg: 'uncaught exception in the main process',
        fields: { cause: 'TypeError: Cannot read properties of undefined', stack: err.stack, origin: 'uncaughtException', count: 1 },
      },
    ])
    expect(onFault).toHaveBeenCalledExactlyOnceWith({ kind: 'uncaught-exception', message: 'TypeError: Cannot read properties of undefined', count: 1 })
  })

  it('an unhandled rejection of a non-Error value is described, counted after the earlier fault', () => {
    const target = new EventEmitter()
    const log = capture()
    const onFault = vi.fn()
    installProcessGuards(target as never, log, onFault)
    target.emit('uncaughtException', new Error('first'), 'uncaughtException')
    target.emit('unhandledRejection', { code: 42 })
    expect(log.lines[1]).toMatchObject({ level: 'error', msg: 'unhandled promise rejection in the main process', fields: { cause: 'non-Error value: {"code":42}', stack: null, count: 2 } })
    expect(log.lines[1]!.fields).not.toHaveProperty('origin')
    expect(onFault).toHaveBeenLastCalledWith({ kind: 'unhandled-rejection', message: 'non-Error value: {"code":42}', count: 2 })
  })

  it('a long message is capped; a surfacing step that throws is logged, not rethrown, and does not recurse', () => {
    const target = new EventEmitter()
    const log = capture()
    const onFault = vi.fn(() => {
      target.emit('unhandledRejection', new Error('inside the reporter'))
      throw new Error('notification layer broke')
    })
    installProcessGuards(target as never, log, onFault)
    expect(() => target.emit('uncaughtException', new Error('x'.repeat(500)), 'uncaughtException')).not.toThrow()
    expect((log.lines[0]!.fields!.cause as string).length).toBe(200)
    expect(onFault).toHaveBeenCalledTimes(1) // the fault raised while reporting was logged, not reported again
    expect(log.lines.map((l) => l.msg)).toEqual([
      'uncaught exception in the main process',
      'unhandled promise rejection in the main process',
      'surfacing a main-process fault failed',
    ])
    expect(log.lines[2]!.fields).toEqual({ cause: 'Error: notification layer broke' })
  })

  it('the returned function removes both handlers', () => {
    const target = new EventEmitter()
    const off = installProcessGuards(target as never, capture(), () => {})
    expect(target.listenerCount('uncaughtException')).toBe(1)
    expect(target.listenerCount('unhandledRejection')).toBe(1)
    off()
    expect(target.listenerCount('uncaughtException')).toBe(0)
    expect(target.listenerCount('unhandledRejection')).toBe(0)
  })
})

describe('HostFaults', () => {
  let faults: InstanceType<typeof HostFaults> | null = null
  afterEach(() => faults?.dispose())

  function make(over: { flags?: Partial<FeatureFlags>; sinks?: AlertSink[]; now?: () => number; alertIntervalMs?: number } = {}) {
    const log = capture()
    const onChange = vi.fn()
    const sinks = over.sinks ?? [sink('notification', 'notification'), sink('sound', 'sound'), sink('in-app', 'in-app')]
    faults = new HostFaults({ sinks: () => sinks, flags: () => ({ ...DEFAULT_FLAGS, ...over.flags }), log, onChange, now: over.now, alertIntervalMs: over.alertIntervalMs })
    return { faults, log, onChange, sinks: sinks as Array<AlertSink & { got: Alert[] }> }
  }

  it('a fault becomes the health state and one health alert on every sink', () => {
    const { faults, onChange, sinks } = make({ now: () => 1000 })
    faults.report('The queue window keeps crashing (crashed).')
    expect(faults.state()).toEqual({ reason: 'The queue window keeps crashing (crashed).', count: 1, since: 1000 })
    expect(onChange).toHaveBeenCalledWith(faults.state())
    for (const s of sinks) {
      expect(s.got).toHaveLength(1)
      expect(s.got[0]).toMatchObject({ kind: 'health', title: HOST_FAULT_TITLE, body: expect.stringMatching(/^The queue window keeps crashing \(crashed\)\. Request alerts keep running/) })
    }
  })

  it('repeats within the interval update the state but ring no second time; after it, they ring again', () => {
    let now = 0
    const { faults, sinks, onChange } = make({ now: () => now, alertIntervalMs: 60_000 })
    faults.report('first')
    now = 59_999
    faults.report('second')
    expect(sinks[0]!.got).toHaveLength(1)
    expect(faults.state()).toEqual({ reason: 'second', count: 2, since: 0 })
    expect(onChange).toHaveBeenCalledTimes(2)
    now = 60_000
    faults.report('third')
    expect(sinks[0]!.got.map((a) => a.body.split(' ')[0])).toEqual(['first', 'third'])
  })

  it('tier flags gate the sinks as they gate request alerts; in-app has no flag', () => {
    const { faults, sinks } = make({ flags: { mech_audio_alerts: false, mech_browser_notifications: false } })
    faults.report('x')
    expect(sinks.map((s) => [s.name, s.got.length])).toEqual([['notification', 0], ['sound', 0], ['in-app', 1]])
  })

  it('a throwing and a rejecting sink are logged; the other sinks still get the alert', async () => {
    const sinks = [sink('notification', 'notification', 'throw'), sink('sound', 'sound', 'reject'), sink('in-app', 'in-app')]
    const { faults, log } = make({ sinks })
    faults.report('x')
    await Promise.resolve()
    await Promise.resolve()
    expect(sinks[2]!.got).toHaveLength(1)
    expect(log.lines.filter((l) => l.msg === 'host fault alert: sink failed').map((l) => l.fields)).toEqual([
      { sink: 'notification', cause: 'notification broke' },
      { sink: 'sound', cause: 'sound rejected' },
    ])
  })

  it('the state clears itself after a quiet period', () => {
    vi.useFakeTimers()
    try {
      const log = capture()
      const onChange = vi.fn()
      faults = new HostFaults({ sinks: () => [], flags: () => DEFAULT_FLAGS, log, onChange, clearAfterMs: 1000 })
      faults.report('a')
      vi.advanceTimersByTime(999)
      faults.report('b') // restarts the quiet period
      vi.advanceTimersByTime(999)
      expect(faults.state()?.reason).toBe('b')
      vi.advanceTimersByTime(1)
      expect(faults.state()).toBeNull()
      expect(onChange).toHaveBeenLastCalledWith(null)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('EngineHost host fault overlay', () => {
  it('shows the host fault as the health state without hiding the engine\'s own reason, and clears it', async () => {
    const engine = new FakeEngine()
    const host = new EngineHost(() => engine, capture())
    await host.configure({ supabaseUrl: 'https://a', anonKey: 'k', dataDir: '/d', workstationId: 'w', appVersion: '1' })
    const seen = vi.fn()
    host.onSnapshot(seen)
    host.setHostFault({ reason: 'main-process error', count: 2 })
    expect(seen).toHaveBeenLastCalledWith(expect.objectContaining({ health: expect.objectContaining({ degradedReason: 'main-process error', counters: expect.objectContaining({ 'host:fault': 2 }) }) }))
    expect(host.snapshot().health.degradedReason).toBe('main-process error')
    // Later engine snapshots keep the overlay.
    engine.push({ paused: 'indefinite' })
    expect(seen.mock.lastCall![0]).toMatchObject({ paused: 'indefinite', health: { degradedReason: 'main-process error' } })
    // The engine's own reason wins the one field; the count is still there.
    engine.push({ health: { ...engine.snapshot().health, degradedReason: 'Local store unavailable' } })
    expect(seen.mock.lastCall![0].health).toMatchObject({ degradedReason: 'Local store unavailable', counters: { 'host:fault': 2 } })
    host.setHostFault(null)
    expect(seen.mock.lastCall![0].health.counters).not.toHaveProperty('host:fault')
  })

  it('without an engine (not configured) the placeholder carries the fault too', () => {
    const host = new EngineHost(() => new FakeEngine(), capture())
    host.setHostFault({ reason: 'r', count: 1 })
    expect(host.snapshot().health).toMatchObject({ degradedReason: 'r', counters: { 'host:fault': 1 } })
  })
})
