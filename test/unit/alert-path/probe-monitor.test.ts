// The probe runs every detector under its own deadline and never rejects; the monitor (the self-test
// scheduler) runs it at start, on resume, hourly and on demand, caches the verdict, never overlaps runs and
// never makes a caller wait: current() is synchronous.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAlertPathProbe, describeVerdict, notificationsSwallowed } from '../../../src/core/alert-path/probe.js'
import { AlertPathMonitor, HOURLY_MS, type MonitorTimers } from '../../../src/core/alert-path/monitor.js'
import { platformDetectors } from '../../../src/core/alert-path/detectors.js'
import type { AlertPathProbe, AlertPathVerdict, Detector, Finding } from '../../../src/core/alert-path/types.js'
import { fakeOs } from './fake-os.js'

const log = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() })
const DND: Finding = { id: 'do-not-disturb', affects: 'notifications', reason: 'DND is on.' }
const MUTED: Finding = { id: 'audio-muted', affects: 'sound', reason: 'Muted.' }
const det = (name: string, detect: Detector['detect']): Detector => ({ name, detect })

afterEach(() => vi.useRealTimers())

describe('probe', () => {
  it('collects every detector’s findings and names each one that could not tell', async () => {
    const probe = createAlertPathProbe({
      os: fakeOs({}),
      now: () => 42,
      detectors: [
        det('a', async () => ({ findings: [DND] })),
        det('b', async () => ({ findings: [MUTED], unknown: 'half known' })),
        det('c', async () => ({ findings: [], unknown: 'x is not installed' })),
      ],
    })
    expect(await probe.check('start')).toEqual({
      checkedAt: 42, trigger: 'start', findings: [DND, MUTED], unknown: [{ detector: 'b', why: 'half known' }, { detector: 'c', why: 'x is not installed' }],
    })
  })
  it('a detector that throws, rejects or hangs is unknown with the cause; the others still answer, within the deadline', async () => {
    vi.useFakeTimers()
    const probe = createAlertPathProbe({
      os: fakeOs({}),
      deadlineMs: 1000,
      detectors: [
        det('throws', () => { throw new Error('sync boom') }),
        det('rejects', async () => { throw new Error('async boom') }),
        det('hangs', () => new Promise(() => {})),
        det('fine', async () => ({ findings: [DND] })),
      ],
    })
    let done: AlertPathVerdict | null = null
    void probe.check('hourly').then((v) => (done = v))
    await vi.advanceTimersByTimeAsync(999)
    expect(done).toBeNull()
    await vi.advanceTimersByTimeAsync(1)
    expect(done!.findings).toEqual([DND])
    expect(done!.unknown).toEqual([
      { detector: 'throws', why: 'the check failed (sync boom)' },
      { detector: 'rejects', why: 'the check failed (async boom)' },
      { detector: 'hangs', why: 'no answer within 1000 ms' },
    ])
  })
  it('describes a verdict in words and tells whether notifications are swallowed', () => {
    expect(describeVerdict({ findings: [] })).toBe('Alert path ok: nothing found that would swallow an alert.')
    expect(describeVerdict({ findings: [DND, MUTED] })).toBe('DND is on. Muted.')
    expect(notificationsSwallowed(null)).toBe(false)
    expect(notificationsSwallowed({ findings: [MUTED] })).toBe(false)
    expect(notificationsSwallowed({ findings: [MUTED, DND] })).toBe(true)
  })
})

