// The headless CLI (`src/cli/headless.ts --json`) as a child process, for the tests that kill, restart or lock
// around it: every stdout line parsed as JSON (it must be), stderr kept for the failure message, and a wait for
// the first line that matches (failing at once when the child has ended without it).
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'

const ROOT = resolve(import.meta.dirname, '../..')

export interface HeadlessChild {
  proc: ChildProcess
  lines: Record<string, unknown>[]
  stderr: string[]
  /** The exit code (null when killed by a signal). */
  exit: Promise<number | null>
  /** The signal that ended it, or null when it exited by itself. */
  signal: Promise<NodeJS.Signals | null>
  waitLine(pred: (l: Record<string, unknown>) => boolean, ms: number, what: string): Promise<Record<string, unknown>>
}

/** Starts it with only PATH, HOME, no OS notifier and `env`; `args` default to `--json --no-ui`. */
export function startHeadless(env: Record<string, string>, args: string[] = ['--json', '--no-ui']): HeadlessChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/headless.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BAYALERT_NO_NOTIFIER: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Record<string, unknown>[] = []
  const stderr: string[] = []
  const waiters = new Set<() => void>()
  createInterface({ input: proc.stdout!, crlfDelay: Infinity }).on('line', (line) => {
    if (!line.trim()) return
    lines.push(JSON.parse(line) as Record<string, unknown>) // every stdout line must be JSON
    for (const w of [...waiters]) w()
  })
  proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()))
  let exited: string | null = null
  const ended = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
    proc.on('exit', (code, signal) => {
      exited = signal ?? `code ${code}`
      // A wait still pending fails now, not at its deadline. Lines are all read before 'exit' is handled
      // ('exit' can come before the last 'data': the wait re-checks the lines first).
      setTimeout(() => {
        for (const w of [...waiters]) w()
      }, 100)
      r([code, signal])
    }),
  )
  return {
    proc,
    lines,
    stderr,
    exit: ended.then(([code]) => code),
    signal: ended.then(([, signal]) => signal),
    waitLine(pred, ms, what) {
      return new Promise((res, rej) => {
        const check = () => {
          const hit = lines.find(pred)
          if (!hit && exited === null) return false
          clearTimeout(t)
          waiters.delete(check)
          if (hit) res(hit)
          else rej(new Error(`the headless child ended (${exited}) before ${what}; stderr: ${stderr.join('').slice(-2000)}`))
          return true
        }
        const t = setTimeout(() => {
          waiters.delete(check)
          rej(new Error(`timed out waiting for ${what}; stderr: ${stderr.join('').slice(-2000)}`))
        }, ms)
        if (!check()) waiters.add(check)
      })
    },
  }
}
