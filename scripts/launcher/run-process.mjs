// The launcher's one process seam: every child the launcher needs (Electron's installer, prebuild-install,
// node-gyp) goes through runProcess, so unit tests replace exactly this function and nothing else.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * @typedef {{ code: number | null, signal: string | null, stdout: string, stderr: string, timedOut: string | null, spawnError: string | null }} ProcessResult
 * @typedef {{ cwd?: string, env?: NodeJS.ProcessEnv, onLine?: (line: string, stream: 'stdout' | 'stderr') => void,
 *   stallTimeoutMs?: number, totalTimeoutMs?: number }} RunOptions
 * @typedef {(cmd: string, args: string[], options?: RunOptions) => Promise<ProcessResult>} RunProcess
 */

/**
 * Runs a child with stdout/stderr captured (never inherited: the launcher prints one line of its own, not a
 * stack trace). Killed after `stallTimeoutMs` without output (a download blocked by a firewall that drops
 * packets never fails on its own) or after `totalTimeoutMs` in all.
 * @type {RunProcess}
 */
export function runProcess(cmd, args, options = {}) {
  const { cwd, env, onLine, stallTimeoutMs, totalTimeoutMs } = options
  return new Promise((done) => {
    /** @type {ProcessResult} */
    const result = { code: null, signal: null, stdout: '', stderr: '', timedOut: null, spawnError: null }
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    /** @type {NodeJS.Timeout | undefined} */
    let stall
    const span = (ms) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`)
    const kill = (why) => {
      result.timedOut = why
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 5000).unref()
    }
    const armStall = () => {
      if (!stallTimeoutMs) return
      clearTimeout(stall)
      stall = setTimeout(() => kill(`no progress for ${span(stallTimeoutMs)}`), stallTimeoutMs)
    }
    const total = totalTimeoutMs ? setTimeout(() => kill(`not finished after ${span(totalTimeoutMs)}`), totalTimeoutMs) : undefined
    armStall()
    for (const name of /** @type {const} */ (['stdout', 'stderr'])) {
      createInterface({ input: child[name] }).on('line', (line) => {
        result[name] += `${line}\n`
        armStall()
        onLine?.(line, name)
      })
    }
    child.once('error', (err) => {
      result.spawnError = err.message
    })
    child.once('close', (code, signal) => {
      clearTimeout(stall)
      clearTimeout(total)
      result.code = code
      result.signal = signal
      done(result)
    })
  })
}

/**
 * The one line that says why a child failed: the first error-looking line of its output (the message of
 * a stack trace, npm/node-gyp "ERR!" lines, prebuild-install "warn" lines), else its last line.
 * @param {ProcessResult} r
 */
export function failureLine(r) {
  if (r.spawnError) return r.spawnError
  const lines = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('at ') && !l.startsWith('@bayalert-'))
  // node-gyp spreads its message over several "gyp ERR! stack" lines (the other ERR! lines say only
  // "configure error"): join them.
  const stack = lines.filter((l) => /ERR! stack /.test(l)).map((l) => l.replace(/^.*?ERR! stack /, '')).filter((l) => !l.startsWith('at '))
  const line = stack.length
    ? stack.join(' ')
    : (lines.find((l) => /^\w*Error\b|ERR!|\berror\b|\bwarn\b/i.test(l)) ?? lines.at(-1) ?? '')
        // "prebuild-install warn install getaddrinfo ENOTFOUND github.com" → the message itself
        .replace(/^prebuild-install (warn|info|ERR!) (install )?/, '')
  const why = line.replace(/\s+/g, ' ') || `exit code ${r.code ?? r.signal}`
  const cut = why.length > 300 ? `${why.slice(0, 297)}...` : why
  return r.timedOut ? `${r.timedOut} (${cut})` : cut
}
