// Shared fake of the `electron` module for unit tests (electron/fiddle tests/mocks/electron.ts pattern).
// The real module (Electron >= 42) downloads its binary at require time and throws here, so every
// main/preload test does:  vi.mock('electron', () => import('../../mocks/electron.js'))
// Both named exports and `default` exist: libraries such as electron-store `import electron from 'electron'`.
// Reset between tests with resetElectronMock().
import { EventEmitter } from 'node:events'
import { vi } from 'vitest'

type Listener = (...args: any[]) => unknown

export class FakeWebContents extends EventEmitter {
  static nextId = 1
  id = FakeWebContents.nextId++
  send = vi.fn()
  destroyed = false
  isDestroyed = vi.fn(() => this.destroyed)
  setWindowOpenHandler = vi.fn()
  loadURL = vi.fn(async () => {})
  reload = vi.fn()
  executeJavaScript = vi.fn(async () => undefined)
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = []
  webContents = new FakeWebContents()
  visible = false
  destroyed = false
  constructor(public options: Record<string, any> = {}) {
    super()
    FakeBrowserWindow.instances.push(this)
    this.visible = options.show !== false
  }
  loadURL = vi.fn(async (_url: string) => {})
  show = vi.fn(() => {
    this.visible = true
  })
  showInactive = vi.fn(() => {
    this.visible = true
  })
  hide = vi.fn(() => {
    this.visible = false
  })
  focus = vi.fn()
  restore = vi.fn()
  isMinimized = vi.fn(() => false)
  isVisible = vi.fn(() => this.visible)
  isFocused = vi.fn(() => false)
  isDestroyed = vi.fn(() => this.destroyed)
  destroy = vi.fn(() => {
    this.destroyed = true
    this.emit('closed')
  })
  close = vi.fn()
  flashFrame = vi.fn()
  setOverlayIcon = vi.fn()
}

export class FakeTray extends EventEmitter {
  static instances: FakeTray[] = []
  constructor(public image: unknown) {
    super()
    FakeTray.instances.push(this)
  }
  setImage = vi.fn((img: unknown) => {
    this.image = img
  })
  setToolTip = vi.fn()
  setContextMenu = vi.fn()
  destroy = vi.fn()
  isDestroyed = vi.fn(() => false)
}

export class FakeNotification extends EventEmitter {
  static instances: FakeNotification[] = []
  static isSupported = vi.fn(() => true)
  constructor(public options: Record<string, any> = {}) {
    super()
    FakeNotification.instances.push(this)
  }
  show = vi.fn()
  close = vi.fn(() => {
    this.emit('close')
  })
}

export interface FakeImage {
  path: string
  isEmpty(): boolean
}
export const nativeImage = {
  createFromPath: vi.fn((p: string): FakeImage => ({ path: p, isEmpty: () => false })),
  createEmpty: vi.fn((): FakeImage => ({ path: '', isEmpty: () => true })),
}

export const Menu = {
  buildFromTemplate: vi.fn((template: unknown[]) => ({ template })),
  setApplicationMenu: vi.fn(),
}

const appEmitter = new EventEmitter()
export const app = {
  isPackaged: false,
  name: 'BayAlert',
  on: vi.fn((e: string, l: Listener) => (appEmitter.on(e, l), app)),
  once: vi.fn((e: string, l: Listener) => (appEmitter.once(e, l), app)),
  emit: (e: string, ...a: unknown[]) => appEmitter.emit(e, ...a),
  whenReady: vi.fn(async () => {}),
  requestSingleInstanceLock: vi.fn(() => true),
  setAppUserModelId: vi.fn(),
  setBadgeCount: vi.fn(() => true),
  getPath: vi.fn((name: string) => `/tmp/bayalert-fake/${name}`),
  getVersion: vi.fn(() => '0.1.0'),
  getAppPath: vi.fn(() => '/tmp/bayalert-fake/app'),
  quit: vi.fn(),
  exit: vi.fn(),
  setLoginItemSettings: vi.fn(),
  getLoginItemSettings: vi.fn(() => ({ openAtLogin: false })),
  dock: { bounce: vi.fn(() => 1), cancelBounce: vi.fn(), hide: vi.fn(), setBadge: vi.fn() } as any,
}

