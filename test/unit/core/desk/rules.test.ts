// The desk's rules as pure decisions, pinned as tables: each row is a situation and what must happen.
import { describe, expect, it } from 'vitest'
import { DEFAULT_FLAGS, type RequestDetails } from '../../../../src/shared/types.js'
import type { QueuedFact } from '../../../../src/core/facts.js'
import type { QueueRow, Tombstone } from '../../../../src/core/store/store.js'
import {
  MAX_PAUSE_MINUTES,
  burstFlushDelay,
  confirms,
  decideDetails,
  decideKnown,
  decideUnknown,
  firstRing,
  hasAnyDetail,
  liveBurst,
  mergeDetails,
  newRow,
  pauseEnd,
  rangBasic,
  repeatStep,
  restoredPause,
  silencedBecause,
} from '../../../../src/core/desk/rules.js'

const V1 = '2026-03-02T08:00:00.123456Z'
const V1_MS = '2026-03-02T08:00:00.123000Z' // the same version through a JS Date
const V0 = '2026-03-02T07:00:00.000000Z'
const V2 = '2026-03-02T09:00:00.000000Z'
const NOW = Date.parse('2026-03-02T10:00:00Z')
const FULL: RequestDetails = { customerName: 'Dana', vehicle: '2015 Ford F-150', concern: 'Check engine', sessionType: 'video' }
const NONE: RequestDetails = { customerName: null, vehicle: null, concern: null, sessionType: null }

const fact = (over: Partial<QueuedFact> = {}): QueuedFact => ({
  kind: 'queued', source: 'postgres_changes', eventId: 'e1', commitTs: null, receivedAt: NOW, requestId: 'r1', queuedAt: V1, sessionId: 's1', details: null, ...over,
})
const row = (over: Partial<QueueRow> = {}): QueueRow => ({
  requestId: 'r1', key: `r1@${V1}`, sessionId: 's1', queuedAt: V1, details: FULL, detail: 'full', acknowledged: false, alertCount: 1,
  nextRepeatAt: null, firstSeenAt: NOW - 1000, firstSource: 'postgres_changes', lastAlertAt: NOW - 1000, commitTs: null, ...over,
})
const tomb = (over: Partial<Tombstone> = {}): Tombstone => ({
  key: `r1@${V1}`, requestId: 'r1', queuedAt: V1, removedAt: NOW - 5000, removedCommitTs: null, reason: 'accepted', ...over,
})

describe('detail level: who is waiting can be told ("full") from name, vehicle or concern', () => {
  it.each<[string, Partial<RequestDetails>, boolean]>([
    ['nothing', {}, false],
    ['session type alone', { sessionType: 'video' }, false],
    ['name alone', { customerName: 'Dana' }, true],
    ['vehicle alone', { vehicle: 'Civic' }, true],
    ['concern alone', { concern: 'Brakes' }, true],
    ['name + vehicle without concern', { customerName: 'Dana', vehicle: 'Civic' }, true],
  ])('%s → full: %s', (_n, d, full) => {
    expect(hasAnyDetail({ ...NONE, ...d })).toBe(full)
    expect(newRow(fact({ details: d }), 'k').detail).toBe(full ? 'full' : 'basic')
  })

  it('a source that lacks a field never erases what another source told', () => {
    expect(mergeDetails(FULL, { customerName: null, concern: 'New concern' })).toEqual({ ...FULL, concern: 'New concern' })
    expect(mergeDetails(FULL, null)).toBe(FULL)
  })

  it.each<[string, Partial<QueueRow>, 'basic' | 'full', boolean]>([
    ['rang basic, now full', { detail: 'basic', alertCount: 1 }, 'full', true],
    ['rang basic, still basic', { detail: 'basic', alertCount: 1 }, 'basic', false],
    ['rang full', { detail: 'full', alertCount: 1 }, 'full', false],
    ['never rang (held in a burst)', { detail: 'basic', alertCount: 0 }, 'full', false],
    ['acknowledged', { detail: 'basic', alertCount: 1, acknowledged: true }, 'full', false],
  ])('silent update when %s: %s', (_n, r, after, update) => {
    expect(rangBasic(row(r), after)).toBe(update)
  })
})

