// `npx tsx scripts/bench/desk.ts [--runs N]`: the bench's desk.factsPerSec figure alone (no backend, a few
// seconds), for profiling the desk's full path: `node --cpu-prof --import tsx scripts/bench/desk.ts`.
// Prints one JSON line per run and the median.
import { benchmarkStore } from '../../src/core/store/bench.js'

const i = process.argv.indexOf('--runs')
const runs = i >= 0 ? Math.max(1, Math.min(20, Number(process.argv[i + 1]) || 1)) : 3
const wall: number[] = []
const cpu: number[] = []
for (let r = 0; r < runs; r++) {
  const b = benchmarkStore(20_000)
  wall.push(b.deskFactsPerSec)
  cpu.push(b.deskFactsPerCpuSec)
  process.stdout.write(`${JSON.stringify(b)}\n`)
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toLocaleString('en-US')
process.stdout.write(`desk.factsPerSec median of ${runs}: ${median(wall)} /s (target ≥ 30,000); per CPU-second: ${median(cpu)}\n`)
