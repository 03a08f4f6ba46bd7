// The check-in against the real local backend: an idle workstation costs one REST call per period; the queue is read
// only when the server's queue version moved; flags arrive with the check-in; a private broadcast that goes missing
// is reported to the link as a silently broken private path, and its return as healthy; a project without the
// check_in function falls back to the separate reads with one log line.
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { createRequest, engineSuite, setFlag, sleep, until, type TestEngine } from './helpers.js'

const PERIOD_MS = 500
let b: Backend
const { live } = engineSuite({ started: (x) => (b = x) })

/** Starts an engine checking in every PERIOD_MS (safety timer 300 ms: it must be the check-in that stops it) and waits for its first check-in. */
async function checkingIn(): Promise<TestEngine> {
  const t = await live({ tuning: { workstationHeartbeatMs: PERIOD_MS, checkInGraceMs: 200 }, config: { safetyReconcileMs: 300 } })
  await until(() => t.engine.checkIn!.stats.checkIns >= 1, 6000, 'the first check-in')
  await t.engine.feed!.idle()
  return t
}

/** The link's fallback hooks, recorded (the link decides what to do with them). */
function recordPathReports(t: TestEngine): string[] {
  const calls: string[] = []
  Object.assign(t.engine.link!, {
    reportPrivatePathBroken: (reason: string) => calls.push(`broken: ${reason}`),
    reportPrivatePathHealthy: () => calls.push('healthy'),
  })
  return calls
}

