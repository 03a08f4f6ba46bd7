// electron-store behind the KeyValueStore port. Kept apart from settings.ts so tests never load
// electron-store (ESM-only, and it imports the real `electron`, whose index.js downloads the Electron binary
// at require time and throws where it cannot).
// clearInvalidConfig: a corrupt JSON file is reset instead of crashing the app at start.
// Owner-only files: settings name the shop and the mechanic, the secrets file holds the encrypted session
// (plain base64 where Linux has no keyring). conf writes every file with configFileMode (atomically, so the
// mode applies to each write); a file written by an older version with the default 0666 & ~umask is
// tightened when opened. Windows has no such modes (the profile directory's ACL protects it).
import { chmodSync, existsSync } from 'node:fs'
import Store from 'electron-store'
import type { KeyValueStore } from './settings.js'

export const STORE_FILE_MODE = 0o600

/** `cwd`: the directory for `<name>.json`; default electron-store's, the app's userData. */
export function openKeyValueStore(name: string, cwd?: string): KeyValueStore {
  const store = new Store<Record<string, unknown>>({ name, cwd, clearInvalidConfig: true, configFileMode: STORE_FILE_MODE })
  if (process.platform !== 'win32' && existsSync(store.path)) chmodSync(store.path, STORE_FILE_MODE)
  return {
    get: (k) => store.get(k),
    set: (k, v) => store.set(k, v),
    delete: (k) => store.delete(k),
  }
}