describe('a queued fact for a request already in the queue', () => {
  it.each<[string, Partial<QueuedFact>, Partial<QueueRow>, string, string | null]>([
    ['the same version, nothing new', {}, {}, 'duplicate', null],
    ['no version on the fact', { queuedAt: null }, {}, 'duplicate', null],
    ['the row had no version yet', {}, { queuedAt: null, key: 'r1@' }, 'duplicate', 'version filled in'],
    ['the millisecond spelling after the exact one', { queuedAt: V1_MS }, {}, 'duplicate', null],
    ['the exact spelling after the millisecond one', {}, { queuedAt: V1_MS, key: `r1@${V1_MS}` }, 'duplicate', 'version made precise'],
    ['new details', { details: { concern: 'Other' } }, {}, 'enriched', 'details added'],
  ])('%s → %s (%s)', (_n, f, r, outcome, reason) => {
    const d = decideKnown(fact(f), row(r), false)
    expect(d).toMatchObject({ kind: 'same', outcome, reason })
  })

  it('a version filled in or made precise moves the key to the exact version', () => {
    const filled = decideKnown(fact(), row({ queuedAt: null, key: 'r1@' }), false)
    expect(filled.kind === 'same' && filled.next?.key).toBe(`r1@${V1}`)
    const refined = decideKnown(fact(), row({ queuedAt: V1_MS, key: `r1@${V1_MS}` }), false)
    expect(refined.kind === 'same' && refined.next).toMatchObject({ key: `r1@${V1}`, queuedAt: V1 })
  })

  it('a session id learnt later is written; one already known is kept', () => {
    expect(decideKnown(fact({ sessionId: 's9' }), row({ sessionId: null }), false)).toMatchObject({ kind: 'same', next: { sessionId: 's9' } })
    expect(decideKnown(fact({ sessionId: 's9' }), row(), false)).toMatchObject({ kind: 'same', next: null })
  })

  it('an older version is stale; a newer one is a re-queue that tombstones the old version', () => {
    expect(decideKnown(fact({ queuedAt: V0 }), row(), false)).toEqual({ kind: 'stale', reason: `older than the queued version ${V1}` })
    expect(decideKnown(fact({ queuedAt: V2 }), row(), false)).toEqual({
      kind: 'requeue',
      tombstone: { key: `r1@${V1}`, requestId: 'r1', queuedAt: V1, removedAt: NOW, removedCommitTs: null, reason: 're-queued' },
    })
  })

  it.each<[string, QueuedFact['source'], boolean, Partial<QueueRow>, boolean, boolean]>([
    ['db-broadcast confirms a restored request', 'db-broadcast', true, {}, true, false],
    ['postgres_changes confirms', 'postgres_changes', true, {}, true, false],
    ['reconcile confirms', 'reconcile', true, {}, true, false],
    ['the public topic does not', 'broadcast', true, {}, false, false],
    ['a confirmed one that never rang is owed a ring', 'postgres_changes', true, { alertCount: 0 }, true, true],
    ['an acknowledged one is not owed', 'postgres_changes', true, { alertCount: 0, acknowledged: true }, true, false],
    ['a request of this run needs no confirming', 'postgres_changes', false, { alertCount: 0 }, false, false],
  ])('%s', (_n, source, unconfirmed, r, confirm, owed) => {
    expect(confirms(source)).toBe(source !== 'broadcast')
    expect(decideKnown(fact({ source }), row(r), unconfirmed)).toMatchObject({ kind: 'same', confirm, owed })
  })

  it('nothing new (same version, same session, same details) writes nothing and is never an update, even for a request that rang basic', () => {
    const basicRung = row({ details: NONE, detail: 'basic' })
    expect(decideKnown(fact(), basicRung, false)).toEqual({ kind: 'same', next: null, outcome: 'duplicate', reason: null, confirm: false, owed: false, update: false })
    // Neither side knows the version or the session yet: still nothing to write.
    const unversioned = row({ queuedAt: null, key: 'r1@', sessionId: null })
    expect(decideKnown(fact({ queuedAt: null, sessionId: null }), unversioned, false)).toMatchObject({ kind: 'same', next: null, reason: null })
  })

  it('a change of any one detail is an enrichment: vehicle, concern or session type', () => {
    for (const add of [{ vehicle: '2020 Kia Soul' }, { concern: 'Rattle' }, { sessionType: 'chat' }]) {
      const d = decideKnown(fact({ details: add }), row(), false)
      expect(d).toMatchObject({ kind: 'same', outcome: 'enriched', reason: 'details added', next: { details: { ...FULL, ...add } } })
    }
  })

  it('the session type alone does not make a basic request full; once full it never goes back to basic', () => {
    const typeOnly = decideKnown(fact({ details: { sessionType: 'chat' } }), row({ details: NONE, detail: 'basic' }), false)
    expect(typeOnly).toMatchObject({ kind: 'same', outcome: 'enriched', update: false, next: { detail: 'basic', details: { ...NONE, sessionType: 'chat' } } })
    const stillFull = decideKnown(fact({ details: { sessionType: 'chat' } }), row({ details: NONE, detail: 'full' }), false)
    expect(stillFull).toMatchObject({ kind: 'same', next: { detail: 'full' } })
  })

  it('several changes at once are all named in the reason', () => {
    const d = decideKnown(fact({ details: { concern: 'Rattle' } }), row({ queuedAt: null, key: 'r1@' }), false)
    expect(d).toMatchObject({ kind: 'same', outcome: 'enriched', reason: 'version filled in, details added' })
  })

  it('the commit time first known is kept; a row without one learns it from a later source', () => {
    const C1 = '2026-03-02T08:00:00.200000Z'
    const C2 = '2026-03-02T08:00:00.900000Z'
    const learns = decideKnown(fact({ commitTs: C2, details: { concern: 'Rattle' } }), row({ commitTs: null }), false)
    expect(learns).toMatchObject({ kind: 'same', next: { commitTs: C2 } })
    const keeps = decideKnown(fact({ commitTs: C2, details: { concern: 'Rattle' } }), row({ commitTs: C1 }), false)
    expect(keeps).toMatchObject({ kind: 'same', next: { commitTs: C1 } })
  })

  it('an enrichment of a request that rang basic is one silent update', () => {
    const d = decideKnown(fact({ details: { customerName: 'Dana' } }), row({ details: NONE, detail: 'basic' }), false)
    expect(d).toMatchObject({ kind: 'same', outcome: 'enriched', update: true, next: { detail: 'full' } })
  })
})

