// Headless terminal output: an update (details arrived after a basic ring) is a text line in text mode;
// in --json mode it adds no new type: it rides as `updates` on the next `queue` line.
import { describe, expect, it } from 'vitest'
import type { Alert } from '../../../src/core/ports.js'
import { BellSink, TerminalOutput, TerminalSink } from '../../../src/cli/output.js'

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

// A withdrawn alert in the terminal: one line naming the customer and what happened, never the request id
// twice. The engine's retract event says why; the queue says who; the sink's retract writes the line.
describe('withdrawn alerts as terminal lines', () => {
  const ID = '6f1c2d3e-4a5b-4c6d-8e7f-0123456789ab'
  const setup = async (json = false) => {
    const { FakeEngine, makeItem } = await import('../../mocks/fake-engine.js')
    const { attachOutput } = await import('../../../src/cli/output.js')
    const lines: string[] = []
    const out = new TerminalOutput({ json, tty: false, out: (l) => lines.push(l) })
    const engine = new FakeEngine()
    attachOutput(engine, out)
    const sink = new TerminalSink(out)
    const maria = makeItem({ requestId: ID, details: { customerName: 'Maria Gonzalez', vehicle: '2018 Toyota Camry', concern: 'Brakes', sessionType: 'video' } })
    engine.push({ queue: [maria] })
    lines.length = 0
    return { engine, sink, lines, maria }
  }

  it.each([
    ['taken', 'Maria Gonzalez taken'],
    ['cancelled', 'Maria Gonzalez cancelled'],
    ['removed', 'Maria Gonzalez left the queue'],
    ['acknowledged', 'Maria Gonzalez acknowledged'],
  ] as const)('%s: one line "%s", without the request id', async (why, text) => {
    const { engine, sink, lines } = await setup()
    engine.emit('retract', { requestId: ID, why })
    if (why !== 'acknowledged') engine.push({ queue: [] }) // the queue drops it before the sink is called
    sink.retract(ID)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(new RegExp(`✓ ${text}$`))
    expect(lines[0]).not.toContain(ID.slice(0, 8))
  })

  it('acknowledging twice is one line; the request taken afterwards is a second one', async () => {
    const { engine, sink, lines, maria } = await setup()
    for (let i = 0; i < 2; i++) {
      engine.emit('retract', { requestId: ID, why: 'acknowledged' })
      engine.push({ queue: [{ ...maria, acknowledged: true }] })
      sink.retract(ID)
    }
    engine.emit('retract', { requestId: ID, why: 'taken' })
    engine.push({ queue: [] })
    sink.retract(ID)
    expect(lines.map((l) => l.slice(l.indexOf('✓')))).toEqual(['✓ Maria Gonzalez acknowledged', '✓ Maria Gonzalez taken'])
  })

  it('a request re-queued after it was taken is acknowledged anew', async () => {
    const { engine, sink, lines, maria } = await setup()
    engine.emit('retract', { requestId: ID, why: 'acknowledged' })
    sink.retract(ID)
    engine.emit('retract', { requestId: ID, why: 'removed' })
    engine.push({ queue: [] })
    sink.retract(ID)
    engine.push({ queue: [maria] })
    engine.emit('retract', { requestId: ID, why: 'acknowledged' })
    sink.retract(ID)
    expect(lines.map((l) => l.slice(l.indexOf('✓')))).toEqual(['✓ Maria Gonzalez acknowledged', '✓ Maria Gonzalez left the queue', '✓ Maria Gonzalez acknowledged'])
  })

  it('a request whose details never came is named by a short id', async () => {
    const { engine, sink, lines, maria } = await setup()
    const basic = { ...maria, requestId: '0a1b2c3d-0000-4000-8000-000000000000', detail: 'basic' as const, details: { customerName: null, vehicle: null, concern: null, sessionType: null } }
    engine.push({ queue: [maria, basic] })
    engine.emit('retract', { requestId: basic.requestId, why: 'cancelled' })
    sink.retract(basic.requestId)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/✓ request 0a1b2c3d cancelled$/)
  })

  it('a name learnt from the alert itself is used when no queue line named it', async () => {
    const lines: string[] = []
    const out = new TerminalOutput({ json: false, tty: false, out: (l) => lines.push(l) })
    const { makeItem } = await import('../../mocks/fake-engine.js')
    const item = makeItem({ requestId: 'r9', details: { customerName: 'Ana Lima', vehicle: null, concern: null, sessionType: null } })
    out.alert(alert({ requestId: 'r9', items: [item] }))
    out.withdrawn({ requestId: 'r9', why: 'taken' })
    out.retract('r9')
    expect(lines[1]).toMatch(/✓ Ana Lima taken$/)
  })

  it('without the engine event (a host that does not attach it) the line still names the customer', async () => {
    const { sink, lines } = await setup()
    sink.retract(ID)
    expect(lines[0]).toMatch(/✓ Maria Gonzalez left the queue or was acknowledged$/)
  })

  it('a take that names the taker says who: "Maria Gonzalez taken by Ana Lima"; JSON adds takenBy', async () => {
    for (const json of [false, true]) {
      const { engine, sink, lines } = await setup(json)
      engine.emit('retract', { requestId: ID, why: 'taken', takenBy: 'Ana Lima' })
      engine.push({ queue: [] })
      sink.retract(ID)
      const retractLines = lines.filter((l) => !json || (JSON.parse(l) as { type: string }).type === 'retract')
      expect(retractLines).toHaveLength(1)
      if (json) expect(JSON.parse(retractLines[0]!)).toMatchObject({ type: 'retract', requestId: ID, why: 'taken', customerName: 'Maria Gonzalez', takenBy: 'Ana Lima' })
      else expect(retractLines[0]).toMatch(/✓ Maria Gonzalez taken by Ana Lima$/)
    }
  })

  it('an unnamed taker is "taken"; a takenBy on anything but a take is not shown', async () => {
    const { engine, sink, lines } = await setup()
    engine.emit('retract', { requestId: ID, why: 'taken', takenBy: null })
    sink.retract(ID)
    engine.push({ queue: [] })
    expect(lines.at(-1)).toMatch(/✓ Maria Gonzalez taken$/)
    const second = await setup()
    second.engine.emit('retract', { requestId: ID, why: 'cancelled', takenBy: 'Ana' })
    second.sink.retract(ID)
    expect(second.lines.at(-1)).toMatch(/✓ Maria Gonzalez cancelled$/)
  })

  it('JSON mode: every retract keeps requestId and adds why and customerName', async () => {
    const { engine, sink, lines } = await setup(true)
    lines.length = 0
    for (let i = 0; i < 2; i++) {
      engine.emit('retract', { requestId: ID, why: 'acknowledged' })
      sink.retract(ID)
    }
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(parsed.map(({ ts: _ts, ...rest }) => rest)).toEqual([
      { type: 'retract', requestId: ID, why: 'acknowledged', customerName: 'Maria Gonzalez' },
      { type: 'retract', requestId: ID, why: 'acknowledged', customerName: 'Maria Gonzalez' },
    ])
  })
})

