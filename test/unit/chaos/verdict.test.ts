// The chaos run's judgement on hand-made timelines: what counts as lost, rung twice, a stale removal and a silence,
// and which fault a failure is put down to.
import { describe, expect, it } from 'vitest'
import { announceWithinMs, disturbance, healthyIntervals, judge, liveIntervals, presentDuring, subtract, type FaultWindow, type RequestRecord, type WorkstationRecord } from '../../../scripts/chaos/verdict.js'

const R = 'aaaaaaaa-0000-4000-8000-000000000001'
const R2 = 'aaaaaaaa-0000-4000-8000-000000000002'

function ws(index: number, over: Partial<WorkstationRecord> = {}): WorkstationRecord {
  return { index, states: [{ t: 0, state: 'live' }], rings: [], queues: [], ...over }
}
const req = (over: Partial<RequestRecord> = {}): RequestRecord => ({ id: R, queuedAt: 1000, removedAt: null, removalStartedAt: null, ...over })
const fault = (over: Partial<FaultWindow> & Pick<FaultWindow, 'fault'>): FaultWindow => ({ start: 0, end: 0, workstation: null, injected: true, ...over })
const opts = (over: Partial<Parameters<typeof judge>[3]> = {}) => ({ finalDbQueue: [], endAt: 60_000, ...over })

