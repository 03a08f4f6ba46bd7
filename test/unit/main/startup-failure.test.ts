/** @vitest-environment node */
// The real src/main/index.ts when main() fails part-way (here: the settings file cannot be opened), as a
// packaged app: the menu is already gone, the person gets a dialog with the cause, and the process exits
// instead of holding the single-instance lock with no tray and no window.
import { describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'

vi.mock('electron', () => import('../../mocks/electron.js'))
vi.mock('../../../src/main/settings-store.js', () => ({
  openKeyValueStore: () => {
    throw new Error("EACCES: permission denied, open '/home/m/.config/BayAlert/settings.json'")
  },
}))

describe('main() failing at start-up', () => {
  it('shows the error, exits with 1, and never gets as far as a tray', async () => {
    electron.resetElectronMock()
    electron.app.isPackaged = true
    // Electron sets this in a packaged app; plain Node has none.
    Object.defineProperty(process, 'resourcesPath', { value: '/opt/BayAlert/resources', configurable: true })
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      await import('../../../src/main/index.js')
      await expect.poll(() => electron.app.exit.mock.calls, { timeout: 5000 }).toEqual([[1]])
      expect(electron.dialog.showErrorBox).toHaveBeenCalledWith('BayAlert could not start', expect.stringContaining('EACCES: permission denied'))
      expect(electron.app.requestSingleInstanceLock).toHaveBeenCalled()
      expect(electron.FakeTray.instances).toHaveLength(0)
      if (process.platform !== 'darwin') expect(electron.Menu.setApplicationMenu).toHaveBeenCalledWith(null)
    } finally {
      stderr.mockRestore()
      electron.app.isPackaged = false
      delete (process as { resourcesPath?: string }).resourcesPath
    }
  })
})
