/** @vitest-environment node */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Alert } from '../../../src/core/ports.js'
import * as electron from '../../mocks/electron.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { NotificationSink, notificationOptions } = await import('../../../src/main/notification-sink.js')
const { applyBadge } = await import('../../../src/main/attention/badge.js')
const { requestAttention, cancelAttention } = await import('../../../src/main/attention/flash.js')
const { AttentionSink } = await import('../../../src/main/attention-sink.js')
const { SoundSink } = await import('../../../src/main/sound-sink.js')
const { SoundWindow } = await import('../../../src/main/sound-window.js')
const { InAppSink } = await import('../../../src/main/in-app-sink.js')

const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
const alert = (over: Partial<Alert> = {}): Alert => ({
  kind: 'request', requestId: 'r-1', key: 'r-1@t', title: 'Dana Ortiz is waiting', body: '2014 Honda Civic — grinding', detail: 'full', items: [], latencyMs: 12, ...over,
})

beforeEach(() => electron.resetElectronMock())

describe('NotificationSink', () => {
  it('shows a silent notification, critical on Linux, and keeps a reference until close', () => {
    const showQueue = vi.fn()
    const sink = new NotificationSink({ platform: 'linux', showQueue, log })
    sink.alert(alert())
    const n = electron.FakeNotification.instances[0]!
    expect(n.options).toMatchObject({ title: 'Dana Ortiz is waiting', silent: true, urgency: 'critical', timeoutType: 'never' })
    expect(n.show).toHaveBeenCalled()
    expect(sink.active.size).toBe(1)
    n.emit('click')
    expect(showQueue).toHaveBeenCalled()
    n.emit('close')
    expect(sink.active.size).toBe(0)
  })
  it('retract closes the request’s notification; a repeat replaces the previous one', () => {
    const sink = new NotificationSink({ platform: 'win32', showQueue: vi.fn(), log })
    sink.alert(alert())
    sink.alert(alert({ kind: 'repeat' }))
    const [first, second] = electron.FakeNotification.instances
    expect(first!.close).toHaveBeenCalled()
    expect(sink.active.size).toBe(1)
    sink.retract('r-1')
    expect(second!.close).toHaveBeenCalled()
    expect(sink.active.size).toBe(0)
    sink.retract('unknown') // no-op
  })
  it('withdraw closes the health notification with that key; another health alert that replaced it, or another key, stays', () => {
    const sink = new NotificationSink({ platform: 'darwin', showQueue: vi.fn(), log })
    const health = (key?: string) => alert({ kind: 'health', requestId: undefined, key, title: 'BayAlert: alert sounds may not reach you' })
    sink.alert(health('bayalert:alert-path'))
    const first = electron.FakeNotification.instances[0]!
    sink.withdraw('bayalert:other')
    expect(first.close).not.toHaveBeenCalled()
    sink.withdraw('bayalert:alert-path')
    expect(first.close).toHaveBeenCalled()
    expect(sink.active.size).toBe(0)
    // A later health alert without that key took the slot: withdrawing the old key leaves it up.
    sink.alert(health('bayalert:alert-path'))
    sink.alert(health(undefined))
    const third = electron.FakeNotification.instances[2]!
    sink.withdraw('bayalert:alert-path')
    expect(third.close).not.toHaveBeenCalled()
    expect(sink.active.size).toBe(1)
  })
  it('closes a summary once every request it covers is retracted', () => {
    const sink = new NotificationSink({ platform: 'darwin', showQueue: vi.fn(), log })
    sink.alert(alert({ kind: 'summary', requestId: undefined, summaryOf: ['a', 'b'] }))
    const n = electron.FakeNotification.instances[0]!
    sink.retract('a')
    expect(n.close).not.toHaveBeenCalled()
    sink.retract('b')
    expect(n.close).toHaveBeenCalled()
  })
  it('update replaces the basic notification with a silent one carrying the full text; click still shows the queue', () => {
    const showQueue = vi.fn()
    const sink = new NotificationSink({ platform: 'linux', showQueue, log })
    sink.alert(alert({ title: 'New request: A customer', body: 'Details are still loading.', detail: 'basic' }))
    sink.update(alert({ title: 'New request: Dana Ortiz', body: '2014 Honda Civic · grinding', detail: 'full' }))
    const [basic, full] = electron.FakeNotification.instances
    expect(electron.FakeNotification.instances).toHaveLength(2)
    expect(basic!.close).toHaveBeenCalled()
    expect(full!.options).toMatchObject({ title: 'New request: Dana Ortiz', body: '2014 Honda Civic · grinding', silent: true, urgency: 'critical', timeoutType: 'never' })
    expect(full!.show).toHaveBeenCalled()
    expect(full!.close).not.toHaveBeenCalled()
    expect(sink.active.size).toBe(1)
    expect(sink.active.get('request:r-1')!.n).toBe(full) // referenced until it closes
    full!.emit('click')
    expect(showQueue).toHaveBeenCalledTimes(1)
    sink.retract('r-1')
    expect(full!.close).toHaveBeenCalled()
    expect(sink.active.size).toBe(0)
  })
  it('update shows nothing when the request has no toast of its own (dismissed, or only in a summary)', () => {
    const sink = new NotificationSink({ platform: 'darwin', showQueue: vi.fn(), log })
    sink.update(alert()) // never shown
    sink.alert(alert({ requestId: 'r-2', key: 'r-2@t' }))
    electron.FakeNotification.instances[0]!.emit('close') // the user dismissed it
    sink.update(alert({ requestId: 'r-2', key: 'r-2@t' }))
    sink.alert(alert({ kind: 'summary', requestId: undefined, summaryOf: ['a', 'b'] }))
    sink.update(alert({ requestId: 'a', key: 'a@t' }))
    expect(electron.FakeNotification.instances).toHaveLength(2)
    expect(electron.FakeNotification.instances[1]!.close).not.toHaveBeenCalled()
  })
  it('platform options: no urgency off Linux; health alerts are not critical', () => {
    expect(notificationOptions(alert(), 'darwin').urgency).toBeUndefined()
    expect(notificationOptions(alert({ kind: 'health' }), 'linux').urgency).toBe('normal')
    expect(notificationOptions(alert({ title: 'x'.repeat(500) }), 'linux').title!.length).toBe(200)
  })
  it('throws when notifications are unsupported, so the engine records the sink failure', () => {
    electron.FakeNotification.isSupported.mockReturnValueOnce(false)
    expect(() => new NotificationSink({ platform: 'linux', showQueue: vi.fn(), log }).alert(alert())).toThrow(/not supported/)
  })
})

