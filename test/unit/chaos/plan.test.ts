// The chaos run's schedule: one seed, one run; every fault class in a short run; per-workstation faults aimed at a
// workstation that exists.
import { describe, expect, it } from 'vitest'
import { FAULT_CLASSES, PER_WORKSTATION, makePlan } from '../../../scripts/chaos/plan.js'

describe('makePlan', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = makePlan({ seed: 42, requests: 50, workstations: 3 })
    expect(makePlan({ seed: 42, requests: 50, workstations: 3 })).toEqual(a)
    const b = makePlan({ seed: 43, requests: 50, workstations: 3 })
    expect(b.requests.map((r) => r.at)).not.toEqual(a.requests.map((r) => r.at))
    expect(b.faults.map((f) => f.fault)).not.toEqual(a.faults.map((f) => f.fault))
  })

  it.each([1, 7, 1234, 2 ** 31 - 1])('seed %i: a short run injects every class at least once, in order of time', (seed) => {
    const p = makePlan({ seed, requests: 50, workstations: 3 })
    expect(new Set(p.faults.map((f) => f.fault))).toEqual(new Set(FAULT_CLASSES))
    const times = p.faults.map((f) => f.at)
    expect([...times].sort((x, y) => x - y)).toEqual(times)
    expect(p.endsAt).toBeGreaterThanOrEqual(Math.max(...p.faults.map((f) => f.at + f.durationMs), ...p.requests.map((r) => r.at + r.after)))
  })

  it('aims store locks and kills at an existing workstation, and backend faults at none', () => {
    const p = makePlan({ seed: 9, requests: 400, workstations: 2 })
    for (const f of p.faults) {
      if (PER_WORKSTATION.has(f.fault)) expect([0, 1]).toContain(f.workstation)
      else expect(f.workstation).toBeNull()
    }
    expect(new Set(p.faults.filter((f) => PER_WORKSTATION.has(f.fault)).map((f) => f.workstation))).toEqual(new Set([0, 1]))
  })

  it('requests arrive in order; some stay, some are taken, some cancelled, some early enough that no ring is owed', () => {
    const p = makePlan({ seed: 5, requests: 200, workstations: 3 })
    const at = p.requests.map((r) => r.at)
    expect([...at].sort((x, y) => x - y)).toEqual(at)
    const fates = new Set(p.requests.map((r) => r.fate))
    expect(fates).toEqual(new Set(['stays', 'taken', 'cancelled']))
    expect(p.requests.filter((r) => r.fate === 'stays').every((r) => r.after === 0)).toBe(true)
    expect(p.requests.some((r) => r.fate !== 'stays' && r.after < 5000)).toBe(true)
    expect(p.requests.some((r) => r.fate !== 'stays' && r.after >= 5000)).toBe(true)
    expect(p.requests.every((r) => r.takenBy >= 0 && r.takenBy < 3)).toBe(true)
  })

  it('a long run has more faults than classes, spread over the arrivals', () => {
    const p = makePlan({ seed: 3, requests: 1000, workstations: 3 })
    expect(p.faults.length).toBeGreaterThan(100)
    const lastArrival = p.requests.at(-1)!.at
    expect(Math.max(...p.faults.map((f) => f.at))).toBeLessThanOrEqual(lastArrival + 3000)
    expect(Math.min(...p.faults.map((f) => f.at))).toBeGreaterThanOrEqual(2000)
  })

  it('refuses a run of no requests or no workstations', () => {
    expect(() => makePlan({ seed: 1, requests: 0, workstations: 3 })).toThrow(/requests must be a whole number ≥ 1, got 0/)
    expect(() => makePlan({ seed: 1, requests: 5, workstations: 0 })).toThrow(/workstations must be a whole number ≥ 1, got 0/)
  })
})
