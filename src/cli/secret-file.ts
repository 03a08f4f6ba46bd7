// Headless SecretStore: one JSON file, mode 0600, in the data directory. Writes are atomic (temp file +
// rename) and serialized, so a crash mid-write never leaves a half-written session behind. Values are
// never logged. This is plain-text-at-rest protected by file permissions only — the Electron host uses
// the OS keyring (safeStorage) instead; README says so.
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger, SecretStore } from '../core/ports.js'

export class FileSecretStore implements SecretStore {
  readonly path: string
  private cache: Record<string, string> | null = null
  private chain: Promise<void> = Promise.resolve()

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
    fileName = 'secrets.json',
  ) {
    this.path = join(dir, fileName)
  }

  private async load(): Promise<Record<string, string>> {
    if (this.cache) return this.cache
    try {
      const st = await stat(this.path)
      if ((st.mode & 0o077) !== 0 && process.platform !== 'win32') {
        this.log.warn('secrets file was readable by others; tightening to 0600', { path: this.path })
        await chmod(this.path, 0o600)
      }
      const parsed: unknown = JSON.parse(await readFile(this.path, 'utf8'))
      this.cache = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {}
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') this.log.warn('secrets file unreadable; starting signed out', { path: this.path, cause: code ?? (e as Error).message })
      this.cache = {}
    }
    return this.cache
  }

  private write(next: Record<string, string>): Promise<void> {
    const done = this.chain.then(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 })
      const tmp = `${this.path}.${process.pid}.tmp`
      await writeFile(tmp, JSON.stringify(next), { mode: 0o600 })
      await rename(tmp, this.path)
    })
    // The caller sees this write's failure; the queue must not: a full disk once must not make every later
    // write fail until restart. The cause is logged here because auth-js does not always surface storage errors.
    this.chain = done.catch((e: unknown) => {
      this.log.error('could not save the session file; you may have to sign in again after a restart', {
        path: this.path,
        cause: (e as NodeJS.ErrnoException).code ?? (e as Error).message,
      })
    })
    return done
  }

  async getItem(key: string): Promise<string | null> {
    const all = await this.load()
    return Object.prototype.hasOwnProperty.call(all, key) ? (all[key] ?? null) : null
  }

  async setItem(key: string, value: string): Promise<void> {
    const all = { ...(await this.load()), [key]: value }
    this.cache = all
    await this.write(all)
  }

  async removeItem(key: string): Promise<void> {
    const all = { ...(await this.load()) }
    delete all[key]
    this.cache = all
    await this.write(all)
  }
}
