/** @vitest-environment node */
// The alert path in the Electron host, against the mocked electron module: the notification's show/failed
// events as the Test alert's proof and as the trigger of the fallback, the sound page's "played" answer, the
// Electron-only notification facts, the fallback that brings the queue window to the front, the service that
// turns verdicts into the tray's warning state and the window's status, the tray's warning and Test alert
// item, and the IPC channels through the typed, schema-checked handle().
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { MenuItemConstructorOptions } from 'electron'
import type { Alert } from '../../../src/core/ports.js'
import type { AlertPathProbe, AlertPathVerdict, Finding } from '../../../src/core/alert-path/types.js'
import * as electron from '../../mocks/electron.js'
import { makeSnapshot } from '../../mocks/fake-engine.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { NotificationSink } = await import('../../../src/main/notification-sink.js')
const { SoundWindow } = await import('../../../src/main/sound-window.js')
const { notificationPermissionDetector } = await import('../../../src/main/alert-path/notification-permission.js')
const { SwallowedNotificationFallback } = await import('../../../src/main/alert-path/swallowed-fallback-sink.js')
const { AlertPathService, statusFrom } = await import('../../../src/main/alert-path/alert-path-service.js')
const { registerAlertPathIpc } = await import('../../../src/main/alert-path/alert-path-ipc.js')
const { TrayController } = await import('../../../src/main/tray.js')
const { TEST_ALERT } = await import('../../../src/core/alert-path/test-alert.js')
const { AlertPathStatusSchema, AlertPathTestResultSchema } = await import('../../../src/shared/ipc-schemas.js')

const log = () => ({ debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() })
const DND: Finding = { id: 'do-not-disturb', affects: 'notifications', reason: 'Do Not Disturb is on (GNOME): alerts show no pop-up.' }
const MUTED: Finding = { id: 'audio-muted', affects: 'sound', reason: 'The sound output is muted.' }
const verdict = (findings: Finding[] = [], trigger = 'start'): AlertPathVerdict => ({ checkedAt: 5, trigger, findings, unknown: [] })
const alert = (over: Partial<Alert> = {}): Alert => ({ kind: 'request', requestId: 'r-1', title: 'Dana is waiting', body: 'Civic', detail: 'full', items: [], latencyMs: null, ...over })

beforeEach(() => electron.resetElectronMock())

describe('notification show/failed wiring', () => {
  it('the Test alert’s proof: the OS’s show event is delivery', async () => {
    const sink = new NotificationSink({ platform: 'linux', showQueue: vi.fn(), log: log() })
    const p = sink.proof().prove(TEST_ALERT)
    const n = electron.FakeNotification.instances[0]!
    expect(n.options.title).toBe('BayAlert test alert')
    expect(n.show).toHaveBeenCalled()
    n.emit('show', {})
    expect(await p).toEqual({ outcome: 'delivered', detail: 'the OS reports it shown' })
  })
  it('the OS’s failed event is a failure with its reason, counted, and hands the fallback the ring', async () => {
    const onFailed = vi.fn()
    const l = log()
    const sink = new NotificationSink({ platform: 'win32', showQueue: vi.fn(), log: l, onFailed })
    const p = sink.proof().prove(TEST_ALERT)
    electron.FakeNotification.instances[0]!.emit('failed', {}, 'Toast blocked by policy')
    expect(await p).toEqual({ outcome: 'failed', detail: 'the OS refused it: Toast blocked by policy' })
    sink.alert(alert())
    electron.FakeNotification.instances[1]!.emit('failed', {}, '0x80070490')
    expect(onFailed.mock.calls).toEqual([['Toast blocked by policy'], ['0x80070490']])
    expect(sink.failures).toBe(2)
    expect(l.warn).toHaveBeenCalledWith('notification failed', { error: '0x80070490', failures: 2 })
  })
  it('unsupported notifications fail the proof at once, showing nothing', async () => {
    electron.FakeNotification.isSupported.mockReturnValueOnce(false)
    const sink = new NotificationSink({ platform: 'linux', showQueue: vi.fn(), log: log() })
    expect(await sink.proof().prove(TEST_ALERT)).toEqual({ outcome: 'failed', detail: 'native notifications are not supported on this system' })
    expect(electron.FakeNotification.instances).toHaveLength(0)
  })
  it('a real alert is not delayed by any of it: shown at once, with no proof awaited', () => {
    const sink = new NotificationSink({ platform: 'linux', showQueue: vi.fn(), log: log() })
    sink.alert(alert())
    expect(electron.FakeNotification.instances[0]!.show).toHaveBeenCalledOnce()
  })
})

