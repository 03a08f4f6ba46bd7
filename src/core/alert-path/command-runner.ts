// The real CommandRunner: execFile (no shell: arguments are never parsed by one) with a hard timeout and a
// small output cap. It never rejects — a missing program, a timeout or a crash is a result the detector
// turns into "could not tell", so one hung `gdbus` can never delay anything but its own answer.
import { execFile } from 'node:child_process'
import type { CommandResult, CommandRunner } from './types.js'

export const DEFAULT_COMMAND_TIMEOUT_MS = 3000
const MAX_OUTPUT = 64 * 1024

export const execCommand: CommandRunner = (command, args, opts = {}) => {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  return new Promise<CommandResult>((resolve) => {
    try {
      execFile(
        command,
        [...args],
        { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT, windowsHide: true, encoding: 'utf8', env: opts.env },
        (err, stdout, stderr) => {
          if (!err) return resolve({ kind: 'ok', stdout, stderr })
          const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: number | string | null }
          if (e.code === 'ENOENT') return resolve({ kind: 'missing' })
          if (e.killed && e.signal === 'SIGKILL') return resolve({ kind: 'timeout', ms: timeoutMs })
          if (typeof e.code === 'number') return resolve({ kind: 'failed', code: e.code, stdout, stderr })
          if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return resolve({ kind: 'error', message: 'answer too long' })
          resolve({ kind: 'error', message: e.message })
        },
      )
    } catch (e) {
      resolve({ kind: 'error', message: (e as Error).message })
    }
  })
}