describe('detectors per platform', () => {
  const names = (p: NodeJS.Platform, tray: boolean) => platformDetectors({ platform: p, tray, appId: 'com.bayalert.BayAlert' }).map((d) => d.name)
  it('Linux: daemon, three DND sources and audio; the tray host only where there is a tray', () => {
    expect(names('linux', false)).toEqual(['linux: notification daemon', 'linux: notifications inhibited', 'linux: GNOME show-banners', 'linux: dunst paused', 'linux: audio output'])
    expect(names('linux', true)).toContain('linux: tray host')
  })
  it('Windows and macOS have their own; an unknown platform has none', () => {
    expect(names('win32', true)).toEqual(['windows: notification state', 'windows: notifications switched on', 'windows: audio output'])
    expect(names('darwin', true)).toEqual(['macos: Focus / Do Not Disturb', 'macos: audio output'])
    expect(names('aix', true)).toEqual([])
  })
  it('a host without pop-ups (headless with no OS notifier) checks only what silences sound, and the tray where there is one', () => {
    const bare = (p: NodeJS.Platform, tray = false) => platformDetectors({ platform: p, tray, appId: 'x', popups: false }).map((d) => d.name)
    expect(bare('linux')).toEqual(['linux: audio output'])
    expect(bare('linux', true)).toEqual(['linux: audio output', 'linux: tray host'])
    expect(bare('win32')).toEqual(['windows: audio output'])
    expect(bare('darwin')).toEqual(['macos: audio output'])
  })
})

/** Timers the test fires by hand. */
function manualTimers(): MonitorTimers & { fire(): void; intervals: number[]; cleared: number } {
  const fns: (() => void)[] = []
  const t = {
    intervals: [] as number[],
    cleared: 0,
    every(ms: number, fn: () => void) {
      t.intervals.push(ms)
      fns.push(fn)
      return () => void t.cleared++
    },
    fire: () => fns.forEach((f) => f()),
  }
  return t
}

/** A probe whose runs the test finishes by hand. */
function controlledProbe() {
  const pending: { trigger: string; resolve: (v: AlertPathVerdict) => void; reject: (e: Error) => void }[] = []
  const probe: AlertPathProbe = {
    check: (trigger) => new Promise((resolve, reject) => pending.push({ trigger, resolve, reject })),
  }
  const verdict = (trigger: string, findings: Finding[] = []): AlertPathVerdict => ({ checkedAt: 1, trigger, findings, unknown: [] })
  return { probe, pending, verdict }
}