describe('workstation watch and escalation in the terminal', () => {
  const at = new Date(2026, 10, 30, 10, 42, 30).getTime()
  const watch = (live: number, silent: string[]) => ({
    live,
    total: live + silent.length,
    silent: silent.map((name) => ({ name, since: at })),
    list: [
      ...Array.from({ length: live }, (_, i) => ({ name: `Bay ${i + 1}`, mechanic: 'Alex Rivera', state: 'live', version: '1.0.0', lastSeen: at + 60_000, live: true })),
      ...silent.map((name) => ({ name, mechanic: null, state: 'degraded', version: null, lastSeen: at, live: false })),
    ],
  })

  it('JSON: one workstations line when who is live or silent changes, not on every snapshot; none before the watch is known', () => {
    const lines: string[] = []
    const out = new TerminalOutput({ json: true, tty: false, out: (l) => lines.push(l) })
    out.workstations(null)
    out.workstations(undefined)
    expect(lines).toEqual([])
    out.workstations(watch(3, []))
    out.workstations(watch(3, []))
    out.workstations(watch(2, ['Bay 3']))
    out.workstations(null)
    const parsed = lines.map((l) => JSON.parse(l))
    expect(parsed.map((p) => [p.type, p.live, p.total])).toEqual([['workstations', 3, 3], ['workstations', 2, 3], ['workstations', null, null]])
    expect(parsed[1].silent).toEqual([{ name: 'Bay 3', since: new Date(at).toISOString() }])
    expect(parsed[1].list[2]).toEqual({ name: 'Bay 3', mechanic: null, state: 'degraded', version: null, lastSeen: new Date(at).toISOString(), live: false })
  })

  it('text: "2 of 3 workstations live — Bay 3 silent since 10:42"', () => {
    const lines: string[] = []
    const out = new TerminalOutput({ json: false, tty: false, out: (l) => lines.push(l) })
    out.workstations(watch(2, ['Bay 3']))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/ 2 of 3 workstations live — Bay 3 silent since 10:42$/)
  })

  it('an escalated alert is marked URGENT in text and escalated: true in JSON (absent otherwise); the bell rings three times', () => {
    const text: string[] = []
    new TerminalOutput({ json: false, tty: false, out: (l) => text.push(l) }).alert(alert({ kind: 'repeat', escalated: true }))
    expect(text[0]).toContain('🚨 URGENT')
    const json: string[] = []
    const out = new TerminalOutput({ json: true, tty: false, out: (l) => json.push(l) })
    out.alert(alert({ kind: 'repeat', escalated: true }))
    out.alert(alert({ kind: 'repeat' }))
    expect(json.map((l) => JSON.parse(l).escalated)).toEqual([true, undefined])
    const bells: string[] = []
    const bell = new BellSink((s) => bells.push(s))
    bell.alert(alert({ kind: 'repeat', escalated: true }))
    bell.alert(alert({ kind: 'repeat' }))
    expect(bells).toEqual(['\x07\x07\x07', '\x07'])
  })
})