describe('attention per platform', () => {
  const target = () => ({ setBadgeCount: vi.fn(), setOverlay: vi.fn(), setTrayAttention: vi.fn() })
  it('badge count on linux and darwin', () => {
    for (const p of ['linux', 'darwin'] as const) {
      const t = target()
      applyBadge(p, 3, t)
      expect(t.setBadgeCount).toHaveBeenCalledWith(3)
      expect(t.setOverlay).not.toHaveBeenCalled()
      expect(t.setTrayAttention).toHaveBeenCalledWith(true)
    }
  })
  it('overlay icon on Windows, capped at 99+, cleared at zero', () => {
    const t = target()
    applyBadge('win32', 150, t)
    applyBadge('win32', 0, t)
    expect(t.setBadgeCount).not.toHaveBeenCalled()
    expect(t.setOverlay.mock.calls).toEqual([['99+ waiting'], [null]])
    expect(t.setTrayAttention.mock.calls).toEqual([[true], [false]])
  })
  it('flashFrame on win32/linux unless focused; dock bounce on darwin', () => {
    const mk = (focused = false) => ({ flashFrame: vi.fn(), isFocused: () => focused, dockBounce: vi.fn() })
    const w = mk(); requestAttention('win32', w); expect(w.flashFrame).toHaveBeenCalledWith(true); expect(w.dockBounce).not.toHaveBeenCalled()
    const f = mk(true); requestAttention('linux', f); expect(f.flashFrame).not.toHaveBeenCalled()
    const m = mk(); requestAttention('darwin', m); expect(m.dockBounce).toHaveBeenCalled(); expect(m.flashFrame).not.toHaveBeenCalled()
    const c = mk(); cancelAttention('linux', c); expect(c.flashFrame).toHaveBeenCalledWith(false)
    requestAttention('linux', { flashFrame: null, isFocused: () => false, dockBounce: null }) // no window: no-op
  })
  it('AttentionSink drives the real Electron calls', () => {
    const win = new electron.FakeBrowserWindow({ show: false })
    const setTrayAttention = vi.fn()
    const linux = new AttentionSink({ platform: 'linux', queueWindow: () => win as never, setTrayAttention, overlayIconPath: '/o.png' })
    linux.alert(alert())
    expect(win.flashFrame).toHaveBeenCalledWith(true)
    linux.queueChanged(2)
    expect(electron.app.setBadgeCount).toHaveBeenCalledWith(2)
    linux.queueChanged(0)
    expect(win.flashFrame).toHaveBeenLastCalledWith(false)
    expect(setTrayAttention).toHaveBeenLastCalledWith(false)
    const windows = new AttentionSink({ platform: 'win32', queueWindow: () => win as never, setTrayAttention, overlayIconPath: '/o.png' })
    windows.queueChanged(4)
    expect(win.setOverlayIcon).toHaveBeenCalledWith(expect.objectContaining({ path: '/o.png' }), '4 waiting')
    const mac = new AttentionSink({ platform: 'darwin', queueWindow: () => null, setTrayAttention, overlayIconPath: '/o.png' })
    mac.alert(alert())
    expect(electron.app.dock.bounce).toHaveBeenCalledWith('informational')
  })
})

