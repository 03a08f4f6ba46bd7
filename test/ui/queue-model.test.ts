/** @vitest-environment node */
// What the queue window says about cards, as data: the names on its buttons and what the live region
// announces when requests come and go.
import { describe, expect, it } from 'vitest'
import { acknowledgeLabel, announcement, queueChange, spokenName, takeLabel, UNNAMED } from '../../src/renderer/queue-model.js'
import { makeItem } from '../mocks/fake-engine.js'

const named = (requestId: string, customerName: string | null) =>
  makeItem({ requestId, details: { customerName, vehicle: null, concern: null, sessionType: null } })

describe('queue model', () => {
  it('buttons name their customer, cleaned, and a customer whose name is not known yet', () => {
    expect(takeLabel(named('a', 'Maria Gonzalez'))).toBe('Take it: Maria Gonzalez')
    expect(acknowledgeLabel(named('a', 'Maria Gonzalez'))).toBe('Acknowledge: Maria Gonzalez')
    expect(takeLabel(named('a', 'Ana\u202E Ruiz\u0007'))).toBe('Take it: Ana Ruiz')
    expect(takeLabel(named('a', null))).toBe(`Take it: ${UNNAMED}`)
    expect(spokenName(named('a', '   '))).toBe(UNNAMED)
    expect(Array.from(spokenName(named('a', 'N'.repeat(500))))).toHaveLength(80)
  })

  it('a change is what arrived and what left, by request id, not by content', () => {
    const a = named('a', 'Ann')
    const b = named('b', 'Bo')
    const c = named('c', 'Cy')
    expect(queueChange([a, b], [{ ...b, alertCount: 3 }, c])).toEqual({ added: [c], removed: [a] })
    expect(queueChange([a], [a])).toEqual({ added: [], removed: [] })
    expect(queueChange([], [a, b])).toEqual({ added: [a, b], removed: [] })
  })

  it('announces one arrival or departure by name, several by count, then how many wait', () => {
    const a = named('a', 'Ann')
    const b = named('b', 'Bo')
    expect(announcement({ added: [], removed: [] }, 3)).toBe('')
    expect(announcement({ added: [a], removed: [] }, 1)).toBe('New request: Ann. 1 waiting.')
    expect(announcement({ added: [a, b], removed: [] }, 2)).toBe('2 new requests. 2 waiting.')
    expect(announcement({ added: [], removed: [a] }, 0)).toBe('Ann is no longer waiting. No one is waiting.')
    expect(announcement({ added: [], removed: [a, b] }, 4)).toBe('2 requests are no longer waiting. 4 waiting.')
    expect(announcement({ added: [b], removed: [a] }, 1)).toBe('New request: Bo. Ann is no longer waiting. 1 waiting.')
    expect(announcement({ added: [named('n', null)], removed: [] }, 1)).toBe(`New request: ${UNNAMED}. 1 waiting.`)
  })
})
