/** @vitest-environment node */
// Composition smoke test: imports the real src/main/index.ts against the electron mock, a fake engine
// and an in-memory settings store, and checks the wiring a binary-less machine can never see running.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import * as electron from '../../mocks/electron.js'
import { FakeEngine, makeItem } from '../../mocks/fake-engine.js'
import type { EngineConfig, EnginePorts } from '../../../src/core/engine-api.js'
import { LOCAL_DEFAULTS } from '../../../src/core/config.js'

vi.mock('electron', () => import('../../mocks/electron.js'))
const made: Array<{ config: EngineConfig; ports: EnginePorts; engine: FakeEngine }> = []
vi.mock('../../../src/core/engine.js', () => ({
  createEngine: (config: EngineConfig, ports: EnginePorts) => {
    const engine = new FakeEngine({ user: null })
    made.push({ config, ports, engine })
    return engine
  },
}))
vi.mock('../../../src/main/settings-store.js', () => ({
  openKeyValueStore: () => {
    const m = new Map<string, unknown>()
    return { get: (k: string) => m.get(k), set: (k: string, v: unknown) => void m.set(k, v), delete: (k: string) => void m.delete(k) }
  },
}))

describe('main composition', () => {
  it('wires security, protocol, tray, engine, sinks, IPC, power and quit', async () => {
    electron.resetElectronMock()
    vi.stubEnv('SUPABASE_URL', 'http://127.0.0.1:54321')
    vi.stubEnv('SUPABASE_ANON_KEY', LOCAL_DEFAULTS.anonKey)
    vi.stubEnv('BAYALERT_EMAIL', 'mechanic1@bayalert.test')
    vi.stubEnv('BAYALERT_PASSWORD', 'demo-pw')
    vi.stubEnv('BAYALERT_DATA_DIR', '/tmp/bayalert-index-test')
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const paths = mkdtempSync(join(tmpdir(), 'bayalert-index-'))
    electron.app.getPath.mockImplementation((name: string) => join(paths, name))
    const guardsBefore = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]
    try {
      await import('../../../src/main/index.js')
      await expect.poll(() => electron.ipcMain.handlers.size, { timeout: 5000 }).toBe(25)
      await expect.poll(() => made[0]?.engine.calls.some((c) => c.cmd === 'signIn'), { timeout: 5000 }).toBe(true)

      expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([expect.objectContaining({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) })])
      expect(electron.app.requestSingleInstanceLock).toHaveBeenCalled()
      expect(electron.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalled()
      expect(electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function))
      expect(electron.FakeTray.instances).toHaveLength(1)
      // Unpackaged: no updater is loaded and the window is told why.
      await expect(electron.ipcMain.handlers.get('updates:get-status')!({ senderFrame: { url: 'app://bundle/index.html' } })).resolves.toMatchObject({
        phase: 'off',
        text: expect.stringMatching(/development build/),
      })

      const { config, ports, engine } = made[0]!
      expect(config).toMatchObject({ supabaseUrl: 'http://127.0.0.1:54321', anonKey: LOCAL_DEFAULTS.anonKey, dataDir: '/tmp/bayalert-index-test' })
      expect(ports.sinks.map((s) => `${s.name}:${s.tier}`)).toEqual(['notification:notification', 'sound:sound', 'attention:attention', 'in-app:in-app', 'notification-fallback:in-app'])
      expect(engine.calls.slice(0, 2)).toEqual([{ cmd: 'start' }, { cmd: 'signIn', email: 'mechanic1@bayalert.test' }])
      // The engine hears the alert-path self-test (its findings become a health alert): the scheduler's port.
      expect(ports.alertPath).toMatchObject({ current: expect.any(Function), onChange: expect.any(Function) })
      // The password never reaches the log.
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).not.toContain('demo-pw')

      // Signed out at start → the queue window is shown; the sound window exists hidden.
      const [sound, queue] = electron.FakeBrowserWindow.instances
      expect(sound!.loadURL).toHaveBeenCalledWith('app://bundle/sound.html')
      expect(queue!.loadURL).toHaveBeenCalledWith('app://bundle/index.html')
      expect(queue!.show).toHaveBeenCalled()

      // Snapshots reach the tray and the window.
      engine.push({ link: { state: 'offline', reason: 'No network', since: 0 } })
      expect(queue!.webContents.send).toHaveBeenCalledWith('engine:snapshot', expect.objectContaining({ link: expect.objectContaining({ state: 'offline' }) }))
      expect(electron.FakeTray.instances[0]!.setImage).toHaveBeenCalled()

      // The alert-path self-test ran at start in the background (this machine's real answer, whatever it is)
      // and its status reached the window; the tray menu offers the Test alert.
      await expect.poll(() => queue!.webContents.send.mock.calls.some((c) => c[0] === 'alert-path:status'), { timeout: 10_000 }).toBe(true)
      const trayMenu = electron.FakeTray.instances[0]!.setContextMenu.mock.calls.at(-1)![0] as { template: { id?: string }[] }
      expect(trayMenu.template.map((i) => i.id)).toContain('test-alert')

      // Process guards are installed (firing them here would reach vitest's own handlers too).
      expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(guardsBefore.map((n) => n + 1))

      // The queue page crashing in a loop: reloaded three times, then a health notification says so
      // and the snapshot carries it as the health state.
      for (let i = 0; i < 4; i++) queue!.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 1 })
      expect(queue!.webContents.reload).toHaveBeenCalledTimes(3)
      const faultNote = electron.FakeNotification.instances.find((n) => n.options.title === 'BayAlert hit an internal problem')
      expect(faultNote?.options.body).toMatch(/queue window keeps crashing \(crashed\)/)
      expect(faultNote?.show).toHaveBeenCalled()
      expect(electron.FakeBrowserWindow.instances).toHaveLength(2) // given up: a fresh one comes with the next show

      electron.powerMonitor.emit('resume')
      expect(engine.calls.at(-1)).toEqual({ cmd: 'notifyResume' })

      electron.app.emit('second-instance')
      const freshQueue = electron.FakeBrowserWindow.instances[2]!
      expect(freshQueue.loadURL).toHaveBeenCalledWith('app://bundle/index.html')
      expect(freshQueue.show).toHaveBeenCalled()

      // The tray menu opens the wallboard in a window of its own, which then gets every snapshot too.
      const menu = electron.Menu.buildFromTemplate.mock.calls.at(-1)![0] as { id?: string; click?: () => void }[]
      menu.find((i) => i.id === 'wallboard')!.click!()
      const wallboard = electron.FakeBrowserWindow.instances[3]!
      expect(wallboard.loadURL).toHaveBeenCalledWith('app://bundle/wallboard.html')
      expect(wallboard.show).toHaveBeenCalled()
      engine.push({ link: { state: 'live', reason: 'Connected', since: 0 } })
      expect(wallboard.webContents.send).toHaveBeenCalledWith('engine:snapshot', expect.objectContaining({ link: expect.objectContaining({ state: 'live' }) }))

      // A Take it activation handed to the running instance (a second launch's argv) claims that request;
      // a hostile one claims nothing and only shows the queue.
      const takeId = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab'
      electron.app.emit('second-instance', {}, ['BayAlert', 'bayalert://take/1;DROP TABLE', `bayalert://take/${takeId}?x`])
      electron.app.emit('second-instance', {}, ['BayAlert', `bayalert://take/${takeId}`])
      await expect.poll(() => engine.calls.filter((c) => c.cmd === 'accept')).toEqual([{ cmd: 'accept', requestId: takeId }])

      // The global shortcut (default CommandOrControl+Alt+T) takes the oldest waiting request.
      const press = electron.globalShortcut.registered.get('CommandOrControl+Alt+T')
      expect(press).toBeTypeOf('function')
      engine.push({ queue: [makeItem({ requestId: 'newer', queuedAt: new Date(Date.now() - 60_000).toISOString() }), makeItem({ requestId: 'oldest', queuedAt: new Date(Date.now() - 600_000).toISOString() })] })
      press!()
      await expect.poll(() => engine.calls.filter((c) => c.cmd === 'accept').at(-1)).toEqual({ cmd: 'accept', requestId: 'oldest' })

      const quitEvent = { preventDefault: vi.fn() }
      electron.app.emit('before-quit', quitEvent)
      expect(quitEvent.preventDefault).toHaveBeenCalled()
      await expect.poll(() => electron.app.quit.mock.calls.length, { timeout: 5000 }).toBe(1)
      expect(electron.globalShortcut.registered.size).toBe(0) // released at quit
      expect(engine.calls.at(-1)).toEqual({ cmd: 'stop' })

      // The log file in userData/logs has the start line (versions, where the logs are), never the password.
      const logText = readFileSync(join(paths, 'userData', 'logs', 'bayalert.log'), 'utf8')
      const first = JSON.parse(logText.split('\n')[0]!)
      expect(first).toMatchObject({ level: 'info', scope: 'main', msg: 'starting', version: '0.1.0', logDir: join(paths, 'userData', 'logs') })
      expect(logText).not.toContain('demo-pw')
    } finally {
      rmSync(paths, { recursive: true, force: true })
      stderr.mockRestore()
      vi.unstubAllEnvs()
    }
  })
})
