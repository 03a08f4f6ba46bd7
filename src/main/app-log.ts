// The Electron host's logging: every scope writes to <userData>/logs/bayalert.log (rotating, redacted)
// and to stderr as JSON lines. userData is per OS: %APPDATA%\BayAlert on Windows,
// ~/Library/Application Support/BayAlert on macOS, $XDG_CONFIG_HOME/BayAlert (~/.config/BayAlert) on Linux
// (Electron app.getPath docs).
import { join } from 'node:path'
import { openHostLog, type HostLog } from '../core/logging/host-log.js'
import type { Logger } from '../core/ports.js'
import { createConsoleLogger } from './logger.js'

export interface AppLog {
  dir: string
  host: HostLog
  logger(scope: string): Logger
}

export function openAppLog(userData: string, stderr: (line: string) => void = (l) => process.stderr.write(l)): AppLog {
  const dir = join(userData, 'logs')
  const host = openHostLog({ dir, onFailure: (cause) => stderr(`bayalert: cannot write the log file in ${dir} (${cause}); stderr only until it can\n`) })
  return { dir, host, logger: (scope) => host.logger(scope, createConsoleLogger(scope)) }
}
