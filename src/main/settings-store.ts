// electron-store behind the KeyValueStore port. Kept apart from settings.ts so tests never load
// electron-store (ESM-only, and it imports the real `electron` — electron-notes §7.1).
// clearInvalidConfig: a corrupt JSON file is reset instead of crashing the app at start.
import Store from 'electron-store'
import type { KeyValueStore } from './settings.js'

export function openKeyValueStore(name: string): KeyValueStore {
  const store = new Store<Record<string, unknown>>({ name, clearInvalidConfig: true })
  return {
    get: (k) => store.get(k),
    set: (k, v) => store.set(k, v),
    delete: (k) => store.delete(k),
  }
}
