// `npm run chaos -- [--requests N] [--workstations K] [--seed S] [--json FILE] [--arrival-gap MS] [--fault-gap MS]`
// Customers arrive on a seeded random schedule at K headless workstations (separate processes) while faults of
// every class hit at random; then, per fault class: every queued request rang exactly once per workstation, every
// taken or cancelled one left within 2 s of a healthy link, every queue equals the database's, every silence was
// announced. Exit 1 when any of the four counts is non-zero (the seed to replay is printed). README: "Chaos run".
import { readFileSync, writeFileSync } from 'node:fs'
import { isMainModule } from '../src/cli/settings.js'
import { failed, findings, jsonReport, table } from './chaos/report.js'
import { resultOf, runChaos, type ChaosOptions, type ChaosResult, type ChaosTrace } from './chaos/run.js'

const USAGE = `usage: npm run chaos -- [--requests N (default 50)] [--workstations K (default 3)] [--seed S (default: from the clock)]
                        [--json FILE] [--trace FILE (everything recorded)] [--arrival-gap MS (mean, default 800)]
                        [--fault-gap MS (mean, default 3000)] [--quiet] [--verbose (the workstations' stderr too)]
       npm run chaos -- --judge TRACE_FILE [--json FILE]   (the verdict on a recorded run again)`

export interface ChaosArgs extends ChaosOptions {
  json: string | null
  trace: string | null
  judge: string | null
  quiet: boolean
  verbose: boolean
}

export function parseChaosArgs(argv: string[], now = Date.now()): ChaosArgs | { help: true } {
  const a: ChaosArgs = { seed: now % 2 ** 31, requests: 50, workstations: 3, json: null, trace: null, judge: null, quiet: false, verbose: false }
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!
    const val = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${k} needs a value`)
      return v
    }
    const whole = (min: number) => {
      const v = val()
      const n = Number(v)
      if (!Number.isInteger(n) || n < min) throw new Error(`${k}: expected a whole number ≥ ${min}, got ${v}`)
      return n
    }
    if (k === '--requests') a.requests = whole(1)
    else if (k === '--workstations') a.workstations = whole(1)
    else if (k === '--seed') a.seed = whole(0)
    else if (k === '--json') a.json = val()
    else if (k === '--trace') a.trace = val()
    else if (k === '--judge') a.judge = val()
    else if (k === '--arrival-gap') a.arrivalGapMs = whole(1)
    else if (k === '--fault-gap') a.faultGapMs = whole(100)
    else if (k === '--quiet') a.quiet = true
    else if (k === '--verbose' || k === '-v') a.verbose = true
    else if (k === '--help' || k === '-h') return { help: true }
    else throw new Error(`unknown option ${k}`)
  }
  return a
}

async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseChaosArgs>
  try {
    args = parseChaosArgs(argv)
  } catch (e) {
    process.stderr.write(`chaos: ${(e as Error).message}\n${USAGE}\n`)
    return 2
  }
  if ('help' in args) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  if (args.judge) {
    const r = resultOf(JSON.parse(readFileSync(args.judge, 'utf8')) as ChaosTrace)
    return report(r, args)
  }
  const started = new Date()
  const log = args.quiet ? undefined : (m: string) => process.stderr.write(`chaos ${new Date().toISOString().slice(11, 23)} ${m}\n`)
  process.stderr.write(`chaos: seed ${args.seed}, ${args.requests} requests, ${args.workstations} workstations\n`)
  const r = await runChaos({ ...args, log, workstationLog: args.verbose ? log : undefined })
  const code = report(r, args)
  process.stdout.write(`started ${started.toISOString()}\n`)
  return code
}

function report(r: ChaosResult, args: ChaosArgs): number {
  process.stdout.write(`${table(r)}\n`)
  for (const l of findings(r)) process.stdout.write(`${l}\n`)
  const c = r.coverage
  process.stdout.write(`checked: ${c.rings} rings, ${c.owedRings} owed rings, ${c.removalChecks} removals, ${c.silenceChecks} silences; queues unlike the database's at the end: ${r.queueMismatches}\n`)
  process.stdout.write(`seed ${r.seed}; ${r.requests} requests, ${r.workstations} workstations, ${r.faults} faults; wall ${(r.wallMs / 1000).toFixed(1)} s\n`)
  if (args.trace && !args.judge) writeFileSync(args.trace, `${JSON.stringify(r.trace)}\n`)
  if (args.json) writeFileSync(args.json, `${JSON.stringify(jsonReport(r), null, 2)}\n`)
  return failed(r) ? 1 : 0
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`chaos: ${(e as Error)?.stack ?? e}\n`)
      process.exit(1)
    },
  )
}
