// A SecretStore that forgets everything when the process ends. `doctor` uses it so that its test sign-in
// never touches (or rotates) the session a running tray/headless instance keeps; tests and the bench use
// it where persistence is not the point.
import type { SecretStore } from './ports.js'

export class MemorySecretStore implements SecretStore {
  readonly map = new Map<string, string>()
  async getItem(key: string) {
    return this.map.get(key) ?? null
  }
  async setItem(key: string, value: string) {
    this.map.set(key, value)
  }
  async removeItem(key: string) {
    this.map.delete(key)
  }
}
