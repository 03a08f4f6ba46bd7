// `npx tsx scripts/bench/desk.ts [--runs N]`: the bench's desk.factsPerSec figure alone (no backend, a few
// seconds), for profiling the desk's full path: `node --cpu-prof --import tsx scripts/bench/desk.ts`.
// Prints one JSON line per run and the median.
import { benchmarkStore } from '../../src/core/store/bench.js'

const i = process.argv.indexOf('--runs')
const runs = i >= 0 ? Math.max(1, Math.min(20, Number(process.argv[i + 1]) || 1)) : 3
const rates: number[] = []
for (let r = 0; r < runs; r++) {
  const b = benchmarkStore(20_000)
  rates.push(b.deskFactsPerSec)
  process.stdout.write(`${JSON.stringify(b)}\n`)
}
rates.sort((a, b) => a - b)
process.stdout.write(`desk.factsPerSec median of ${runs}: ${rates[Math.floor(runs / 2)]!.toLocaleString('en-US')} /s (target ≥ 30,000)\n`)
