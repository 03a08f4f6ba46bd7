import { describe, expect, it } from 'vitest'
import {
  broadcastEventKind,
  changeErrors,
  hasFullDetails,
  isUuid,
  parseBroadcast,
  parseFlagChange,
  parseFlagRows,
  parsePostgresChange,
  parseRow,
  rawText,
} from '../../../src/core/feed/parse.js'
import type { QueuedFact, RejectedFact, RemovedFact } from '../../../src/core/facts.js'

const ID = '9f1c2d3e-0000-4000-8000-000000000001'
const SID = 'a1b2c3d4-0000-4000-8000-000000000002'
const T = '2026-08-21T12:00:00.120318+00:00'
const now = 1_700_000_000_000

function request(over: Record<string, unknown> = {}) {
  return {
    id: ID,
    session_id: 'a1b2c3d4-0000-4000-8000-000000000002',
    status: 'queued',
    queued_at: T,
    customer_name: 'Dana Driver',
    vehicle: '2019 Honda Civic',
    concern: 'Brakes squeal',
    session_type: 'video',
    ...over,
  }
}

function bc(event: unknown, payload: unknown, meta?: unknown) {
  return { type: 'broadcast', event, payload, ...(meta === undefined ? {} : { meta }) }
}

function queued(r: ReturnType<typeof parseBroadcast>): QueuedFact {
  expect('fact' in r && r.fact.kind).toBe('queued')
  return (r as { fact: QueuedFact }).fact
}
function removed(r: ReturnType<typeof parseBroadcast>): RemovedFact {
  expect('fact' in r && r.fact.kind).toBe('removed')
  return (r as { fact: RemovedFact }).fact
}
function rejectedFact(r: ReturnType<typeof parseBroadcast>): RejectedFact {
  expect('fact' in r && r.fact.kind).toBe('rejected')
  const f = (r as { fact: RejectedFact }).fact
  expect(f.reason.length).toBeGreaterThan(5)
  return f
}