describe('SoundSink and SoundWindow', () => {
  it('plays through the hidden window once it has loaded, beeps before that', () => {
    const sw = new SoundWindow('/p.cjs', false, log)
    sw.open()
    const win = electron.FakeBrowserWindow.instances[0]!
    expect(win.options.webPreferences.autoplayPolicy).toBe('no-user-gesture-required')
    expect(win.loadURL).toHaveBeenCalledWith('app://bundle/sound.html')
    const sink = new SoundSink({ player: sw, enabled: () => true })
    sink.alert(alert())
    expect(electron.shell.beep).toHaveBeenCalledTimes(1)
    win.webContents.emit('did-finish-load')
    sink.alert(alert())
    sink.alert(alert({ kind: 'health' }))
    expect(win.webContents.send.mock.calls).toEqual([['sound:play', 'request', 0.8], ['sound:play', 'health', 0.8]])
    expect(electron.shell.beep).toHaveBeenCalledTimes(1)
  })
  it('recreates the window when its renderer dies', () => {
    const sw = new SoundWindow('/p.cjs', false, log)
    sw.open()
    electron.FakeBrowserWindow.instances[0]!.webContents.emit('render-process-gone', {}, { reason: 'crashed' })
    expect(electron.FakeBrowserWindow.instances).toHaveLength(2)
    expect(sw.play('request', 1)).toBe(false) // new window not loaded yet
  })
  it('plays the chosen request sound at the chosen volume; health keeps its own sound; Test plays even with sound off', () => {
    const player = { play: vi.fn((_s: string, _v: number) => true) }
    let prefs = { sound: 'bell' as const, volume: 40 }
    const sink = new SoundSink({ player, enabled: () => false, prefs: () => prefs })
    sink.alert(alert())
    expect(player.play).not.toHaveBeenCalled() // sound off
    expect(sink.test()).toBe(true)
    const on = new SoundSink({ player, enabled: () => true, prefs: () => prefs })
    on.alert(alert())
    on.alert(alert({ kind: 'health' }))
    prefs = { sound: 'bell', volume: 100 }
    on.alert(alert())
    expect(player.play.mock.calls).toEqual([['bell', 0.4], ['bell', 0.4], ['health', 0.4], ['bell', 1]])
  })
  it('volumeFor: percent to 0.1–1, and a broken value plays at full volume, never muted', async () => {
    const { volumeFor } = await import('../../../src/main/sound-sink.js')
    expect([volumeFor(10), volumeFor(55), volumeFor(100)]).toEqual([0.1, 0.55, 1])
    expect([volumeFor(0), volumeFor(-5), volumeFor(500), volumeFor(NaN)]).toEqual([0.1, 0.1, 1, 1])
  })
  it('respects the sound on/off setting', () => {
    const player = { play: vi.fn(() => true) }
    new SoundSink({ player, enabled: () => false }).alert(alert())
    expect(player.play).not.toHaveBeenCalled()
    expect(electron.shell.beep).not.toHaveBeenCalled()
  })
  it('an escalated alert chimes three times, 700 ms apart, at full volume (an ordinary one once, at the chosen volume); off means off for it too', () => {
    const player = { play: vi.fn(() => true) }
    const timers: [() => void, number][] = []
    const prefs = () => ({ sound: 'bell' as const, volume: 40 })
    const sink = new SoundSink({ player, enabled: () => true, prefs, later: (fn, ms) => timers.push([fn, ms]) })
    sink.alert(alert({ kind: 'repeat' }))
    expect(player.play.mock.calls).toEqual([['bell', 0.4]])
    expect(timers).toEqual([])
    sink.alert(alert({ kind: 'repeat', escalated: true }))
    expect(player.play).toHaveBeenCalledTimes(2)
    expect(timers.map(([, ms]) => ms)).toEqual([700, 1400])
    for (const [fn] of timers) fn()
    expect(player.play.mock.calls).toEqual([['bell', 0.4], ['bell', 1], ['bell', 1], ['bell', 1]])
    const off = { play: vi.fn(() => true) }
    new SoundSink({ player: off, enabled: () => false, later: (fn, ms) => timers.push([fn, ms]) }).alert(alert({ escalated: true }))
    expect(off.play).not.toHaveBeenCalled()
    expect(timers).toHaveLength(2)
  })
})

describe('InAppSink', () => {
  it('brings the queue up without focus and tells the page which request rang', () => {
    const showInactive = vi.fn()
    const send = vi.fn()
    const sink = new InAppSink({ showInactive, send, now: () => 5 })
    sink.alert(alert())
    expect(showInactive).toHaveBeenCalled()
    expect(send).toHaveBeenCalledWith({ title: 'Dana Ortiz is waiting', body: '2014 Honda Civic — grinding', requestId: 'r-1', at: 5 })
    sink.alert(alert({ kind: 'health', requestId: undefined }))
    expect(showInactive).toHaveBeenCalledTimes(1)
  })
  it('update pushes the new text for the request without bringing the window up', () => {
    const showInactive = vi.fn()
    const send = vi.fn()
    const sink = new InAppSink({ showInactive, send, now: () => 7 })
    sink.update(alert({ title: 'New request: Dana Ortiz' }))
    expect(showInactive).not.toHaveBeenCalled()
    expect(send).toHaveBeenCalledWith({ title: 'New request: Dana Ortiz', body: '2014 Honda Civic — grinding', requestId: 'r-1', at: 7 })
  })
})
