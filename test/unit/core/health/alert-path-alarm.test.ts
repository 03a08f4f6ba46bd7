// When the self-test's findings become a health alert: said once per set of problems, said again when the set
// changes, withdrawn when the verdict is OK, always said on a Test alert that finds something, and never
// withdrawn just because the detector that found a problem could not answer this time.
import { describe, expect, it, vi } from 'vitest'
import { ALERT_PATH_ALERT_KEY, AlertPathAlarm, alertPathAlertText } from '../../../../src/core/health/alert-path-alarm.js'
import { announceAlertPath, type AlertPathSource } from '../../../../src/core/health/alert-path-announcer.js'
import type { AlertPathVerdict, Finding } from '../../../../src/core/alert-path/types.js'

const DND: Finding = { id: 'do-not-disturb', affects: 'notifications', reason: 'Do Not Disturb is on: alerts show no banner.' }
const MUTED: Finding = { id: 'audio-muted', affects: 'sound', reason: 'The sound output is muted: alert sounds are silent.' }
const NO_OUTPUT: Finding = { id: 'no-audio-output', affects: 'sound', reason: 'No sound output device.' }
const NO_TRAY: Finding = { id: 'no-tray-host', affects: 'tray', reason: 'No tray host.' }

const v = (findings: Finding[], over: Partial<AlertPathVerdict> = {}): AlertPathVerdict => ({ checkedAt: 0, trigger: 'hourly', findings, unknown: [], ...over })
const silent = (...detectors: string[]) => detectors.map((detector) => ({ detector, why: 'did not answer within 3000 ms' }))
const kinds = (alarm: AlertPathAlarm, verdicts: AlertPathVerdict[]) => verdicts.map((x) => alarm.decide(x).kind)