describe('broadcast parser', () => {
  it('parses new_request with full details', () => {
    const f = queued(parseBroadcast('broadcast', bc('new_request', { request: request() }), now))
    expect(f).toMatchObject({
      source: 'broadcast',
      requestId: ID,
      queuedAt: '2026-08-21T12:00:00.120318Z',
      sessionId: 'a1b2c3d4-0000-4000-8000-000000000002',
      details: { customerName: 'Dana Driver', vehicle: '2019 Honda Civic', concern: 'Brakes squeal', sessionType: 'video' },
      receivedAt: now,
    })
    expect(hasFullDetails(f.details)).toBe(true)
  })

  it.each(['new_request', 'NEW_REQUEST', 'newRequest', 'New-Request', 'NewRequest'])('event name %s is case/underscore-insensitive', (ev) => {
    expect(queued(parseBroadcast('broadcast', bc(ev, { request: request() }), now)).requestId).toBe(ID)
  })

  it('accepts camelCase field names (the old dashboard payloads)', () => {
    const f = queued(
      parseBroadcast(
        'broadcast',
        bc('new_request', { request: { id: ID, sessionId: SID, queuedAt: T, customerName: 'Ann', vehicle: 'Van', concern: 'Noise', sessionType: 'chat', Status: 'QUEUED' } }),
        now,
      ),
    )
    expect(f.details).toEqual({ customerName: 'Ann', vehicle: 'Van', concern: 'Noise', sessionType: 'chat' })
    expect(f.sessionId).toBe(SID)
  })

  it('accepts the legacy flat shape only with an explicit request id key', () => {
    const f = queued(parseBroadcast('broadcast', bc('new_request', { requestId: ID, customerName: 'Ann', vehicle: 'Van', concern: 'x' }), now))
    expect(f.requestId).toBe(ID)
    // A flat payload with only `id` is ambiguous (db-broadcast's `id` is the message id): rejected.
    rejectedFact(parseBroadcast('broadcast', bc('new_request', { id: ID, customer_name: 'Ann' }), now))
  })

  it('composes the vehicle from make/model/year, flat or nested intake', () => {
    const flat = queued(parseBroadcast('broadcast', bc('new_request', { request: request({ vehicle: undefined, vehicle_year: 2019, vehicle_make: 'Honda', vehicle_model: 'Civic' }) }), now))
    expect(flat.details?.vehicle).toBe('2019 Honda Civic')
    const nested = queued(
      parseBroadcast(
        'broadcast',
        bc('new_request', { request: { id: ID, status: 'queued', intake: { name: 'Bo', concern: 'Oil', vehicle_make: 'Ford', vehicle_model: 'Ka' } } }),
        now,
      ),
    )
    expect(nested.details).toMatchObject({ customerName: 'Bo', concern: 'Oil', vehicle: 'Ford Ka' })
  })

  it('uses the broadcast meta id as the event id (db-broadcast)', () => {
    const f = queued(parseBroadcast('db-broadcast', bc('new_request', { id: 'msg-1', request: request() }, { id: 'meta-1' }), now))
    expect(f.eventId).toBe('db-broadcast:meta-1')
    expect(f.requestId).toBe(ID) // never the envelope's message id
  })

  it('maps accepted / cancelled / removed to RemovedFact', () => {
    expect(removed(parseBroadcast('broadcast', bc('request_accepted', { request: request({ status: 'accepted' }) }), now)).reason).toBe('accepted')
    expect(removed(parseBroadcast('broadcast', bc('REQUEST_CANCELLED', { request: { id: ID } }), now)).reason).toBe('cancelled')
    expect(removed(parseBroadcast('db-broadcast', bc('request_removed', { request: { id: ID, status: 'cancelled' } }), now)).reason).toBe('cancelled')
    expect(removed(parseBroadcast('db-broadcast', bc('request_removed', { request: { id: ID } }), now)).reason).toBe('deleted')
  })

  it("request_accepted's taken_by names the taker as safe text; absent when not carried, null when not a name", () => {
    const accepted = (req: Record<string, unknown>) => removed(parseBroadcast('db-broadcast', bc('request_accepted', { request: { id: ID, status: 'accepted', ...req } }), now))
    expect(accepted({ taken_by: 'Ana Lima' }).takenBy).toBe('Ana Lima')
    expect(accepted({ takenBy: '  Ana\u0007 Lima\u202e ' }).takenBy).toBe('Ana Lima')
    expect(accepted({}).takenBy).toBeUndefined()
    expect('takenBy' in accepted({})).toBe(false)
    expect(accepted({ taken_by: null }).takenBy).toBeNull()
    expect(accepted({ taken_by: { name: 'x' } }).takenBy).toBeNull()
    expect(accepted({ taken_by: '   ' }).takenBy).toBeNull()
    // 80 characters at most: a longer name is cut with an ellipsis, not refused (the retract must still happen).
    expect(accepted({ taken_by: 'N'.repeat(80) }).takenBy).toBe('N'.repeat(80))
    expect(accepted({ taken_by: 'N'.repeat(81) }).takenBy).toBe(`${'N'.repeat(79)}…`)
    // Only an accepted removal names a taker: a cancel carrying the key says nothing about who.
    const cancelled = removed(parseBroadcast('db-broadcast', bc('request_cancelled', { request: { id: ID, status: 'cancelled', taken_by: 'Ana' } }), now))
    expect('takenBy' in cancelled).toBe(false)
    const removedAccepted = removed(parseBroadcast('db-broadcast', bc('request_removed', { request: { id: ID, status: 'accepted', taken_by: 'Ana' } }), now))
    expect(removedAccepted).toMatchObject({ reason: 'accepted', takenBy: 'Ana' })
  })

  it('keeps the request when a detail field has a wrong type (the details are fetched later)', () => {
    const f = queued(parseBroadcast('broadcast', bc('new_request', { request: request({ customer_name: { evil: true }, concern: ['a'] }) }), now))
    expect(f.details?.customerName).toBeNull()
    expect(f.details?.concern).toBeNull()
    expect(f.details?.vehicle).toBe('2019 Honda Civic')
  })

  it('makes hostile detail text safe', () => {
    const f = queued(parseBroadcast('broadcast', bc('new_request', { request: request({ customer_name: 'A\u001b[31mB\u202eC', concern: 'x'.repeat(100_000) }) }), now))
    expect(f.details?.customerName).not.toMatch(/[\u001b\u202e]/)
    expect(f.details!.concern!.length).toBeLessThanOrEqual(300)
  })

  const hostile: [string, unknown][] = [
    ['a non-object message', 'new_request'],
    ['null message', null],
    ['an unknown event', bc('request_exploded', { request: request() })],
    ['a numeric event', bc(42, { request: request() })],
    ['a missing event', { type: 'broadcast', payload: { request: request() } }],
    ['a string payload', bc('new_request', 'hello')],
    ['an array payload', bc('new_request', [request()])],
    ['a payload without request', bc('new_request', { foo: 1 })],
    ['request null', bc('new_request', { request: null })],
    ['request array', bc('new_request', { request: [request()] })],
    ['request without id', bc('new_request', { request: request({ id: undefined }) })],
    ['a numeric id', bc('new_request', { request: request({ id: 12345 }) })],
    ['an empty id', bc('new_request', { request: request({ id: '' }) })],
    ['an object id', bc('new_request', { request: request({ id: { $ne: null } }) })],
    ['an id with markup', bc('new_request', { request: request({ id: '<script>alert(1)</script>' }) })],
    ['an overlong id', bc('new_request', { request: request({ id: 'a'.repeat(500) }) })],
    ['a bad queued_at', bc('new_request', { request: request({ queued_at: 'yesterday' }) })],
    ['a numeric queued_at', bc('new_request', { request: request({ queued_at: 1700000000 }) })],
    ['a numeric status', bc('new_request', { request: request({ status: 1 }) })],
    ['a non-queued status on new_request', bc('new_request', { request: request({ status: 'accepted' }) })],
    ['a numeric session id', bc('new_request', { request: request({ session_id: 7 }) })],
    ['an id that is not a uuid', bc('new_request', { request: request({ id: 'r-1' }) })],
    ['a uuid with one character too many', bc('new_request', { request: request({ id: `${ID}0` }) })],
    ['a uuid without its dashes', bc('new_request', { request: request({ id: ID.replace(/-/g, '') }) })],
    ['a session id that is not a uuid', bc('new_request', { request: request({ session_id: 's-1' }) })],
    ['a cancel whose id is not a uuid', bc('request_cancelled', { request: { id: 'not-a-uuid' } })],
    ['an accepted event without id', bc('request_accepted', { request: {} })],
  ]
  it.each(hostile)('rejects %s with a reason', (_name, msg) => {
    const f = rejectedFact(parseBroadcast('broadcast', msg, now))
    expect(typeof f.raw).toBe('string')
    expect(f.source).toBe('broadcast')
  })

  it('survives cycles and prototype keys', () => {
    const cyclic: Record<string, unknown> = { id: ID, status: 'queued' }
    cyclic.self = cyclic
    const f = queued(parseBroadcast('broadcast', bc('new_request', { request: cyclic }), now))
    expect(f.requestId).toBe(ID)
    const proto = JSON.parse(`{"request":{"id":"${ID}","__proto__":{"status":"accepted"},"status":"queued"}}`)
    expect(queued(parseBroadcast('broadcast', bc('new_request', proto), now)).requestId).toBe(ID)
    expect(rawText(cyclic)).toMatch(/unserializable/)
  })

  it('truncates the raw payload', () => {
    const f = rejectedFact(parseBroadcast('broadcast', bc('nope', { big: 'y'.repeat(50_000) }), now))
    expect(f.raw.length).toBeLessThan(4200)
  })

  it('event kinds', () => {
    expect(broadcastEventKind('request_canceled')).toBe('cancelled')
    expect(broadcastEventKind('x'.repeat(100))).toBeNull()
  })
})

