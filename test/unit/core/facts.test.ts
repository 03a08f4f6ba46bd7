/** @vitest-environment node */
// The fact shapes (src/core/facts.ts) are schemas, and the parsers pass every fact they build through
// them: what reaches the desk is valid by construction, and a fact built wrongly becomes a readable rejection.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FIELD_LIMITS } from '../../../src/core/alerts/safe-text.js'
import { QueuedFactSchema, RemovedFactSchema, RequestFactSchema, type QueuedFact, type RemovedFact } from '../../../src/core/facts.js'
import { gateFact, parseBroadcast, parsePostgresChange } from '../../../src/core/feed/parse.js'

const T = '2026-01-01T10:00:00.123456Z'
const queued = (over: Partial<QueuedFact> = {}): QueuedFact => ({
  kind: 'queued',
  source: 'broadcast',
  eventId: 'broadcast:m-1',
  commitTs: T,
  receivedAt: 1000,
  requestId: 'r-1',
  queuedAt: T,
  sessionId: null,
  details: { customerName: 'Ana', vehicle: null },
  ...over,
})
const removed = (over: Partial<RemovedFact> = {}): RemovedFact => ({
  kind: 'removed',
  source: 'postgres_changes',
  eventId: 'pg:1',
  commitTs: null,
  receivedAt: 0,
  requestId: 'r-1',
  reason: 'accepted',
  status: 'accepted',
  ...over,
})
const issuePaths = (r: { error?: { issues: { path: PropertyKey[] }[] } }) => (r.error?.issues ?? []).map((i) => i.path.join('.'))

