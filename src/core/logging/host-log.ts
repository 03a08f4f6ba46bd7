// What each host (Electron main, headless) calls once: the rotating file in <dir> and a factory of
// Loggers that write every entry, redacted once, to the file and to the host's own stderr logger.
import type { Logger } from '../ports.js'
import { fileLogger, type LogLevel } from './file-logger.js'
import { RotatingLogFile, type LogFileOptions } from './log-file.js'
import { redactingLogger, teeLogger } from './redact-log.js'

export interface HostLog {
  file: RotatingLogFile
  /** A Logger for `scope`: redacted, then to the file and (if given) to `console`. */
  logger(scope: string, console?: Logger): Logger
}

export function openHostLog(options: LogFileOptions, env: NodeJS.ProcessEnv = process.env): HostLog {
  const file = new RotatingLogFile(options)
  // Debug lines are many (every ignored event); they go to the file only when asked for.
  const level: LogLevel = env.BAYALERT_DEBUG ? 'debug' : 'info'
  return {
    file,
    logger: (scope, console) => redactingLogger(console ? teeLogger(console, fileLogger(file, scope, level)) : fileLogger(file, scope, level)),
  }
}