describe('TerminalOutput.outbox', () => {
  const entry = (over: Partial<import('../../../src/shared/types.js').OutboxEntry> = {}) => ({
    key: 'k1', action: 'accept' as const, requestId: '0b6f3c52-9d7e-4c1a-8f00-5a1f2e3d4c5b', customerName: 'Maria Gonzalez', createdAt: 0, state: 'pending' as const, takenBy: null, message: null, settledAt: null, ...over,
  })
  it('JSON: an outbox line whenever an entry appears or changes state, none for the same states again, none before there is one', () => {
    const lines: string[] = []
    const out = new TerminalOutput({ json: true, tty: false, out: (l) => lines.push(l) })
    out.outbox(undefined)
    out.outbox([])
    out.outbox([entry()])
    out.outbox([entry()])
    out.outbox([entry({ state: 'conflict', takenBy: 'Ana', message: 'Taken by Ana while you were offline' })])
    const parsed = lines.map((l) => JSON.parse(l))
    expect(parsed.map((p) => p.type)).toEqual(['outbox', 'outbox'])
    expect(parsed[0].entries).toEqual([{ requestId: entry().requestId, customerName: 'Maria Gonzalez', state: 'pending', takenBy: null, message: null }])
    expect(parsed[1].entries[0]).toMatchObject({ state: 'conflict', takenBy: 'Ana', message: 'Taken by Ana while you were offline' })
  })
  it('text: one line per changed entry, naming the customer and the outcome', () => {
    const lines: string[] = []
    const out = new TerminalOutput({ json: false, tty: false, out: (l) => lines.push(l) })
    out.outbox([entry()])
    out.outbox([entry({ state: 'conflict', message: 'Taken by Ana while you were offline' }), entry({ key: 'k2', customerName: null, requestId: 'abcdef12-0000-4000-8000-000000000000' })])
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/⏳ Take it for Maria Gonzalez: waiting for the link/)
    expect(lines[1]).toMatch(/✗ Take it for Maria Gonzalez: Taken by Ana while you were offline$/)
    expect(lines[2]).toMatch(/⏳ Take it for request abcdef12: waiting for the link/)
  })
})
