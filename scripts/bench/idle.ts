// Idle cost of the headless engine as a child process: connected and live, nothing happening, for a fixed
// window. CPU = Δ(utime+stime) from /proc/<pid>/stat over the window; RSS = VmRSS from /proc/<pid>/status
// (max of 1 s samples over the window). Two children side by side: a plain-node bundle of src/cli/headless.ts
// (esbuild, dependencies external — the figure) and `node --import tsx` (tsx's loader, for comparison).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Backend } from '../../test/backend/index.js'
import { round1, sleep } from './lib.js'
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../../src/core/link/supervisor.js'

const ROOT = resolve(import.meta.dirname, '../..')

export interface IdleResult {
  runner: string
  cpuPercent: number | null
  rssMb: number | null
  rssMaxMb: number | null
  windowMs: number
  liveAfterMs: number | null
  /** CPU over the settle period right after live (start-up tail: JIT, GC, first reconcile), for information. */
  settleCpuPercent: number | null
  note: string
  error?: string
}

/** Bundles the headless CLI into node_modules/.cache (so bare imports resolve to the repo's node_modules). */
export function bundleHeadless(): string {
  const outDir = join(ROOT, 'node_modules', '.cache', 'bayalert-bench')
  mkdirSync(outDir, { recursive: true })
  const out = join(outDir, 'headless.mjs')
  const esbuild = join(ROOT, 'node_modules', '.bin', 'esbuild')
  execFileSync(esbuild, ['src/cli/headless.ts', '--bundle', '--platform=node', '--format=esm', '--target=node20', '--packages=external', `--outfile=${out}`, '--log-level=warning'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  return out
}

function clkTck(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100
  } catch {
    return 100
  }
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(rest[11]) + Number(rest[12])
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) : NaN
}

interface Child {
  proc: ChildProcess
  live: Promise<number | null>
  stderr: string[]
  dataDir: string
}

function startChild(b: Backend, runner: 'bundle' | 'tsx', entry: string, user: number, liveTimeoutMs: number): Child {
  const dataDir = mkdtempSync(join(tmpdir(), `bayalert-idle-${runner}-`))
  const u = b.demoUsers[user]!
  const args = runner === 'bundle' ? [entry, '--json', '--no-ui'] : ['--import', 'tsx', 'src/cli/headless.ts', '--json', '--no-ui']
  const t0 = Date.now()
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      SUPABASE_URL: b.url,
      SUPABASE_ANON_KEY: b.anonKey,
      BAYALERT_EMAIL: u.email,
      BAYALERT_PASSWORD: u.password,
      BAYALERT_DATA_DIR: dataDir,
      BAYALERT_NO_NOTIFIER: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stderr: string[] = []
  proc.stderr!.on('data', (d: Buffer) => stderr.length < 100 && stderr.push(d.toString()))
  const live = new Promise<number | null>((resolveLive) => {
    const timer = setTimeout(() => resolveLive(null), liveTimeoutMs)
    createInterface({ input: proc.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      try {
        const j = JSON.parse(line) as { type?: string; state?: string }
        if (j.type === 'state' && j.state === 'live') {
          clearTimeout(timer)
          resolveLive(Date.now() - t0)
        }
      } catch {
        /* not JSON: only the live state line is looked for */
      }
    })
    proc.on('exit', () => {
      clearTimeout(timer)
      resolveLive(null)
    })
  })
  return { proc, live, stderr, dataDir }
}

async function stopChild(c: Child): Promise<void> {
  if (c.proc.exitCode === null && c.proc.signalCode === null) {
    const exited = new Promise<void>((r) => c.proc.once('exit', () => r()))
    c.proc.kill('SIGTERM')
    const t = setTimeout(() => c.proc.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(t)
  }
  rmSync(c.dataDir, { recursive: true, force: true })
}

/** Both runners side by side over the same window. */
export async function measureIdle(b: Backend, o: { windowMs: number; settleMs: number; progress(m: string): void }): Promise<IdleResult[]> {
  let entry: string | null = null
  let bundleError: string | undefined
  try {
    entry = bundleHeadless()
  } catch (e) {
    bundleError = `esbuild bundle failed: ${(e as Error).message.split('\n')[0]}`
  }
  const kids: { runner: 'bundle' | 'tsx'; child: Child | null }[] = [
    { runner: 'bundle', child: entry ? startChild(b, 'bundle', entry, 1, 30_000) : null },
    { runner: 'tsx', child: startChild(b, 'tsx', '', 2, 30_000) },
  ]
  try {
    const lives = await Promise.all(kids.map((k) => k.child?.live ?? Promise.resolve(null)))
    o.progress(`idle: children live after ${lives.map((l, i) => `${kids[i].runner} ${l ?? '—'} ms`).join(', ')}; settling ${o.settleMs} ms, then measuring ${o.windowMs} ms`)
    const tck = clkTck()
    const alive = kids.map((k, i) => !!k.child && lives[i] !== null && k.child.proc.exitCode === null)
    const atLive = kids.map((k, i) => (alive[i] ? cpuTicks(k.child!.proc.pid!) : 0))
    const s0 = performance.now()
    await sleep(o.settleMs)
    const settleS = (performance.now() - s0) / 1000
    const ok = kids.map((k, i) => alive[i] && k.child!.proc.exitCode === null)
    const start = kids.map((k, i) => (ok[i] ? cpuTicks(k.child!.proc.pid!) : 0))
    const rssMax = kids.map(() => 0)
    const w0 = performance.now()
    while (performance.now() - w0 < o.windowMs) {
      await sleep(Math.min(1000, o.windowMs - (performance.now() - w0)))
      kids.forEach((k, i) => {
        if (ok[i] && k.child!.proc.exitCode === null) rssMax[i] = Math.max(rssMax[i], rssKb(k.child!.proc.pid!))
      })
    }
    const wall = performance.now() - w0
    return kids.map((k, i): IdleResult => {
      const base = {
        runner: k.runner === 'bundle' ? 'node (esbuild bundle of src/cli/headless.ts)' : 'node --import tsx src/cli/headless.ts',
        windowMs: Math.round(wall),
        liveAfterMs: lives[i],
        note: `--json --no-ui, signed in, live, no requests; window starts ${Math.round(o.settleMs / 1000)} s after live; includes realtime heartbeats (every ${DEFAULT_HEARTBEAT_INTERVAL_MS / 1000} s) and any 60 s safety reconcile / workstation heartbeat that falls in the window`,
      }
      if (!ok[i] || k.child!.proc.exitCode !== null) {
        return { ...base, cpuPercent: null, rssMb: null, rssMaxMb: null, settleCpuPercent: null, error: k.runner === 'bundle' && bundleError ? bundleError : `child did not reach live: ${(k.child?.stderr.join('') ?? '').slice(-400)}` }
      }
      const pid = k.child!.proc.pid!
      const ticks = cpuTicks(pid) - start[i]
      const pct = (t: number, s: number) => Math.round(((100 * t) / tck / s) * 100) / 100
      return { ...base, cpuPercent: pct(ticks, wall / 1000), settleCpuPercent: pct(start[i] - atLive[i], settleS), rssMb: round1(rssKb(pid) / 1024), rssMaxMb: round1(rssMax[i] / 1024) }
    })
  } finally {
    await Promise.all(kids.map((k) => (k.child ? stopChild(k.child) : undefined)))
  }
}
