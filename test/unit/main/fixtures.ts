// Small fixtures the main-process unit tests share: an unsigned JWT with chosen claims (the app only reads the
// payload's role; the signature is the server's business) and an in-memory key-value store in place of
// electron-store (values cloned on write, as a JSON file would).

export function jwt(claims: Record<string, unknown>): string {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${b({ alg: 'HS256', typ: 'JWT' })}.${b(claims)}.c2lnbmF0dXJl`
}

export function memoryKv() {
  const m = new Map<string, unknown>()
  return { map: m, get: (k: string) => m.get(k), set: (k: string, v: unknown) => void m.set(k, structuredClone(v)), delete: (k: string) => void m.delete(k) }
}

/**
 * The main process's invoke handlers as src/main/index.ts registers them, over the given host and settings, with
 * a first-run service whose OS parts (sound, login item, updates, secret storage) are inert. Imported lazily: the
 * caller has mocked `electron` by then.
 */
export async function registerIpcForTests(o: {
  host: import('../../../src/main/engine-host.js').EngineHost
  settings: import('../../../src/main/settings.js').SettingsService
  kv: ReturnType<typeof memoryKv>
  log: import('../../../src/core/ports.js').Logger
}): Promise<void> {
  const { FirstRunService } = await import('../../../src/main/first-run-service.js')
  const { registerIpcHandlers } = await import('../../../src/main/ipc-handlers.js')
  const { settingsView } = await import('../../../src/main/settings.js')
  const updateStatus = () => ({ phase: 'off' as const, version: null, text: 'Updates are off: test.' })
  const storage = { protected: true, backend: 'test', message: null }
  const firstRun = new FirstRunService({
    kv: o.kv,
    settings: o.settings,
    snapshot: () => o.host.snapshot(),
    onSnapshot: (l) => o.host.onSnapshot(l),
    sound: { name: 'sound', tier: 'sound', alert: () => {} },
    notificationsSupported: () => true,
    secretStorage: async () => storage,
    loginItem: { supported: () => false, enabled: () => false, set: () => false },
    updateStatus,
    provisionedStartAtLogin: undefined,
    isPackaged: true,
    envConfigured: false,
    log: o.log,
  })
  registerIpcHandlers({ host: o.host, settings: o.settings, firstRun, view: async (l) => settingsView(l, storage), updateStatus, log: o.log })
}