describe('the sound page reports it played', () => {
  const ready = () => {
    const w = new SoundWindow('/preload.js', false, log())
    w.open()
    const win = electron.FakeBrowserWindow.instances.at(-1)!
    win.webContents.emit('did-finish-load')
    return { w, win }
  }
  it('a play request with a nonce; the page’s answer for that nonce is the proof', async () => {
    const { w, win } = ready()
    const p = w.proof().prove(TEST_ALERT)
    const [channel, sound, volume, nonce] = win.webContents.send.mock.calls[0]!
    expect([channel, sound, volume]).toEqual(['sound:play', 'request', 1])
    expect(nonce).toMatch(/^[0-9a-f-]{36}$/)
    w.onPlayed({ nonce: 'forged', ok: true, error: null }) // nobody waits for it: ignored
    w.onPlayed({ nonce, ok: true, error: null })
    expect(await p).toEqual({ outcome: 'delivered', detail: 'the sound page reports it played' })
  })
  it('a page that could not play says why (no output device, autoplay refused)', async () => {
    const { w, win } = ready()
    const p = w.proof().prove(TEST_ALERT)
    w.onPlayed({ nonce: win.webContents.send.mock.calls[0]![3], ok: false, error: 'NotAllowedError: play() failed' })
    expect(await p).toEqual({ outcome: 'failed', detail: 'the sound did not play: NotAllowedError: play() failed' })
  })
  it('plays the sound and volume the mechanic chose', async () => {
    const { w, win } = ready()
    void w.proof(() => ({ sound: 'bell', volume: 0.4 })).prove(TEST_ALERT)
    expect(win.webContents.send.mock.calls[0]!.slice(0, 3)).toEqual(['sound:play', 'bell', 0.4])
  })
  it('a player not loaded yet fails the proof at once', async () => {
    const w = new SoundWindow('/preload.js', false, log())
    w.open()
    expect(await w.proof().prove(TEST_ALERT)).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('not running') })
  })
})

describe('Electron notification facts', () => {
  const facts = (over = {}) => ({ platform: 'win32' as NodeJS.Platform, isSupported: () => true, isPackaged: true, appUserModelIdSet: true, ...over })
  const ids = async (over = {}) => (await notificationPermissionDetector(facts(over)).detect(null as never)).findings.map((f) => f.id)
  it('unsupported notifications are denied on every platform', async () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) expect(await ids({ platform, isSupported: () => false })).toEqual(['notifications-denied'])
  })
  it('Windows needs the AppUserModelID and the packaged app’s shortcut', async () => {
    expect(await ids()).toEqual([])
    expect(await ids({ appUserModelIdSet: false })).toEqual(['no-app-user-model-id'])
    expect(await ids({ isPackaged: false })).toEqual(['no-app-user-model-id'])
  })
  it('elsewhere, supported is enough (no AUMID on Linux or macOS)', async () => {
    expect(await ids({ platform: 'linux', appUserModelIdSet: false, isPackaged: false })).toEqual([])
    expect(await ids({ platform: 'darwin', appUserModelIdSet: false, isPackaged: false })).toEqual([])
  })
})

describe('fallback when notifications are swallowed', () => {
  it('brings the queue window to the front on every ring while swallowed, and only then', () => {
    let swallowed = false
    const bringToFront = vi.fn()
    const f = new SwallowedNotificationFallback({ swallowed: () => swallowed, bringToFront })
    f.alert(alert())
    expect(bringToFront).not.toHaveBeenCalled()
    swallowed = true
    f.alert(alert())
    f.alert(alert({ kind: 'health' }))
    expect(bringToFront).toHaveBeenCalledTimes(2)
    expect(f.used).toBe(2)
    expect(f.tier).toBe('in-app') // not gated by the notification flag: it stands in for the dropped notification
  })
})

