// What an alert says, pinned down as behaviour: titles for a new request and for a repeat (with the minutes
// waited), the body from the details or a statement that there are none, summaries of at most five names,
// and the caps on the composed text.
import { describe, expect, it } from 'vitest'
import { plural, requestAlert, summaryAlert, toQueueItem } from '../../../src/core/alerts/compose.js'
import type { QueueRow } from '../../../src/core/store/store.js'

const T0 = Date.parse('2026-03-02T09:00:00.000Z')
const MIN = 60_000

function queueRow(n: number, over: Partial<QueueRow> = {}, details: Partial<QueueRow['details']> = {}): QueueRow {
  const requestId = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`
  return {
    requestId,
    key: `${requestId}@2026-03-02T08:59:00.000000Z`,
    sessionId: null,
    queuedAt: '2026-03-02T08:59:00.000000Z',
    details: { customerName: `Customer ${n}`, vehicle: `Vehicle ${n}`, concern: `Concern ${n}`, sessionType: 'video', ...details },
    detail: 'full',
    acknowledged: false,
    alertCount: 0,
    firstSeenAt: T0,
    firstSource: 'postgres_changes',
    nextRepeatAt: T0 + 2 * MIN,
    lastAlertAt: null,
    commitTs: null,
    ...over,
  }
}

describe('an alert for one request', () => {
  it('names the customer and shows vehicle, concern and session type', () => {
    const row = queueRow(1)
    expect(requestAlert(row, 'request', T0, 42)).toEqual({
      kind: 'request',
      requestId: row.requestId,
      key: row.key,
      title: 'New request: Customer 1',
      body: 'Vehicle 1 · Concern 1 · video',
      detail: 'full',
      items: [toQueueItem(row, true)],
      latencyMs: 42,
    })
  })

  it('without a name it is "A customer"; empty parts are left out of the body', () => {
    const a = requestAlert(queueRow(1, {}, { customerName: null, vehicle: null, sessionType: '' }), 'request', T0, null)
    expect(a.title).toBe('New request: A customer')
    expect(a.body).toBe('Concern 1')
    expect(a.latencyMs).toBeNull()
  })

  it('with no details at all the body says whether they are still loading or were never given', () => {
    const none = { customerName: null, vehicle: null, concern: null, sessionType: null }
    expect(requestAlert(queueRow(1, { detail: 'basic' }, none), 'request', T0, null).body).toBe('Details are still loading.')
    expect(requestAlert(queueRow(1, { detail: 'full' }, none), 'request', T0, null)).toMatchObject({ body: 'No details given.', detail: 'full' })
  })

  it('a repeat says how long the customer has waited, in whole minutes rounded, and nothing before half a minute', () => {
    const row = queueRow(1)
    expect(requestAlert(row, 'repeat', T0 + 29_999, null).title).toBe('Still waiting: Customer 1')
    expect(requestAlert(row, 'repeat', T0 + 30_000, null).title).toBe('Still waiting (1 min): Customer 1')
    expect(requestAlert(row, 'repeat', T0 + 2 * MIN + 29_000, null).title).toBe('Still waiting (2 min): Customer 1')
    expect(requestAlert(row, 'repeat', T0 + 2 * MIN + 31_000, null).title).toBe('Still waiting (3 min): Customer 1')
    expect(requestAlert(row, 'repeat', T0 - 5 * MIN, null).title).toBe('Still waiting: Customer 1') // clock went back
    expect(requestAlert(row, 'repeat', T0 + 10 * MIN, null).kind).toBe('repeat')
  })

  it('the title is capped at 120 characters and the body at 400, each ending in "…" when cut', () => {
    const long = 'n'.repeat(300)
    const a = requestAlert(queueRow(1, {}, { customerName: long, vehicle: 'v'.repeat(300), concern: 'c'.repeat(300) }), 'request', T0, null)
    expect(a.title).toBe(`New request: ${'n'.repeat(106)}…`)
    expect(Array.from(a.title)).toHaveLength(120)
    expect(Array.from(a.body)).toHaveLength(400)
    expect(a.body.endsWith('…')).toBe(true)
    const fits = requestAlert(queueRow(1, {}, { customerName: 'n'.repeat(120 - 'New request: '.length) }), 'request', T0, null)
    expect(fits.title).toBe(`New request: ${'n'.repeat(107)}`)
  })

  it('the queue item is a copy: changing it does not change the row', () => {
    const row = queueRow(1)
    const item = toQueueItem(row, true)
    item.details.customerName = 'changed'
    expect(row.details.customerName).toBe('Customer 1')
    expect(item).not.toHaveProperty('nextRepeatAt')
    expect(item).toEqual({
      requestId: row.requestId,
      key: row.key,
      sessionId: null,
      queuedAt: row.queuedAt,
      details: { ...row.details, customerName: 'changed' },
      detail: 'full',
      confirmed: true,
      acknowledged: false,
      alertCount: 0,
      firstSeenAt: T0,
      firstSource: 'postgres_changes',
    })
  })
})

describe('a summary alert', () => {
  it('lists names with their vehicle, and says how many more beyond five', () => {
    const rows = [1, 2, 3, 4, 5, 6, 7].map((n) => queueRow(n))
    const a = summaryAlert(rows, 'summary', '7 requests waiting', 5)
    expect(a).toEqual({
      kind: 'summary',
      title: '7 requests waiting',
      body: 'Customer 1 (Vehicle 1), Customer 2 (Vehicle 2), Customer 3 (Vehicle 3), Customer 4 (Vehicle 4), Customer 5 (Vehicle 5) and 2 more',
      detail: 'full',
      summaryOf: rows.map((r) => r.requestId),
      items: rows.map((r) => toQueueItem(r, true)),
      latencyMs: 5,
    })
  })

  it('five rows are listed without "more"; a row without a vehicle is only its name', () => {
    const rows = [1, 2, 3, 4].map((n) => queueRow(n)).concat(queueRow(5, {}, { customerName: null, vehicle: null }))
    expect(summaryAlert(rows, 'repeat', 't', null).body).toBe('Customer 1 (Vehicle 1), Customer 2 (Vehicle 2), Customer 3 (Vehicle 3), Customer 4 (Vehicle 4), A customer')
  })

  it('is full only when every row is full', () => {
    expect(summaryAlert([queueRow(1), queueRow(2, { detail: 'basic' })], 'summary', 't', null).detail).toBe('basic')
    expect(summaryAlert([queueRow(1), queueRow(2)], 'summary', 't', null).detail).toBe('full')
  })

  it('title and body are capped like a single alert', () => {
    const rows = [1, 2, 3, 4, 5].map((n) => queueRow(n, {}, { customerName: 'x'.repeat(100) }))
    const a = summaryAlert(rows, 'summary', 't'.repeat(200), null)
    expect(a.title).toBe(`${'t'.repeat(119)}…`)
    expect(Array.from(a.body)).toHaveLength(400)
  })
})

describe('plural', () => {
  it('one is singular; zero and many are plural', () => {
    expect(plural(1, 'request', 'requests')).toBe('1 request')
    expect(plural(0, 'request', 'requests')).toBe('0 requests')
    expect(plural(2, 'request', 'requests')).toBe('2 requests')
  })
})
