// A stale local queue is untrusted: what a workstation restores from its store at start never rings
// until the server has confirmed it since this start. Found by a new user: the second `npm start` rang
// "3 requests are still waiting" for requests the (fresh) demo shop no longer had, 150 ms before the
// link was live and the reconcile removed them.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import type { EngineSnapshot } from '../../src/shared/types.js'
import { backend, createRequest, engineSuite, setStatus, sleep, startEngine, until, waitForEvent, waitForState, type TestEngine } from './helpers.js'

let b: Backend
const { live, running } = engineSuite({ started: (x) => (b = x) })
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bayalert-stale-'))
  dirs.push(d)
  return d
}

/** A first session on `dir` that rings `n` new requests (repeating every `repeatIntervalMs`), then stops. */
async function firstSession(dir: string, n: number, repeatIntervalMs = 1000): Promise<{ t: TestEngine; ids: string[] }> {
  const t = await live({ dataDir: dir, config: { repeatIntervalMs } })
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push((await createRequest(b, { name: `Last Session ${i}` })).id)
  await until(() => ids.every((id) => t.sink.rung().includes(id)), 5000, 'the first session rings them')
  await t.engine.stop()
  return { t, ids }
}

/** Every snapshot (queue + state) the engine emits, from the moment it exists. */
function recordSnapshots(t: TestEngine): EngineSnapshot[] {
  const seen: EngineSnapshot[] = []
  t.engine.on('snapshot', (s) => seen.push(s))
  return seen
}

const requestAlerts = (t: TestEngine) => t.sink.alerts.filter((a) => a.kind !== 'health')

describe('restart with a stale local queue', () => {
  it('against a fresh backend that never had them: nothing rings, and they vanish at the first reconcile', async () => {
    const dir = dataDir()
    const { ids } = await firstSession(dir, 3)
    await sleep(1200) // every repeat is due by the time the second session starts
    const fresh = await backend()
    try {
      const t = await startEngine(fresh, { dataDir: dir, config: { repeatIntervalMs: 1000 }, signIn: false })
      running.push(t)
      const snapshots = recordSnapshots(t)
      // Restored, shown, not confirmed: and silent while the link comes up.
      const restored = t.engine.snapshot().queue.filter((q) => ids.includes(q.requestId))
      expect(restored.map((q) => q.confirmed)).toEqual([false, false, false])
      await sleep(300)
      expect(t.sink.alerts).toEqual([])
      const user = fresh.demoUsers[0]!
      await t.engine.signIn(user.email, user.password)
      await waitForState(t.engine, 'live', 15_000)
      await t.engine.feed!.idle()
      expect(t.engine.snapshot().queue.filter((q) => ids.includes(q.requestId))).toEqual([])
      await sleep(1500) // a repeat interval and a burst window: anything owed or due would have rung
      expect(requestAlerts(t)).toEqual([])
      expect(t.sink.alerts.filter((a) => a.kind === 'health')).toEqual([])
      // The snapshots before the reconcile showed them as not confirmed, never as confirmed.
      const shown = snapshots.flatMap((s) => s.queue).filter((q) => ids.includes(q.requestId))
      expect(shown.length).toBeGreaterThan(0)
      expect(shown.every((q) => q.confirmed === false)).toBe(true)
    } finally {
      for (const t of running.splice(0)) await t.stop()
      await fresh.stop()
    }
  })

  it('against the same shop: a still-queued request is confirmed and does not ring twice; a taken one vanishes silently', async () => {
    const dir = dataDir()
    const { t: first, ids } = await firstSession(dir, 2, 60_000) // no repeat comes due: any ring would be a second first alert
    const [stillQueued, taken] = ids as [string, string]
    await setStatus(b, taken, 'accepted')
    const whileClosed = await createRequest(b, { name: 'While Closed' })
    const t = await live({ dataDir: dir, secrets: first.secrets, config: { repeatIntervalMs: 60_000 } })
    await until(() => t.sink.rung().includes(whileClosed.id), 5000, 'the request made while closed rings')
    const q = t.engine.snapshot().queue
    expect(q.find((i) => i.requestId === stillQueued)).toMatchObject({ confirmed: true, alertCount: 1 })
    expect(q.find((i) => i.requestId === taken)).toBeUndefined()
    await sleep(1000)
    expect(t.sink.rung()).not.toContain(stillQueued)
    expect(t.sink.rung()).not.toContain(taken)
    await setStatus(b, stillQueued, 'accepted') // leave the shared backend's queue as we found it
    await setStatus(b, whileClosed.id, 'accepted')
  })

  it('an offline start shows them as not confirmed, announces it after the threshold, and confirms them once back', async () => {
    const dir = dataDir()
    const { t: first, ids } = await firstSession(dir, 1)
    const id = ids[0]!
    b.faults.refuseConnections({ ms: 60_000 })
    b.faults.restErrors({ status: 503, durationMs: 60_000 })
    const t = await startEngine(b, { dataDir: dir, secrets: first.secrets, config: { repeatIntervalMs: 1000 }, tuning: { stateCore: { unconfirmedNoticeMs: 1500 } } })
    running.push(t)
    const started = Date.now()
    expect(t.engine.snapshot().queue.find((q) => q.requestId === id)).toMatchObject({ confirmed: false })
    await waitForEvent(t.engine, 'alert', (a) => a.kind === 'health' && /^Not connected since start/.test(a.title), 5000, 'the offline-start alert')
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400)
    const health = t.sink.alerts.filter((a) => a.kind === 'health' && /^Not connected since start/.test(a.title))
    expect(health.map((a) => a.title)).toEqual([expect.stringMatching(/^Not connected since start: \d+ requests? from the last session (is|are) not confirmed$/)])
    expect(t.engine.snapshot().link.state).not.toBe('live')
    expect(t.engine.snapshot().link.reason).toMatch(/Not connected since start/)
    expect(requestAlerts(t)).toEqual([]) // its repeats were due all along: none rang
    b.faults.clear()
    t.engine.reconnectNow()
    await waitForState(t.engine, 'live', 20_000)
    await until(() => t.engine.snapshot().queue.find((q) => q.requestId === id)?.confirmed === true, 10_000, 'confirmed once back')
    expect(t.engine.snapshot().link.reason).not.toMatch(/Not connected since start/)
    // Confirmed and still waiting: it repeats per the usual rules, and never rings a first alert again.
    await until(() => requestAlerts(t).some((a) => a.kind === 'repeat'), 5000, 'a repeat after confirmation')
    expect(requestAlerts(t).filter((a) => a.kind === 'request' && a.requestId === id)).toEqual([])
    await setStatus(b, id, 'accepted')
  })
})