function controlledProbe() {
  const pending: ((v: AlertPathVerdict) => void)[] = []
  const probe: AlertPathProbe = { check: (trigger) => new Promise((r) => pending.push((v) => r({ ...v, trigger }))) }
  return { probe, pending }
}
const noTimers = { every: () => () => {} }

describe('AlertPathService', () => {
  it('checking until the first run; then the verdict as ok or warning; onStatus only on change', async () => {
    const { probe, pending } = controlledProbe()
    const onStatus = vi.fn()
    const svc = new AlertPathService({ probe, proofs: () => [], onStatus, log: log(), timers: noTimers })
    expect(svc.status()).toMatchObject({ state: 'checking', checkedAt: null, deliveries: null })
    svc.start()
    pending[0]!(verdict([DND]))
    await vi.waitFor(() => expect(onStatus).toHaveBeenCalledOnce())
    expect(onStatus.mock.calls[0]![0]).toMatchObject({ state: 'warning', text: DND.reason, findings: [DND], trigger: 'start' })
    expect(svc.notificationsSwallowed()).toBe(true)
    svc.onResume()
    pending[1]!(verdict([DND]))
    await vi.waitFor(() => expect(svc.monitor.runs).toBe(2))
    expect(onStatus).toHaveBeenCalledOnce() // same verdict: no new status
    svc.monitor.run('hourly')
    pending[2]!(verdict([MUTED]))
    await vi.waitFor(() => expect(onStatus).toHaveBeenCalledTimes(2))
    expect(svc.notificationsSwallowed()).toBe(false) // muted sound does not swallow notifications
    expect(AlertPathStatusSchema.safeParse(svc.status()).success).toBe(true)
  })
  it('Test alert: a fresh self-test and every sink’s proof; a sink that fails is said, not thrown', async () => {
    const { probe, pending } = controlledProbe()
    const onStatus = vi.fn()
    const l = log()
    const svc = new AlertPathService({
      probe,
      log: l,
      timers: noTimers,
      onStatus,
      proofs: () => [
        { sink: 'notification', prove: async () => ({ outcome: 'delivered', detail: 'the OS reports it shown' }) },
        { sink: 'sound', prove: async () => { throw new Error('player gone') } },
      ],
    })
    const r = svc.test()
    pending[0]!(verdict([MUTED]))
    const result = await r
    expect(AlertPathTestResultSchema.safeParse(result).success).toBe(true)
    expect(result.status).toMatchObject({ state: 'warning', trigger: 'test', deliveries: [{ sink: 'notification', outcome: 'delivered' }, { sink: 'sound', outcome: 'failed', detail: 'player gone' }] })
    expect(result.summary).toBe(
      'Test alert: not everything got through — notification: delivered (the OS reports it shown); sound: failed (player gone). The sound output is muted.',
    )
    expect(l.warn).toHaveBeenCalledWith('test alert: not every sink proved delivery', expect.anything())
    expect(onStatus.mock.calls.at(-1)![0].deliveries).toHaveLength(2)
  })
  it('statusFrom: ok says so in words', () => {
    expect(statusFrom(verdict(), null)).toMatchObject({ state: 'ok', text: 'Alert path ok: nothing found that would swallow an alert.' })
  })
})

