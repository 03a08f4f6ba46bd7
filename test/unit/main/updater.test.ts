/** @vitest-environment node */
// The update controller against electron-updater's event seam: a fake autoUpdater (an EventEmitter with the
// members the app uses) emits checking-for-update, update-available, update-downloaded and error, and the
// engine's queue decides whether the update may be installed.
import { EventEmitter } from 'node:events'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { makeItem, makeSnapshot } from '../../mocks/fake-engine.js'
import type { UpdateStatus } from '../../../src/shared/ipc.js'
import type { EngineSnapshot } from '../../../src/shared/types.js'
import { createUpdateController, UpdateController, type UpdaterLike } from '../../../src/main/updater.js'

class FakeAutoUpdater extends EventEmitter implements UpdaterLike {
  autoDownload = false
  autoInstallOnAppQuit = true
  updateConfigPath: string | null = null
  feeds: unknown[] = []
  checks = 0
  installs: Array<[boolean | undefined, boolean | undefined]> = []
  checkResult: () => Promise<unknown> = async () => null
  override on(event: string, listener: (arg: unknown) => void): this {
    return super.on(event, listener)
  }
  setFeedURL(options: unknown) {
    this.feeds.push(options)
  }
  checkForUpdates() {
    this.checks++
    return this.checkResult()
  }
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean) {
    this.installs.push([isSilent, isForceRunAfter])
  }
}

/** Manual timers: run() fires what is due at the given time, in order; nothing runs by itself. */
function manualTimers() {
  let seq = 0
  const pending = new Map<number, { at: number; fn: () => void }>()
  let now = 0
  return {
    now: () => now,
    timers: {
      setTimeout: (fn: () => void, ms: number) => {
        const id = ++seq
        pending.set(id, { at: now + ms, fn })
        return id
      },
      clearTimeout: (h: unknown) => void pending.delete(h as number),
    },
    async advance(ms: number) {
      const until = now + ms
      for (let guard = 0; guard < 1000; guard++) {
        const next = [...pending.entries()].sort((a, b) => a[1].at - b[1].at)[0]
        if (!next || next[1].at > until) break
        pending.delete(next[0])
        now = next[1].at
        next[1].fn()
        await Promise.resolve()
        await Promise.resolve()
      }
      now = until
    },
    pendingCount: () => pending.size,
  }
}

const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() }

function setup(opts: { queue?: EngineSnapshot['queue']; linkLive?: boolean; sessionPersists?: boolean } = {}) {
  const updater = new FakeAutoUpdater()
  const clock = manualTimers()
  let snap = makeSnapshot({ queue: opts.queue ?? [], link: { state: opts.linkLive === false ? 'offline' : 'live', reason: '', since: 0 } })
  const statuses: UpdateStatus[] = []
  const ctl = new UpdateController({
    updater,
    feedUrl: 'https://updates.shop.example/bayalert/',
    offReason: null,
    log,
    snapshot: () => snap,
    sessionPersists: () => opts.sessionPersists ?? true,
    onStatus: (s) => statuses.push(s),
    now: clock.now,
    timers: clock.timers,
    random: () => 0.5,
    firstCheckMs: 1000,
    checkEveryMs: 60_000,
    idleMs: 10_000,
    idleProbeMs: 1000,
  })
  const setQueue = (queue: EngineSnapshot['queue']) => {
    snap = { ...snap, queue }
    ctl.onSnapshot(snap)
  }
  return { updater, clock, ctl, statuses, setQueue }
}

