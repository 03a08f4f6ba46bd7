// The chaos run's outputs: the exit decision, the table, the findings with the replay line, the JSON file's
// fields, and which alert lines are rings.
import { describe, expect, it } from 'vitest'
import { FAULT_CLASSES } from '../../../scripts/chaos/plan.js'
import { failed, findings, jsonReport, table } from '../../../scripts/chaos/report.js'
import { resultOf, type ChaosResult } from '../../../scripts/chaos/run.js'
import { rungIds } from '../../../scripts/chaos/workstation.js'

function result(over: Partial<ChaosResult> = {}): ChaosResult {
  const byFault = Object.fromEntries([...FAULT_CLASSES, 'none'].map((c) => [c, { injected: c === 'none' ? 0 : 1, lost: 0, rungTwice: 0, staleRemovals: 0, silentFailures: 0, exits: 0 }])) as ChaosResult['byFault']
  return {
    seed: 7, requests: 50, workstations: 3, faults: 13, lost: 0, rungTwice: 0, staleRemovals: 0, silentFailures: 0, exits: 0, byFault, queueMismatches: 0,
    coverage: { owedRings: 1, removalChecks: 1, silenceChecks: 1, rings: 1 }, notInjected: 0, badLines: 0, wallMs: 1, failures: [],
    trace: { seed: 7, requests: 50, workstations: [], requestRecords: [], faults: [], endAt: 0, finalDbQueue: [], badLines: 0, wallMs: 1 }, ...over,
  }
}

describe('chaos report', () => {
  it.each(['lost', 'rungTwice', 'staleRemovals', 'silentFailures', 'exits'] as const)('one %s fails the run and prints the seed to replay', (k) => {
    const r = result({ [k]: 1 })
    expect(failed(r)).toBe(true)
    expect(findings(r).at(-1)).toBe('FAILED — replay with: npm run chaos -- --seed 7 --requests 50 --workstations 3')
  })

  it('all four zero passes with no replay line', () => {
    expect(failed(result())).toBe(false)
    expect(findings(result()).join('\n')).not.toContain('FAILED')
  })

  it('a table row per fault class, a row for failures near no fault, and the totals', () => {
    const byFault = result().byFault
    byFault.halfOpen = { injected: 2, lost: 1, rungTwice: 0, staleRemovals: 3, silentFailures: 0, exits: 0 }
    const lines = table(result({ byFault, faults: 14, lost: 1, staleRemovals: 3 })).split('\n')
    expect(lines).toHaveLength(2 + FAULT_CLASSES.length + 2)
    expect(lines[0]).toMatch(/^\| fault class +\| injected \| lost \| rung twice \| stale removals \| silent failures \| exits \|$/)
    expect(lines[1]).toMatch(/^\|-+\|-+:\|-+:\|-+:\|-+:\|-+:\|-+:\|$/)
    expect(lines.find((l) => l.startsWith('| halfOpen'))).toMatch(/\| +2 \| +1 \| +0 \| +3 \| +0 \| +0 \|$/)
    expect(lines.at(-2)).toMatch(/^\| \(no fault near\) +\| +– \|/)
    expect(lines.at(-1)).toMatch(/^\| total +\| +14 \| +1 \| +0 \| +3 \| +0 \| +0 \|$/)
  })

  it('a failing store-locked class is a failure like any other: no "known gap" excuse (the held journal closed it)', () => {
    const byFault = result().byFault
    byFault.storeLocked = { injected: 1, lost: 0, rungTwice: 1, staleRemovals: 0, silentFailures: 0, exits: 0 }
    const out = findings(result({ byFault, rungTwice: 1 })).join('\n')
    expect(out).not.toMatch(/known gap/)
    expect(out).toMatch(/FAILED — replay with: npm run chaos -- --seed/)
  })

  it('findings name the first failures of a kind, then how many more', () => {
    const failures = Array.from({ length: 7 }, (_, i) => ({ kind: 'lost' as const, workstation: 1, requestId: `r${i}`, at: 1500, faults: ['halfOpen' as const], why: 'never rung' }))
    const out = findings(result({ lost: 7, failures }))
    expect(out[0]).toBe('lost: workstation 2, request r0 at +1.5 s (near halfOpen): never rung')
    expect(out.filter((l) => l.startsWith('lost: workstation'))).toHaveLength(5)
    expect(out).toContain('lost: … and 2 more')
  })

  it('the JSON file carries the contract fields and leaves the trace out', () => {
    const j = jsonReport(result())
    for (const k of ['seed', 'requests', 'workstations', 'faults', 'lost', 'rungTwice', 'staleRemovals', 'silentFailures', 'byFault']) expect(j).toHaveProperty(k)
    expect(j).not.toHaveProperty('trace')
  })
})

describe('rungIds', () => {
  it('a request alert rings its request, a summary every one it sums up; repeats, health and other lines ring nothing', () => {
    expect(rungIds({ type: 'alert', kind: 'request', requestId: 'a' })).toEqual(['a'])
    expect(rungIds({ type: 'alert', kind: 'summary', requestId: null, summaryOf: ['a', 'b', 3] })).toEqual(['a', 'b'])
    expect(rungIds({ type: 'alert', kind: 'repeat', requestId: 'a' })).toEqual([])
    expect(rungIds({ type: 'alert', kind: 'health', requestId: null })).toEqual([])
    expect(rungIds({ type: 'queue', kind: 'request', requestId: 'a' })).toEqual([])
  })
})

describe('resultOf (a trace judged, again or for the first time)', () => {
  it('carries the run’s figures and counts what the verdict finds', () => {
    const id = 'aaaaaaaa-0000-4000-8000-000000000001'
    const r = resultOf({
      seed: 9, requests: 1, badLines: 2, wallMs: 1234, endAt: 20_000, finalDbQueue: [id],
      workstations: [{ index: 0, states: [{ t: 0, state: 'live' }], rings: [], queues: [{ t: 100, ids: [id] }] }],
      requestRecords: [{ id, queuedAt: 100, removedAt: null, removalStartedAt: null }],
      faults: [{ fault: 'socketDrop', start: 50, end: 60, workstation: null, injected: true }, { fault: 'halfOpen', start: 0, end: 1, workstation: null, injected: false }],
    })
    expect(r).toMatchObject({ seed: 9, requests: 1, workstations: 1, faults: 1, notInjected: 1, badLines: 2, wallMs: 1234, lost: 1, queueMismatches: 0 })
    expect(r.coverage.rings).toBe(0)
    expect(failed(r)).toBe(true)
  })
})