const ipcMainHandlers = new Map<string, Listener>()
export const ipcMain = {
  handlers: ipcMainHandlers,
  handle: vi.fn((channel: string, fn: Listener) => {
    if (ipcMainHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    ipcMainHandlers.set(channel, fn)
  }),
  removeHandler: vi.fn((channel: string) => ipcMainHandlers.delete(channel)),
  on: vi.fn(),
}

const rendererEmitter = new EventEmitter()
export const ipcRenderer = {
  emitter: rendererEmitter,
  invoke: vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => undefined),
  on: vi.fn((c: string, l: Listener) => (rendererEmitter.on(c, l), ipcRenderer)),
  off: vi.fn((c: string, l: Listener) => (rendererEmitter.off(c, l), ipcRenderer)),
  removeListener: vi.fn((c: string, l: Listener) => (rendererEmitter.off(c, l), ipcRenderer)),
  send: vi.fn(),
}

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld: vi.fn((key: string, api: unknown) => {
    contextBridge.exposed.set(key, api)
  }),
}

export const safeStorage = {
  isAsyncEncryptionAvailable: vi.fn(async () => true),
  getSelectedStorageBackend: vi.fn(() => 'gnome_libsecret'),
  encryptStringAsync: vi.fn(async (s: string) => Buffer.from(`enc:${s}`, 'utf8')),
  decryptStringAsync: vi.fn(async (b: Buffer) => {
    const s = b.toString('utf8')
    if (!s.startsWith('enc:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.')
    return { result: s.slice(4), shouldReEncrypt: false }
  }),
}

const powerEmitter = new EventEmitter()
export const powerMonitor = {
  on: vi.fn((e: string, l: Listener) => (powerEmitter.on(e, l), powerMonitor)),
  off: vi.fn((e: string, l: Listener) => (powerEmitter.off(e, l), powerMonitor)),
  removeListener: vi.fn((e: string, l: Listener) => (powerEmitter.off(e, l), powerMonitor)),
  emit: (e: string, ...a: unknown[]) => powerEmitter.emit(e, ...a),
  listenerCount: (e: string) => powerEmitter.listenerCount(e),
}

export const net = {
  isOnline: vi.fn(() => true),
  fetch: vi.fn(async (url: string) => new Response(`fetched ${url}`)),
}

export const protocol = {
  registerSchemesAsPrivileged: vi.fn(),
  handle: vi.fn(),
}

export const shell = { beep: vi.fn(), openExternal: vi.fn() }
/** Registered accelerators and their callbacks; register answers true unless a test says otherwise. */
export const globalShortcut = {
  registered: new Map<string, () => void>(),
  register: vi.fn((accelerator: string, callback: () => void): boolean => {
    globalShortcut.registered.set(accelerator, callback)
    return true
  }),
  unregister: vi.fn((accelerator: string) => void globalShortcut.registered.delete(accelerator)),
}

export const dialog = {
  showErrorBox: vi.fn(),
  showSaveDialog: vi.fn(async (..._args: unknown[]): Promise<{ canceled: boolean; filePath?: string }> => ({ canceled: true })),
}

export const session = {
  defaultSession: {
    setPermissionRequestHandler: vi.fn(),
    setPermissionCheckHandler: vi.fn(),
    webRequest: { onHeadersReceived: vi.fn() },
  },
}

export const BrowserWindow = Object.assign(FakeBrowserWindow, {
  getAllWindows: vi.fn(() => FakeBrowserWindow.instances.filter((w) => !w.destroyed)),
})
export const Tray = FakeTray
export const Notification = FakeNotification

/** Clears recorded calls and instances; keeps the default implementations. */
export function resetElectronMock(): void {
  vi.clearAllMocks()
  FakeBrowserWindow.instances.length = 0
  FakeTray.instances.length = 0
  FakeNotification.instances.length = 0
  ipcMainHandlers.clear()
  rendererEmitter.removeAllListeners()
  powerEmitter.removeAllListeners()
  appEmitter.removeAllListeners()
  contextBridge.exposed.clear()
  globalShortcut.registered.clear()
  app.isPackaged = false
}

const electron = {
  app,
  BrowserWindow,
  Tray,
  Notification,
  Menu,
  nativeImage,
  ipcMain,
  ipcRenderer,
  contextBridge,
  safeStorage,
  powerMonitor,
  net,
  protocol,
  shell,
  globalShortcut,
  dialog,
  session,
}
export default electron
