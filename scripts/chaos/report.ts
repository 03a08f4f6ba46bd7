// The chaos run's outputs: the table per fault class, and the JSON file `--json FILE` writes.
import { FAULT_CLASSES } from './plan.js'
import type { ChaosResult } from './run.js'
import { FAILURE_KINDS } from './verdict.js'

/** The four counts that must be zero, and exits. */
export function failed(r: Pick<ChaosResult, 'lost' | 'rungTwice' | 'staleRemovals' | 'silentFailures' | 'exits'>): boolean {
  return FAILURE_KINDS.some((k) => r[k] > 0)
}

export function table(r: ChaosResult): string {
  const rows: string[][] = [['fault class', 'injected', 'lost', 'rung twice', 'stale removals', 'silent failures', 'exits']]
  for (const c of [...FAULT_CLASSES, 'none' as const]) {
    const x = r.byFault[c]
    rows.push([c === 'none' ? '(no fault near)' : c, c === 'none' ? '–' : String(x.injected), String(x.lost), String(x.rungTwice), String(x.staleRemovals), String(x.silentFailures), String(x.exits)])
  }
  rows.push(['total', String(r.faults), String(r.lost), String(r.rungTwice), String(r.staleRemovals), String(r.silentFailures), String(r.exits)])
  const width = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  const line = (row: string[]) => `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(width[i]!) : cell.padStart(width[i]!))).join(' | ')} |`
  const out = [line(rows[0]!), `|${width.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.slice(1).map(line)]
  return out.join('\n')
}

/** Lines after the table: what went wrong (the first few of each kind), known causes, the replay command. */
export function findings(r: ChaosResult, max = 5): string[] {
  const out: string[] = []
  for (const k of FAILURE_KINDS) {
    const of = r.failures.filter((f) => f.kind === k)
    for (const f of of.slice(0, max)) out.push(`${k}: workstation ${f.workstation + 1}, request ${f.requestId} at +${(f.at / 1000).toFixed(1)} s (near ${f.faults.join(', ')}): ${f.why}`)
    if (of.length > max) out.push(`${k}: … and ${of.length - max} more`)
  }
  if (r.notInjected) out.push(`${r.notInjected} planned fault(s) could not be injected (see the log above)`)
  if (r.badLines) out.push(`${r.badLines} workstation stdout line(s) were not JSON`)
  if (failed(r)) out.push(`FAILED — replay with: npm run chaos -- --seed ${r.seed} --requests ${r.requests} --workstations ${r.workstations}`)
  return out
}

/** `{ seed, requests, workstations, faults, lost, rungTwice, staleRemovals, silentFailures, byFault }`, exits and a few extras. */
export function jsonReport(r: ChaosResult): Record<string, unknown> {
  const { failures, trace: _trace, ...rest } = r
  return { ...rest, failures: failures.slice(0, 100) }
}
