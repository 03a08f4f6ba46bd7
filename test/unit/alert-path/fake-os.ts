// The OS answer for detector tests, mocked at the thinnest seam: the command runner (and one file read).
// A command with no scripted answer is "not installed"; every call is recorded.
import type { CommandResult, OsQuery } from '../../../src/core/alert-path/types.js'

export type Script = Record<string, CommandResult | (() => Promise<CommandResult>)>

export const ok = (stdout: string, stderr = ''): CommandResult => ({ kind: 'ok', stdout, stderr })
export const failed = (stderr: string, code = 1, stdout = ''): CommandResult => ({ kind: 'failed', code, stdout, stderr })
export const missing: CommandResult = { kind: 'missing' }
export const timeout: CommandResult = { kind: 'timeout', ms: 3000 }
export const crashed: CommandResult = { kind: 'error', message: 'spawn EACCES' }

/** Keyed by the program name (first match wins), so a test scripts `gdbus` once for all its calls. */
export function fakeOs(script: Script, over: Partial<OsQuery> = {}): OsQuery & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    platform: 'linux',
    env: { HOME: '/home/m' },
    readText: async () => null,
    run: async (command, args) => {
      calls.push([command, ...args].join(' '))
      const full = [command, ...args].join(' ')
      const key = Object.keys(script).find((k) => full.startsWith(k))
      const a = key === undefined ? missing : script[key]!
      return typeof a === 'function' ? a() : a
    },
    ...over,
  }
}
