/** @vitest-environment node */
// The update policy: never install while a customer waits; install on quit once the queue is empty; at a
// quiet moment only when the link is live and the sign-in survives a restart. Pure functions, no Electron.
import { describe, expect, it } from 'vitest'
import {
  initialUpdateState,
  installDecision,
  nextCheckDelay,
  reduceUpdate,
  updateFeed,
  updateStatusText,
  type QueueFacts,
  type UpdateState,
} from '../../../src/main/update-policy.js'
import { urlProblem } from '../../../src/main/settings-rules.js'

const ready: UpdateState = { phase: 'downloaded', version: '1.4.0', detail: null, failures: 0 }
const NOW = 10_000_000
const IDLE = 30 * 60_000
const quiet: QueueFacts = { waiting: 0, linkLive: true, sessionPersists: true, emptySince: NOW - IDLE }

describe('installDecision', () => {
  it('nothing downloaded: never installs', () => {
    for (const phase of ['off', 'idle', 'checking', 'downloading', 'error'] as const) {
      expect(installDecision({ ...ready, phase }, quiet, NOW, IDLE)).toBe('wait')
    }
  })
  it('a waiting request (acknowledged or not) blocks both the quiet-moment restart and the install on quit', () => {
    expect(installDecision(ready, { ...quiet, waiting: 1, emptySince: null }, NOW, IDLE)).toBe('wait')
  })
  it('an empty queue: installs on quit', () => {
    expect(installDecision(ready, { ...quiet, emptySince: NOW }, NOW, IDLE)).toBe('on-quit')
  })
  it('a quiet moment starts exactly when the queue has been empty for the idle time', () => {
    expect(installDecision(ready, { ...quiet, emptySince: NOW - IDLE + 1 }, NOW, IDLE)).toBe('on-quit')
    expect(installDecision(ready, { ...quiet, emptySince: NOW - IDLE }, NOW, IDLE)).toBe('now')
  })
  it('not at a quiet moment while the link is not live (the empty queue may be stale)', () => {
    expect(installDecision(ready, { ...quiet, linkLive: false }, NOW, IDLE)).toBe('on-quit')
  })
  it('not at a quiet moment when the sign-in would not survive the restart (no keyring)', () => {
    expect(installDecision(ready, { ...quiet, sessionPersists: false }, NOW, IDLE)).toBe('on-quit')
  })
})

describe('reduceUpdate', () => {
  const idle = initialUpdateState(null)
  it('follows electron-updater’s events', () => {
    let s = reduceUpdate(idle, { type: 'checking-for-update' })
    expect(s.phase).toBe('checking')
    s = reduceUpdate(s, { type: 'update-available', version: '1.4.0' })
    expect(s).toMatchObject({ phase: 'downloading', version: '1.4.0' })
    s = reduceUpdate(s, { type: 'update-downloaded', version: '1.4.0' })
    expect(s).toMatchObject({ phase: 'downloaded', version: '1.4.0' })
    expect(reduceUpdate(reduceUpdate(idle, { type: 'checking-for-update' }), { type: 'update-not-available' })).toMatchObject({ phase: 'idle', version: null })
  })
  it('a later check or its failure does not forget a downloaded update', () => {
    expect(reduceUpdate(ready, { type: 'checking-for-update' })).toBe(ready)
    expect(reduceUpdate(ready, { type: 'update-not-available' })).toBe(ready)
    expect(reduceUpdate(ready, { type: 'update-available', version: '1.4.0' })).toBe(ready)
    expect(reduceUpdate(ready, { type: 'error', message: 'net::ERR_INTERNET_DISCONNECTED' })).toMatchObject({ phase: 'downloaded', failures: 1 })
  })
  it('a newer version found after a download is downloaded again', () => {
    expect(reduceUpdate(ready, { type: 'update-available', version: '1.5.0' })).toMatchObject({ phase: 'downloading', version: '1.5.0' })
  })
  it('errors are counted and said', () => {
    const s = reduceUpdate(reduceUpdate(idle, { type: 'error', message: 'a' }), { type: 'error', message: 'b' })
    expect(s).toEqual({ phase: 'error', version: null, detail: 'b', failures: 2 })
  })
  it('off stays off whatever arrives', () => {
    const off = initialUpdateState('no feed')
    expect(reduceUpdate(off, { type: 'update-downloaded', version: '9' })).toBe(off)
  })
})

describe('updateStatusText', () => {
  it('says why updates are off, what is happening, and why an update waits', () => {
    expect(updateStatusText(initialUpdateState('no update feed is configured'), { waiting: 0 })).toBe('Updates are off: no update feed is configured.')
    expect(updateStatusText(initialUpdateState(null), { waiting: 0 })).toBe('BayAlert is up to date.')
    expect(updateStatusText({ ...ready, phase: 'downloading' }, { waiting: 0 })).toBe('Downloading BayAlert 1.4.0…')
    expect(updateStatusText(ready, { waiting: 2 })).toMatch(/^BayAlert 1\.4\.0 is ready\. It is installed once no customer is waiting \(2 waiting now\)/)
    expect(updateStatusText(ready, { waiting: 0 })).toBe('BayAlert 1.4.0 is ready and is installed when BayAlert quits or at a quiet moment.')
    expect(updateStatusText({ ...ready, phase: 'error', detail: 'HttpError: 404' }, { waiting: 0 })).toBe('Update check failed (HttpError: 404); trying again later.')
  })
})

describe('updateFeed', () => {
  it('development build: off', () => {
    expect(updateFeed('https://u.example/', 'https://p.example/', false, urlProblem)).toEqual({ url: null, offReason: expect.stringMatching(/development build/) })
  })
  it('environment first, then provisioning, else off with the reason', () => {
    expect(updateFeed('https://env.example/feed/', 'https://p.example/', true, urlProblem)).toEqual({ url: 'https://env.example/feed/', offReason: null })
    expect(updateFeed(undefined, 'https://p.example/', true, urlProblem)).toEqual({ url: 'https://p.example/', offReason: null })
    expect(updateFeed('', undefined, true, urlProblem)).toEqual({ url: null, offReason: expect.stringMatching(/no update feed is configured/) })
  })
  it('a plain-http feed off loopback is refused (an update is code that will run)', () => {
    expect(updateFeed('http://updates.example/', 'https://p.example/', true, urlProblem)).toEqual({ url: null, offReason: expect.stringMatching(/BAYALERT_UPDATE_FEED_URL is not usable.*https/) })
  })
})

describe('nextCheckDelay', () => {
  it('spreads checks ±10 % around the base', () => {
    expect(nextCheckDelay(1000, () => 0)).toBe(900)
    expect(nextCheckDelay(1000, () => 0.5)).toBe(1000)
    expect(nextCheckDelay(1000, () => 1)).toBe(1100)
  })
})
