// Drives electron-updater (generic provider) by the rules of update-policy.ts. electron-updater is reached
// only through the UpdaterLike seam — its autoUpdater's events and four members — so this file is tested
// with a fake emitter, and the real module is loaded (loadElectronUpdater) only in a packaged app with a
// feed: nothing that runs without Electron ever imports it.
//
// electron-updater's own install-on-quit is turned off (autoInstallOnAppQuit = false): it would install on
// any quit, and it decides whether to hook the quit at download time, before we know the queue. Instead the
// host asks installOnQuit() before it stops the engine (the queue is the engine's, and is gone after stop).
import { writeFileSync } from 'node:fs'
import type { Logger } from '../core/ports.js'
import type { UpdateStatus } from '../shared/ipc.js'
import type { EngineSnapshot } from '../shared/types.js'
import {
  DEFAULT_IDLE_INSTALL_MS,
  initialUpdateState,
  installDecision,
  nextCheckDelay,
  reduceUpdate,
  updateStatusText,
  type QueueFacts,
  type UpdateEvent,
  type UpdateState,
  updateFeed,
} from './update-policy.js'
import { urlProblem } from './settings-rules.js'

export const UPDATER_EVENTS = ['checking-for-update', 'update-available', 'update-not-available', 'update-downloaded', 'error'] as const

/** The part of electron-updater's autoUpdater this app uses. */
export interface UpdaterLike {
  on(event: (typeof UPDATER_EVENTS)[number], listener: (arg: unknown) => void): unknown
  setFeedURL(options: { provider: 'generic'; url: string }): void
  checkForUpdates(): Promise<unknown>
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void
  autoDownload: boolean
  autoInstallOnAppQuit: boolean
  /** Where electron-updater reads app-update.yml (its download cache name comes from there). */
  updateConfigPath: string | null
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface UpdateControllerOptions {
  /** null: updates are off (no feed, development build), for `offReason`. */
  updater: UpdaterLike | null
  feedUrl: string | null
  offReason: string | null
  log: Logger
  snapshot: () => EngineSnapshot
  sessionPersists: () => boolean
  onStatus: (status: UpdateStatus) => void
  now?: () => number
  timers?: Timers
  random?: () => number
  firstCheckMs?: number
  checkEveryMs?: number
  idleMs?: number
  /** How often a downloaded update re-evaluates "is this a quiet moment". */
  idleProbeMs?: number
  /** If electron-updater fails to quit after quitAndInstall, quit anyway after this long. */
  installQuitFallbackMs?: number
}

const systemTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) }

