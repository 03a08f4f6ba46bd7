/** @vitest-environment node */
// What the queue window says about claims saved while the link was down: one line per claim in a mechanic's words,
// a heading that counts the waiting ones, and one sentence for the live region when a claim ends.
import { describe, expect, it } from 'vitest'
import type { OutboxEntry } from '../../src/shared/types.js'
import { outboxHeading, outboxLines, outboxNews, outboxText } from '../../src/renderer/outbox-model.js'

const entry = (over: Partial<OutboxEntry> = {}): OutboxEntry => ({
  key: 'k-1',
  action: 'accept',
  requestId: 'r-1',
  customerName: 'Maria Gonzalez',
  createdAt: 1,
  state: 'pending',
  takenBy: null,
  message: null,
  settledAt: null,
  ...over,
})

describe('outbox lines', () => {
  it.each<[Partial<OutboxEntry>, string]>([
    [{ state: 'pending' }, 'Take it saved — sent when the link is back'],
    [{ state: 'done' }, 'Taken — the session is yours'],
    [{ state: 'conflict', takenBy: 'Ana', message: 'Taken by Ana while you were offline' }, 'Taken by Ana while you were offline'],
    [{ state: 'conflict', takenBy: 'Ana', message: null }, 'Taken by Ana while you were offline'],
    [{ state: 'conflict', takenBy: null, message: null }, 'Taken by another mechanic while you were offline'],
    [{ state: 'gone', message: 'The customer cancelled this request.' }, 'The customer cancelled this request.'],
    [{ state: 'gone', message: null }, 'No longer waiting'],
    [{ state: 'failed', message: 'The server refused: not_a_mechanic' }, 'Not taken: The server refused: not_a_mechanic'],
    [{ state: 'failed', message: null }, 'Not taken: the server refused'],
  ])('%j → %s', (over, text) => {
    expect(outboxText(entry(over))).toBe(text)
  })

  it('names the customer, or says "A customer" before the details came', () => {
    expect(outboxLines([entry(), entry({ key: 'k-2', customerName: null })]).map((l) => l.who)).toEqual(['Maria Gonzalez', 'A customer'])
  })

  it('no outbox field (an older engine) is no lines', () => {
    expect(outboxLines(undefined)).toEqual([])
  })

  it('the heading counts waiting claims, and says they were sent when none waits', () => {
    expect(outboxHeading([entry(), entry({ key: 'k-2' }), entry({ key: 'k-3', state: 'done' })])).toBe('Waiting to send (2)')
    expect(outboxHeading([entry({ state: 'done' })])).toBe('Sent after the outage')
    expect(outboxHeading(undefined)).toBe('Sent after the outage')
  })
})

describe('outbox news for the live region', () => {
  it('announces a claim that ended since the last snapshot, once', () => {
    const before = [entry()]
    const after = [entry({ state: 'conflict', takenBy: 'Ana', message: 'Taken by Ana while you were offline' })]
    expect(outboxNews(before, after)).toBe('Maria Gonzalez: Taken by Ana while you were offline.')
    expect(outboxNews(after, after)).toBe('')
  })

  it('says nothing about a claim still waiting, nor about one that had ended before this window opened', () => {
    expect(outboxNews([entry()], [entry()])).toBe('')
    expect(outboxNews(undefined, [entry({ state: 'done' })])).toBe('')
  })
})
