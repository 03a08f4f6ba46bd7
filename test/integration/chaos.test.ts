// The short chaos run (issue 7): 50 customers, 3 headless workstations as separate processes, every fault class at
// least once, in under 2 minutes — and nothing lost, nothing rung twice, no stale removal, no unannounced silence.
import { describe, expect, it } from 'vitest'
import { FAULT_CLASSES } from '../../scripts/chaos/plan.js'
import { findings } from '../../scripts/chaos/report.js'
import { runChaos } from '../../scripts/chaos/run.js'

/**
 * Ringing through a locked store (issue 7, "Ring through storage failure"): a workstation whose SQLite file another
 * process holds keeps deciding from memory and rings, and one started while it is held waits offline instead of
 * exiting. So every failure counts, store-locked ones included. (false: only failures away from a store lock count —
 * for bisecting a regression of that work.)
 */
const RING_THROUGH_LOCKED_STORE = true

describe('chaos run', () => {
  it('50 requests, 3 workstations, every fault class: the four counts are zero', async () => {
    const r = await runChaos({ seed: 1, requests: 50, workstations: 3 })
    const said = findings(r).join('\n')
    for (const c of FAULT_CLASSES) expect(r.byFault[c].injected, `${c} injected`).toBeGreaterThanOrEqual(1)
    expect(r.notInjected, said).toBe(0)
    const counted = RING_THROUGH_LOCKED_STORE ? r.failures : r.failures.filter((f) => !f.faults.includes('storeLocked'))
    expect(counted, said).toEqual([])
    if (RING_THROUGH_LOCKED_STORE) expect({ lost: r.lost, rungTwice: r.rungTwice, staleRemovals: r.staleRemovals, silentFailures: r.silentFailures, exits: r.exits }, said).toEqual({ lost: 0, rungTwice: 0, staleRemovals: 0, silentFailures: 0, exits: 0 })
    expect(r.badLines, 'every workstation stdout line is JSON').toBe(0)
    // The checks saw something: rings were owed and made, removals and silences were checked.
    expect(r.coverage.owedRings).toBeGreaterThan(50)
    expect(r.coverage.rings).toBeGreaterThan(50)
    expect(r.coverage.removalChecks).toBeGreaterThan(10)
    // Deafening faults that met a live workstation (how many depends on timing; with a store that no longer makes
    // a workstation deaf there are fewer than before).
    expect(r.coverage.silenceChecks).toBeGreaterThanOrEqual(2)
    expect(r.wallMs, 'the short run stays under 2 minutes').toBeLessThan(120_000)
  }, 240_000)
})