describe('tray: warning state and Test alert', () => {
  const actions = () => ({ showQueue: vi.fn(), openWallboard: vi.fn(), acknowledgeAll: vi.fn(), pause: vi.fn(), resume: vi.fn(), reconnectNow: vi.fn(), setStartAtLogin: vi.fn(), signOut: vi.fn(), quit: vi.fn(), testAlert: vi.fn() })
  const lastMenu = (tray: electron.FakeTray) => (tray.setContextMenu.mock.calls.at(-1)![0] as { template: MenuItemConstructorOptions[] }).template
  it('live with a warning shows the warning icon, the reason in the menu and tooltip; cleared, back to live', () => {
    const a = actions()
    const t = new TrayController({ iconDir: '/icons', platform: 'linux', actions: a, loginItem: () => ({ supported: false, enabled: false }), now: () => 0 })
    const tray = electron.FakeTray.instances[0]!
    t.update(makeSnapshot({ link: { state: 'live', reason: 'Connected', since: 0 } }))
    expect(t.currentIconFile()).toBe('live.png')
    t.setAlertPathWarning(DND.reason)
    expect(t.currentIconFile()).toBe('degraded.png')
    expect(lastMenu(tray).find((i) => i.id === 'alert-path')).toMatchObject({ label: `⚠ ${DND.reason}`, enabled: false })
    expect(tray.setToolTip.mock.calls.at(-1)![0]).toBe(`BayAlert — Live · ⚠ alerts may not reach you\n${DND.reason}`)
    // A snapshot does not clear the warning; only the self-test does.
    t.update(makeSnapshot({ link: { state: 'live', reason: 'Connected', since: 0 } }))
    expect(t.currentIconFile()).toBe('degraded.png')
    ;(lastMenu(tray).find((i) => i.id === 'test-alert')!.click as () => void)()
    expect(a.testAlert).toHaveBeenCalledOnce()
    t.setAlertPathWarning(null)
    expect(t.currentIconFile()).toBe('live.png')
    expect(lastMenu(tray).find((i) => i.id === 'alert-path')).toBeUndefined()
    expect(t.exists()).toBe(true)
  })
  it('offline stays the offline icon (it says more), and the tooltip keeps the link’s reason', () => {
    const t = new TrayController({ iconDir: '/icons', platform: 'linux', actions: actions(), loginItem: () => ({ supported: false, enabled: false }), now: () => 0 })
    t.update(makeSnapshot({ link: { state: 'offline', reason: 'No network', since: 0 } }))
    t.setAlertPathWarning(DND.reason)
    expect(t.currentIconFile()).toBe('offline.png')
    expect(electron.FakeTray.instances[0]!.setToolTip.mock.calls.at(-1)![0]).toBe('BayAlert — Offline · ⚠ alerts may not reach you\nNo network')
  })
})

describe('IPC: alert-path channels through the typed handle()', () => {
  const trusted = { senderFrame: { url: 'app://bundle/index.html' } }
  const call = (channel: string, event: unknown, ...args: unknown[]): Promise<any> => Promise.resolve(electron.ipcMain.handlers.get(channel)!(event, ...args))
  const setup = () => {
    const service = { status: vi.fn(() => statusFrom(null, null)), test: vi.fn(async () => ({ status: statusFrom(verdict(), []), summary: 's' })) }
    const sound = { onPlayed: vi.fn() }
    registerAlertPathIpc({ service: service as never, sound, log: log() })
    return { service, sound }
  }
  it('status, Test alert and the sound page’s answer reach their handlers', async () => {
    const { service, sound } = setup()
    expect(await call('alert-path:get-status', trusted)).toMatchObject({ state: 'checking' })
    expect(await call('alert-path:test', trusted)).toMatchObject({ summary: 's' })
    expect(service.test).toHaveBeenCalledOnce()
    await call('sound:played', { senderFrame: { url: 'app://bundle/sound.html' } }, { nonce: 'abc-1', ok: false, error: 'NotAllowedError' })
    expect(sound.onPlayed).toHaveBeenCalledWith({ nonce: 'abc-1', ok: false, error: 'NotAllowedError' })
  })
  it('refuses a malformed report and a caller from outside the bundle', async () => {
    const { service, sound } = setup()
    await expect(call('sound:played', trusted, { nonce: '../../x', ok: true, error: null })).rejects.toThrow(/invalid arguments for sound:played/)
    await expect(call('sound:played', trusted, { nonce: 'a', ok: true, error: null, extra: 1 })).rejects.toThrow(/unexpected key/)
    await expect(call('alert-path:test', { senderFrame: { url: 'https://evil.example/' } })).rejects.toThrow(/untrusted sender/)
    expect(sound.onPlayed).not.toHaveBeenCalled()
    expect(service.test).not.toHaveBeenCalled()
  })
})