describe('fact schemas', () => {
  it('a well-built queued fact passes unchanged, and absent detail keys stay absent (unknown ≠ known-empty)', () => {
    const r = QueuedFactSchema.safeParse(queued())
    expect(r.data).toEqual(queued())
    expect(Object.keys(r.data!.details!)).toEqual(['customerName', 'vehicle'])
  })

  it('the request id: 1 to 128 safe characters', () => {
    expect(QueuedFactSchema.safeParse(queued({ requestId: 'a'.repeat(128) })).success).toBe(true)
    for (const bad of ['', 'a'.repeat(129), 'r 1', '<r1>', '../r1']) expect(issuePaths(QueuedFactSchema.safeParse(queued({ requestId: bad })))).toEqual(['requestId'])
    expect(issuePaths(QueuedFactSchema.safeParse(queued({ sessionId: 's/1' })))).toEqual(['sessionId'])
  })

  it('times are in the canonical spelling or null', () => {
    expect(QueuedFactSchema.safeParse(queued({ queuedAt: null, commitTs: null })).success).toBe(true)
    expect(issuePaths(QueuedFactSchema.safeParse(queued({ queuedAt: '2026-01-01 10:00:00' })))).toEqual(['queuedAt'])
    expect(issuePaths(QueuedFactSchema.safeParse(queued({ commitTs: 'yesterday' })))).toEqual(['commitTs'])
  })

  it('detail text is clean (no controls, trimmed) and within its limit, counted in characters', () => {
    const limit = FIELD_LIMITS.customerName
    expect(QueuedFactSchema.safeParse(queued({ details: { customerName: '😀'.repeat(limit) } })).success).toBe(true)
    for (const bad of ['😀'.repeat(limit + 1), 'Ana\u0007', ' Ana', 'A\u202eB', '']) {
      expect(issuePaths(QueuedFactSchema.safeParse(queued({ details: { customerName: bad } }))), JSON.stringify(bad)).toEqual(['details.customerName'])
    }
    expect(issuePaths(QueuedFactSchema.safeParse(queued({ details: { concern: 'x'.repeat(FIELD_LIMITS.concern + 1) } })))).toEqual(['details.concern'])
  })

  it('no extra keys, in the fact or its details; a receive time is a real, non-negative number', () => {
    expect(QueuedFactSchema.safeParse({ ...queued(), extra: 1 }).error?.issues[0]?.code).toBe('unrecognized_keys')
    expect(QueuedFactSchema.safeParse(queued({ details: { customerName: 'A', phone: '1' } as never })).error?.issues[0]?.code).toBe('unrecognized_keys')
    for (const receivedAt of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(issuePaths(QueuedFactSchema.safeParse(queued({ receivedAt })))).toEqual(['receivedAt'])
    expect(QueuedFactSchema.safeParse(queued({ receivedAt: 0 })).success).toBe(true)
  })

  it('a removal names one of the four reasons and a status of at most 64 characters', () => {
    expect(RemovedFactSchema.safeParse(removed({ status: 's'.repeat(64) })).success).toBe(true)
    expect(issuePaths(RemovedFactSchema.safeParse(removed({ status: 's'.repeat(65) })))).toEqual(['status'])
    expect(issuePaths(RemovedFactSchema.safeParse(removed({ reason: 'lost' as never })))).toEqual(['reason'])
  })
})

describe('the parsers\' final gate', () => {
  it('hands on the schema\'s copy of a good fact', () => {
    const fact = queued()
    const r = gateFact(fact, {})
    expect(r).toEqual({ fact })
    expect((r as { fact: QueuedFact }).fact).not.toBe(fact)
  })

  it('turns a wrongly built fact into a rejection naming the field and the rule, keeping source, event id and raw', () => {
    const r = gateFact(removed({ status: 'x'.repeat(70), eventId: 'pg:9', receivedAt: 5 }), { raw: 'payload' })
    expect(r).toEqual({
      fact: {
        kind: 'rejected',
        source: 'postgres_changes',
        eventId: 'pg:9',
        commitTs: null,
        receivedAt: 5,
        reason: expect.stringMatching(/^removed fact failed its contract: status: .*64/),
        raw: '{"raw":"payload"}',
      },
    })
    const q = gateFact(queued({ details: { vehicle: 'a\u0000b' } }), null) as { fact: { kind: string; reason: string; commitTs: string | null } }
    expect(q.fact).toMatchObject({ kind: 'rejected', commitTs: T, reason: 'queued fact failed its contract: details.vehicle: not clean text of at most 80 characters' })
  })

  it('catches what the reading code lets through: a 64-character status that lower-cases to 128 characters', () => {
    // The parser limits the raw status to 64 characters, then lower-cases it; "İ" lower-cases to two.
    const id = '0b5b2a3e-6a5f-4c1e-9d2a-1f0c8e7b6a59'
    const msg = { table: 'session_assignments', eventType: 'UPDATE', commit_timestamp: T, new: { id, status: 'İ'.repeat(64) }, old: {}, errors: null }
    const r = parsePostgresChange(msg, 1000) as { fact: { kind: string; reason: string; eventId: string } }
    expect(r.fact.kind).toBe('rejected')
    expect(r.fact.reason).toBe('removed fact failed its contract: status: Too big: expected string to have <=64 characters')
    expect(r.fact.eventId).toBe(`pg:${T}:${id}:UPDATE`)
  })

  // Whatever arrives, every fact the parsers hand on satisfies its schema (rejections included).
  it('any broadcast or postgres_changes message: a fact that passes its schema, or an ignored reason', () => {
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('0b5b2a3e-6a5f-4c1e-9d2a-1f0c8e7b6a59', 'r-1', 'queued', 'accepted', T, '2026-01-01T10:00:00+05', 'new_request', 'INSERT', 'UPDATE', 'DELETE'))
    const value = fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.anything({ maxDepth: 1 }))
    const row = fc.dictionary(fc.constantFrom('id', 'assignment_id', 'request_id', 'status', 'queued_at', 'session_id', 'customer_name', 'vehicle', 'concern', 'session_type', 'commit_timestamp', 'intake'), value, { maxKeys: 8 })
    const broadcast = fc.record({ event: fc.oneof(fc.constantFrom('new_request', 'request_accepted', 'request_cancelled', 'request_removed'), text), payload: fc.oneof(fc.record({ request: row }), row, value), meta: fc.option(fc.record({ id: text })) })
    const change = fc.record({ table: fc.constantFrom('session_assignments', undefined), eventType: fc.oneof(fc.constantFrom('INSERT', 'UPDATE', 'DELETE'), text), commit_timestamp: fc.oneof(fc.constant(T), text), new: fc.oneof(row, value), old: fc.oneof(row, value), errors: fc.constantFrom(null, undefined, [], ['Error 401: Unauthorized']) })
    fc.assert(
      fc.property(fc.oneof(broadcast, change, fc.anything()), fc.constantFrom('broadcast', 'db-broadcast', 'pg') , (msg, kind) => {
        const r = kind === 'pg' ? parsePostgresChange(msg, 1000) : parseBroadcast(kind, msg, 1000)
        if ('ignored' in r) return
        const checked = RequestFactSchema.safeParse(r.fact)
        expect(checked.error?.issues ?? [], JSON.stringify(r.fact)).toEqual([])
        if (r.fact.kind === 'rejected') expect(r.fact.reason).not.toMatch(/failed its contract/)
      }),
      { numRuns: 1000 },
    )
  })
})
