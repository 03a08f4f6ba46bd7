/** @vitest-environment node */
// The queue window and the hidden sound window come back after their renderer dies, within a restart
// budget so a crash loop does not spin; past the budget it is said (log + onGaveUp) instead. And an
// in-app alert sent before the queue page has loaded is delivered once it has, exactly once.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'

vi.mock('electron', () => import('../../mocks/electron.js'))
const { RestartBudget } = await import('../../../src/main/restart-budget.js')
const { createQueueWindowController } = await import('../../../src/main/windows.js')
const { SoundWindow } = await import('../../../src/main/sound-window.js')
const { InAppSink } = await import('../../../src/main/in-app-sink.js')

function capture() {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = []
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

const gone = (reason = 'crashed') => [{}, { reason, exitCode: 139 }] as const

beforeEach(() => electron.resetElectronMock())

describe('RestartBudget', () => {
  it('allows max restarts within the window, then none until the oldest leaves it', () => {
    let now = 0
    const b = new RestartBudget({ max: 3, windowMs: 1000, now: () => now })
    const at = (t: number) => ((now = t), b.take())
    expect([at(0), at(100), at(200)]).toEqual([true, true, true])
    expect(at(300)).toBe(false)
    expect(b.used()).toBe(3)
    expect(at(999)).toBe(false)
    expect(at(1000)).toBe(true) // the restart at 0 is now exactly windowMs old: out of the window
    expect(at(1000)).toBe(false)
    expect(b.used()).toBe(3)
    now = 2200
    expect(b.used()).toBe(0)
  })
  it('defaults: 3 per minute', () => {
    let now = 0
    const b = new RestartBudget({ now: () => now })
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false])
    now = 59_999
    expect(b.take()).toBe(false)
    now = 60_000
    expect(b.take()).toBe(true)
  })
})

describe('queue window after render-process-gone', () => {
  it('reloads the page with a log line; past the budget it stops, says why, and the next show makes a fresh window', () => {
    const now = 0
    const log = capture()
    const onGaveUp = vi.fn()
    const q = createQueueWindowController('/p.cjs', false, undefined, { log, onGaveUp, budget: new RestartBudget({ max: 2, windowMs: 60_000, now: () => now }) })
    q.show()
    const win = electron.FakeBrowserWindow.instances[0]!
    const reload = win.webContents.reload
    win.webContents.emit('render-process-gone', ...gone('crashed'))
    win.webContents.emit('render-process-gone', ...gone('oom'))
    expect(reload).toHaveBeenCalledTimes(2)
    expect(log.lines.map((l) => [l.level, l.msg, l.fields?.reason])).toEqual([
      ['warn', 'queue window renderer gone; reloading', 'crashed'],
      ['warn', 'queue window renderer gone; reloading', 'oom'],
    ])
    expect(onGaveUp).not.toHaveBeenCalled()

    win.webContents.emit('render-process-gone', ...gone('crashed'))
    expect(reload).toHaveBeenCalledTimes(2)
    expect(onGaveUp).toHaveBeenCalledExactlyOnceWith(expect.stringMatching(/queue window keeps crashing \(crashed\).*Alerts still ring/))
    expect(log.lines.at(-1)).toMatchObject({ level: 'error', msg: 'queue window renderer gone again; restart budget spent' })
    expect(win.destroy).toHaveBeenCalled()
    expect(q.existing()).toBeNull()

    q.show()
    expect(electron.FakeBrowserWindow.instances).toHaveLength(2)
    expect(electron.FakeBrowserWindow.instances[1]!.loadURL).toHaveBeenCalledWith('app://bundle/index.html')
  })

  it('an event from a window already replaced is ignored', () => {
    const log = capture()
    const q = createQueueWindowController('/p.cjs', false, undefined, { log })
    q.show()
    const old = electron.FakeBrowserWindow.instances[0]!
    old.destroy()
    old.webContents.emit('render-process-gone', ...gone())
    expect(log.lines).toEqual([])
  })
})