describe('AlertPathMonitor (the self-test scheduler)', () => {
  it('start runs once at once and schedules the hourly run; returns before the probe answers', () => {
    const { probe, pending } = controlledProbe()
    const timers = manualTimers()
    const m = new AlertPathMonitor({ probe, log: log(), timers })
    m.start()
    expect(pending.map((p) => p.trigger)).toEqual(['start'])
    expect(timers.intervals).toEqual([HOURLY_MS])
    expect(m.current()).toBeNull() // nothing waited for the probe
    m.start() // a second start neither doubles the timer nor the run
    expect(timers.intervals).toHaveLength(1)
  })
  it('caches the verdict; hourly and resume runs replace it; listeners hear every run', async () => {
    const { probe, pending, verdict } = controlledProbe()
    const timers = manualTimers()
    const m = new AlertPathMonitor({ probe, log: log(), timers })
    const heard: string[] = []
    m.onChange((v) => heard.push(`${v.trigger}:${v.findings.length}`))
    m.start()
    pending[0]!.resolve(verdict('start', [DND]))
    await vi.waitFor(() => expect(m.current()?.trigger).toBe('start'))
    timers.fire()
    expect(pending[1]!.trigger).toBe('hourly')
    pending[1]!.resolve(verdict('hourly'))
    await vi.waitFor(() => expect(m.current()?.trigger).toBe('hourly'))
    m.onResume()
    expect(pending[2]!.trigger).toBe('resume')
    pending[2]!.resolve(verdict('resume'))
    await vi.waitFor(() => expect(heard).toEqual(['start:1', 'hourly:0', 'resume:0']))
    expect(m.runs).toBe(3)
  })
  it('a trigger during a run shares that run: runs never overlap', async () => {
    const { probe, pending, verdict } = controlledProbe()
    const m = new AlertPathMonitor({ probe, log: log(), timers: manualTimers() })
    const a = m.run('test')
    const b = m.run('test')
    m.onResume()
    expect(pending).toHaveLength(1)
    expect(a).toBe(b)
    pending[0]!.resolve(verdict('test'))
    expect(await b).toMatchObject({ trigger: 'test' })
    void m.run('again')
    expect(pending).toHaveLength(2)
  })
  it('a probe that rejects is logged with its cause and counted; the last verdict stays; the next run goes ahead', async () => {
    const { probe, pending, verdict } = controlledProbe()
    const l = log()
    const m = new AlertPathMonitor({ probe, log: l, timers: manualTimers() })
    const first = m.run('start')
    pending[0]!.resolve(verdict('start', [MUTED]))
    await first
    const second = m.run('hourly')
    pending[1]!.reject(new Error('probe exploded'))
    expect(await second).toBeNull()
    expect(m.failures).toBe(1)
    expect(m.current()?.findings).toEqual([MUTED])
    expect(l.error).toHaveBeenCalledWith('alert path: the self-test failed', expect.objectContaining({ cause: 'probe exploded', failures: 1 }))
    void m.run('resume')
    expect(pending).toHaveLength(3)
  })
  it('logs a warning naming what swallows alerts only when the verdict changes', async () => {
    const { probe, pending, verdict } = controlledProbe()
    const l = log()
    const m = new AlertPathMonitor({ probe, log: l, timers: manualTimers() })
    for (let i = 0; i < 2; i++) {
      const r = m.run('hourly')
      pending[i]!.resolve(verdict('hourly', [DND]))
      await r
    }
    expect(l.warn).toHaveBeenCalledTimes(1)
    expect(l.warn).toHaveBeenCalledWith('alert path: something swallows alerts', expect.objectContaining({ findings: ['do-not-disturb'] }))
  })
  it('beside a finding, what could not be told is logged with its cause — once, not again while it stays the same', async () => {
    const { probe, pending, verdict } = controlledProbe()
    const l = log()
    const m = new AlertPathMonitor({ probe, log: l, timers: manualTimers() })
    const silent = [{ detector: 'windows: audio output', why: 'PowerShell did not answer within 4500 ms' }]
    for (let i = 0; i < 2; i++) {
      const r = m.run('hourly')
      pending[i]!.resolve({ ...verdict('hourly', [DND]), unknown: silent })
      await r
    }
    expect(l.warn.mock.calls).toEqual([['alert path: something swallows alerts', { trigger: 'hourly', findings: ['do-not-disturb'], unknown: ['windows: audio output: PowerShell did not answer within 4500 ms'] }]])
  })
  it('a throwing listener is logged; the others still hear', async () => {
    const { probe, pending, verdict } = controlledProbe()
    const l = log()
    const m = new AlertPathMonitor({ probe, log: l, timers: manualTimers() })
    const other = vi.fn()
    m.onChange(() => { throw new Error('listener bug') })
    m.onChange(other)
    const r = m.run('test')
    pending[0]!.resolve(verdict('test'))
    await r
    expect(other).toHaveBeenCalledOnce()
    expect(l.warn).toHaveBeenCalledWith('alert path: a listener failed', { cause: 'listener bug' })
  })
  it('stop clears the hourly timer; resume and start do nothing afterwards; a run finishing after stop is not cached', async () => {
    const { probe, pending, verdict } = controlledProbe()
    const timers = manualTimers()
    const m = new AlertPathMonitor({ probe, log: log(), timers })
    const heard = vi.fn()
    m.onChange(heard)
    m.start()
    m.stop()
    expect(timers.cleared).toBe(1)
    pending[0]!.resolve(verdict('start', [DND]))
    await vi.waitFor(() => expect(m.runs).toBe(1))
    expect(m.current()).toBeNull()
    expect(heard).not.toHaveBeenCalled()
    m.onResume()
    m.start()
    expect(pending).toHaveLength(1)
  })
  it('a changed verdict is logged again; an ok one is info with what could not be told; unsubscribed listeners hear nothing', async () => {
    const { probe, pending, verdict } = controlledProbe()
    const l = log()
    const m = new AlertPathMonitor({ probe, log: l, timers: manualTimers() })
    const gone = vi.fn()
    const off = m.onChange(gone)
    off()
    const answers = [verdict('start', [DND]), verdict('hourly', [MUTED]), { ...verdict('resume'), unknown: [{ detector: 'linux: audio output', why: 'pactl is not installed' }] }]
    for (const [i, a] of answers.entries()) {
      const r = m.run(a.trigger)
      pending[i]!.resolve(a)
      await r
    }
    expect(l.warn.mock.calls.map((c) => c[1].findings)).toEqual([['do-not-disturb'], ['audio-muted']])
    expect(l.info).toHaveBeenCalledWith('alert path: ok', { trigger: 'resume', unknown: ['linux: audio output: pactl is not installed'] })
    expect(gone).not.toHaveBeenCalled()
  })
  it('with real timers: the hourly run fires on the hour', async () => {
    vi.useFakeTimers()
    const runs: string[] = []
    const m = new AlertPathMonitor({ probe: { check: async (t) => (runs.push(t), { checkedAt: 0, trigger: t, findings: [], unknown: [] }) }, log: log() })
    m.start()
    await vi.advanceTimersByTimeAsync(HOURLY_MS - 1)
    expect(runs).toEqual(['start'])
    await vi.advanceTimersByTimeAsync(1)
    expect(runs).toEqual(['start', 'hourly'])
    m.stop()
  })
})