describe('UpdateController', () => {
  it('configures the generic feed and turns electron-updater’s own install-on-quit off', () => {
    const { updater, ctl } = setup()
    ctl.start()
    expect(updater.feeds).toEqual([{ provider: 'generic', url: 'https://updates.shop.example/bayalert/' }])
    expect(updater.autoDownload).toBe(true)
    expect(updater.autoInstallOnAppQuit).toBe(false)
  })

  it('checks after the first delay and then periodically, reporting each phase to the window', async () => {
    const { updater, ctl, clock, statuses } = setup()
    ctl.start()
    expect(updater.checks).toBe(0)
    await clock.advance(1000)
    expect(updater.checks).toBe(1)
    updater.emit('checking-for-update')
    updater.emit('update-available', { version: '1.4.0' })
    expect(statuses.at(-1)).toEqual({ phase: 'downloading', version: '1.4.0', text: 'Downloading BayAlert 1.4.0…' })
    await clock.advance(60_000)
    expect(updater.checks).toBe(2)
    ctl.stop()
    await clock.advance(600_000)
    expect(updater.checks).toBe(2)
  })

  it('downloaded while a request waits: no install, not even on quit; once the queue is empty, on quit', async () => {
    const { updater, ctl, setQueue, clock, statuses } = setup({ queue: [makeItem({ requestId: 'r-1' })] })
    ctl.start()
    updater.emit('update-downloaded', { version: '1.4.0' })
    await clock.advance(60_000)
    expect(updater.installs).toEqual([])
    expect(statuses.at(-1)!.text).toMatch(/once no customer is waiting \(1 waiting now\)/)
    expect(ctl.installOnQuit()).toBe(false)

    setQueue([makeItem({ requestId: 'r-1', acknowledged: true })])
    expect(ctl.installOnQuit()).toBe(false) // acknowledged but still waiting for someone to take it
    setQueue([])
    expect(ctl.installOnQuit()).toBe(true)
    const quitApp = vi.fn()
    expect(ctl.install(quitApp, false)).toBe(true)
    expect(updater.installs).toEqual([[true, false]]) // silent, and no restart: the person asked to quit
  })

  it('installs and restarts at a quiet moment: queue empty for the idle time, link live', async () => {
    const { updater, ctl, setQueue, clock } = setup({ queue: [makeItem({ requestId: 'r-1' })] })
    ctl.start()
    updater.emit('update-downloaded', { version: '1.4.0' })
    await clock.advance(5000)
    setQueue([])
    await clock.advance(9000)
    expect(updater.installs).toEqual([])
    await clock.advance(1000)
    expect(updater.installs).toEqual([[true, true]])
    expect(ctl.installOnQuit()).toBe(false) // already installing: the quit that follows is a plain quit
  })

  it('a request arriving during the idle wait restarts the wait', async () => {
    const { updater, ctl, setQueue, clock } = setup()
    ctl.start()
    await clock.advance(8000)
    updater.emit('update-downloaded', { version: '1.4.0' })
    setQueue([makeItem({ requestId: 'r-2' })])
    await clock.advance(1000)
    setQueue([])
    await clock.advance(9000)
    expect(updater.installs).toEqual([])
    await clock.advance(1000)
    expect(updater.installs).toEqual([[true, true]])
  })

  it('no quiet-moment restart without a keyring or while offline; still installs on quit', async () => {
    for (const opts of [{ sessionPersists: false }, { linkLive: false }]) {
      const { updater, ctl, clock } = setup(opts)
      ctl.start()
      updater.emit('update-downloaded', { version: '1.4.0' })
      await clock.advance(120_000)
      expect(updater.installs).toEqual([])
      expect(ctl.installOnQuit()).toBe(true)
      ctl.stop()
    }
  })

  it('errors are logged, counted, shown, and the next check still happens', async () => {
    const { updater, ctl, clock, statuses } = setup()
    log.warn.mockClear()
    updater.checkResult = async () => {
      const e = new Error('HttpError: 404 Not Found\n"method: GET url: https://updates.shop.example/latest.yml?token=abc"')
      updater.emit('error', e)
      throw e
    }
    ctl.start()
    await clock.advance(1000)
    expect(statuses.at(-1)).toEqual({ phase: 'error', version: null, text: 'Update check failed (HttpError: 404 Not Found); trying again later.' })
    expect(log.warn).toHaveBeenCalledTimes(1) // emitted and rejected: one failure, not two
    expect(log.warn).toHaveBeenCalledWith('update failed', { error: 'HttpError: 404 Not Found', failures: 1 })
    await clock.advance(60_000)
    expect(updater.checks).toBe(2)
  })

  it('a rejected check without an error event is still reported', async () => {
    const { updater, ctl, clock, statuses } = setup()
    updater.checkResult = async () => {
      throw new Error('boom')
    }
    ctl.start()
    await clock.advance(1000)
    expect(statuses.at(-1)!.phase).toBe('error')
  })

  it('an install that fails still lets the app quit', async () => {
    const { updater, ctl, setQueue } = setup()
    ctl.start()
    updater.emit('update-downloaded', { version: '1.4.0' })
    setQueue([])
    const quitApp = vi.fn()
    expect(ctl.install(quitApp, false)).toBe(true)
    updater.emit('error', new Error('No update filepath provided'))
    expect(quitApp).toHaveBeenCalledTimes(1)
  })

  it('if electron-updater neither quits nor reports, the app quits after the fallback delay', async () => {
    const { updater, ctl, setQueue, clock } = setup()
    ctl.start()
    updater.emit('update-downloaded', { version: '1.4.0' })
    setQueue([])
    const quitApp = vi.fn()
    ctl.install(quitApp, false)
    await clock.advance(9999)
    expect(quitApp).not.toHaveBeenCalled()
    await clock.advance(1)
    expect(quitApp).toHaveBeenCalledTimes(1)
  })
})