describe('check-in', () => {
  it('an idle workstation makes one REST call per period, and reads the queue only when it moved', async () => {
    const t = await checkingIn()
    const runs = t.engine.feed!.reconciler.stats.runs
    const before = b.stats().rest.requests
    const checkInsBefore = t.engine.checkIn!.stats.checkIns
    await sleep(PERIOD_MS * 6)
    const calls = b.stats().rest.requests - before
    const checkIns = t.engine.checkIn!.stats.checkIns - checkInsBefore
    expect(checkIns).toBeGreaterThanOrEqual(4) // it really is checking in…
    expect(calls).toBe(checkIns) // …and that is every call it makes
    expect(calls).toBeLessThanOrEqual(7)
    expect(t.engine.feed!.reconciler.stats.runs).toBe(runs) // no safety reads, though the safety timer is 300 ms

    // A queue change moves the version: the next check-in reads the queue (once), and the request is there.
    const r = await createRequest(b, { name: 'Version Moved' })
    await until(() => t.engine.feed!.reconciler.stats.runs > runs, PERIOD_MS * 4, 'a reconcile after the version moved')
    await t.engine.feed!.idle()
    expect(t.engine.snapshot().queue.map((q) => q.requestId)).toContain(r.id)
    const after = t.engine.feed!.reconciler.stats.runs
    await sleep(PERIOD_MS * 3)
    expect(t.engine.feed!.reconciler.stats.runs).toBe(after) // quiet again
    expect(t.log.has(/check-in failed/)).toBe(false)
  })

  it('the flags come with the check-in, even when their change event is lost', async () => {
    const t = await checkingIn()
    b.faults.realtimeMessages({ kind: 'postgres_changes', action: 'drop', count: 1 })
    await setFlag(b, 'mech_audio_alerts', false)
    try {
      await until(() => t.engine.snapshot().flags.mech_audio_alerts === false, PERIOD_MS * 4, 'the flag from the check-in')
    } finally {
      await setFlag(b, 'mech_audio_alerts', true)
    }
    await until(() => t.engine.snapshot().flags.mech_audio_alerts === true, PERIOD_MS * 4, 'the flag back on')
  })

  it('a private broadcast that never arrives: reported broken within a period and a grace, the queue read; healthy when broadcasts flow again', async () => {
    const t = await checkingIn()
    const reports = recordPathReports(t)
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 1 })
    const lost = await createRequest(b, { name: 'Lost Broadcast' })
    const lostAt = Date.now()
    await until(() => reports.length > 0, PERIOD_MS * 2 + 200 + 1000, 'the private path reported broken')
    expect(Date.now() - lostAt).toBeLessThanOrEqual(PERIOD_MS + 200 + 1000)
    expect(reports).toEqual(['broken: the queue changed on the server but no private broadcast arrived'])
    expect(t.engine.snapshot().health.counters['private-path:broken']).toBe(1)
    expect(t.log.has(/private path silently broken/)).toBe(true)
    await t.engine.feed!.idle()
    expect(t.engine.snapshot().queue.map((q) => q.requestId)).toContain(lost.id) // nothing lost

    // Quiet periods report nothing more.
    await sleep(PERIOD_MS * 2)
    expect(reports).toHaveLength(1)
    // The next change arrives on the private broadcast: healthy, once.
    await createRequest(b, { name: 'Broadcast Back' })
    await until(() => reports.length > 1, PERIOD_MS * 3, 'the private path reported healthy')
    expect(reports[1]).toBe('healthy')
    await sleep(PERIOD_MS * 2)
    expect(reports).toHaveLength(2)
  })

  it('a broadcast that is only late (delayed past the check-in but within the grace) is no break', async () => {
    const t = await checkingIn()
    const reports = recordPathReports(t)
    for (let i = 0; i < 3; i++) {
      b.faults.realtimeMessages({ kind: 'broadcast', action: 'delay', count: 1, delayMs: 100 })
      const r = await createRequest(b, { name: `Late ${i}` })
      await until(() => t.engine.snapshot().queue.some((q) => q.requestId === r.id), 3000, 'the late request')
      await sleep(PERIOD_MS)
    }
    await sleep(PERIOD_MS * 2)
    expect(reports).toEqual([])
    expect(t.engine.snapshot().health.counters['private-path:broken']).toBeUndefined()
  })

  it('a failed check-in is logged and counted, and the queue is read instead', async () => {
    const t = await checkingIn()
    const runs = t.engine.feed!.reconciler.stats.runs
    b.faults.restErrors({ status: 503, count: 1, path: '/rpc/check_in' })
    await until(() => t.log.has(/check-in failed; reading the queue instead/), PERIOD_MS * 3, 'the failure logged')
    await until(() => t.engine.feed!.reconciler.stats.runs > runs, 2000, 'the queue read instead')
    expect(t.engine.snapshot().health.counters['check-in:failed']).toBe(1)
    // The next check-in works again: no fallback to the old reads.
    const ok = t.engine.checkIn!.stats.checkIns
    await until(() => t.engine.checkIn!.stats.checkIns > ok, PERIOD_MS * 3, 'the next check-in')
    expect(t.log.has(/no usable check_in function/)).toBe(false)
  })

  // Last in the file: it drops the function from this file's own database.
  it('a project without check_in: one log line, then the heartbeat row, the safety reads and flag reads as before', async () => {
    await b.sql.query('drop function public.check_in')
    const t = await live({ tuning: { workstationHeartbeatMs: PERIOD_MS }, config: { safetyReconcileMs: PERIOD_MS } })
    const fallback = /no usable check_in function on this project/
    await until(() => t.log.has(fallback), 6000, 'the fallback line')
    const id = t.engine.config.workstationId
    const seen = async () => (await b.sql.query<{ last_seen: Date }>('select last_seen from public.workstation_health where workstation_id = $1', [id])).rows[0]?.last_seen.getTime() ?? 0
    await until(async () => (await seen()) > 0, 3000, 'a heartbeat row')
    const first = await seen()
    const runs = t.engine.feed!.reconciler.stats.runs
    await until(async () => (await seen()) > first, 3000, 'the next heartbeat row')
    await until(() => t.engine.feed!.reconciler.stats.runs >= runs + 2, PERIOD_MS * 6, 'the safety reconciles')
    expect(t.log.lines.filter((l) => fallback.test(l))).toHaveLength(1)
    expect(t.log.has(/check-in failed/)).toBe(false)
    expect(t.engine.snapshot().link.state).toBe('live')
  })
})