describe('AlertPathAlarm.decide', () => {
  it('OK (or no verdict yet) → a problem: raise, naming it; the same problem every hour after: nothing', () => {
    const alarm = new AlertPathAlarm()
    expect(alarm.decide(v([]))).toEqual({ kind: 'none' })
    expect(alarm.decide(v([DND], { trigger: 'start' }))).toEqual({ kind: 'raise', problems: [DND], why: 'new' })
    expect(kinds(alarm, [v([DND]), v([DND], { trigger: 'resume' }), v([DND])])).toEqual(['none', 'none', 'none'])
    expect(alarm.standing).toEqual([DND])
  })

  it('the first verdict already has a problem: raise', () => {
    expect(new AlertPathAlarm().decide(v([MUTED], { trigger: 'start' }))).toEqual({ kind: 'raise', problems: [MUTED], why: 'new' })
  })

  it('the set changes — one more, one fewer, another — raise again with every problem now standing', () => {
    const alarm = new AlertPathAlarm()
    alarm.decide(v([DND]))
    expect(alarm.decide(v([DND, MUTED]))).toEqual({ kind: 'raise', problems: [DND, MUTED], why: 'changed' })
    expect(alarm.decide(v([MUTED]))).toEqual({ kind: 'raise', problems: [MUTED], why: 'changed' })
    expect(alarm.decide(v([NO_OUTPUT]))).toEqual({ kind: 'raise', problems: [NO_OUTPUT], why: 'changed' })
    // As many problems as before, one of them another: changed too.
    alarm.decide(v([DND, MUTED]))
    expect(alarm.decide(v([DND, NO_OUTPUT]))).toEqual({ kind: 'raise', problems: [DND, NO_OUTPUT], why: 'changed' })
  })

  it('the same problems in another order, or one reported twice, are the same set', () => {
    const alarm = new AlertPathAlarm()
    expect(alarm.decide(v([DND, MUTED, DND]))).toEqual({ kind: 'raise', problems: [DND, MUTED], why: 'new' })
    expect(alarm.decide(v([MUTED, DND]))).toEqual({ kind: 'none' })
  })

  it('OK again: clear once; OK after that: nothing; a problem after the clear is new', () => {
    const alarm = new AlertPathAlarm()
    alarm.decide(v([DND]))
    expect(kinds(alarm, [v([]), v([])])).toEqual(['clear', 'none'])
    expect(alarm.standing).toEqual([])
    expect(alarm.decide(v([DND]))).toEqual({ kind: 'raise', problems: [DND], why: 'new' })
  })

  it('a Test alert that finds problems says them even when nothing changed; one that finds none says nothing (or clears)', () => {
    const alarm = new AlertPathAlarm()
    expect(alarm.decide(v([], { trigger: 'test' }))).toEqual({ kind: 'none' })
    expect(alarm.decide(v([MUTED], { trigger: 'test' }))).toEqual({ kind: 'raise', problems: [MUTED], why: 'test' })
    expect(alarm.decide(v([MUTED], { trigger: 'test' }))).toEqual({ kind: 'raise', problems: [MUTED], why: 'test' })
    // The test's saying counts: the hourly run after it with the same problem stays quiet.
    expect(alarm.decide(v([MUTED]))).toEqual({ kind: 'none' })
    expect(alarm.decide(v([], { trigger: 'test' }))).toEqual({ kind: 'clear' })
  })

  it('unknowns alone are no problem: never a false alarm', () => {
    const alarm = new AlertPathAlarm()
    expect(kinds(alarm, [v([], { unknown: silent('linux: audio output') }), v([], { unknown: silent('a', 'b') })])).toEqual(['none', 'none'])
  })

  it('a problem gone in the run where a detector newly could not tell is held, not cleared, until a run can tell', () => {
    const alarm = new AlertPathAlarm()
    alarm.decide(v([MUTED]))
    // The audio check timed out this hour: muted may still be true.
    expect(alarm.decide(v([], { unknown: silent('linux: audio output') }))).toEqual({ kind: 'none' })
    expect(alarm.decide(v([], { unknown: silent('linux: audio output') }))).toEqual({ kind: 'none' })
    expect(alarm.standing).toEqual([MUTED])
    // It answers again, not muted: now it is over.
    expect(alarm.decide(v([]))).toEqual({ kind: 'clear' })
  })

  it('a held problem plus a new one is said as both; while the detector stays silent nothing more is said', () => {
    const alarm = new AlertPathAlarm()
    alarm.decide(v([MUTED]))
    expect(alarm.decide(v([DND], { unknown: silent('audio') }))).toEqual({ kind: 'raise', problems: [DND, MUTED], why: 'changed' })
    expect(alarm.decide(v([DND], { unknown: silent('audio') }))).toEqual({ kind: 'none' })
    // The audio check answers, not muted: the set shrank to DND.
    expect(alarm.decide(v([DND]))).toEqual({ kind: 'raise', problems: [DND], why: 'changed' })
  })

  it('a detector that could not tell already when the problems were found holds nothing: a machine without a session bus still clears', () => {
    const alarm = new AlertPathAlarm()
    alarm.decide(v([MUTED], { unknown: silent('linux: notification daemon') }))
    expect(alarm.decide(v([], { unknown: silent('linux: notification daemon') }))).toEqual({ kind: 'clear' })
    // And one that went silent while the problems were still all found counts from then on.
    alarm.decide(v([MUTED]))
    alarm.decide(v([MUTED], { unknown: silent('b') }))
    expect(alarm.decide(v([], { unknown: silent('b') }))).toEqual({ kind: 'clear' })
  })

  it('one newly silent detector among long-silent ones is enough to hold', () => {
    const alarm = new AlertPathAlarm()
    alarm.decide(v([MUTED], { unknown: silent('old') }))
    expect(alarm.decide(v([], { unknown: silent('old', 'new') }))).toEqual({ kind: 'none' })
    expect(alarm.standing).toEqual([MUTED])
  })
})

