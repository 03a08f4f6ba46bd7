// The state core as its hosts open it: the data directory, the store's periodic prune, health alerts reaching
// the sinks through the pipeline with the desk's flags, and close(). Real SQLite files, fake timers.
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_FLAGS } from '../../../../src/shared/types.js'
import { openStateCore, type StateCore, type StateCoreOptions } from '../../../../src/core/desk/state-core.js'
import { T0, allTierSinks, captureLog, queued, settle } from '../helpers.js'

const HOUR = 3600_000
let dir: string
let cores: StateCore[]

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  dir = mkdtempSync(join(tmpdir(), 'bayalert-state-core-'))
  cores = []
})
afterEach(() => {
  for (const c of cores) c.close()
  rmSync(dir, { recursive: true, force: true })
  vi.useRealTimers()
})

function open(over: Partial<StateCoreOptions> = {}) {
  const log = captureLog()
  const sinks = allTierSinks()
  const core = openStateCore({ dbPath: join(dir, 'data', 'bayalert.db'), sinks: Object.values(sinks), log, ...over })
  cores.push(core)
  core.desk.start()
  return { core, log, sinks }
}

/** A tombstone removed `agoMs` before now: the prune's age limit (below) decides whether it stays. */
function tombstone(core: StateCore, id: string, agoMs = 0): void {
  core.store.putTombstone({ key: `${id}@`, requestId: id, queuedAt: null, removedAt: Date.now() - agoMs, removedCommitTs: null, reason: 'accepted' })
}
const OLD_AFTER_1S = { tombstonesMaxAgeMs: 1000 }

describe('the data directory', () => {
  it('is created when missing, owner-only (it holds customer names)', () => {
    open()
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700)
  })

  it('an unusable database file is moved aside, the rebuild is counted, and the desk works', () => {
    mkdirSync(join(dir, 'data'))
    writeFileSync(join(dir, 'data', 'bayalert.db'), 'not a database'.repeat(50))
    const { core } = open()
    expect(core.store.movedAsideTo).not.toBeNull()
    expect(core.health.summary().counters['store:rebuilt']).toBe(1)
    expect(core.desk.ingest(queued('r1')).outcome).toBe('alerted')
  })

  it('a sound database is not counted as rebuilt', () => {
    const { core } = open()
    expect(core.health.summary().counters['store:rebuilt']).toBeUndefined()
  })
})

describe('old rows are pruned while running', () => {
  it('every hour by default: not a moment before, and again the hour after', async () => {
    const { core } = open({ limits: OLD_AFTER_1S })
    tombstone(core, 'a')
    await vi.advanceTimersByTimeAsync(HOUR - 1)
    expect(core.store.tombstonesFor('a')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(core.store.tombstonesFor('a')).toHaveLength(0)
    tombstone(core, 'b')
    await vi.advanceTimersByTimeAsync(HOUR - 1)
    expect(core.store.tombstonesFor('b')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(core.store.tombstonesFor('b')).toHaveLength(0)
  })

  it('on the interval given', async () => {
    const { core } = open({ limits: OLD_AFTER_1S, pruneIntervalMs: 5000 })
    tombstone(core, 'a')
    await vi.advanceTimersByTimeAsync(4999)
    expect(core.store.tombstonesFor('a')).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(core.store.tombstonesFor('a')).toHaveLength(0)
  })

  it('a prune that fails is logged with its cause and counted, and the next one still runs', async () => {
    const { core, log } = open({ limits: OLD_AFTER_1S, pruneIntervalMs: 5000 })
    // Fault injection at the store's edge: the disk refuses once.
    const prune = core.store.prune.bind(core.store)
    const spy = vi.spyOn(core.store, 'prune').mockImplementationOnce(() => {
      throw new Error('disk I/O error')
    })
    tombstone(core, 'a')
    await vi.advanceTimersByTimeAsync(5000)
    expect(log.errors()).toEqual([{ level: 'error', msg: 'store: prune failed', fields: { cause: 'disk I/O error' } }])
    expect(core.health.summary().counters['store:error']).toBe(1)
    expect(core.store.tombstonesFor('a')).toHaveLength(1)
    spy.mockImplementation(prune)
    await vi.advanceTimersByTimeAsync(5000)
    expect(core.store.tombstonesFor('a')).toHaveLength(0)
    expect(core.health.summary().counters['store:error']).toBe(1)
  })

  it('a failure that is not even an Error is logged as what was thrown, not a crash in the timer', async () => {
    const { core, log } = open({ pruneIntervalMs: 5000 })
    vi.spyOn(core.store, 'prune').mockImplementationOnce(() => {
      throw undefined
    })
    await vi.advanceTimersByTimeAsync(5000)
    expect(log.errors()).toEqual([{ level: 'error', msg: 'store: prune failed', fields: { cause: 'undefined' } }])
  })

  it("ages are judged by the clock the host gives, not the system's", async () => {
    const ahead = 60_000
    const { core } = open({ limits: { tombstonesMaxAgeMs: 30_000 }, pruneIntervalMs: 5000, clock: { now: () => Date.now() + ahead } })
    tombstone(core, 'a')
    await vi.advanceTimersByTimeAsync(5000)
    expect(core.store.tombstonesFor('a')).toHaveLength(0)
  })

  it('close() stops it; closing twice is harmless', async () => {
    const { core } = open({ pruneIntervalMs: 5000 })
    const spy = vi.spyOn(core.store, 'prune')
    core.close()
    expect(vi.getTimerCount()).toBe(0)
    core.close()
    await vi.advanceTimersByTimeAsync(HOUR)
    expect(spy).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('health alerts reach the sinks', () => {
  it('through the pipeline, with the flags the desk holds at delivery time', async () => {
    const { core, sinks } = open()
    core.health.announce('test', { title: 'BayAlert cannot reach the server', body: 'Retrying.' })
    await settle()
    expect(sinks['in-app'].alerts.map((a) => a.title)).toEqual(['BayAlert cannot reach the server'])
    expect(sinks.sound.alerts).toHaveLength(1)
    core.desk.setFlags({ ...DEFAULT_FLAGS, mech_audio_alerts: false })
    core.health.announce('test-2', { title: 'Second problem', body: 'Retrying.' })
    await settle()
    expect(sinks['in-app'].alerts).toHaveLength(2)
    expect(sinks.sound.alerts).toHaveLength(1)
  })

  it('a change of the health summary alone rings nothing', async () => {
    const { core, sinks } = open()
    core.health.setExternalReason('realtime channel errored')
    await settle()
    expect(Object.values(sinks).flatMap((s) => s.alerts)).toEqual([])
  })

  it('not after close()', async () => {
    const { core, sinks } = open()
    core.close()
    core.health.announce('late', { title: 'Late problem', body: 'x' })
    await settle()
    expect(sinks['in-app'].alerts).toEqual([])
  })
})
