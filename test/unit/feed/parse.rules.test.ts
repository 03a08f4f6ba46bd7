// The parsers' rules, pinned down as behaviour through the exported functions only. Ids are uuids throughout,
// because that is what the server sends (session_assignments.id, sessions.id). Reasons of rejections are
// checked where the reason is the rule ("names the status"); elsewhere only that there is one.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  broadcastEventKind,
  changeErrors,
  completeDetails,
  isUuid,
  hasFullDetails,
  normKey,
  parseBroadcast,
  parseFlagChange,
  parseFlagRows,
  parsePostgresChange,
  parseRow,
  rawText,
  removalReason,
  type ParsedRow,
  type ParseResult,
} from '../../../src/core/feed/parse.js'
import type { QueuedFact, RejectedFact, RemovedFact } from '../../../src/core/facts.js'

const U = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`
const ID = U(1)
const SESSION = U(2)
const T = '2026-08-21T12:00:00.120318+00:00'
const T_CANON = '2026-08-21T12:00:00.120318Z'
const now = 1_700_000_000_000

const bc = (event: unknown, payload: unknown, meta?: unknown) => ({ type: 'broadcast', event, payload, ...(meta === undefined ? {} : { meta }) })
const pg = (over: Record<string, unknown>) => ({ schema: 'public', table: 'session_assignments', commit_timestamp: '2026-08-21T12:00:01.5Z', errors: null, old: {}, ...over })

function row(value: unknown, idKeys?: string[]): ParsedRow {
  const r = parseRow(value, idKeys)
  if (typeof r === 'string') throw new Error(`expected a row, got "${r}"`)
  return r
}
function factOf<K extends 'queued' | 'removed' | 'rejected'>(r: ParseResult, kind: K) {
  if (!('fact' in r) || r.fact.kind !== kind) throw new Error(`expected a ${kind} fact, got ${JSON.stringify(r)}`)
  return r.fact as K extends 'queued' ? QueuedFact : K extends 'removed' ? RemovedFact : RejectedFact
}

describe('removal reasons: why a request left the queue', () => {
  it.each(['accepted', 'assigned', 'claimed', 'taken', 'in_progress', 'in progress', 'inprogress', 'active', 'started', 'completed', 'done', 'ACCEPTED'])(
    '%s means a mechanic took it',
    (s) => expect(removalReason(s)).toBe('accepted'),
  )
  it.each(['cancelled', 'canceled', 'expired', 'declined', 'rejected', 'withdrawn', 'abandoned', 'Canceled'])('%s means it was cancelled', (s) =>
    expect(removalReason(s)).toBe('cancelled'),
  )
  it.each(['deleted', 'DELETED'])('%s means deleted', (s) => expect(removalReason(s)).toBe('deleted'))
  it.each(['queued', 'on_hold', 'not accepted', 'accepted!', 'not cancelled', 'cancelledx', 'xdeleted', 'in__progress', '', null])('%j is some other reason', (s) =>
    expect(removalReason(s)).toBe('other'),
  )
})

describe('ids are uuids', () => {
  it('any version and variant, in either case, hyphenated 8-4-4-4-12', () => {
    for (const id of [ID, '3F2B8C1E-1D2A-4C1B-9A7E-0F1E2D3C4B5A', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '00000000-0000-0000-0000-000000000000']) expect(isUuid(id)).toBe(true)
  })

  it('anything else is not: other lengths, other hyphens, other letters, braces, non-strings', () => {
    for (const id of ['', `${ID}0`, ID.slice(1), ID.replace(/-/g, ''), `{${ID}}`, ID.replace('0000-4000', '00004-000'), ID.replace(/^0/, 'g'), ` ${ID.slice(1)}`, 'x'.repeat(36)]) {
      expect(isUuid(id)).toBe(false)
    }
    for (const id of [1, null, undefined, [ID], { id: ID }]) expect(isUuid(id)).toBe(false)
  })
})

describe('server errors on a change', () => {
  it('none when the message is not an object, or errors is null, absent or an empty list', () => {
    for (const m of ['x', null, {}, { errors: null }, { errors: undefined }, { errors: [] }]) expect(changeErrors(m)).toBeNull()
  })

  it('one error or a list of them, as readable lines: at most five, each at most 200 characters', () => {
    expect(changeErrors({ errors: 'Error 401: Unauthorized' })).toEqual(['Error 401: Unauthorized'])
    expect(changeErrors({ errors: ['a', 'b', 'c', 'd', 'e', 'f'] })).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(changeErrors({ errors: [`x${'y'.repeat(300)}`] })).toEqual([`x${'y'.repeat(198)}…`])
    expect(changeErrors({ errors: [{ code: 413 }] })).toEqual(['{"code":413}'])
    expect(changeErrors({ errors: ['\u202e\u0000  ', 'ok'] })).toEqual(['(unreadable error)', 'ok'])
  })
})

describe('rows', () => {
  it.each([
    [null, 'request is null, not an object'],
    [[{ id: ID }], 'request is an array, not an object'],
    ['text', 'request is string, not an object'],
    [7, 'request is number, not an object'],
  ])('%j is not a request: %s', (value, reason) => {
    expect(parseRow(value)).toBe(reason)
  })

  it.each([{}, { id: null }, { id: '' }, { id: undefined }])('%j has no id', (value) => expect(parseRow(value)).toBe('request has no id'))

  it('an id must be a string of a safe shape', () => {
    expect(parseRow({ id: 42 })).toBe('request id is a number, not a string')
    expect(typeof parseRow({ id: 'a b' })).toBe('string')
  })

  it('the id comes from assignment_id, then request_id, then id, in any spelling', () => {
    expect(row({ assignment_id: U(1), request_id: U(2), id: U(3) }).requestId).toBe(U(1))
    expect(row({ request_id: U(2), id: U(3) }).requestId).toBe(U(2))
    expect(row({ RequestId: U(2) }).requestId).toBe(U(2))
    expect(row({ 'Assignment-Id': U(1), id: U(3) }).requestId).toBe(U(1))
  })

  it('a caller can narrow which keys carry the id', () => {
    expect(parseRow({ id: U(3) }, ['assignment_id', 'request_id'])).toBe('request has no id')
  })

  it('of two spellings of one field the first wins, and an undefined value does not count', () => {
    expect(row({ id: ID, customer_name: 'First', customerName: 'Second' }).details.customerName).toBe('First')
    expect(row({ id: ID, customer_name: undefined, customerName: 'Second' }).details.customerName).toBe('Second')
  })

  it('session id: a valid id string, or absent/null; anything else refuses the row', () => {
    expect(row({ id: ID, session_id: SESSION }).sessionId).toBe(SESSION)
    expect(row({ id: ID, session_id: null }).sessionId).toBeNull()
    expect(row({ id: ID }).sessionId).toBeNull()
    expect(typeof parseRow({ id: ID, session_id: 7 })).toBe('string')
    expect(typeof parseRow({ id: ID, session_id: 'a b' })).toBe('string')
  })

  it('queued_at is canonical, null when absent, and a refusal that quotes it when it is not a time', () => {
    expect(row({ id: ID, queued_at: T }).queuedAt).toBe(T_CANON)
    expect(row({ id: ID, queued_at: null }).queuedAt).toBeNull()
    expect(row({ id: ID }).queuedAt).toBeNull()
    expect(parseRow({ id: ID, queued_at: 'yesterday' })).toBe('queued_at "yesterday" is not a timestamp')
    expect(parseRow({ id: ID, queued_at: 1_700_000_000 })).toBe('queued_at (a number) is not a timestamp')
    expect(parseRow({ id: ID, queued_at: `x${'y'.repeat(80)}` })).toBe(`queued_at "x${'y'.repeat(39)}" is not a timestamp`)
  })

  it('status is trimmed and lower-cased ("queued " with a trailing space is queued); up to 64 characters', () => {
    expect(row({ id: ID, status: 'queued ' }).status).toBe('queued')
    expect(row({ id: ID, status: ' QUEUED' }).status).toBe('queued')
    expect(row({ id: ID, status: 'a'.repeat(64) }).status).toBe('a'.repeat(64))
    expect(parseRow({ id: ID, status: 'a'.repeat(65) })).toBe('status is not a short string')
    expect(parseRow({ id: ID, status: true })).toBe('status is not a short string')
    expect(row({ id: ID, status: null }).status).toBeNull()
  })

  it('the name comes from customer_name, customer, name or intake_name; the concern from concern or intake_concern', () => {
    for (const k of ['customer_name', 'customer', 'name', 'intake_name']) expect(row({ id: ID, [k]: 'Ann' }).details.customerName).toBe('Ann')
    for (const k of ['concern', 'intake_concern']) expect(row({ id: ID, [k]: 'Noise' }).details.concern).toBe('Noise')
  })

  it('a row carries only the detail keys it has (a present null is known, an absent key is unknown)', () => {
    expect(row({ id: ID }).details).toEqual({})
    expect(row({ id: ID, vehicle: null, concern: null }).details).toEqual({ vehicle: null, concern: null })
  })

  it('the vehicle: text, a nested {year, make, model} object, or flat vehicle_* fields', () => {
    expect(row({ id: ID, vehicle: 'Van' }).details.vehicle).toBe('Van')
    expect(row({ id: ID, vehicle: { Year: 2019, make: 'Honda', model: 'Civic' } }).details.vehicle).toBe('2019 Honda Civic')
    expect(row({ id: ID, vehicle: { make: 'Honda' } }).details.vehicle).toBe('Honda')
    expect(row({ id: ID, vehicle: {} }).details).toEqual({ vehicle: null })
    expect(row({ id: ID, vehicle_make: 'Ford' }).details.vehicle).toBe('Ford')
    expect(row({ id: ID, vehicle_model: 'Ka' }).details.vehicle).toBe('Ka')
    expect(row({ id: ID, vehicle_year: 2001, vehicle_make: 'Ford', vehicle_model: 'Ka' }).details.vehicle).toBe('2001 Ford Ka')
    expect(row({ id: ID, vehicle_year: null }).details).toEqual({ vehicle: null })
    expect(row({ id: ID, vehicle: null, vehicle_make: 'Ford' }).details.vehicle).toBe('Ford')
  })

  it('flat fields win over the nested intake; the intake fills what the row lacks', () => {
    const r = row({ id: ID, customer_name: 'Flat', intake: { name: 'Nested', concern: 'Oil', vehicle: 'Van' } })
    expect(r.details).toEqual({ customerName: 'Flat', concern: 'Oil', vehicle: 'Van' })
    expect(row({ id: ID, intake: 'not an object', concern: 'x' }).details).toEqual({ concern: 'x' })
    const both = row({ id: ID, name: 'Flat', vehicle: 'Flat van', concern: 'Flat noise', intake: { name: 'N', vehicle: 'Nested van', concern: 'Nested noise' } })
    expect(both.details).toEqual({ customerName: 'Flat', vehicle: 'Flat van', concern: 'Flat noise' })
  })

  it('the session type: session_type or type as text (another type is known to be empty), else session.type', () => {
    expect(row({ id: ID, session_type: 'video' }).details.sessionType).toBe('video')
    expect(row({ id: ID, type: 'chat' }).details.sessionType).toBe('chat')
    expect(row({ id: ID, session_type: 3 }).details).toEqual({ sessionType: null })
    expect(row({ id: ID, session: { Type: 'phone' } }).details.sessionType).toBe('phone')
    expect(row({ id: ID, session: { id: SESSION } }).details).toEqual({})
    expect(row({ id: ID, session: 'video' }).details).toEqual({})
  })

  it('the commit time: commit_timestamp, committed_at, commit_ts, updated_at, then queued_at — the first that is a time', () => {
    const times = { commit_timestamp: '2026-01-01T00:00:01Z', committed_at: '2026-01-01T00:00:02Z', commit_ts: '2026-01-01T00:00:03Z', updated_at: '2026-01-01T00:00:04Z' }
    expect(row({ id: ID, queued_at: T, ...times }).commitTs).toBe('2026-01-01T00:00:01.000000Z')
    expect(row({ id: ID, queued_at: T, ...times, commit_timestamp: 'garbage' }).commitTs).toBe('2026-01-01T00:00:02.000000Z')
    expect(row({ id: ID, queued_at: T, commit_ts: times.commit_ts, updated_at: times.updated_at }).commitTs).toBe('2026-01-01T00:00:03.000000Z')
    expect(row({ id: ID, queued_at: T, updated_at: times.updated_at }).commitTs).toBe('2026-01-01T00:00:04.000000Z')
    expect(row({ id: ID, queued_at: T }).commitTs).toBe(T_CANON)
    expect(row({ id: ID }).commitTs).toBeNull()
  })
})

describe('details completeness', () => {
  it('full means name, vehicle and concern are known (null counts as known); the session type is not needed', () => {
    expect(hasFullDetails({ customerName: 'A', vehicle: 'V', concern: 'C' })).toBe(true)
    expect(hasFullDetails({ customerName: null, vehicle: null, concern: null })).toBe(true)
    expect(hasFullDetails({ customerName: 'A', vehicle: 'V' })).toBe(false)
    expect(hasFullDetails({ customerName: 'A', concern: 'C' })).toBe(false)
    expect(hasFullDetails({ vehicle: 'V', concern: 'C' })).toBe(false)
    expect(hasFullDetails(null)).toBe(false)
    expect(hasFullDetails(undefined)).toBe(false)
  })

  it('completing fills every missing field with null and keeps the others', () => {
    expect(completeDetails({})).toEqual({ customerName: null, vehicle: null, concern: null, sessionType: null })
    expect(completeDetails({ customerName: 'A', vehicle: 'V', concern: 'C', sessionType: 'S' })).toEqual({ customerName: 'A', vehicle: 'V', concern: 'C', sessionType: 'S' })
  })

  it('keys are compared without case, "_", "-" or blanks', () => {
    expect(normKey('Customer-Name')).toBe('customername')
    expect(normKey('customer_name')).toBe('customername')
    expect(normKey('Customer Name')).toBe('customername')
  })
})

describe('raw text for the event log', () => {
  it('is the JSON of the value, with bigints as text, and the text of what JSON cannot spell', () => {
    expect(rawText({ a: 1, b: 'x' })).toBe('{"a":1,"b":"x"}')
    expect(rawText({ n: 10n })).toBe('{"n":"10"}')
    expect(rawText(undefined)).toBe('undefined')
  })

  it('a cycle is named, not thrown', () => {
    const c: Record<string, unknown> = {}
    c.self = c
    expect(rawText(c)).toMatch(/^\[unserializable: [\s\S]+\]$/)
  })

  it('is cut at 4096 characters with the full length after the cut', () => {
    const exact = 'x'.repeat(4094) // JSON adds two quotes: 4096
    expect(rawText(exact)).toBe(JSON.stringify(exact))
    const over = 'x'.repeat(4095)
    expect(rawText(over)).toBe(`${JSON.stringify(over).slice(0, 4096)}…(4097 chars)`)
  })
})

describe('broadcast event names', () => {
  it.each([
    ['new_request', 'new'],
    ['request_new', 'new'],
    ['request_queued', 'new'],
    ['request_accepted', 'accepted'],
    ['accepted', 'accepted'],
    ['request_cancelled', 'cancelled'],
    ['request_canceled', 'cancelled'],
    ['cancelled', 'cancelled'],
    ['canceled', 'cancelled'],
    ['request_removed', 'removed'],
    ['request_deleted', 'removed'],
    ['Request-Deleted', 'removed'],
  ])('%s is a %s event', (name, kind) => expect(broadcastEventKind(name)).toBe(kind))

  it('other names, names over 64 characters and non-strings are not events', () => {
    for (const e of ['new', 'removed', 'deleted', 'request', '', 7, null]) expect(broadcastEventKind(e)).toBeNull()
    expect(broadcastEventKind(`new_request${'_'.repeat(53)}`)).toBe('new') // 64 characters
    expect(broadcastEventKind(`new_request${'_'.repeat(54)}`)).toBeNull() // 65
  })
})

describe('broadcast messages', () => {
  const request = (over: Record<string, unknown> = {}) => ({ id: ID, session_id: SESSION, status: 'queued', queued_at: T, customer_name: 'Ann', vehicle: 'Van', concern: 'Noise', ...over })

  it('two messages without ids in the same millisecond get different event ids', () => {
    const a = factOf(parseBroadcast('broadcast', 'junk', now), 'rejected')
    const b = factOf(parseBroadcast('broadcast', 'junk', now), 'rejected')
    expect(a.eventId).not.toBe(b.eventId)
    expect(a.eventId.startsWith(`broadcast:${now}:`)).toBe(true)
    const c = factOf(parseBroadcast('db-broadcast', bc('new_request', { request: request() }), now), 'queued')
    expect(c.eventId.startsWith(`db-broadcast:${now}:`)).toBe(true)
  })

  it('the event id is the meta id, else the payload id, each only up to 128 characters', () => {
    const ev = (meta: unknown, payloadId?: unknown) =>
      factOf(parseBroadcast('db-broadcast', bc('new_request', { request: request(), ...(payloadId === undefined ? {} : { id: payloadId }) }, meta), now), 'queued').eventId
    expect(ev({ id: 'm'.repeat(128) }, 'p1')).toBe(`db-broadcast:${'m'.repeat(128)}`)
    expect(ev({ id: 'm'.repeat(129) }, 'p1')).toBe('db-broadcast:p1')
    expect(ev({ id: 5 }, 'p1')).toBe('db-broadcast:p1')
    expect(ev('not an object', 'p'.repeat(128))).toBe(`db-broadcast:${'p'.repeat(128)}`)
    expect(ev(undefined, 'p'.repeat(129))).toMatch(new RegExp(`^db-broadcast:${now}:\\d+$`))
    expect(ev(undefined, 7)).toMatch(new RegExp(`^db-broadcast:${now}:\\d+$`))
  })

  it('an unknown event is refused and named (quoted, or by its type)', () => {
    expect(factOf(parseBroadcast('broadcast', bc('request_exploded', { request: request() }), now), 'rejected').reason).toBe('unknown broadcast event "request_exploded"')
    expect(factOf(parseBroadcast('broadcast', bc(7, { request: request() }), now), 'rejected').reason).toBe('unknown broadcast event (a number)')
  })

  it('a refusal keeps the source, receive time and raw message', () => {
    const f = factOf(parseBroadcast('db-broadcast', bc('new_request', 'hello'), now), 'rejected')
    expect(f).toMatchObject({ source: 'db-broadcast', receivedAt: now, commitTs: null, reason: 'new_request payload is not an object' })
    expect(f.raw).toBe(rawText(bc('new_request', 'hello')))
  })

  it('a flat payload needs request_id or assignment_id; its id field alone is the message id', () => {
    expect(factOf(parseBroadcast('broadcast', bc('new_request', { assignment_id: ID, id: U(9) }), now), 'queued').requestId).toBe(ID)
    expect(factOf(parseBroadcast('broadcast', bc('new_request', { request_id: ID, id: U(9) }), now), 'queued').requestId).toBe(ID)
    expect(factOf(parseBroadcast('broadcast', bc('new_request', { id: ID }), now), 'rejected').reason).toBe('new_request payload has no "request" object')
  })

  it('a broken request row refuses the message with the row\'s reason', () => {
    expect(factOf(parseBroadcast('broadcast', bc('new_request', { request: null }), now), 'rejected').reason).toBe('request is null, not an object')
  })

  it('the envelope commit_timestamp beats the row\'s; without it the row\'s own commit_timestamp counts', () => {
    const env = '2026-08-21T12:00:05Z'
    const own = '2026-08-21T12:00:03Z'
    expect(factOf(parseBroadcast('db-broadcast', bc('new_request', { commit_timestamp: env, request: request({ commit_timestamp: own }) }), now), 'queued').commitTs).toBe(
      '2026-08-21T12:00:05.000000Z',
    )
    expect(factOf(parseBroadcast('db-broadcast', bc('new_request', { committed_at: env, request: request() }), now), 'queued').commitTs).toBe('2026-08-21T12:00:05.000000Z')
    expect(factOf(parseBroadcast('db-broadcast', bc('new_request', { request: request({ commit_timestamp: own }) }), now), 'queued').commitTs).toBe(
      '2026-08-21T12:00:03.000000Z',
    )
    expect(factOf(parseBroadcast('db-broadcast', bc('request_accepted', { commit_timestamp: env, request: { id: ID } }), now), 'removed').commitTs).toBe(
      '2026-08-21T12:00:05.000000Z',
    )
  })

  it('new_request: a queued (any case, any blanks) or status-less request is a queued fact with everything it carries', () => {
    const f = factOf(parseBroadcast('broadcast', bc('new_request', { request: request({ status: 'queued ' }) }), now), 'queued')
    expect(f).toEqual({
      kind: 'queued',
      source: 'broadcast',
      eventId: expect.any(String),
      commitTs: T_CANON,
      receivedAt: now,
      requestId: ID,
      queuedAt: T_CANON,
      sessionId: SESSION,
      details: { customerName: 'Ann', vehicle: 'Van', concern: 'Noise' },
    })
    expect(factOf(parseBroadcast('broadcast', bc('new_request', { request: { id: ID } }), now), 'queued')).toMatchObject({ details: null, queuedAt: null, sessionId: null })
  })

  it('new_request for a request that is not queued is refused, naming the status, with its commit time', () => {
    const f = factOf(parseBroadcast('db-broadcast', bc('new_request', { commit_timestamp: '2026-08-21T12:00:05Z', request: request({ status: 'accepted' }) }), now), 'rejected')
    expect(f.reason).toBe('new_request for a request whose status is "accepted", not queued')
    expect(f.commitTs).toBe('2026-08-21T12:00:05.000000Z')
  })

  it.each([
    ['request_accepted', undefined, 'accepted'],
    ['request_accepted', 'cancelled', 'accepted'],
    ['request_cancelled', 'accepted', 'cancelled'],
    ['request_removed', 'canceled', 'cancelled'],
    ['request_removed', 'deleted', 'deleted'],
    ['request_removed', 'completed', 'accepted'],
    ['request_removed', 'on_hold', 'other'],
    ['request_deleted', undefined, 'deleted'],
  ])('%s with status %j removes the request as %s', (event, status, reason) => {
    const f = factOf(parseBroadcast('db-broadcast', bc(event, { request: { id: ID, ...(status ? { status } : {}) } }), now), 'removed')
    expect(f).toEqual({ kind: 'removed', source: 'db-broadcast', eventId: expect.any(String), commitTs: null, receivedAt: now, requestId: ID, reason, status: status ?? null })
  })
})

describe('postgres_changes on session_assignments', () => {
  it('an INSERT of a queued row is a queued fact without details, with the server\'s commit time', () => {
    const f = factOf(parsePostgresChange(pg({ eventType: 'INSERT', new: { id: ID, status: 'queued', queued_at: T, session_id: SESSION } }), now), 'queued')
    expect(f).toEqual({
      kind: 'queued',
      source: 'postgres_changes',
      eventId: `pg:2026-08-21T12:00:01.5Z:${ID}:INSERT`,
      commitTs: '2026-08-21T12:00:01.500000Z',
      receivedAt: now,
      requestId: ID,
      queuedAt: T_CANON,
      sessionId: SESSION,
      details: null,
    })
  })

  it('the event id falls back to the receive time and the old record\'s id, and names a missing type', () => {
    const f = factOf(parsePostgresChange(pg({ commit_timestamp: undefined, eventType: 'DELETE', new: {}, old: { id: ID } }), now), 'removed')
    expect(f.eventId).toBe(`pg:${now}:${ID}:DELETE`)
    expect(f.commitTs).toBeNull()
    const r = factOf(parsePostgresChange(pg({ eventType: undefined, new: {} }), now), 'rejected')
    expect(r.eventId).toMatch(new RegExp(`^pg:2026-08-21T12:00:01.5Z:x:${now}:\\d+:\\?$`))
  })

  it('the event type may be spelled in any case, with blanks, or as "type"', () => {
    expect(factOf(parsePostgresChange(pg({ eventType: ' insert ', new: { id: ID, status: 'queued' } }), now), 'queued').requestId).toBe(ID)
    expect(factOf(parsePostgresChange(pg({ type: 'UPDATE', new: { id: ID, status: 'queued' } }), now), 'queued').requestId).toBe(ID)
  })

  it('an UPDATE away from queued removes the request with the reason its status means', () => {
    for (const [status, reason] of [
      ['accepted', 'accepted'],
      ['canceled', 'cancelled'],
      ['deleted', 'deleted'],
      ['on_hold', 'other'],
    ] as const) {
      const f = factOf(parsePostgresChange(pg({ eventType: 'UPDATE', new: { id: ID, status }, old: { id: ID } }), now), 'removed')
      expect(f).toMatchObject({ requestId: ID, reason, status, commitTs: '2026-08-21T12:00:01.500000Z' })
    }
  })

  it('a DELETE removes the request as deleted, without a status', () => {
    expect(factOf(parsePostgresChange(pg({ eventType: 'DELETE', new: {}, old: { id: ID } }), now), 'removed')).toMatchObject({ reason: 'deleted', status: null, requestId: ID })
  })

  it('an INSERT of a row that is not queued is ignored, naming the status', () => {
    expect(parsePostgresChange(pg({ eventType: 'INSERT', new: { id: ID, status: 'assigned' } }), now)).toEqual({ ignored: 'INSERT with status "assigned"' })
  })

  it('an UPDATE without a status is refused; so is a record without an id, with the type in the reason', () => {
    expect(factOf(parsePostgresChange(pg({ eventType: 'UPDATE', new: { id: ID } }), now), 'rejected').reason).toBe('UPDATE: record has no status')
    expect(factOf(parsePostgresChange(pg({ eventType: 'INSERT', new: { status: 'queued' } }), now), 'rejected').reason).toBe('INSERT: request has no id')
    expect(factOf(parsePostgresChange(pg({ eventType: 'DELETE', new: {} }), now), 'rejected').reason).toBe('DELETE: request has no id')
  })

  it('an unknown type is refused and quoted, or named by its type', () => {
    expect(factOf(parsePostgresChange(pg({ eventType: 'TRUNCATE', new: {} }), now), 'rejected').reason).toBe('unknown eventType "TRUNCATE"')
    expect(factOf(parsePostgresChange(pg({ eventType: 5, new: {} }), now), 'rejected').reason).toBe('unknown eventType (a number)')
  })

  it('events of another table are ignored; an event without a table name is read', () => {
    expect(parsePostgresChange(pg({ table: 'feature_flags', eventType: 'INSERT', new: { id: ID, status: 'queued' } }), now)).toEqual({ ignored: 'postgres_changes for table feature_flags' })
    expect(factOf(parsePostgresChange(pg({ table: undefined, eventType: 'INSERT', new: { id: ID, status: 'queued' } }), now), 'queued').requestId).toBe(ID)
  })

  it('errors from the server refuse the event (array or single value); an empty errors list does not', () => {
    const ok = { eventType: 'INSERT', new: { id: ID, status: 'queued' } }
    expect(factOf(parsePostgresChange(pg({ ...ok, errors: [] }), now), 'queued').requestId).toBe(ID)
    expect(factOf(parsePostgresChange(pg({ ...ok, errors: undefined }), now), 'queued').requestId).toBe(ID)
    expect(factOf(parsePostgresChange(pg({ ...ok, errors: ['Error 413: Payload Too Large'] }), now), 'rejected').commitTs).toBe('2026-08-21T12:00:01.500000Z')
    factOf(parsePostgresChange(pg({ ...ok, errors: 'Error 401: Unauthorized' }), now), 'rejected')
  })
})

describe('reasons and ids quote hostile values only in part', () => {
  const long = (c: string, n: number) => c.repeat(n)

  it('a long unknown event name is quoted to 64 characters', () => {
    const r = factOf(parseBroadcast('broadcast', bc(long('e', 100), { request: { id: ID } }), now), 'rejected')
    expect(r.reason).toBe(`unknown broadcast event "${long('e', 64)}"`)
  })

  it('a long status is quoted to 40 characters', () => {
    const r = factOf(parseBroadcast('db-broadcast', bc('new_request', { request: { id: ID, status: long('s', 60) } }), now), 'rejected')
    expect(r.reason).toBe(`new_request for a request whose status is "${long('s', 40)}", not queued`)
    expect(parsePostgresChange(pg({ eventType: 'INSERT', new: { id: ID, status: long('s', 60) } }), now)).toEqual({ ignored: `INSERT with status "${long('s', 40)}"` })
  })

  it('a long table name, event type or commit time is cut (64, 20, 40 characters)', () => {
    expect(parsePostgresChange(pg({ table: long('t', 100), eventType: 'INSERT', new: {} }), now)).toEqual({ ignored: `postgres_changes for table ${long('t', 64)}` })
    expect(factOf(parsePostgresChange(pg({ eventType: long('X', 50), new: {} }), now), 'rejected').reason).toBe(`unknown eventType "${long('X', 20)}"`)
    const f = factOf(parsePostgresChange(pg({ commit_timestamp: long('9', 100), eventType: 'DELETE', new: {}, old: { id: ID } }), now), 'removed')
    expect(f.eventId).toBe(`pg:${long('9', 40)}:${ID}:DELETE`)
  })

  it('long server errors are quoted in part, and the quote names them', () => {
    const err = `Error 413: Payload Too Large ${long('z', 1000)}`
    const r = factOf(parsePostgresChange(pg({ eventType: 'INSERT', new: { id: ID, status: 'queued' }, errors: [err] }), now), 'rejected')
    expect(r.reason).toContain('Error 413: Payload Too Large')
    expect(r.reason.length).toBeLessThan(300)
    const flags = parseFlagChange({ eventType: 'UPDATE', new: {}, errors: [err] }) as { reread: string }
    expect(flags.reread).toContain('Error 413: Payload Too Large')
    expect(flags.reread.length).toBeLessThan(300)
    const unknown = parseFlagChange({ eventType: `TRUNCATE${long('x', 100)}`, new: {} }) as { reread: string }
    expect(unknown.reread).toContain('TRUNCATE')
    expect(unknown.reread.length).toBeLessThan(100)
  })
})

describe('feature flags', () => {
  const flagRow = (enabled: unknown, key: unknown = 'mech_audio_alerts') => parseFlagRows([{ key, enabled }])

  it.each([true, 't', 'true', 1])('%j switches a flag on', (v) => expect(flagRow(v)).toEqual({ flags: { mech_audio_alerts: true }, problems: [] }))
  it.each([false, 'f', 'false', 0])('%j switches a flag off', (v) => expect(flagRow(v)).toEqual({ flags: { mech_audio_alerts: false }, problems: [] }))
  it.each(['yes', 'TRUE', 2, null, 'on'])('%j is not a flag value and is reported', (v) =>
    expect(flagRow(v)).toEqual({ flags: {}, problems: ['feature flag mech_audio_alerts has no boolean "enabled"'] }),
  )

  it('the key may be spelled key/name/flag, in any case with blanks; the value enabled/value/is_enabled', () => {
    expect(parseFlagRows([{ name: ' MECH_VISUAL_INDICATORS ', value: true }, { flag: 'mech_browser_notifications', is_enabled: false }])).toEqual({
      flags: { mech_visual_indicators: true, mech_browser_notifications: false },
      problems: [],
    })
  })

  it('rows that are not objects or have no key are reported; unknown keys are ignored silently', () => {
    expect(parseFlagRows([null, 'x', { enabled: true }, { key: 7 }, { key: 'other', enabled: 'junk' }])).toEqual({
      flags: {},
      problems: ['feature_flags row is not an object', 'feature_flags row is not an object', 'feature_flags row has no key', 'feature_flags row has no key'],
    })
    expect(parseFlagRows({ key: 'mech_audio_alerts' })).toEqual({ flags: {}, problems: ['feature_flags result is not an array'] })
  })

  it('a change: INSERT/UPDATE apply, DELETE/errors/unknown/unreadable re-read, a flag BayAlert does not use is ignored', () => {
    const ch = (over: Record<string, unknown>) => parseFlagChange({ eventType: 'UPDATE', new: { key: 'mech_audio_alerts', enabled: false }, old: {}, errors: null, ...over })
    expect(ch({})).toEqual({ flags: { mech_audio_alerts: false } })
    expect(ch({ eventType: 'insert' })).toEqual({ flags: { mech_audio_alerts: false } })
    expect(ch({ errors: [] })).toEqual({ flags: { mech_audio_alerts: false } })
    expect(ch({ errors: ['Error 401: Unauthorized'] })).toHaveProperty('reread')
    expect(ch({ eventType: 'DELETE' })).toEqual({ reread: 'a feature flag was deleted' })
    expect(ch({ eventType: 'TRUNCATE' })).toHaveProperty('reread')
    expect(ch({ eventType: 7 })).toHaveProperty('reread')
    expect(ch({ new: { key: 'mech_audio_alerts', enabled: 'maybe' } })).toEqual({ reread: 'feature flag mech_audio_alerts has no boolean "enabled"' })
    expect(ch({ new: { key: 'other', enabled: true } })).toEqual({ ignored: 'change to a flag BayAlert does not use' })
    expect(parseFlagChange('junk')).toEqual({ reread: 'feature_flags change is not an object' })
  })
})

describe('parsing never throws', () => {
  // Messages that look like the real thing, with every field replaced by anything at random.
  const field = fc.oneof(fc.anything(), fc.constantFrom(ID, 'queued', 'accepted', T, null, '', 'INSERT', 'UPDATE', 'DELETE', 'new_request', 'request_removed'))
  const record = fc.dictionary(fc.constantFrom('id', 'status', 'queued_at', 'session_id', 'customer_name', 'vehicle', 'intake', 'request_id', 'type', 'session'), field)
  const broadcast = fc.record({ type: fc.constant('broadcast'), event: field, payload: fc.oneof(field, fc.record({ request: fc.oneof(record, field) }), record), meta: fc.oneof(field, fc.record({ id: field })) }, { requiredKeys: [] })
  const change = fc.record({ table: field, eventType: field, commit_timestamp: field, errors: field, new: fc.oneof(record, field), old: fc.oneof(record, field) }, { requiredKeys: [] })

  const wellFormed = (r: ParseResult) => {
    if ('ignored' in r) {
      expect(r.ignored.length).toBeGreaterThan(0)
      return
    }
    expect(['queued', 'removed', 'rejected']).toContain(r.fact.kind)
    if (r.fact.kind === 'rejected') expect(r.fact.reason.length).toBeGreaterThan(0)
    else expect(typeof r.fact.requestId).toBe('string')
  }

  it('every broadcast message yields a fact or a rejection with a reason', () => {
    fc.assert(fc.property(fc.oneof(broadcast, fc.anything()), fc.constantFrom('broadcast' as const, 'db-broadcast' as const), (msg, source) => wellFormed(parseBroadcast(source, msg, now))))
  })

  it('every postgres_changes message yields a fact, an ignore or a rejection with a reason', () => {
    fc.assert(fc.property(fc.oneof(change, fc.anything()), (msg) => wellFormed(parsePostgresChange(msg, now))))
  })

  it('every REST row (queued_requests / request_details) yields a row with a uuid id, or a reason', () => {
    const row = fc.oneof(record, fc.record({ id: fc.oneof(fc.constant(ID), field), status: field, queued_at: field, customer_name: field, vehicle: field, concern: field }, { requiredKeys: [] }), fc.anything())
    fc.assert(
      fc.property(row, (raw) => {
        const r = parseRow(raw)
        if (typeof r === 'string') expect(r.length).toBeGreaterThan(0)
        else {
          expect(isUuid(r.requestId)).toBe(true)
          expect(r.queuedAt === null || typeof r.queuedAt === 'string').toBe(true)
        }
      }),
    )
  })

  it('every flag change yields flags, a re-read or an ignore', () => {
    fc.assert(
      fc.property(fc.oneof(change, fc.anything()), (msg) => {
        const r = parseFlagChange(msg)
        expect(Object.keys(r).length).toBeGreaterThan(0)
      }),
    )
  })
})