describe('rings', () => {
  it('a request rung once by a live workstation is no failure, and counts as an owed ring checked', () => {
    const v = judge([ws(0, { rings: [{ t: 1200, requestId: R, run: 0 }], queues: [{ t: 1200, ids: [R] }] })], [req()], [], opts({ finalDbQueue: [R] }))
    expect(v.counts).toEqual({ lost: 0, rungTwice: 0, staleRemovals: 0, silentFailures: 0, exits: 0 })
    expect(v.coverage.owedRings).toBe(1)
  })

  it('queued while live for 5 s and never rung: lost and a silence, put down to no fault', () => {
    const v = judge([ws(0, { queues: [{ t: 1200, ids: [R] }] })], [req()], [], opts({ finalDbQueue: [R] }))
    expect(v.counts).toMatchObject({ lost: 1, silentFailures: 1 })
    expect(v.failures.find((f) => f.kind === 'lost')).toMatchObject({ workstation: 0, requestId: R, at: 6000, faults: ['none'] })
    expect(v.byFault.none).toMatchObject({ lost: 1, silentFailures: 1 })
  })

  it('rung 5 s into a healthy stretch is in time; a millisecond later is a silence (rung, so not lost)', () => {
    const onTime = judge([ws(0, { rings: [{ t: 6000, requestId: R, run: 0 }] })], [req({ removedAt: 7000, removalStartedAt: 7000 })], [], opts())
    expect(onTime.counts.silentFailures).toBe(0)
    const late = judge([ws(0, { rings: [{ t: 6001, requestId: R, run: 0 }] })], [req({ removedAt: 7000, removalStartedAt: 7000 })], [], opts())
    expect(late.counts).toMatchObject({ lost: 0, silentFailures: 1 })
  })

  it('a request queued for less than 5 s of healthy link is not owed: taken early, never rung, no failure', () => {
    const v = judge([ws(0)], [req({ removalStartedAt: 5999, removedAt: 6000 })], [], opts())
    expect(v.counts).toEqual({ lost: 0, rungTwice: 0, staleRemovals: 0, silentFailures: 0, exits: 0 })
    expect(v.coverage.owedRings).toBe(0)
    // Exactly 5 s is owed.
    expect(judge([ws(0)], [req({ removalStartedAt: 6000, removedAt: 6001 })], [], opts()).counts.lost).toBe(1)
  })

  it('a workstation that said degraded the whole time owes nothing; once live again it does', () => {
    const degraded = ws(0, { states: [{ t: 0, state: 'degraded' }] })
    expect(judge([degraded], [req({ removalStartedAt: 30_000, removedAt: 30_001 })], [], opts()).counts.lost).toBe(0)
    const backLive = ws(0, { states: [{ t: 0, state: 'degraded' }, { t: 20_000, state: 'live' }] })
    const v = judge([backLive], [req({ removalStartedAt: 30_000, removedAt: 30_001 })], [], opts())
    expect(v.failures.filter((f) => f.kind === 'lost').map((f) => f.at)).toEqual([25_000])
  })

  it('the time a backend fault takes the link away is not healthy: a ring owed only after the grace that follows', () => {
    const halfOpen = fault({ fault: 'halfOpen', start: 0, end: 20_000 })
    const grace = disturbance('halfOpen')!.graceMs
    const v = judge([ws(0, { states: [{ t: 0, state: 'live' }, { t: 8000, state: 'connecting' }, { t: 21_000, state: 'live' }] })], [req({ removalStartedAt: 20_000 + grace + 4999, removedAt: 40_000 })], [halfOpen], opts())
    expect(v.counts.lost).toBe(0)
    const w = judge([ws(0, { states: [{ t: 0, state: 'live' }, { t: 8000, state: 'connecting' }, { t: 21_000, state: 'live' }] })], [req({ removalStartedAt: 20_000 + grace + 5000, removedAt: 40_000 })], [halfOpen], opts())
    expect(w.counts.lost).toBe(1)
    // Faults a workstation must ride through (duplicates, reordering, denied detail reads, its own store locked) leave the link healthy.
    for (const f of ['duplicatedEvents', 'reorderedEvents', 'rlsDeniesDetails', 'storeLocked', 'tokenExpiry', 'workstationKill'] as const) expect(disturbance(f), f).toBeNull()
  })

  it('a REST fault only delays a healthy stretch that begins inside it (the catch-up read); a link that stays up stays healthy', () => {
    const rest = fault({ fault: 'rest5xx', start: 10_000, end: 15_000 })
    expect(healthyIntervals([{ t: 0, state: 'live' }], [rest], 60_000)).toEqual([[0, 60_000]])
    const back = [{ t: 0, state: 'live' }, { t: 9000, state: 'connecting' }, { t: 12_000, state: 'live' }]
    expect(healthyIntervals(back, [rest], 60_000)).toEqual([[0, 9000], [16_000, 60_000]])
    // Back after the fault and its grace: healthy at once.
    expect(healthyIntervals([{ t: 0, state: 'connecting' }, { t: 16_000, state: 'live' }], [rest], 60_000)).toEqual([[16_000, 60_000]])
    // A stretch that ends before the catch-up fault is over is not healthy at all.
    expect(healthyIntervals([{ t: 12_000, state: 'live' }, { t: 14_000, state: 'offline' }], [rest], 60_000)).toEqual([])
    // A link fault cuts whatever the workstation says.
    expect(healthyIntervals([{ t: 0, state: 'live' }], [fault({ fault: 'socketDrop', start: 10_000, end: 11_000 })], 60_000)).toEqual([[0, 10_000], [12_000, 60_000]])
  })

  it('rung before a kill and again after the restart: rung twice, put down to the kill of that workstation only', () => {
    const kill = fault({ fault: 'workstationKill', start: 3000, end: 9000, workstation: 0 })
    const rings = [{ t: 1500, requestId: R, run: 0 }, { t: 9500, requestId: R, run: 1 }]
    const v = judge([ws(0, { rings }), ws(1, { rings })], [req({ removalStartedAt: 20_000, removedAt: 20_001 })], [kill], opts())
    expect(v.counts.rungTwice).toBe(2)
    expect(v.failures.filter((f) => f.kind === 'rungTwice').map((f) => [f.workstation, f.faults])).toEqual([
      [0, ['workstationKill']],
      [1, ['none']],
    ])
    expect(v.byFault.workstationKill).toMatchObject({ injected: 1, rungTwice: 1 })
  })

  it('a failure within 5 s after a fault window is that fault’s; later it is no fault’s; faults not injected count nowhere', () => {
    const drop = fault({ fault: 'socketDrop', start: 0, end: 1000 })
    const skipped = fault({ fault: 'rest5xx', start: 0, end: 60_000, injected: false })
    const rings = (t: number) => [{ t: 1200, requestId: R, run: 0 }, { t, requestId: R, run: 0 }]
    expect(judge([ws(0, { rings: rings(6000) })], [req()], [drop, skipped], opts({ finalDbQueue: [R] })).failures.find((f) => f.kind === 'rungTwice')!.faults).toEqual(['socketDrop'])
    const later = judge([ws(0, { rings: rings(6001) })], [req()], [drop, skipped], opts({ finalDbQueue: [R] }))
    expect(later.failures.find((f) => f.kind === 'rungTwice')!.faults).toEqual(['none'])
    expect(later.byFault.rest5xx.injected).toBe(0)
    expect(later.byFault.socketDrop.injected).toBe(1)
  })
})