describe('first in-app alert before the page is ready', () => {
  it('is queued until did-finish-load and delivered once, in order; later ones go straight out', () => {
    const q = createQueueWindowController('/p.cjs', false)
    const sink = new InAppSink({ showInactive: () => q.showInactive(), send: (a) => q.sendWhenReady('alert:in-app', a), now: () => 7 })
    const alert = (title: string) => ({ kind: 'request' as const, requestId: 'r-1', title, body: 'b', detail: 'full' as const, items: [], latencyMs: null })
    sink.alert(alert('first')) // creates the window: nothing loaded yet
    sink.alert(alert('second'))
    const win = electron.FakeBrowserWindow.instances[0]!
    expect(win.webContents.send).not.toHaveBeenCalled()
    win.webContents.emit('did-finish-load')
    expect(win.webContents.send.mock.calls.map((c) => [c[0], c[1].title])).toEqual([
      ['alert:in-app', 'first'],
      ['alert:in-app', 'second'],
    ])
    sink.alert(alert('third'))
    win.webContents.emit('did-finish-load') // a reload of the page: nothing is sent twice
    expect(win.webContents.send.mock.calls.map((c) => c[1].title)).toEqual(['first', 'second', 'third'])
  })

  it('after a crash the page is not ready again until it has reloaded', () => {
    const q = createQueueWindowController('/p.cjs', false, undefined, { log: capture() })
    q.show()
    const win = electron.FakeBrowserWindow.instances[0]!
    win.webContents.emit('did-finish-load')
    win.webContents.emit('render-process-gone', ...gone())
    q.sendWhenReady('alert:in-app', { title: 't', body: 'b', requestId: null, at: 1 })
    expect(win.webContents.send).not.toHaveBeenCalled()
    win.webContents.emit('did-finish-load')
    expect(win.webContents.send).toHaveBeenCalledExactlyOnceWith('alert:in-app', { title: 't', body: 'b', requestId: null, at: 1 })
  })

  it('keeps at most the 20 newest while no page is there', () => {
    const q = createQueueWindowController('/p.cjs', false)
    for (let i = 0; i < 25; i++) q.sendWhenReady('alert:in-app', { title: `a${i}`, body: '', requestId: null, at: i })
    q.show()
    const win = electron.FakeBrowserWindow.instances[0]!
    win.webContents.emit('did-finish-load')
    const titles = win.webContents.send.mock.calls.map((c) => c[1].title)
    expect(titles).toHaveLength(20)
    expect(titles[0]).toBe('a5')
    expect(titles.at(-1)).toBe('a24')
  })
})

describe('sound window after render-process-gone', () => {
  it('recreates within the budget; past it stops, says why, and starts again on a later play once the budget allows', () => {
    let now = 0
    const log = capture()
    const onGaveUp = vi.fn()
    const sw = new SoundWindow('/p.cjs', false, log, new RestartBudget({ max: 1, windowMs: 10_000, now: () => now }), onGaveUp)
    sw.open()
    electron.FakeBrowserWindow.instances[0]!.webContents.emit('render-process-gone', ...gone('crashed'))
    expect(electron.FakeBrowserWindow.instances).toHaveLength(2)
    expect(log.lines.at(-1)).toMatchObject({ level: 'warn', msg: 'sound window renderer gone; recreating' })

    electron.FakeBrowserWindow.instances[1]!.webContents.emit('render-process-gone', ...gone('crashed'))
    expect(electron.FakeBrowserWindow.instances).toHaveLength(2)
    expect(onGaveUp).toHaveBeenCalledExactlyOnceWith(expect.stringMatching(/sound player keeps crashing.*system beep/))
    expect(sw.play('request')).toBe(false) // SoundSink beeps instead
    expect(electron.FakeBrowserWindow.instances).toHaveLength(2)

    now = 10_000
    expect(sw.play('request')).toBe(false) // starting again: not loaded yet
    expect(electron.FakeBrowserWindow.instances).toHaveLength(3)
    electron.FakeBrowserWindow.instances[2]!.webContents.emit('did-finish-load')
    expect(sw.play('request')).toBe(true)
    expect(electron.FakeBrowserWindow.instances[2]!.webContents.send).toHaveBeenCalledWith('sound:play', 'request', 1)
  })

  it('a window closed on purpose is not brought back', () => {
    const sw = new SoundWindow('/p.cjs', false, capture())
    sw.open()
    const win = electron.FakeBrowserWindow.instances[0]!
    sw.close()
    win.webContents.emit('render-process-gone', ...gone('clean-exit'))
    expect(electron.FakeBrowserWindow.instances).toHaveLength(1)
  })
})
