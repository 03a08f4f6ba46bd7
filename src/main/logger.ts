// A console Logger for the main process: one JSON line per entry on stderr (kept for development and for
// anyone starting the app from a terminal; a packaged GUI app's stderr goes nowhere, which is why every
// entry also goes to the rotating log file, see core/logging). Same redaction as the file.
import { redactLogFields } from '../core/logging/redact-log.js'
import { redactText } from '../core/config.js'
import type { Logger } from '../core/ports.js'

export function createConsoleLogger(scope: string, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const emit = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    try {
      write(JSON.stringify({ ts: new Date().toISOString(), level, scope, msg: redactText(String(msg)), ...redactLogFields(fields) }))
    } catch {
      try {
        write(JSON.stringify({ ts: new Date().toISOString(), level, scope, msg: redactText(String(msg)) }))
      } catch {
        // stderr closed (EPIPE): nothing left to tell
      }
    }
  }
  return { debug: process.env.BAYALERT_DEBUG ? emit('debug') : () => {}, info: emit('info'), warn: emit('warn'), error: emit('error') }
}