describe('tombstones: a removed version stays removed; a newer one rings again', () => {
  it.each<[string, Partial<QueuedFact>, Partial<Tombstone>[], string | null]>([
    ['no tombstone', {}, [], null],
    ['the removed version itself', {}, [{}], 'version already removed (accepted)'],
    ['the removed version in millisecond spelling', { queuedAt: V1_MS }, [{}], 'version already removed (accepted)'],
    ['an older version than the removed one', { queuedAt: V0 }, [{}], 'older than a removed version'],
    ['a newer version (re-queued after the removal)', { queuedAt: V2 }, [{}], null],
    ['no version, after any removal', { queuedAt: null }, [{}], 'request was removed and this event carries no version'],
    ['a removal that overtook its queued event (unknown version) blocks what was queued before it committed', { queuedAt: V1 }, [{ key: 'r1@', queuedAt: null, removedCommitTs: V2 }], 'queued before its removal was committed'],
    ['… but not a version queued after it committed', { queuedAt: V2 }, [{ key: 'r1@', queuedAt: null, removedCommitTs: V1 }], null],
    ['a version equal to the removal commit time is blocked', { queuedAt: V1 }, [{ key: 'r1@', queuedAt: null, removedCommitTs: V1 }], 'queued before its removal was committed'],
  ])('%s → %s', (_n, f, tombs, blocked) => {
    const key = `r1@${f.queuedAt === undefined ? V1 : f.queuedAt ?? ''}`
    expect(decideUnknown(fact(f), key, tombs.map(tomb)).blockedBecause).toBe(blocked)
  })

  it('a removal without a recorded reason is named as "removed"', () => {
    expect(decideUnknown(fact(), `r1@${V1}`, [tomb({ reason: null })]).blockedBecause).toBe('version already removed (removed)')
  })

  it('reconcile: once every tombstone expired, even a fact without a version comes back', () => {
    const readBegan = NOW - 2000
    const before = tomb({ removedAt: readBegan - 1 })
    expect(decideUnknown(fact({ source: 'reconcile', queuedAt: null }), 'r1@', [before], readBegan)).toEqual({ blockedBecause: null, expired: [before.key] })
  })

  it('reconcile: a removal heard before its read began yields to the snapshot (the tombstone expires); one heard after still blocks', () => {
    const readBegan = NOW - 2000
    const before = tomb({ removedAt: readBegan - 1 })
    expect(decideUnknown(fact({ source: 'reconcile' }), `r1@${V1}`, [before], readBegan)).toEqual({ blockedBecause: null, expired: [before.key] })
    const at = tomb({ removedAt: readBegan })
    expect(decideUnknown(fact({ source: 'reconcile' }), `r1@${V1}`, [at], readBegan)).toEqual({ blockedBecause: 'version already removed (accepted)', expired: [] })
    // Live facts (no snapshot) never expire tombstones, however old.
    expect(decideUnknown(fact(), `r1@${V1}`, [before]).expired).toEqual([])
  })
})

