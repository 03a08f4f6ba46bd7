// A Logger that writes JSON lines through pino into the rotating log file. pino writes synchronously
// into our RotatingLogFile (an object with write()), never through a worker-thread transport (see
// log-file.ts for why). Redaction happens before this (redactingLogger), so the file gets exactly what
// stderr gets. Each line: {"level":"warn","time":"…ISO…","scope":"engine","msg":"…", …fields}.
import { pino } from 'pino'
import type { Logger } from '../ports.js'
import type { RotatingLogFile } from './log-file.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export function fileLogger(file: RotatingLogFile, scope: string, level: LogLevel = 'info'): Logger {
  const p = pino(
    {
      level,
      base: { scope },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"warn" instead of pino's numbers: the file is read by people and by the diagnostics export.
      formatters: { level: (label) => ({ level: label }) },
    },
    { write: (line: string) => file.write(line) },
  )
  const call = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (!fields) p[lvl](msg)
    else p[lvl](withoutReservedKeys(fields), msg)
  }
  return { debug: call('debug'), info: call('info'), warn: call('warn'), error: call('error') }
}

const RESERVED = new Set(['level', 'time', 'msg', 'scope'])

/** A field named like one of the line's own keys is kept under "field_<name>" instead of replacing it. */
function withoutReservedKeys(fields: Record<string, unknown>): Record<string, unknown> {
  if (!Object.keys(fields).some((k) => RESERVED.has(k))) return fields
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) out[RESERVED.has(k) ? `field_${k}` : k] = v
  return out
}
