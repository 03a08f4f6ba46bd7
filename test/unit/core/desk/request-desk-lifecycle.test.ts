// The request desk's start and stop: what a start with requests restored from the store says and arms, and that
// stop() (or every restored request being confirmed) leaves the offline-start notice's timer cleared, not armed to
// fire later into a stopped desk or a closed store.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { openStateCore } from '../../../../src/core/desk/state-core.js'
import { systemTimers, type TimerHandle, type Timers } from '../../../../src/core/desk/timers.js'
import { T0, allTierSinks, harness, queued, settle, type Harness, serverQueue } from '../helpers.js'

/** The notice threshold of these tests: no other timer of the engine uses this delay. */
const NOTICE_MS = 4321

/** The engine's timers, with the ones still armed (neither fired nor cleared) listed by delay. */
function armedTimers(): Timers & { armed(ms: number): number } {
  const pending = new Map<TimerHandle, number>()
  return {
    setTimeout(fn, ms) {
      const handle: TimerHandle = systemTimers.setTimeout(() => {
        pending.delete(handle)
        fn()
      }, ms)
      pending.set(handle, ms)
      return handle
    },
    clearTimeout(handle) {
      pending.delete(handle)
      systemTimers.clearTimeout(handle)
    },
    armed: (ms) => [...pending.values()].filter((d) => d === ms).length,
  }
}

let h: Harness
let timers: ReturnType<typeof armedTimers>
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  timers = armedTimers()
  h = harness({ timers })
})
afterEach(() => {
  h.dispose()
  vi.useRealTimers()
})

const snapshot = serverQueue

const restoredLines = () => h.log.lines.filter((l) => l.msg === 'desk: restored requests wait for the server to confirm them')
const healthAlerts = () => h.alerts().filter((a) => a.kind === 'health')

/** Two requests rung and acknowledged last session (so no repeat timer is armed), then a restart. */
async function restartWithTwoRestored(noticeMs = NOTICE_MS): Promise<void> {
  for (const id of ['a', 'b']) h.core.desk.ingest(queued(id))
  await settle()
  h.core.desk.acknowledge('a')
  h.core.desk.acknowledge('b')
  h.restart({ unconfirmedNoticeMs: noticeMs })
}

describe('start', () => {
  it('with restored requests: one info line with how many wait for the server', async () => {
    await restartWithTwoRestored()
    expect(restoredLines()).toEqual([{ level: 'info', msg: 'desk: restored requests wait for the server to confirm them', fields: { count: 2 } }])
    h.core.desk.start() // idempotent: no second line, no second notice timer
    expect(restoredLines()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(NOTICE_MS)
    expect(healthAlerts()).toHaveLength(1)
  })

  it('with an empty store: no such line and no notice timer', async () => {
    h.restart()
    expect(restoredLines()).toEqual([])
    await vi.advanceTimersByTimeAsync(60 * 60_000)
    expect(h.core.desk.notice()).toBeNull()
  })

  it('a queue listed before start reads as confirmed; after start the restored rows read as not confirmed', () => {
    h.core.desk.ingest(queued('r1'))
    h.core.close()
    const core = openStateCore({ dbPath: h.dbPath, sinks: Object.values(allTierSinks()), log: h.log })
    try {
      expect(core.desk.queue().map((q) => q.confirmed)).toEqual([true])
      core.desk.start()
      expect(core.desk.queue().map((q) => q.confirmed)).toEqual([false])
    } finally {
      core.close()
    }
  })
})

describe('the offline-start notice timer', () => {
  it('is armed at start only when something was restored', async () => {
    expect(timers.armed(NOTICE_MS)).toBe(0)
    h.restart({ unconfirmedNoticeMs: NOTICE_MS })
    expect(timers.armed(NOTICE_MS)).toBe(0)
    await restartWithTwoRestored()
    expect(timers.armed(NOTICE_MS)).toBe(1)
  })

  it('stop() before the threshold: the timer is cleared and nothing is announced', async () => {
    await restartWithTwoRestored()
    h.core.desk.stop()
    expect(timers.armed(NOTICE_MS)).toBe(0)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(healthAlerts()).toEqual([])
    expect(h.core.desk.notice()).toBeNull()
  })

  it('every restored request confirmed before the threshold: the timer is cleared, not left to fire', async () => {
    await restartWithTwoRestored()
    h.core.desk.reconcile(snapshot([queued('a'), queued('b')]))
    await settle()
    expect(timers.armed(NOTICE_MS)).toBe(0)
    expect(h.log.lines.filter((l) => l.msg === 'desk: every restored request is confirmed or removed')).toHaveLength(1)
  })

  it('one of two confirmed by a trusted event: the timer stays and the notice counts the one left', async () => {
    await restartWithTwoRestored()
    h.core.desk.ingest(queued('a', { source: 'postgres_changes' }))
    await settle()
    expect(timers.armed(NOTICE_MS)).toBe(1)
    expect(h.log.lines.filter((l) => l.msg === 'desk: every restored request is confirmed or removed')).toEqual([])
    await vi.advanceTimersByTimeAsync(NOTICE_MS)
    expect(healthAlerts().map((a) => a.title)).toEqual(['Not connected since start: 1 request from the last session is not confirmed'])
    expect(timers.armed(NOTICE_MS)).toBe(0)
  })
})
