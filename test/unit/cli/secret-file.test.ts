// The headless session file: one failed write must not poison every later write (it used to: the write
// queue chained onto the rejected promise).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FileSecretStore } from '../../../src/cli/secret-file.js'
import type { Logger } from '../../../src/core/ports.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function logger() {
  const errors: string[] = []
  const log: Logger = { debug() {}, info() {}, warn() {}, error: (m) => void errors.push(m) }
  return { log, errors }
}

describe('FileSecretStore', () => {
  it('writes 0600 JSON and reads it back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bayalert-secrets-'))
    dirs.push(dir)
    const store = new FileSecretStore(dir, logger().log)
    await store.setItem('k', 'v')
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual({ k: 'v' })
    if (process.platform !== 'win32') expect(statSync(store.path).mode & 0o777).toBe(0o600)
    expect(await new FileSecretStore(dir, logger().log).getItem('k')).toBe('v')
  })

  it('a failed write is reported and logged, and the next write still works', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'bayalert-secrets-'))
    dirs.push(parent)
    const dir = join(parent, 'data')
    writeFileSync(dir, 'not a directory') // mkdir of the data dir fails, even as root
    const { log, errors } = logger()
    const store = new FileSecretStore(dir, log)
    await expect(store.setItem('k', 'v1')).rejects.toThrow()
    expect(errors).toHaveLength(1)
    rmSync(dir)
    await store.setItem('k', 'v2')
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual({ k: 'v2' })
    expect(errors).toHaveLength(1)
  })
})