describe('createUpdateController', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bayalert-updater-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const updateConfigFile = join(dir, 'app-update.yml')
  const base = { log, updateConfigFile, snapshot: () => makeSnapshot(), sessionPersists: () => true, onStatus: () => {} }
  it('loads electron-updater only in a packaged app with a feed', async () => {
    const load = vi.fn(async () => new FakeAutoUpdater())
    const dev = await createUpdateController({ ...base, isPackaged: false, env: {}, provisionedFeedUrl: 'https://u.example/', load })
    const noFeed = await createUpdateController({ ...base, isPackaged: true, env: {}, provisionedFeedUrl: undefined, load })
    expect(load).not.toHaveBeenCalled()
    expect(dev.status()).toMatchObject({ phase: 'off', text: expect.stringMatching(/development build/) })
    expect(noFeed.status().text).toBe('Updates are off: no update feed is configured (updateFeedUrl in the provisioning file).')
    expect(existsSync(updateConfigFile)).toBe(false)
    const on = await createUpdateController({ ...base, isPackaged: true, env: {}, provisionedFeedUrl: 'https://u.example/', load })
    expect(load).toHaveBeenCalledTimes(1)
    expect(on.status().phase).toBe('idle')
    // Its own app-update.yml, so a build without a publish config can still download into a named cache.
    const fake = (await load.mock.results[0]!.value) as FakeAutoUpdater
    expect(fake.updateConfigPath).toBe(updateConfigFile)
    expect(readFileSync(updateConfigFile, 'utf8')).toBe('provider: generic\nurl: "https://u.example/"\nupdaterCacheDirName: bayalert-updater\n')
  })
  it('an unwritable config location turns updates off and says why', async () => {
    const c = await createUpdateController({ ...base, updateConfigFile: join(dir, 'missing', 'app-update.yml'), isPackaged: true, env: {}, provisionedFeedUrl: 'https://u.example/', load: async () => new FakeAutoUpdater() })
    expect(c.status().text).toMatch(/^Updates are off: the updater could not be set up \(ENOENT/)
  })
  it('a module that cannot be loaded turns updates off and says why', async () => {
    const c = await createUpdateController({ ...base, isPackaged: true, env: {}, provisionedFeedUrl: 'https://u.example/', load: async () => Promise.reject(new Error('Cannot find module')) })
    expect(c.status().text).toBe('Updates are off: the updater could not be set up (Cannot find module).')
  })
})

describe('where electron-updater may be loaded', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n)
      return statSync(p).isDirectory() ? files(p) : /\.ts$/.test(n) ? [p] : []
    })
  it('only src/main/updater.ts names it, and only in a dynamic import (the engine, headless and tests never load it)', () => {
    const naming = files(resolve('src')).filter((f) => readFileSync(f, 'utf8').includes("'electron-updater'"))
    expect(naming.map((f) => relative(resolve('.'), f))).toEqual(['src/main/updater.ts'])
    const text = readFileSync(resolve('src/main/updater.ts'), 'utf8')
    expect(text).not.toMatch(/^import[^\n]*'electron-updater'/m)
    expect(text).toMatch(/await import\('electron-updater'\)/)
  })
})
