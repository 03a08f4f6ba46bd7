/** @vitest-environment node */
// An installed BayAlert has no DevTools and no developer menu; a failed start-up says why and ends the
// process. Pure option/menu functions plus the start-up failure handler, against the electron mock.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'
vi.mock('electron', () => import('../../mocks/electron.js'))

const { secureWebPreferences } = await import('../../../src/main/security.js')
const { createQueueWindowController, queueWindowOptions, soundWindowOptions } = await import('../../../src/main/windows.js')
const { SoundWindow } = await import('../../../src/main/sound-window.js')
const { applicationMenuTemplate, installApplicationMenu } = await import('../../../src/main/app-menu.js')
const { reportStartupFailure, STARTUP_FAILURE_TITLE } = await import('../../../src/main/startup-failure.js')

const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }
beforeEach(() => {
  electron.resetElectronMock()
  for (const f of Object.values(log)) f.mockClear()
})

describe('DevTools', () => {
  it('on while developing, off in every window of a packaged build', () => {
    expect(secureWebPreferences('/p', false).devTools).toBe(true)
    expect(secureWebPreferences('/p', true).devTools).toBe(false)
    for (const isPackaged of [true, false]) {
      expect(queueWindowOptions('/p', isPackaged).webPreferences!.devTools).toBe(!isPackaged)
      expect(soundWindowOptions('/p', isPackaged).webPreferences!.devTools).toBe(!isPackaged)
    }
  })
  it('extra options cannot switch them back on', () => {
    expect(secureWebPreferences('/p', true, { backgroundThrottling: false, ...({ devTools: true } as object) }).devTools).toBe(false)
  })
  it('the windows a packaged app really creates have them off', () => {
    createQueueWindowController('/p.cjs', true).show()
    new SoundWindow('/p.cjs', true, log).open()
    expect(electron.FakeBrowserWindow.instances.map((w) => w.options.webPreferences.devTools)).toEqual([false, false])
  })
})

describe('application menu', () => {
  it("developing: Electron's default menu stays (reload, DevTools)", () => {
    for (const p of ['linux', 'win32', 'darwin'] as const) expect(applicationMenuTemplate(p, false)).toBe('default')
    installApplicationMenu('linux', false)
    expect(electron.Menu.setApplicationMenu).not.toHaveBeenCalled()
  })
  it('packaged on Windows and Linux: no menu at all', () => {
    expect(applicationMenuTemplate('win32', true)).toBeNull()
    expect(applicationMenuTemplate('linux', true)).toBeNull()
    installApplicationMenu('linux', true)
    expect(electron.Menu.setApplicationMenu).toHaveBeenCalledWith(null)
  })
  it('packaged on macOS: only the App and Edit menus (copy/paste and Cmd+Q keep working), no View menu', () => {
    expect(applicationMenuTemplate('darwin', true)).toEqual([{ role: 'appMenu' }, { role: 'editMenu' }])
    installApplicationMenu('darwin', true)
    expect(electron.Menu.buildFromTemplate).toHaveBeenCalledWith([{ role: 'appMenu' }, { role: 'editMenu' }])
    expect(electron.Menu.setApplicationMenu).toHaveBeenCalledWith({ template: [{ role: 'appMenu' }, { role: 'editMenu' }] })
  })
})

describe('a failed start-up', () => {
  it('shows an error dialog with the cause, logs the stack, and exits with code 1', () => {
    const showErrorBox = vi.fn()
    const exit = vi.fn()
    reportStartupFailure(new Error('EACCES: permission denied, open settings.json'), { showErrorBox, exit, log })
    expect(showErrorBox).toHaveBeenCalledWith(STARTUP_FAILURE_TITLE, expect.stringMatching(/^EACCES: permission denied, open settings\.json\n\nThis workstation will not ring/))
    expect(exit).toHaveBeenCalledWith(1)
    expect(log.error).toHaveBeenCalledWith('start-up failed; exiting', { cause: expect.stringContaining('EACCES') })
    expect(exit.mock.invocationCallOrder[0]!).toBeGreaterThan(showErrorBox.mock.invocationCallOrder[0]!)
  })
  it('exits even when the dialog itself fails, and a non-Error is shown as text', () => {
    const exit = vi.fn()
    reportStartupFailure('boom', {
      showErrorBox: () => {
        throw new Error('no display')
      },
      exit,
      log,
    })
    expect(exit).toHaveBeenCalledWith(1)
    expect(log.error).toHaveBeenCalledWith('could not show the start-up error dialog', { cause: 'Error: no display' })
  })
})
