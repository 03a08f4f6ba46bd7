// The invoke channels of the alert preferences and the dashboard link (typed, sender-checked and
// argument-validated by typed-ipc.ts before these run).
import type { Logger } from '../core/ports.js'
import type { AlertPrefsService } from './alert-prefs-service.js'
import { openDashboard } from './dashboard-link.js'
import { handle } from './typed-ipc.js'

export interface AlertPrefsIpcDeps {
  prefs: AlertPrefsService
  /** Plays the chosen sound at the chosen volume; false when the sound window could not even try. */
  testSound: () => boolean
  openExternal: (url: string) => Promise<void>
  log: Logger
}

export function registerAlertPrefsHandlers({ prefs, testSound, openExternal, log }: AlertPrefsIpcDeps): void {
  handle('prefs:get', () => prefs.view(), log)
  handle('prefs:save', (input) => prefs.save(input), log)
  handle(
    'prefs:test-sound',
    () => (testSound() ? { played: true, message: 'Playing the chosen sound.' } : { played: false, message: 'The sound player is not ready; alerts fall back to the system beep.' }),
    log,
  )
  handle(
    'dashboard:open',
    async (requestId) => {
      const r = await openDashboard(prefs.get().dashboardUrl, requestId, openExternal)
      if (!r.ok) log.warn('dashboard: not opened', { error: r.error })
      return r.ok ? { ok: true as const } : r
    },
    log,
  )
}
