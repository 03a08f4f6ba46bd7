/** @vitest-environment node */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { MenuItemConstructorOptions } from 'electron'
import * as electron from '../../mocks/electron.js'
import { makeItem, makeSnapshot } from '../../mocks/fake-engine.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { buildTrayMenuTemplate, trayIconFile, LINK_STATES, tooltipFor, longestWaitLabel } = await import('../../../src/main/tray-model.js')
const { TrayController, TICK_MS } = await import('../../../src/main/tray.js')

const actions = () => ({
  showQueue: vi.fn(), openWallboard: vi.fn(), acknowledgeAll: vi.fn(), pause: vi.fn(), resume: vi.fn(), reconnectNow: vi.fn(),
  setStartAtLogin: vi.fn(), signOut: vi.fn(), quit: vi.fn(), testAlert: vi.fn(),
})
const model = (over = {}) => ({
  state: 'live' as const, reason: 'Connected', paused: null, waiting: 2, longestWaitSince: null as number | null, unacknowledged: 1, signedIn: true,
  loginItem: { supported: true, enabled: false }, ...over,
})
const byId = (t: MenuItemConstructorOptions[], id: string) => t.find((i) => i.id === id)!

beforeEach(() => electron.resetElectronMock())

describe('trayIconFile', () => {
  it('has one icon per state plus an attention variant; .ico on Windows, template images on macOS', () => {
    const files = new Set(LINK_STATES.flatMap((s) => [trayIconFile(s, false, 'linux'), trayIconFile(s, true, 'linux')]))
    expect(files.size).toBe(10)
    expect(trayIconFile('live', false, 'linux')).toBe('live.png')
    expect(trayIconFile('offline', true, 'darwin')).toBe('offline-attentionTemplate.png')
    expect(trayIconFile('degraded', false, 'win32')).toBe('degraded.ico')
  })
})

describe('menu template', () => {
  it('always has the full set of items, Show queue first after the status', () => {
    const t = buildTrayMenuTemplate(model(), actions(), 0)
    const ids = t.filter((i) => i.id).map((i) => i.id)
    expect(ids).toEqual(['status', 'show', 'wallboard', 'ack-all', 'pause-15', 'pause-60', 'pause-indefinite', 'resume', 'reconnect', 'test-alert', 'login-item', 'sign-out', 'quit'])
    expect(byId(t, 'status').enabled).toBe(false)
    expect(byId(t, 'show').label).toBe('Show queue (2 waiting)')
  })
  it('wires every item to its action', () => {
    const a = actions()
    const t = buildTrayMenuTemplate(model({ paused: 'indefinite' }), a, 0)
    const click = (id: string, checked = false) => (byId(t, id).click as any)({ checked })
    click('show'); click('wallboard'); click('ack-all'); click('pause-15'); click('pause-60'); click('pause-indefinite')
    click('resume'); click('reconnect'); click('test-alert'); click('login-item', true); click('sign-out'); click('quit')
    expect(a.pause.mock.calls).toEqual([[{ minutes: 15 }], [{ minutes: 60 }], [{ indefinite: true }]])
    for (const f of ['showQueue', 'openWallboard', 'acknowledgeAll', 'resume', 'reconnectNow', 'testAlert', 'signOut', 'quit'] as const) expect(a[f]).toHaveBeenCalledOnce()
    expect(a.setStartAtLogin).toHaveBeenCalledWith(true)
  })
  it('disables what cannot apply and says why start-at-login is off', () => {
    const t = buildTrayMenuTemplate(model({ unacknowledged: 0, signedIn: false, loginItem: { supported: false, enabled: false } }), actions(), 0)
    expect(byId(t, 'ack-all').enabled).toBe(false)
    expect(byId(t, 'resume').enabled).toBe(false)
    expect(byId(t, 'sign-out').enabled).toBe(false)
    expect(byId(t, 'login-item')).toMatchObject({ enabled: false, label: 'Start at login (packaged app only)' })
  })
  it('shows the pause state', () => {
    const t = buildTrayMenuTemplate(model({ paused: 10 * 60_000 }), actions(), 0)
    expect(byId(t, 'paused').label).toBe('Alerts paused for 10 more min')
    expect(byId(t, 'resume').enabled).toBe(true)
  })
  it('names the workstation watch in a line of its own once it is known', () => {
    expect(buildTrayMenuTemplate(model(), actions(), 0).some((i) => i.id === 'workstations')).toBe(false)
    const t = buildTrayMenuTemplate(model({ workstations: '2 of 3 workstations live — Bay 3 silent since 10:42' }), actions(), 0)
    expect(t.map((i) => i.id).slice(0, 2)).toEqual(['status', 'workstations'])
    expect(byId(t, 'workstations')).toMatchObject({ label: '2 of 3 workstations live — Bay 3 silent since 10:42', enabled: false })
    expect(byId(buildTrayMenuTemplate(model({ workstations: 'x'.repeat(200) }), actions(), 0), 'workstations').label).toHaveLength(80)
  })
  it('caps the tooltip at Windows’ 127 characters', () => {
    expect(tooltipFor(model({ reason: 'x'.repeat(500) }), 0).length).toBeLessThanOrEqual(127)
  })
  it('the tooltip names the count and the longest wait first, so Windows’ cut never takes them', () => {
    const now = 10 * 3_600_000
    const t = tooltipFor(model({ waiting: 3, longestWaitSince: now - 7 * 60_000 - 59_000, reason: 'y'.repeat(500) }), now)
    expect(t.split('\n')[0]).toBe('BayAlert — Live · 3 waiting, longest 7 min')
    expect(tooltipFor(model({ waiting: 0, longestWaitSince: null }), now).split('\n')[0]).toBe('BayAlert — Live')
  })
  it('longest wait: under a minute, minutes, then hours with two-digit minutes; a clock ahead is "< 1 min"', () => {
    const now = 5 * 3_600_000
    expect(longestWaitLabel(now - 59_999, now)).toBe('longest < 1 min')
    expect(longestWaitLabel(now - 60_000, now)).toBe('longest 1 min')
    expect(longestWaitLabel(now - 59 * 60_000, now)).toBe('longest 59 min')
    expect(longestWaitLabel(now - 65 * 60_000, now)).toBe('longest 1 h 05 min')
    expect(longestWaitLabel(now + 60_000, now)).toBe('longest < 1 min')
  })
})