describe('details for a queued request', () => {
  it.each<[string, Partial<QueueRow>, RequestDetails, string | null, boolean]>([
    ['basic that rang → full: one silent update', { details: NONE, detail: 'basic' }, FULL, 'basic → full', true],
    ['basic not rung yet → full, no update', { details: NONE, detail: 'basic', alertCount: 0 }, FULL, 'basic → full', false],
    ['full → other details', {}, { ...FULL, concern: 'Other' }, 'details updated', false],
    ['nothing new', {}, FULL, null, false],
    // A row stored basic although it names someone (an older store): the level follows what is known.
    ['basic with a name already known → full', { details: FULL, detail: 'basic' }, FULL, 'basic → full', true],
  ])('%s', (_n, r, add, reason, update) => {
    const d = decideDetails(row(r), add)
    if (reason === null) expect(d).toEqual({ next: null, update: false, reason: 'details unchanged' })
    else expect(d).toMatchObject({ reason, update, next: { detail: 'full' } })
  })
})

describe('ringing and repeats', () => {
  const tuning = { repeatIntervalMs: 120_000, repeatMaxCount: 10 }

  it('the first ring counts 1 and schedules the first repeat one interval later; acknowledged or rung ones do not ring', () => {
    expect(firstRing(row({ alertCount: 0, lastAlertAt: null }), NOW, tuning)).toMatchObject({ alertCount: 1, lastAlertAt: NOW, nextRepeatAt: NOW + 120_000 })
    expect(firstRing(row({ alertCount: 0 }), NOW, { ...tuning, repeatMaxCount: 0 })!.nextRepeatAt).toBeNull()
    expect(firstRing(row({ alertCount: 0, acknowledged: true }), NOW, tuning)).toBeNull()
    expect(firstRing(row({ alertCount: 1 }), NOW, tuning)).toBeNull()
  })

  it('repeats are spaced by the interval, ten at most', () => {
    let r = firstRing(row({ alertCount: 0 }), NOW, tuning)!
    const rangAt: number[] = []
    for (let i = 0; i < 15; i++) {
      if (r.nextRepeatAt === null) break
      const at = r.nextRepeatAt
      const step = repeatStep(r, at, tuning, false)
      if (step.rings) rangAt.push(at)
      r = step.next
    }
    expect(rangAt).toHaveLength(10)
    expect(rangAt.map((t, i) => t - (i === 0 ? NOW : rangAt[i - 1]!))).toEqual(Array(10).fill(120_000))
    expect(r).toMatchObject({ alertCount: 11, nextRepeatAt: null })
  })

  it.each<[string, Partial<QueueRow>, boolean, { rings: boolean; alertCount: number; nextRepeatAt: number | null }]>([
    ['first repeat', { alertCount: 1 }, false, { rings: true, alertCount: 2, nextRepeatAt: NOW + 120_000 }],
    ['the tenth and last repeat', { alertCount: 10 }, false, { rings: true, alertCount: 11, nextRepeatAt: null }],
    ['past the maximum: only the schedule is cleared', { alertCount: 11 }, false, { rings: false, alertCount: 11, nextRepeatAt: null }],
    ['silenced: deferred an interval, not spent', { alertCount: 3 }, true, { rings: false, alertCount: 3, nextRepeatAt: NOW + 120_000 }],
  ])('%s', (_n, r, silenced, want) => {
    const s = repeatStep(row({ ...r, nextRepeatAt: NOW }), NOW, tuning, silenced)
    expect({ rings: s.rings, alertCount: s.next.alertCount, nextRepeatAt: s.next.nextRepeatAt }).toEqual(want)
  })

  it('with repeats off (max 0) a due schedule rings nothing', () => {
    expect(repeatStep(row({ alertCount: 1, nextRepeatAt: NOW }), NOW, { ...tuning, repeatMaxCount: 0 }, false)).toMatchObject({ rings: false, next: { nextRepeatAt: null } })
  })
})

