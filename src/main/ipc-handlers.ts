// Binds every invoke channel of src/shared/ipc.ts to the engine host and settings. The sender check and
// argument validation happen in typed-ipc.ts before any of these run.
import type { Logger } from '../core/ports.js'
import type { SettingsView, SignInResult, UpdateStatus } from '../shared/ipc.js'
import type { EngineHost } from './engine-host.js'
import type { FirstRunService } from './first-run-service.js'
import type { LoadedSettings, SettingsService } from './settings.js'
import { handle } from './typed-ipc.js'

export interface IpcDeps {
  host: EngineHost
  settings: SettingsService
  view: (loaded: LoadedSettings) => Promise<SettingsView>
  updateStatus: () => UpdateStatus
  firstRun: FirstRunService
  log: Logger
}

export function registerIpcHandlers({ host, settings, view, updateStatus, firstRun, log }: IpcDeps): void {
  handle('engine:get-snapshot', () => host.snapshot(), log)
  handle('queue:acknowledge', (id) => host.acknowledge(id), log)
  handle('queue:accept', (id) => host.accept(id), log)
  handle('alerts:pause', (request) => host.pause(request), log)
  handle('alerts:resume', () => host.resume(), log)
  handle('link:reconnect', () => host.reconnectNow(), log)
  handle('history:get', () => host.history(), log)
  handle('settings:get', () => view(settings.get()), log)
  handle(
    'settings:save',
    async (input) => {
      const r = settings.save(input)
      return r.ok ? { ok: true as const, settings: await view(r.loaded) } : { ok: false as const, problems: r.problems, fields: r.fields }
    },
    log,
  )
  handle(
    'session:sign-in',
    async (email, password): Promise<SignInResult> => {
      try {
        await host.signIn(email, password)
        const cur = settings.get().settings
        if (cur.email !== email && settings.get().configured) settings.save({ ...cur, email })
        return { ok: true }
      } catch (err) {
        // The engine's message is meant for people ("Invalid login credentials"); the password is not in it.
        const message = err instanceof Error ? err.message : 'Sign-in failed.'
        log.warn('sign-in failed', { message })
        return { ok: false, message }
      }
    },
    log,
  )
  handle('session:sign-out', () => host.signOut(), log)
  handle('updates:get-status', () => updateStatus(), log)
  handle('first-run:get-state', () => firstRun.state(), log)
  handle('first-run:test-alert', () => firstRun.testAlert(), log)
  handle('first-run:finish', (choices) => firstRun.finish(choices), log)
}
