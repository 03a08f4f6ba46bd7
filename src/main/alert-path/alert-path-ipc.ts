// The alert path's IPC channels: the queue window reads the status and runs the Test alert; the hidden sound
// page answers a play request that asked for proof. Registered through the typed, schema-checked handle().
import type { Logger } from '../../core/ports.js'
import type { SoundPlayedReport } from '../../shared/ipc.js'
import { handle } from '../typed-ipc.js'
import type { AlertPathService } from './alert-path-service.js'

export interface AlertPathIpcDeps {
  service: AlertPathService
  sound: { onPlayed(report: SoundPlayedReport): void }
  log: Logger
}

export function registerAlertPathIpc({ service, sound, log }: AlertPathIpcDeps): void {
  handle('alert-path:get-status', () => service.status(), log)
  handle('alert-path:test', () => service.test(), log)
  handle('sound:played', (report) => sound.onPlayed(report), log)
}
