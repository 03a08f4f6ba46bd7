// SecretStore on Electron safeStorage (the engine keeps the Supabase session through this port).
// - Async API only: the sync encryptString/decryptString/isEncryptionAvailable are deprecated in
//   Electron 45 (https://www.electronjs.org/docs/latest/api/safe-storage). Only usable after app 'ready'.
// - Linux: getSelectedStorageBackend() === 'basic_text' means no keyring (no gnome-keyring/kwallet): the
//   "encryption" uses a hard-coded key, so the data is effectively plaintext. We still store it (the app
//   must survive a restart without asking for the password at every boot) but say so plainly in the log
//   and in the queue window, as mattermost's secureStorage does. If encryption is not available at all,
//   secrets stay in memory only and the mechanic signs in again after a restart.
// - Ciphertext that cannot be decrypted (keyring changed, profile copied to another machine) is dropped
//   and reported as absent: the engine then shows "signed out" instead of crashing.
// - Values are never logged.
import type { Logger, SecretStore } from '../core/ports.js'
import type { SettingsView } from '../shared/ipc.js'
import type { KeyValueStore } from './settings.js'

export interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>
  encryptStringAsync(plain: string): Promise<Buffer>
  decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }>
  getSelectedStorageBackend?(): string
}

const KEY = 'secrets'

export class SafeStorageSecretStore implements SecretStore {
  private memoryOnly = new Map<string, string>()
  private statusCache: Promise<SettingsView['secretStorage']> | null = null

  constructor(
    private readonly safe: SafeStorageLike,
    private readonly kv: KeyValueStore,
    private readonly platform: NodeJS.Platform,
    private readonly log: Logger,
  ) {}

  status(): Promise<SettingsView['secretStorage']> {
    this.statusCache ??= (async () => {
      const available = await this.safe.isAsyncEncryptionAvailable().catch(() => false)
      const backend = this.platform === 'linux' ? (this.safe.getSelectedStorageBackend?.() ?? 'unknown') : this.platform === 'darwin' ? 'keychain' : 'dpapi'
      if (!available) {
        const message = 'No system keyring: your sign-in is kept in memory only, so you will be asked to sign in again after a restart.'
        this.log.warn('safeStorage encryption unavailable; secrets kept in memory only', { backend })
        return { protected: false, backend, message }
      }
      if (backend === 'basic_text') {
        const message =
          'No system keyring found (Linux "basic_text"): your sign-in token is stored on disk without real encryption. Install and unlock gnome-keyring or KWallet to protect it.'
        this.log.warn('safeStorage backend is basic_text: secrets are not protected at rest', { backend })
        return { protected: false, backend, message }
      }
      return { protected: true, backend, message: null }
    })()
    return this.statusCache
  }

  private async canPersist(): Promise<boolean> {
    return this.safe.isAsyncEncryptionAvailable().catch(() => false)
  }

  private all(): Record<string, string> {
    const raw = this.kv.get(KEY)
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {}
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') out[k] = v
    return out
  }

  private write(all: Record<string, string>): void {
    this.kv.set(KEY, all)
  }

  async getItem(key: string): Promise<string | null> {
    if (this.memoryOnly.has(key)) return this.memoryOnly.get(key)!
    const stored = this.all()[key]
    if (stored === undefined) return null
    try {
      const { result, shouldReEncrypt } = await this.safe.decryptStringAsync(Buffer.from(stored, 'base64'))
      if (shouldReEncrypt) await this.setItem(key, result)
      return result
    } catch (err) {
      this.log.warn('stored secret could not be decrypted; discarding it (sign in again)', {
        key,
        error: err instanceof Error ? err.message : 'unknown',
      })
      await this.removeItem(key)
      return null
    }
  }

  async setItem(key: string, value: string): Promise<void> {
    if (!(await this.canPersist())) {
      await this.status()
      this.memoryOnly.set(key, value)
      return
    }
    const encrypted = await this.safe.encryptStringAsync(value)
    this.write({ ...this.all(), [key]: encrypted.toString('base64') })
  }

  async removeItem(key: string): Promise<void> {
    this.memoryOnly.delete(key)
    const all = this.all()
    if (key in all) {
      delete all[key]
      this.write(all)
    }
  }
}