describe('postgres_changes parser', () => {
  const base = { schema: 'public', table: 'session_assignments', commit_timestamp: '2026-08-21T12:00:00.123Z', errors: null }

  it('INSERT queued → QueuedFact without details', () => {
    const f = queued(parsePostgresChange({ ...base, eventType: 'INSERT', new: { id: ID, status: 'queued', queued_at: T, session_id: SID }, old: {} }, now))
    expect(f).toMatchObject({ source: 'postgres_changes', requestId: ID, details: null, commitTs: '2026-08-21T12:00:00.123000Z' })
    expect(f.eventId).toContain(ID)
  })

  it.each(['insert', 'Insert', 'INSERT'])('eventType %s is compared case-insensitively', (t) => {
    expect(queued(parsePostgresChange({ ...base, eventType: t, new: { id: ID, status: 'QUEUED' }, old: {} }, now)).requestId).toBe(ID)
  })

  it('UPDATE to queued (re-queue) → QueuedFact; UPDATE away → RemovedFact', () => {
    queued(parsePostgresChange({ ...base, eventType: 'UPDATE', new: { id: ID, status: 'queued', queued_at: T }, old: { id: ID } }, now))
    const r = removed(parsePostgresChange({ ...base, eventType: 'UPDATE', new: { id: ID, status: 'accepted' }, old: { id: ID } }, now))
    expect(r).toMatchObject({ reason: 'accepted', status: 'accepted' })
    expect(removed(parsePostgresChange({ ...base, eventType: 'UPDATE', new: { id: ID, status: 'cancelled' }, old: { id: ID } }, now)).reason).toBe('cancelled')
  })

  it('DELETE with a PK-only old record (what a DELETE carries under RLS) → RemovedFact', () => {
    expect(removed(parsePostgresChange({ ...base, eventType: 'DELETE', new: {}, old: { id: ID } }, now))).toMatchObject({ reason: 'deleted', requestId: ID })
  })

  it('INSERT of a non-queued row is ignored with a reason', () => {
    const r = parsePostgresChange({ ...base, eventType: 'INSERT', new: { id: ID, status: 'assigned' }, old: {} }, now)
    expect(r).toEqual({ ignored: expect.stringContaining('assigned') })
  })

  const bad: [string, unknown][] = [
    ['errors from the server', { ...base, errors: ['Error 401: Unauthorized'], eventType: 'INSERT', new: {}, old: {} }],
    ['413 errors even with a record', { ...base, errors: ['Error 413: Payload Too Large'], eventType: 'INSERT', new: { id: ID, status: 'queued' }, old: {} }],
    ['unknown eventType', { ...base, eventType: 'TRUNCATE', new: {}, old: {} }],
    ['missing eventType', { ...base, new: { id: ID, status: 'queued' }, old: {} }],
    ['a record without id', { ...base, eventType: 'INSERT', new: { status: 'queued' }, old: {} }],
    ['a numeric id', { ...base, eventType: 'INSERT', new: { id: 5, status: 'queued' }, old: {} }],
    ['a record without status', { ...base, eventType: 'UPDATE', new: { id: ID }, old: { id: ID } }],
    ['a DELETE without old id', { ...base, eventType: 'DELETE', new: {}, old: {} }],
    ['a non-object', 'INSERT'],
  ]
  it.each(bad)('rejects %s', (_n, msg) => {
    const r = parsePostgresChange(msg, now)
    expect('fact' in r && r.fact.kind).toBe('rejected')
  })

  it('ignores other tables', () => {
    expect(parsePostgresChange({ ...base, table: 'feature_flags', eventType: 'UPDATE', new: {}, old: {} }, now)).toHaveProperty('ignored')
  })
})

