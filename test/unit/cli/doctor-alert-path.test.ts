// The doctor's alert-path lines: what would swallow an alert is a warning with its reason (never a failure
// of the whole run), "could not tell" is said, and --test-alert fires one alert through the OS notifier and
// reports whether the notifier accepted it. The probe and the notifier are the seams; the rest is the real
// runDoctor against a refused loopback port (bounded: the sign-in fails at once).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertPathCheck, notifierProof, testAlertCheck } from '../../../src/cli/alert-path.js'
import { runDoctor } from '../../../src/cli/doctor.js'
import type { AlertPathVerdict } from '../../../src/core/alert-path/types.js'
import type { Alert, AlertSink } from '../../../src/core/ports.js'

const dir = mkdtempSync(join(tmpdir(), 'bayalert-doctor-ap-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const verdict = (over: Partial<AlertPathVerdict> = {}): AlertPathVerdict => ({ checkedAt: 0, trigger: 'doctor', findings: [], unknown: [], ...over })
const DND = { id: 'do-not-disturb' as const, affects: 'notifications' as const, reason: 'Do Not Disturb is on (GNOME): alerts show no pop-up.' }

describe('alertPathCheck', () => {
  it('nothing found: ok, with how many checks ran', () => {
    expect(alertPathCheck(verdict(), 5)).toEqual({ name: 'alert path', status: 'ok', detail: 'nothing found that would swallow an alert (5 checks)' })
  })
  it('a finding: warn with its reason; what could not be told is added', () => {
    expect(alertPathCheck(verdict({ findings: [DND], unknown: [{ detector: 'linux: audio output', why: 'pactl is not installed' }] }), 5)).toEqual({
      name: 'alert path',
      status: 'warn',
      detail: 'Do Not Disturb is on (GNOME): alerts show no pop-up.; could not tell: linux: audio output (pactl is not installed)',
    })
  })
  it('a platform without checks is a warning, not a pass', () => {
    expect(alertPathCheck(verdict(), 0).status).toBe('warn')
  })
})

describe('testAlertCheck', () => {
  it('delivered → ok; unproven → warn; failed → fail; no notifier → warn naming why', () => {
    expect(testAlertCheck([{ sink: 'n', outcome: 'delivered', detail: 'd' }], null)).toMatchObject({ status: 'ok', detail: 'n: delivered (d)' })
    expect(testAlertCheck([{ sink: 'n', outcome: 'delivered', detail: 'd' }, { sink: 's', outcome: 'unproven', detail: 'u' }], null).status).toBe('warn')
    expect(testAlertCheck([{ sink: 'n', outcome: 'failed', detail: 'notify-send failed: exit 1' }], null)).toMatchObject({ status: 'fail', detail: 'n: failed (notify-send failed: exit 1)' })
    expect(testAlertCheck([], 'notify-send not found')).toMatchObject({ status: 'warn', detail: expect.stringContaining('(notify-send not found)') })
  })
  it('the notifier proof is the notifier’s own answer', async () => {
    const good: AlertSink = { name: 'os-notifier:notify-send', tier: 'notification', alert: async () => {} }
    const bad: AlertSink = { name: 'os-notifier:notify-send', tier: 'notification', alert: async () => { throw new Error('notify-send failed: exit 1') } }
    const a = { title: 't' } as Alert
    expect(await notifierProof(good).prove(a)).toMatchObject({ outcome: 'delivered' })
    await expect(notifierProof(bad).prove(a)).rejects.toThrow('notify-send failed: exit 1')
  })
})

/** A loopback port nobody listens on (taken, then released): the sign-in is refused at once. */
let closedPort = 0
beforeAll(async () => {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  closedPort = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
})

describe('runDoctor with the alert path', () => {
  const argv = () => ['--url', `http://127.0.0.1:${closedPort}`, '--anon-key', 'sb_publishable_test_key', '--email', 'm@example.com', '--password', 'pw', '--data-dir', dir]
  const probe = (v: AlertPathVerdict) => ({ probe: { check: async (trigger: string) => ({ ...v, trigger }) }, detectorCount: 5 })

  it('adds an "alert path" warning line naming what swallows alerts; without --test-alert nothing is fired', async () => {
    const fired: Alert[] = []
    const { checks } = await runDoctor(argv(), {
      alertPath: probe(verdict({ findings: [DND] })),
      notifier: () => ({ sink: { name: 'os-notifier:x', tier: 'notification', alert: (a) => void fired.push(a) }, why: 'x' }),
    })
    expect(checks.find((c) => c.name === 'alert path')).toMatchObject({ status: 'warn', detail: expect.stringContaining('Do Not Disturb is on (GNOME)') })
    expect(checks.find((c) => c.name === 'test alert')).toBeUndefined()
    // Run beside the network checks, but listed in its place: after the local sinks, before auth.
    const names = checks.map((c) => c.name)
    expect(names.slice(names.indexOf('sinks'), names.indexOf('sinks') + 3)).toEqual(['sinks', 'alert path', 'auth'])
    expect(checks.find((c) => c.name === 'arguments')).toBeUndefined()
    expect(fired).toEqual([])
  }, 20_000)

  it('--test-alert fires one through the notifier and reports it; a refusing notifier fails the check', async () => {
    const fired: Alert[] = []
    const ok = await runDoctor([...argv(), '--test-alert'], {
      alertPath: probe(verdict()),
      notifier: () => ({ sink: { name: 'os-notifier:notify-send', tier: 'notification', alert: async (a) => void fired.push(a) }, why: 'freedesktop notifications' }),
    })
    expect(fired.map((a) => a.title)).toEqual(['BayAlert test alert'])
    expect(ok.checks.find((c) => c.name === 'test alert')).toMatchObject({ status: 'ok', detail: expect.stringContaining('os-notifier:notify-send: delivered') })
    expect(ok.checks.find((c) => c.name === 'arguments')).toBeUndefined() // --test-alert is not an unknown option

    const bad = await runDoctor([...argv(), '--test-alert'], {
      alertPath: probe(verdict()),
      notifier: () => ({ sink: { name: 'os-notifier:notify-send', tier: 'notification', alert: async () => { throw new Error('notify-send failed: Command failed') } }, why: '' }),
    })
    expect(bad.checks.find((c) => c.name === 'test alert')).toMatchObject({ status: 'fail', detail: expect.stringContaining('notify-send failed') })
  }, 20_000)

  it('--test-alert with no OS notifier warns and says why', async () => {
    const r = await runDoctor([...argv(), '--test-alert'], { alertPath: probe(verdict()), notifier: () => ({ sink: null, why: 'disabled by BAYALERT_NO_NOTIFIER' }) })
    expect(r.checks.find((c) => c.name === 'test alert')).toMatchObject({ status: 'warn', detail: expect.stringContaining('disabled by BAYALERT_NO_NOTIFIER') })
  }, 20_000)
})
