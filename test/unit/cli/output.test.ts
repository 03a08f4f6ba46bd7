// Headless terminal output: an update (details arrived after a basic ring) is a text line in text mode;
// in --json mode it adds no new type: it rides as `updates` on the next `queue` line.
import { describe, expect, it } from 'vitest'
import type { Alert } from '../../../src/core/ports.js'
import { TerminalOutput, TerminalSink } from '../../../src/cli/output.js'

const alert = (over: Partial<Alert> = {}): Alert => ({
  kind: 'request', requestId: 'r1', key: 'r1@t', title: 'New request: Dana Diaz', body: '2015 Ford F-150 · Check engine light', detail: 'full', items: [], latencyMs: null, ...over,
})

describe('TerminalOutput.update', () => {
  it('text mode: one line with the full text', () => {
    const lines: string[] = []
    new TerminalOutput({ json: false, tty: false, out: (l) => lines.push(l) }).update(alert())
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/↻ details New request: Dana Diaz — 2015 Ford F-150 · Check engine light$/)
  })
  it('JSON mode: no line of its own; the next queue line carries it, even when the queue key did not move, and only once', async () => {
    const { makeItem } = await import('../../mocks/fake-engine.js')
    const lines: string[] = []
    const out = new TerminalOutput({ json: true, tty: false, out: (l) => lines.push(l) })
    const item = makeItem({ requestId: 'r1', detail: 'full' })
    out.queue([item])
    out.update(alert())
    expect(lines).toHaveLength(1)
    out.queue([item])
    out.queue([item])
    const parsed = lines.map((l) => JSON.parse(l) as { type: string; updates?: unknown[] })
    expect(parsed.map((l) => l.type)).toEqual(['queue', 'queue'])
    expect(parsed[0]!.updates).toBeUndefined()
    expect(parsed[1]!.updates).toEqual([{ requestId: 'r1', kind: 'request', detail: 'full', title: 'New request: Dana Diaz', body: '2015 Ford F-150 · Check engine light' }])
  })
  it('the terminal sink is not a second path for updates (the engine event is)', () => {
    const sink = new TerminalSink(new TerminalOutput({ json: true, tty: false, out: () => {} }))
    expect((sink as { update?: unknown }).update).toBeUndefined()
  })
})

describe('TerminalOutput.queue', () => {
  it('JSON mode: each queue item says whether the server confirmed it, and a confirmation is a new line', async () => {
    const { makeItem } = await import('../../mocks/fake-engine.js')
    const lines: string[] = []
    const out = new TerminalOutput({ json: true, tty: false, out: (l) => lines.push(l) })
    const restored = makeItem({ requestId: 'r1', confirmed: false })
    out.queue([restored])
    out.queue([restored])
    out.queue([{ ...restored, confirmed: true }])
    const items = lines.map((l) => (JSON.parse(l) as { type: string; items: { requestId: string; confirmed: boolean }[] }))
    expect(items.map((l) => l.type)).toEqual(['queue', 'queue'])
    expect(items.map((l) => l.items.map((i) => [i.requestId, i.confirmed]))).toEqual([[['r1', false]], [['r1', true]]])
  })
})