describe('ids are uuids, at every source', () => {
  it('isUuid: any version, either case; nothing longer, shorter, or with other characters', () => {
    expect(isUuid(ID)).toBe(true)
    expect(isUuid(ID.toUpperCase())).toBe(true)
    expect(isUuid('00000000-0000-0000-0000-000000000000')).toBe(true)
    expect(isUuid(ID.slice(0, 35))).toBe(false)
    expect(isUuid(`${ID} `)).toBe(false)
    expect(isUuid(`{${ID}}`)).toBe(false)
    expect(isUuid(ID.replace('9', 'g'))).toBe(false)
    expect(isUuid(ID.replace(/-/g, ''))).toBe(false)
    expect(isUuid('9f1c2d3e0-000-4000-8000-000000000001')).toBe(false) // right length, dash misplaced
    expect(isUuid(null)).toBe(false)
    expect(isUuid(1)).toBe(false)
  })

  it('a non-uuid id is rejected with its reason from broadcasts, postgres_changes and REST rows', () => {
    expect(rejectedFact(parseBroadcast('db-broadcast', bc('new_request', { request: request({ id: "x'); drop table--" }) }), now)).reason).toBe('request id is not a uuid')
    const pg = parsePostgresChange({ schema: 'public', table: 'session_assignments', commit_timestamp: T, eventType: 'INSERT', new: { id: 'r1', status: 'queued' }, old: {}, errors: null }, now)
    expect('fact' in pg && pg.fact.kind === 'rejected' && pg.fact.reason).toBe('INSERT: request id is not a uuid')
    const del = parsePostgresChange({ schema: 'public', table: 'session_assignments', commit_timestamp: T, eventType: 'DELETE', new: {}, old: { id: 'r1' } }, now)
    expect('fact' in del && del.fact.kind === 'rejected' && del.fact.reason).toBe('DELETE: request id is not a uuid')
    expect(parseRow(request({ id: 'r1' }))).toBe('request id is not a uuid')
    expect(parseRow(request({ session_id: 'abc' }))).toBe('session_id is not a uuid')
    expect(parseRow(request({ session_id: null }))).toMatchObject({ requestId: ID, sessionId: null })
  })
})

