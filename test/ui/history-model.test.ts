/** @vitest-environment node */
// What the History view says about a request of the day: when, the path that brought it, how fast it rang (or that
// it did not), what each sink did with its rings, and how it ended — taken by whom, cancelled, or just gone.
import { describe, expect, it } from 'vitest'
import type { HistoryEntry } from '../../src/shared/types.js'
import { duration, historyRows, outcomeText, ringText, sinksText } from '../../src/renderer/history-model.js'

const entry = (over: Partial<HistoryEntry> = {}): HistoryEntry => ({
  requestId: 'r-1',
  customerName: 'Maria Gonzalez',
  source: 'db-broadcast',
  seenAt: new Date(2026, 10, 30, 9, 5).getTime(),
  alertedAt: 1,
  alertKind: 'request',
  latencyMs: 180,
  sinks: [],
  acknowledgedAt: null,
  endedAt: null,
  ended: null,
  takenBy: null,
  takenByMe: false,
  ...over,
})

describe('history rows', () => {
  it.each([
    [0, '0 ms'],
    [999.4, '999 ms'],
    [1000, '1.0 s'],
    [9_949, '9.9 s'],
    [10_000, '10 s'],
    [119_499, '119 s'],
    [120_000, '2 min'],
    [-5, '0 ms'],
  ])('duration(%d) = %s', (ms, text) => {
    expect(duration(ms)).toBe(text)
  })

  it('how it rang: alone, in a burst, with no known latency, or not at all', () => {
    expect(ringText(entry())).toBe('rang after 180 ms')
    expect(ringText(entry({ alertKind: 'summary', latencyMs: 2500 }))).toBe('rang after 2.5 s (in a burst)')
    expect(ringText(entry({ latencyMs: null }))).toBe('rang, latency unknown')
    expect(ringText(entry({ alertedAt: null, latencyMs: null }))).toBe('did not ring here')
  })

  it('what each sink did', () => {
    expect(sinksText(entry())).toBe('no sink was called')
    expect(
      sinksText(entry({ sinks: [{ sink: 'notification', ok: 2, failed: 1, skipped: 0 }, { sink: 'sound', ok: 0, failed: 0, skipped: 3 }, { sink: 'odd', ok: 0, failed: 0, skipped: 0 }] })),
    ).toBe('notification: 2 shown, 1 failed · sound: 3 off by a switch · odd: nothing')
  })

  it.each<[Partial<HistoryEntry>, string]>([
    [{ ended: 'taken', takenByMe: true }, 'taken by you'],
    [{ ended: 'taken', takenBy: 'Ana' }, 'taken by Ana'],
    [{ ended: 'taken' }, 'taken by another mechanic'],
    [{ ended: 'cancelled' }, 'cancelled by the customer'],
    [{ ended: 'removed' }, 'left the queue'],
    [{ ended: null }, 'still waiting'],
    [{ ended: null, takenBy: 'Ana' }, 'taken by Ana'],
    [{ ended: null, acknowledgedAt: 5 }, 'acknowledged; still waiting'],
    [{ ended: 'taken', takenByMe: true, acknowledgedAt: 5 }, 'acknowledged; taken by you'],
  ])('%j → %s', (over, text) => {
    expect(outcomeText(entry(over))).toBe(text)
  })

  it('a row names the customer (or "A customer"), the local time it came, and its source', () => {
    const [named, unnamed] = historyRows([entry(), entry({ requestId: 'r-2', customerName: null, source: 'reconcile' })])
    expect(named).toMatchObject({ who: 'Maria Gonzalez', time: '09:05', source: 'via db-broadcast' })
    expect(unnamed).toMatchObject({ who: 'A customer', source: 'via reconcile' })
  })

  it('a hostile name or sink is one clean line', () => {
    const [row] = historyRows([entry({ customerName: 'Evil\u202E\u0007Name\nline2', sinks: [{ sink: 'x\u001b[2J', ok: 1, failed: 0, skipped: 0 }] })])
    expect(row!.who).not.toMatch(/[\u202E\u0007\n]/)
    expect(row!.sinks).not.toMatch(/\u001b/)
  })
})