describe('removals', () => {
  const rung = [{ t: 1200, requestId: R, run: 0 }]
  it('gone from the queue within 2 s of the removal on a live link: fine; still there at 2 s: stale', () => {
    const left = ws(0, { rings: rung, queues: [{ t: 1200, ids: [R] }, { t: 11_999, ids: [] }] })
    expect(judge([left], [req({ removalStartedAt: 9990, removedAt: 10_000 })], [], opts()).counts.staleRemovals).toBe(0)
    const stayed = ws(0, { rings: rung, queues: [{ t: 1200, ids: [R] }, { t: 12_001, ids: [] }] })
    const v = judge([stayed], [req({ removalStartedAt: 9990, removedAt: 10_000 })], [], opts())
    expect(v.counts.staleRemovals).toBe(1)
    expect(v.failures[0]).toMatchObject({ kind: 'staleRemovals', at: 12_000 })
  })

  it('removed while the workstation was offline: it has 2 s from being live again', () => {
    const states = [{ t: 0, state: 'live' }, { t: 8000, state: 'offline' }, { t: 20_000, state: 'live' }]
    const ok = ws(0, { states, rings: rung, queues: [{ t: 1200, ids: [R] }, { t: 21_500, ids: [] }] })
    expect(judge([ok], [req({ removalStartedAt: 10_000, removedAt: 10_000 })], [], opts()).counts.staleRemovals).toBe(0)
    const slow = ws(0, { states, rings: rung, queues: [{ t: 1200, ids: [R] }, { t: 22_500, ids: [] }] })
    expect(judge([slow], [req({ removalStartedAt: 10_000, removedAt: 10_000 })], [], opts()).counts.staleRemovals).toBe(1)
  })

  it('a removed request that comes back into the queue later (a restart restoring it) is stale', () => {
    const w = ws(0, { rings: rung, queues: [{ t: 1200, ids: [R] }, { t: 10_500, ids: [] }, { t: 30_000, ids: [R] }, { t: 31_000, ids: [] }] })
    expect(judge([w], [req({ removalStartedAt: 10_000, removedAt: 10_000 })], [], opts()).counts.staleRemovals).toBe(1)
  })
})

describe('the final queue', () => {
  it('one missing from the database’s queue is lost, one the database no longer queues is stale; one mismatch per workstation', () => {
    const w = ws(0, { rings: [{ t: 1200, requestId: R, run: 0 }, { t: 1300, requestId: R2, run: 0 }], queues: [{ t: 1300, ids: [R2] }] })
    const v = judge([w], [req(), req({ id: R2, removalStartedAt: 59_000, removedAt: 59_000 })], [], opts({ finalDbQueue: [R] }))
    expect(v.failures.map((f) => [f.kind, f.requestId])).toEqual(expect.arrayContaining([['lost', R], ['staleRemovals', R2]]))
    expect(v.queueMismatches).toBe(1)
    expect(judge([ws(0, { rings: [{ t: 1200, requestId: R, run: 0 }], queues: [{ t: 1300, ids: [R] }] })], [req()], [], opts({ finalDbQueue: [R] })).queueMismatches).toBe(0)
  })
})

