// Opening the store at start while it cannot be opened: retried with backoff for a reason that can pass,
// thrown at once for one that cannot, and given up when the engine stops.
import { describe, expect, it } from 'vitest'
import { mayOpenLater, openWithRetry } from '../../../src/core/store/open-retry.js'

const sqlite = (code: string, message = code) => Object.assign(new Error(message), { code })
const policy = { baseMs: 100, maxMs: 400, jitter: 0 }

/** Sleeps recorded, not waited; `until` sleeps succeed, then the timers read as closed. */
function recordingTimers(until = Infinity) {
  const slept: number[] = []
  return { slept, sleep: async (ms: number) => (slept.push(ms), slept.length <= until) }
}

describe('openWithRetry', () => {
  it('a locked file: tries again after 100, 200, 400, 400 ms and returns the store once it opens', async () => {
    const timers = recordingTimers()
    const failures: [string, number, number][] = []
    let tries = 0
    const store = await openWithRetry({
      open: () => {
        if (++tries <= 4) throw sqlite('SQLITE_BUSY', 'database is locked')
        return 'the store'
      },
      timers,
      policy,
      failed: (reason, attempt, ms) => failures.push([reason, attempt, ms]),
    })
    expect(store).toBe('the store')
    expect(timers.slept).toEqual([100, 200, 400, 400])
    expect(failures).toEqual([
      ['database is locked', 1, 100],
      ['database is locked', 2, 200],
      ['database is locked', 3, 400],
      ['database is locked', 4, 400],
    ])
  })

  it('opens at once without a wait when nothing is wrong', async () => {
    const timers = recordingTimers()
    expect(await openWithRetry({ open: () => 1, timers, policy, failed: () => expect.fail('no failure') })).toBe(1)
    expect(timers.slept).toEqual([])
  })

  it('an error retrying cannot fix (a driver that does not load) is thrown at once', async () => {
    const timers = recordingTimers()
    await expect(
      openWithRetry({ open: () => { throw sqlite('MODULE_NOT_FOUND', 'no build') }, timers, policy, failed: () => expect.fail('not retried') }),
    ).rejects.toThrow('no build')
    expect(timers.slept).toEqual([])
  })

  it('gives up with null once the timers close (the engine stopped)', async () => {
    const timers = recordingTimers(2)
    let tries = 0
    const store = await openWithRetry({ open: () => { tries++; throw sqlite('SQLITE_FULL', 'database or disk is full') }, timers, policy, failed: () => {} })
    expect(store).toBeNull()
    expect(tries).toBe(3)
  })
})

describe('mayOpenLater', () => {
  it.each(['SQLITE_BUSY', 'SQLITE_READONLY', 'SQLITE_PERM', 'SQLITE_FULL', 'SQLITE_IOERR_SHORT_READ', 'SQLITE_CANTOPEN', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EBUSY', 'EIO', 'EAGAIN'])('%s may pass', (code) => {
    expect(mayOpenLater(sqlite(code))).toBe(true)
  })
  it.each(['MODULE_NOT_FOUND', 'ERR_DLOPEN_FAILED', 'SQLITE_CONSTRAINT', 'ENOTDIR', 'EEXIST'])('%s does not', (code) => {
    expect(mayOpenLater(sqlite(code))).toBe(false)
  })
  it('an error without a code does not', () => {
    expect(mayOpenLater(new Error('x'))).toBe(false)
    expect(mayOpenLater(undefined)).toBe(false)
  })
})