describe('Test alert delivery proofs', async () => {
  const { runTestAlert, describeDeliveries, TEST_ALERT } = await import('../../../src/core/alert-path/test-alert.js')
  it('each sink proves delivery its own way; one that throws or rejects fails with its cause; silence within the deadline is unproven', async () => {
    vi.useFakeTimers()
    const seen: string[] = []
    const done = runTestAlert(
      [
        { sink: 'notification', prove: async (a) => (seen.push(a.title), { outcome: 'delivered', detail: 'shown by the OS' }) },
        { sink: 'sound', prove: async () => { throw new Error('no output device') } },
        { sink: 'thrower', prove: () => { throw new Error('sync') } },
        { sink: 'quiet', prove: () => new Promise(() => {}) },
      ],
      2000,
    )
    await vi.advanceTimersByTimeAsync(2000)
    const r = await done
    expect(seen).toEqual([TEST_ALERT.title])
    expect(r).toEqual([
      { sink: 'notification', outcome: 'delivered', detail: 'shown by the OS' },
      { sink: 'sound', outcome: 'failed', detail: 'no output device' },
      { sink: 'thrower', outcome: 'failed', detail: 'sync' },
      { sink: 'quiet', outcome: 'unproven', detail: 'no confirmation within 2 s' },
    ])
    expect(describeDeliveries(r.slice(0, 2))).toBe('notification: delivered (shown by the OS); sound: failed (no output device)')
    expect(describeDeliveries([])).toBe('no sink can take a test alert here')
  })
  it('the test alert names itself and no customer', () => {
    expect(TEST_ALERT).toMatchObject({ kind: 'request', key: 'test-alert', items: [] })
    expect(TEST_ALERT.requestId).toBeUndefined()
  })
})

describe('watchForWake (resume for hosts without power events)', async () => {
  const { watchForWake } = await import('../../../src/core/alert-path/wake-watch.js')
  it('a tick far later than due is a wake; a merely late tick (busy loop) is not; stop ends it', async () => {
    vi.useFakeTimers()
    let clock = 0
    const woke: number[] = []
    const stop = watchForWake({ now: () => clock, intervalMs: 1000, slackMs: 5000, onWake: (ms) => woke.push(ms) })
    clock += 1000
    await vi.advanceTimersByTimeAsync(1000)
    clock += 1000 + 5000 // exactly at the slack: still just busy
    await vi.advanceTimersByTimeAsync(1000)
    expect(woke).toEqual([])
    clock += 1000 + 5001 + 60_000
    await vi.advanceTimersByTimeAsync(1000)
    expect(woke).toEqual([65_001])
    stop()
    clock += 999_999
    await vi.advanceTimersByTimeAsync(5000)
    expect(woke).toHaveLength(1)
  })
})
