// The real command runner against real programs (node itself, and a name no machine has): every outcome a
// detector distinguishes — answer, non-zero exit with stderr, not installed, timeout — and the timeout is
// enforced (the child is killed, the call returns in about the timeout).
import { describe, expect, it } from 'vitest'
import { execCommand } from '../../../src/core/alert-path/command-runner.js'

const node = process.execPath

describe('execCommand', () => {
  it('an answer: stdout and stderr', async () => {
    expect(await execCommand(node, ['-e', 'process.stdout.write("Mute: no\\n"); process.stderr.write("w")'])).toEqual({ kind: 'ok', stdout: 'Mute: no\n', stderr: 'w' })
  })
  it('a non-zero exit keeps the exit code and both streams', async () => {
    expect(await execCommand(node, ['-e', 'process.stderr.write("No such entity"); process.exit(3)'])).toEqual({ kind: 'failed', code: 3, stdout: '', stderr: 'No such entity' })
  })
  it('a program that does not exist is "missing"', async () => {
    expect(await execCommand('bayalert-no-such-program-xyz', [])).toEqual({ kind: 'missing' })
  })
  it('a program that hangs is killed at the timeout', async () => {
    const t0 = Date.now()
    expect(await execCommand(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 })).toEqual({ kind: 'timeout', ms: 300 })
    expect(Date.now() - t0).toBeLessThan(5000)
  })
  it('arguments are passed as they are, never through a shell', async () => {
    const r = await execCommand(node, ['-e', 'process.stdout.write(process.argv[1])', '$(echo hi); `x` @DEFAULT_SINK@'])
    expect(r).toEqual({ kind: 'ok', stdout: '$(echo hi); `x` @DEFAULT_SINK@', stderr: '' })
  })
})