describe('alertPathAlertText', () => {
  it('names each problem with what to do, then what still works; pop-ups hidden → sound still plays', () => {
    expect(alertPathAlertText([DND], 'new')).toEqual({
      title: 'BayAlert: pop-up notifications may not reach you',
      body: `${DND.reason} Still working: alert sounds, the queue window.`,
    })
  })
  it('sound lost → pop-ups still show; both lost → only the queue window; the tray named when it is missing', () => {
    expect(alertPathAlertText([MUTED, NO_OUTPUT], 'changed')).toEqual({
      title: 'BayAlert: alert sounds may not reach you',
      body: `${MUTED.reason} ${NO_OUTPUT.reason} Still working: pop-up notifications, the queue window.`,
    })
    expect(alertPathAlertText([DND, MUTED, NO_TRAY], 'new')).toEqual({
      title: 'BayAlert: pop-up notifications, alert sounds and the tray icon may not reach you',
      body: `${DND.reason} ${MUTED.reason} ${NO_TRAY.reason} Still working: the queue window.`,
    })
  })
  it('a Test alert says the same problems under its own title', () => {
    const t = alertPathAlertText([DND], 'test')
    expect(t.title).toBe('Test alert: pop-up notifications may not reach you')
    expect(t.body).toBe(alertPathAlertText([DND], 'new').body)
  })
})

describe('announceAlertPath (the decisions applied)', () => {
  const source = (first: AlertPathVerdict | null) => {
    const listeners = new Set<(x: AlertPathVerdict) => void>()
    const s: AlertPathSource & { emit(x: AlertPathVerdict): void; listeners: typeof listeners } = {
      listeners,
      current: () => first,
      onChange: (l) => (listeners.add(l), () => listeners.delete(l)),
      emit: (x) => listeners.forEach((l) => l(x)),
    }
    return s
  }
  const parts = () => {
    const health = { announce: vi.fn(), count: vi.fn() }
    const withdraw = vi.fn(async () => {})
    const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
    return { health, withdraw, log }
  }

  it('the verdict already cached is applied at once; a problem is announced under the alert-path key; OK withdraws it', () => {
    const src = source(v([DND], { trigger: 'start' }))
    const p = parts()
    const off = announceAlertPath({ source: src, ...p })
    expect(p.health.announce).toHaveBeenCalledTimes(1)
    expect(p.health.announce).toHaveBeenCalledWith('alert-path', alertPathAlertText([DND], 'new'), ALERT_PATH_ALERT_KEY)
    expect(p.log.warn).toHaveBeenCalledWith('alert path: health alert', { trigger: 'start', why: 'new', problems: ['do-not-disturb'] })
    src.emit(v([DND]))
    expect(p.health.announce).toHaveBeenCalledTimes(1)
    src.emit(v([]))
    expect(p.withdraw).toHaveBeenCalledWith(ALERT_PATH_ALERT_KEY)
    expect(p.health.count).toHaveBeenCalledWith('health:alert-path-cleared')
    off()
    expect(src.listeners.size).toBe(0)
  })

  it('what was said belongs to the source: a second announcer on it (a new engine) stays quiet on the same problem; another source has its own', () => {
    const src = source(v([DND], { trigger: 'start' }))
    const p = parts()
    announceAlertPath({ source: src, ...p })()
    const q = parts()
    announceAlertPath({ source: src, ...q })
    expect(q.health.announce).not.toHaveBeenCalled()
    src.emit(v([]))
    expect(q.withdraw).toHaveBeenCalledWith(ALERT_PATH_ALERT_KEY)
    expect(p.withdraw).not.toHaveBeenCalled()
    const r = parts()
    announceAlertPath({ source: source(v([DND], { trigger: 'start' })), ...r })
    expect(r.health.announce).toHaveBeenCalledTimes(1)
  })

  it('no verdict yet: nothing until the first run', () => {
    const src = source(null)
    const p = parts()
    announceAlertPath({ source: src, ...p })
    expect(p.health.announce).not.toHaveBeenCalled()
    src.emit(v([], { trigger: 'start' }))
    expect(p.health.announce).not.toHaveBeenCalled()
    expect(p.withdraw).not.toHaveBeenCalled()
  })
})