/** Error text for people and logs: one line, no query string (a feed URL may carry a token). */
function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : typeof err === 'string' ? err : 'unknown error'
  return msg.split('\n')[0]!.replace(/\?[^\s"']*/g, '?…').slice(0, 200)
}

function versionOf(info: unknown): string {
  const v = info && typeof info === 'object' ? (info as { version?: unknown }).version : undefined
  return typeof v === 'string' ? v.slice(0, 40) : 'unknown'
}

export class UpdateController {
  private state: UpdateState
  private emptySince: number | null
  private checkTimer: unknown = null
  private idleTimer: unknown = null
  private installing = false
  private pendingQuit: (() => void) | null = null
  private stopped = false
  private readonly now: () => number
  private readonly timers: Timers

  constructor(private readonly o: UpdateControllerOptions) {
    this.now = o.now ?? Date.now
    this.timers = o.timers ?? systemTimers
    this.state = initialUpdateState(o.updater && o.feedUrl ? null : (o.offReason ?? 'not configured'))
    this.emptySince = o.snapshot().queue.length === 0 ? this.now() : null
  }

  start(): void {
    const u = this.o.updater
    if (!u || !this.o.feedUrl) {
      this.o.log.info('updates off', { reason: this.state.detail })
      this.publish()
      return
    }
    u.autoDownload = true
    u.autoInstallOnAppQuit = false
    u.setFeedURL({ provider: 'generic', url: this.o.feedUrl })
    u.on('checking-for-update', () => this.apply({ type: 'checking-for-update' }))
    u.on('update-available', (info) => this.apply({ type: 'update-available', version: versionOf(info) }))
    u.on('update-not-available', () => this.apply({ type: 'update-not-available' }))
    u.on('update-downloaded', (info) => this.apply({ type: 'update-downloaded', version: versionOf(info) }))
    u.on('error', (err) => this.onError(err))
    this.publish()
    this.scheduleCheck(this.o.firstCheckMs ?? 60_000)
  }

  stop(): void {
    this.stopped = true
    if (this.checkTimer) this.timers.clearTimeout(this.checkTimer)
    if (this.idleTimer) this.timers.clearTimeout(this.idleTimer)
    this.checkTimer = this.idleTimer = null
  }

  status(): UpdateStatus {
    const waiting = this.o.snapshot().queue.length
    return { phase: this.state.phase, version: this.state.version, text: updateStatusText(this.state, { waiting }) }
  }

  /** Every engine snapshot: track how long the queue has been empty; install now if the policy says so. */
  onSnapshot(s: EngineSnapshot): void {
    if (s.queue.length > 0) this.emptySince = null
    else this.emptySince ??= this.now()
    if (this.state.phase === 'downloaded') {
      this.maybeInstallNow()
      this.publish()
    }
  }

  /** Asked before quitting, while the engine's queue is still the real one. */
  installOnQuit(): boolean {
    if (this.installing) return false
    const d = installDecision(this.state, this.facts(), this.now(), this.o.idleMs ?? DEFAULT_IDLE_INSTALL_MS)
    if (this.state.phase === 'downloaded' && d === 'wait') {
      this.o.log.info('update not installed on quit: customers are waiting', { version: this.state.version, waiting: this.facts().waiting })
    }
    return d !== 'wait'
  }

  /**
   * Installs the downloaded update and quits (restart: start the new version afterwards). Returns false when
   * nothing was started, so the caller quits by itself.
   */
  install(quitApp: () => void, restart: boolean): boolean {
    const u = this.o.updater
    if (!u || this.state.phase !== 'downloaded' || this.installing) return false
    this.installing = true
    this.pendingQuit = quitApp
    this.o.log.info('installing update', { version: this.state.version, restart })
    try {
      u.quitAndInstall(true, restart)
    } catch (err) {
      this.installing = false
      this.pendingQuit = null
      this.onError(err)
      return false
    }
    // electron-updater quits by itself once the installer is started; if it does not (its install failed
    // and it only emitted 'error'), the app must still quit as the person asked.
    this.timers.setTimeout(() => this.releaseQuit(), this.o.installQuitFallbackMs ?? 10_000)
    return true
  }

  private releaseQuit(): void {
    const q = this.pendingQuit
    this.pendingQuit = null
    q?.()
  }

  private facts(): QueueFacts {
    const s = this.o.snapshot()
    return { waiting: s.queue.length, linkLive: s.link.state === 'live', sessionPersists: this.o.sessionPersists(), emptySince: this.emptySince }
  }

  private apply(event: UpdateEvent): void {
    const before = this.state
    this.state = reduceUpdate(this.state, event)
    if (this.state.phase !== before.phase) this.o.log.info('update state', { phase: this.state.phase, version: this.state.version })
    if (this.state.phase === 'downloaded') {
      this.maybeInstallNow()
      this.scheduleIdleProbe()
    }
    this.publish()
  }

  private onError(err: unknown): void {
    const message = errorText(err)
    this.o.log.warn('update failed', { error: message, failures: this.state.failures + 1 })
    this.apply({ type: 'error', message })
    if (this.pendingQuit) {
      this.installing = false
      this.releaseQuit()
    }
  }

  private maybeInstallNow(): void {
    if (this.installing || this.stopped) return
    const d = installDecision(this.state, this.facts(), this.now(), this.o.idleMs ?? DEFAULT_IDLE_INSTALL_MS)
    if (d === 'now') this.install(() => {}, true)
  }

  /** A quiet moment can come without any new snapshot (time passes): look again now and then. */
  private scheduleIdleProbe(): void {
    if (this.idleTimer || this.stopped) return
    this.idleTimer = this.timers.setTimeout(() => {
      this.idleTimer = null
      if (this.state.phase !== 'downloaded' || this.installing) return
      this.maybeInstallNow()
      this.scheduleIdleProbe()
    }, this.o.idleProbeMs ?? 60_000)
  }

  private scheduleCheck(ms: number): void {
    if (this.stopped) return
    this.checkTimer = this.timers.setTimeout(() => {
      this.checkTimer = null
      void this.check().finally(() => this.scheduleCheck(nextCheckDelay(this.o.checkEveryMs ?? 4 * 3600_000, this.o.random)))
    }, ms)
  }

  private async check(): Promise<void> {
    if (this.installing) return
    const failuresBefore = this.state.failures
    try {
      await this.o.updater!.checkForUpdates()
    } catch (err) {
      // electron-updater emits 'error' and then rejects (AppUpdater.checkForUpdates); count a failure once,
      // but never let a rejection without the event go unreported.
      if (this.state.failures === failuresBefore) this.onError(err)
    }
  }

  private publish(): void {
    try {
      this.o.onStatus(this.status())
    } catch (err) {
      this.o.log.warn('update status listener failed', { error: String(err) })
    }
  }
}

/** The real autoUpdater, loaded only when an update feed is in effect in a packaged app. */
export async function loadElectronUpdater(): Promise<UpdaterLike> {
  const mod = await import('electron-updater')
  return mod.autoUpdater as unknown as UpdaterLike
}

export interface UpdatesSetup extends Omit<UpdateControllerOptions, 'updater' | 'feedUrl' | 'offReason'> {
  isPackaged: boolean
  /** Where to write our own app-update.yml (in userData). */
  updateConfigFile: string
  env: NodeJS.ProcessEnv
  provisionedFeedUrl: string | undefined
  /** Loads electron-updater; injected so tests never touch the real module. */
  load?: () => Promise<UpdaterLike>
}

/** app-update.yml for the generic provider (YAML accepts a JSON string as a scalar). */
export function updateConfigYaml(url: string): string {
  return `provider: generic\nurl: ${JSON.stringify(url)}\nupdaterCacheDirName: bayalert-updater\n`
}

/** The feed in effect decides whether electron-updater is loaded at all; a load failure turns updates off, said. */
export async function createUpdateController(o: UpdatesSetup): Promise<UpdateController> {
  const feed = updateFeed(o.env.BAYALERT_UPDATE_FEED_URL, o.provisionedFeedUrl, o.isPackaged, urlProblem)
  let updater: UpdaterLike | null = null
  let offReason = feed.offReason
  if (feed.url) {
    try {
      // electron-updater reads app-update.yml (resources/, written by electron-builder only when the build has
      // a publish config) for its cache folder name, and fails the download without it. The feed comes from
      // provisioning here, not from the build, so the app writes its own copy and points the updater at it.
      writeFileSync(o.updateConfigFile, updateConfigYaml(feed.url), { mode: 0o644 })
      const loaded = await (o.load ?? loadElectronUpdater)()
      loaded.updateConfigPath = o.updateConfigFile
      updater = loaded
    } catch (err) {
      updater = null
      offReason = `the updater could not be set up (${errorText(err)})`
      o.log.error('updater could not be set up', { error: errorText(err) })
    }
  }
  return new UpdateController({ ...o, updater, feedUrl: updater ? feed.url : null, offReason })
}