describe('the burst limiter', () => {
  const t = { burstWindowMs: 1000, burstThreshold: 3 }

  it.each<[string, number[], number, number, boolean, number]>([
    ['the first request rings', [], 0, 1, true, 1],
    ['three together ring one by one', [], 0, 3, true, 3],
    ['four together are a burst', [], 0, 4, false, 0],
    ['a fourth within the window is held', [NOW - 10, NOW - 5, NOW - 1], 0, 1, false, 3],
    ['one more while others are held is held', [], 2, 1, false, 0],
    ['the window expires: a ring exactly one window ago no longer counts', [NOW - 1000, NOW - 1000, NOW - 1000], 0, 1, true, 1],
    ['… one just inside the window still does', [NOW - 999, NOW - 1000, NOW - 1000], 0, 3, false, 1],
  ])('%s', (_n, recent, held, arriving, ringEach, kept) => {
    const d = liveBurst(recent, NOW, held, arriving, t)
    expect(d.ringEach).toBe(ringEach)
    expect(d.recent).toHaveLength(kept)
  })

  it('held requests ring one window after the last ring, or at once if that has passed', () => {
    expect(burstFlushDelay(NOW, NOW - 200, 1000)).toBe(800)
    expect(burstFlushDelay(NOW, NOW - 1000, 1000)).toBe(0)
    expect(burstFlushDelay(NOW, NOW - 5000, 1000)).toBe(0)
    expect(burstFlushDelay(NOW, -Infinity, 1000)).toBe(0)
  })
})

describe('silence', () => {
  it.each<[string, boolean, Parameters<typeof silencedBecause>[1], string | null]>([
    ['alerts on, not paused', true, null, null],
    ['master flag off', false, null, 'mech_new_request_alerts off'],
    ['paused until resumed', true, 'indefinite', 'paused'],
    ['paused until a time', true, NOW, `paused until ${new Date(NOW).toISOString()}`],
  ])('%s → %s', (_n, on, paused, why) => {
    expect(silencedBecause({ ...DEFAULT_FLAGS, mech_new_request_alerts: on }, paused)).toBe(why)
  })

  it.each<[string, unknown, number | 'indefinite' | 'RangeError']>([
    ['15 minutes', { minutes: 15 }, NOW + 15 * 60_000],
    ['1 hour', { minutes: 60 }, NOW + 60 * 60_000],
    ['until resumed', { indefinite: true }, 'indefinite'],
    ['exactly one day', { minutes: MAX_PAUSE_MINUTES }, NOW + MAX_PAUSE_MINUTES * 60_000],
    ['one minute more than a day', { minutes: MAX_PAUSE_MINUTES + 1 }, 'RangeError'],
    ['several days', { minutes: 3 * 24 * 60 }, 'RangeError'],
    ['zero minutes', { minutes: 0 }, 'RangeError'],
    ['negative minutes', { minutes: -5 }, 'RangeError'],
    ['not a number', { minutes: '15' }, 'RangeError'],
    ['NaN', { minutes: NaN }, 'RangeError'],
    ['indefinite: false', { indefinite: false }, 'RangeError'],
    ['not an object', 'forever', 'RangeError'],
  ])('pause %s → %s', (_n, request, want) => {
    if (want === 'RangeError') expect(() => pauseEnd(request as never, NOW)).toThrow(RangeError)
    else expect(pauseEnd(request as never, NOW)).toBe(want)
  })

  it('a refused pause says what is accepted and quotes the request, cut to 80 characters; no request at all is refused the same way', () => {
    const long = { minutes: 'x'.repeat(500) }
    const refusal = (() => {
      try {
        pauseEnd(long as never, NOW)
      } catch (err) {
        return err as Error
      }
    })()
    expect(refusal).toBeInstanceOf(RangeError)
    expect(refusal!.message).toBe(`pause: expected { minutes: 15 | 60 } or { indefinite: true }, got ${JSON.stringify(long).slice(0, 80)}`)
    for (const nothing of [null, undefined]) expect(() => pauseEnd(nothing as never, NOW)).toThrow(RangeError)
  })

  it.each<[string, string | null, number | 'indefinite' | null]>([
    ['nothing stored', null, null],
    ['until resumed', 'indefinite', 'indefinite'],
    ['a pause still running', String(NOW + 1), NOW + 1],
    ['a pause that ended exactly now', String(NOW), null],
    ['a pause that ended while closed', String(NOW - 1), null],
    ['an unreadable value', 'soon', null],
  ])('a stored pause: %s → %s', (_n, stored, want) => {
    expect(restoredPause(stored, NOW)).toBe(want)
  })
})
