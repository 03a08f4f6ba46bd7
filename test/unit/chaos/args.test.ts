// `npm run chaos` options: defaults, every option read, bad values refused naming the option.
import { describe, expect, it } from 'vitest'
import { parseChaosArgs } from '../../../scripts/chaos.js'

describe('npm run chaos arguments', () => {
  it('defaults: 50 requests, 3 workstations, a seed from the clock', () => {
    expect(parseChaosArgs([], 1_000_000)).toMatchObject({ requests: 50, workstations: 3, seed: 1_000_000, json: null, trace: null, judge: null, verbose: false })
  })
  it('reads every option', () => {
    expect(parseChaosArgs(['--requests', '1000', '--workstations', '5', '--seed', '7', '--json', 'out.json', '--trace', 't.json', '--arrival-gap', '600', '--fault-gap', '2000', '--quiet', '--verbose'])).toEqual({
      requests: 1000, workstations: 5, seed: 7, json: 'out.json', trace: 't.json', arrivalGapMs: 600, faultGapMs: 2000, quiet: true, verbose: true, judge: null,
    })
    expect(parseChaosArgs(['--help'])).toEqual({ help: true })
    expect(parseChaosArgs(['--judge', 'trace.json'], 1)).toMatchObject({ judge: 'trace.json' })
  })
  it('refuses bad values with the option named', () => {
    expect(() => parseChaosArgs(['--requests', '0'])).toThrow('--requests: expected a whole number ≥ 1, got 0')
    expect(() => parseChaosArgs(['--seed', '1.5'])).toThrow('--seed: expected a whole number ≥ 0, got 1.5')
    expect(() => parseChaosArgs(['--json'])).toThrow('--json needs a value')
    expect(() => parseChaosArgs(['--fast'])).toThrow('unknown option --fast')
  })
})
