// `npm run backend` arguments and environment → startBackend options. Kept apart from cli.ts (which starts a
// server on import) so the mapping can be tested without starting anything.
import type { BackendOptions } from './index.js'

export interface CliOptions {
  quiet: boolean
  dataDir: string | undefined
  backend: BackendOptions
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`)
  if (i >= 0) return argv[i + 1]
  const eq = argv.find((a) => a.startsWith(`--${name}=`))
  return eq?.slice(name.length + 3)
}

function num(v: string | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what} must be a non-negative number, got ${JSON.stringify(v)}`)
  return n
}

/** `1`/`true`/`yes` and `0`/`false`/`no`/empty; anything else is a mistake worth stopping for. */
function flag(v: string | undefined, what: string): boolean {
  if (v === undefined) return false
  const t = v.trim().toLowerCase()
  if (['1', 'true', 'yes'].includes(t)) return true
  if (['', '0', 'false', 'no'].includes(t)) return false
  throw new Error(`${what} must be 1 or 0, got ${JSON.stringify(v)}`)
}

export function parseCliOptions(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const dataDir = arg(argv, 'dir') ?? env.BAYALERT_BACKEND_DIR ?? undefined
  return {
    quiet: argv.includes('--quiet'),
    dataDir: dataDir || undefined,
    backend: {
      port: num(arg(argv, 'port') ?? env.BAYALERT_BACKEND_PORT, 'port') ?? 54321,
      dataDir: dataDir || undefined,
      dedicatedCluster: true, // restartPostgres works from the control API
      tokenLifetimeSec: num(arg(argv, 'token-lifetime'), '--token-lifetime'),
      systemMessageDelayMs: num(arg(argv, 'system-delay'), '--system-delay'),
      realtimeLatencyMs: num(arg(argv, 'realtime-latency'), '--realtime-latency'),
      restLatencyMs: num(arg(argv, 'rest-latency'), '--rest-latency'),
      joinErrorDelayMs: num(arg(argv, 'join-error-delay'), '--join-error-delay'),
      privateOnly: argv.includes('--private-only') || flag(env.BAYALERT_BACKEND_PRIVATE_ONLY, 'BAYALERT_BACKEND_PRIVATE_ONLY'),
      legacyDefaultGrants: flag(env.BAYALERT_BACKEND_LEGACY_GRANTS, 'BAYALERT_BACKEND_LEGACY_GRANTS'),
    },
  }
}