describe('silences', () => {
  it('a half-open link long enough to swallow a heartbeat must be announced within two periods and a margin', () => {
    const f = fault({ fault: 'halfOpen', start: 10_000, end: 15_000 })
    const within = announceWithinMs(f)!
    const quiet = judge([ws(0)], [], [f], opts())
    expect(quiet.counts.silentFailures).toBe(1)
    expect(quiet.failures[0]).toMatchObject({ requestId: 'halfOpen@10000', faults: ['halfOpen'] })
    const said = judge([ws(0, { states: [{ t: 0, state: 'live' }, { t: 10_000 + within, state: 'connecting' }] })], [], [f], opts())
    expect(said.counts.silentFailures).toBe(0)
    const tooLate = judge([ws(0, { states: [{ t: 0, state: 'live' }, { t: 10_001 + within, state: 'connecting' }] })], [], [f], opts())
    expect(tooLate.counts.silentFailures).toBe(1)
    expect(said.coverage.silenceChecks).toBe(1)
  })

  it('not asked: a half-open link shorter than a heartbeat, a workstation not live when it began, faults that take no link away', () => {
    expect(announceWithinMs(fault({ fault: 'halfOpen', start: 0, end: 3999 }))).toBeNull()
    expect(announceWithinMs(fault({ fault: 'halfOpen', start: 0, end: 4000 }))).not.toBeNull()
    expect(announceWithinMs(fault({ fault: 'duplicatedEvents', start: 0, end: 4000 }))).toBeNull()
    const offline = ws(0, { states: [{ t: 0, state: 'offline' }] })
    expect(judge([offline], [], [fault({ fault: 'socketDrop', start: 10_000, end: 11_000 })], opts()).coverage.silenceChecks).toBe(0)
  })

  it('a socket drop the workstation did not notice within 3 s is a silence', () => {
    const f = fault({ fault: 'socketDrop', start: 10_000, end: 13_000 })
    expect(judge([ws(0)], [], [f], opts()).counts.silentFailures).toBe(1)
    expect(judge([ws(0, { states: [{ t: 0, state: 'live' }, { t: 10_050, state: 'connecting' }, { t: 11_000, state: 'live' }] })], [], [f], opts()).counts.silentFailures).toBe(0)
  })
})

describe('exits', () => {
  it('a workstation whose process ended on its own counts once per exit, put down to the store lock it hit', () => {
    const lock = fault({ fault: 'storeLocked', start: 10_000, end: 15_000, workstation: 0 })
    const v = judge([ws(0, { exits: [{ t: 11_000, why: 'exit 1; last stderr: Cannot open the local store' }] }), ws(1)], [], [lock], opts())
    expect(v.counts.exits).toBe(1)
    expect(v.failures).toEqual([{ kind: 'exits', workstation: 0, requestId: 'exit@11000', at: 11_000, faults: ['storeLocked'], why: "the workstation's process ended on its own: exit 1; last stderr: Cannot open the local store" }])
    expect(v.byFault.storeLocked.exits).toBe(1)
  })
})

describe('timeline helpers', () => {
  it('live stretches end at any other state and at the end of recording', () => {
    expect(liveIntervals([{ t: 5, state: 'live' }, { t: 1, state: 'connecting' }, { t: 9, state: 'down' }, { t: 12, state: 'live' }, { t: 13, state: 'live' }], 20)).toEqual([[5, 9], [12, 20]])
    expect(liveIntervals([{ t: 25, state: 'live' }], 20)).toEqual([])
  })
  it('subtract cuts holes and trims ends', () => {
    expect(subtract([[0, 10], [20, 30]], [[5, 22], [28, 40]])).toEqual([[0, 5], [22, 28]])
    expect(subtract([[0, 10]], [[0, 10]])).toEqual([])
    expect(subtract([[0, 10]], [[10, 12]])).toEqual([[0, 10]])
  })
  it('presentDuring: the queue shown at the start, else the first later line holding the id', () => {
    const qs = [{ t: 0, ids: [R] }, { t: 5, ids: [] }, { t: 8, ids: [R] }]
    expect(presentDuring(qs, R, 2, 10)).toBe(2)
    expect(presentDuring(qs, R, 6, 10)).toBe(8)
    expect(presentDuring(qs, R, 6, 7)).toBeNull()
    expect(presentDuring([], R, 0, 10)).toBeNull()
  })
})