describe('TrayController', () => {
  const opts = (a = actions()) => ({ iconDir: '/icons', platform: 'linux' as const, actions: a, loginItem: () => ({ supported: false, enabled: false }), now: () => 0 })

  it('starts signed-out with a context menu and opens the queue on click', () => {
    const a = actions()
    new TrayController(opts(a))
    const tray = electron.FakeTray.instances[0]!
    expect((tray.image as { path: string }).path).toBe('/icons/signed-out.png')
    expect(tray.setContextMenu).toHaveBeenCalledTimes(1)
    tray.emit('click')
    expect(a.showQueue).toHaveBeenCalled()
  })

  it('changes the icon per state, shows attention only with unacknowledged requests, and avoids setImage churn', () => {
    const c = new TrayController(opts())
    const tray = electron.FakeTray.instances[0]!
    const live = makeSnapshot({ queue: [makeItem({ requestId: 'a' })] })
    c.update(live)
    c.update(live)
    c.update({ ...live })
    expect(tray.setImage).toHaveBeenCalledTimes(1)
    expect(c.currentIconFile()).toBe('live.png')
    c.setAttention(true)
    expect(c.currentIconFile()).toBe('live-attention.png')
    c.update({ ...live, queue: [makeItem({ requestId: 'a', acknowledged: true })] })
    expect(c.currentIconFile()).toBe('live.png')
    c.update(makeSnapshot({ link: { state: 'offline', reason: 'No network', since: 0 } }))
    expect(c.currentIconFile()).toBe('offline.png')
    expect(tray.setImage).toHaveBeenCalledTimes(4)
  })

  it('the tooltip follows the oldest request (queued_at, else first seen) and keeps counting without a snapshot', () => {
    vi.useFakeTimers()
    try {
      let now = 1_000_000_000
      const c = new TrayController({ ...opts(), now: () => now })
      const tray = electron.FakeTray.instances[0]!
      c.update(makeSnapshot({ queue: [
        makeItem({ requestId: 'a', queuedAt: new Date(now - 2 * 60_000).toISOString() }),
        makeItem({ requestId: 'b', queuedAt: null, firstSeenAt: now - 4 * 60_000 }),
      ] }))
      expect(String(tray.setToolTip.mock.calls.at(-1)![0]).split('\n')[0]).toMatch(/2 waiting, longest 4 min$/)
      now += 2 * 60_000
      vi.advanceTimersByTime(TICK_MS)
      expect(String(tray.setToolTip.mock.calls.at(-1)![0]).split('\n')[0]).toMatch(/2 waiting, longest 6 min$/)
      const calls = tray.setToolTip.mock.calls.length
      vi.advanceTimersByTime(TICK_MS) // same minute: no churn
      expect(tray.setToolTip.mock.calls.length).toBe(calls)
      c.destroy()
      now += 10 * 60_000
      vi.advanceTimersByTime(TICK_MS * 4) // destroyed: the tick is gone
      expect(tray.setToolTip.mock.calls.length).toBe(calls)
    } finally {
      vi.useRealTimers()
    }
  })

  it('re-sets the context menu after every change (Linux ignores in-place edits) but not for no-ops', () => {
    const c = new TrayController(opts())
    const tray = electron.FakeTray.instances[0]!
    const s = makeSnapshot()
    c.update(s)
    const n = tray.setContextMenu.mock.calls.length
    c.update({ ...s })
    expect(tray.setContextMenu.mock.calls.length).toBe(n)
    c.update({ ...s, paused: 'indefinite' })
    expect(tray.setContextMenu.mock.calls.length).toBe(n + 1)
    const template = (electron.Menu.buildFromTemplate.mock.calls.at(-1)![0] as MenuItemConstructorOptions[])
    expect(template.find((i) => i.id === 'paused')?.label).toBe('Alerts paused until resumed')
    c.update({ ...s, paused: 'indefinite', workstations: { live: 1, total: 1, silent: [], list: [] } })
    expect(tray.setContextMenu.mock.calls.length).toBe(n + 2)
    const watched = (electron.Menu.buildFromTemplate.mock.calls.at(-1)![0] as MenuItemConstructorOptions[])
    expect(watched.find((i) => i.id === 'workstations')?.label).toBe('1 of 1 workstation live')
  })
})

describe('shipped icons', () => {
  it('every state × attention × platform icon exists in resources/tray (node resources/generate.mjs)', async () => {
    const { existsSync } = await import('node:fs')
    for (const p of ['linux', 'darwin', 'win32'] as const)
      for (const s of LINK_STATES)
        for (const a of [false, true]) expect(existsSync(`resources/tray/${trayIconFile(s, a, p)}`), `${s} ${a} ${p}`).toBe(true)
    expect(existsSync('resources/tray/overlay.png')).toBe(true)
    expect(existsSync('resources/sounds/request.wav') && existsSync('resources/sounds/health.wav')).toBe(true)
  })
})