describe('postgres_changes errors from the server', () => {
  it('changeErrors: the server\'s lines, or null when it sent none', () => {
    expect(changeErrors({ errors: null })).toBeNull()
    expect(changeErrors({ errors: [] })).toBeNull()
    expect(changeErrors({})).toBeNull()
    expect(changeErrors('x')).toBeNull()
    expect(changeErrors({ errors: ['Error 401: Unauthorized'] })).toEqual(['Error 401: Unauthorized'])
    expect(changeErrors({ errors: 'Error 413: Payload Too Large' })).toEqual(['Error 413: Payload Too Large'])
    expect(changeErrors({ errors: [{ code: 1 }] })).toEqual(['{"code":1}'])
    expect(changeErrors({ errors: ['a\u001b[31mb'] })![0]).not.toContain('\u001b')
  })

  it('a refused event is rejected with the server\'s reason', () => {
    const r = parsePostgresChange({ schema: 'public', table: 'session_assignments', commit_timestamp: T, eventType: 'INSERT', errors: ['Error 401: Unauthorized'] }, now)
    expect('fact' in r && r.fact.kind === 'rejected' && r.fact.reason).toBe('postgres_changes refused by the server: Error 401: Unauthorized')
    expect(parseFlagChange({ eventType: 'UPDATE', errors: ['Error 401: Unauthorized'] })).toEqual({
      reread: 'feature_flags change refused by the server: Error 401: Unauthorized',
      refused: ['Error 401: Unauthorized'],
    })
  })
})

describe('rows and flags', () => {
  it('parses queued_requests rows', () => {
    const r = parseRow(request({ id: undefined, request_id: ID }))
    expect(typeof r).toBe('object')
    expect((r as { requestId: string }).requestId).toBe(ID)
  })

  it('reads feature_flags rows', () => {
    const { flags, problems } = parseFlagRows([
      { key: 'mech_new_request_alerts', enabled: false },
      { key: 'MECH_AUDIO_ALERTS', enabled: 't' },
      { key: 'other', enabled: true },
      { key: 'mech_visual_indicators', enabled: 'maybe' },
      'junk',
    ])
    expect(flags).toEqual({ mech_new_request_alerts: false, mech_audio_alerts: true })
    expect(problems).toHaveLength(2)
  })

  it('flag changes: update applies, delete re-reads', () => {
    expect(parseFlagChange({ eventType: 'UPDATE', new: { key: 'mech_new_request_alerts', enabled: false }, old: {}, errors: null })).toEqual({
      flags: { mech_new_request_alerts: false },
    })
    expect(parseFlagChange({ eventType: 'DELETE', new: {}, old: { key: 'mech_new_request_alerts' }, errors: null })).toHaveProperty('reread')
    expect(parseFlagChange({ eventType: 'update', new: { key: 'zzz', enabled: true }, old: {}, errors: null })).toHaveProperty('ignored')
  })
})

describe('queued_at precision on the legacy channel', () => {
  it('passes a millisecond (JS Date) queued_at from the legacy broadcast through; the desk matches it to the exact version', () => {
    const ms = queued(parseBroadcast('broadcast', bc('new_request', { request: request({ queued_at: '2026-08-21T12:00:00.120Z' }) }), now))
    expect(ms.queuedAt).toBe('2026-08-21T12:00:00.120000Z')
    const us = queued(parseBroadcast('broadcast', bc('new_request', { request: request({ queued_at: '2026-08-21T12:00:00.120318Z' }) }), now))
    expect(us.queuedAt).toBe('2026-08-21T12:00:00.120318Z')
    const db = queued(parseBroadcast('db-broadcast', bc('new_request', { request: request({ queued_at: '2026-08-21T12:00:00.12+00:00' }) }), now))
    expect(db.queuedAt).toBe('2026-08-21T12:00:00.120000Z')
  })
})
