// One workstation of the chaos run: the headless CLI (`src/cli/headless.ts --json --no-ui`) as a separate process
// with its own data directory and workstation id, signed in as a demo mechanic. Its JSON lines become the
// workstation's record (states, rings, queues) stamped with the chaos process's clock; it can be SIGKILLed and
// started again on the same data directory.
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { QueueMark, Ring, StateMark, WorkstationRecord } from './verdict.js'

const ROOT = resolve(import.meta.dirname, '../..')

export interface WorkstationOptions {
  index: number
  dataDir: string
  url: string
  anonKey: string
  email: string
  password: string
  /** Called with a line of the workstation's stderr (it logs warnings there). */
  onStderr?: (line: string) => void
  /** Called when the process ends on its own (not through kill() or stop()), with its exit code and last stderr line. */
  onExit?: (why: string) => void
  /** Start it again this long after it ended on its own (default: leave it down). */
  restartAfterMs?: number
}

/** The request ids an `alert` line rings (a single request, or every one of a summary); none for repeats and health. */
export function rungIds(line: Record<string, unknown>): string[] {
  if (line.type !== 'alert' || (line.kind !== 'request' && line.kind !== 'summary')) return []
  if (typeof line.requestId === 'string') return [line.requestId]
  return Array.isArray(line.summaryOf) ? line.summaryOf.filter((x): x is string => typeof x === 'string') : []
}

export class Workstation {
  readonly states: StateMark[] = []
  readonly rings: Ring[] = []
  readonly queues: QueueMark[] = []
  readonly exits: { t: number; why: string }[] = []
  /** Lines that were not JSON (stdout must be JSON only: each is a finding). */
  readonly badLines: string[] = []
  run = -1
  private proc: ChildProcess | null = null
  private exited: Promise<void> = Promise.resolve()
  private waiters = new Set<() => void>()
  private stderrTail: string[] = []
  private stopping = false

  constructor(readonly o: WorkstationOptions) {}

  get id(): string {
    return `chaos-ws-${this.o.index + 1}`
  }
  get running(): boolean {
    return this.proc !== null
  }
  get state(): string {
    return this.states.at(-1)?.state ?? 'down'
  }
  get queue(): string[] {
    return this.queues.at(-1)?.ids ?? []
  }
  get pid(): number | undefined {
    return this.proc?.pid
  }

  record(): WorkstationRecord {
    return { index: this.o.index, states: [...this.states], rings: [...this.rings], queues: [...this.queues], exits: [...this.exits] }
  }

  start(): void {
    if (this.proc) throw new Error(`${this.id} is already running`)
    this.run++
    const run = this.run
    const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/headless.ts', '--json', '--no-ui'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        BAYALERT_NO_NOTIFIER: '1',
        SUPABASE_URL: this.o.url,
        SUPABASE_ANON_KEY: this.o.anonKey,
        BAYALERT_EMAIL: this.o.email,
        BAYALERT_PASSWORD: this.o.password,
        BAYALERT_DATA_DIR: this.o.dataDir,
        BAYALERT_WORKSTATION_ID: this.id,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.proc = proc
    // readline splits the pipes into lines (a chunk may end mid-line).
    createInterface({ input: proc.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      if (line.trim()) this.take(line, run)
    })
    createInterface({ input: proc.stderr!, crlfDelay: Infinity }).on('line', (line) => {
      this.stderrTail.push(line)
      if (this.stderrTail.length > 50) this.stderrTail.shift()
      this.o.onStderr?.(line)
    })
    this.exited = new Promise((res) =>
      proc.once('exit', (code, signal) => {
        if (this.proc === proc) {
          // Neither kill() nor stop() (they let go of the process first): it ended on its own.
          this.proc = null
          this.mark('down')
          const why = `exit ${code ?? signal}; last stderr: ${this.stderrTail.at(-1) ?? '(none)'}`
          this.exits.push({ t: Date.now(), why })
          this.o.onExit?.(why)
          if (this.o.restartAfterMs !== undefined && !this.stopping) {
            const t = setTimeout(() => {
              if (!this.proc && !this.stopping) this.start()
            }, this.o.restartAfterMs)
            t.unref()
          }
        }
        res()
      }),
    )
  }

  private take(line: string, run: number): void {
    let l: Record<string, unknown>
    try {
      l = JSON.parse(line) as Record<string, unknown>
    } catch {
      this.badLines.push(line)
      return
    }
    const t = Date.now()
    if (l.type === 'state' && typeof l.state === 'string') this.states.push({ t, state: l.state })
    for (const id of rungIds(l)) this.rings.push({ t, requestId: id, run })
    if (l.type === 'queue' && Array.isArray(l.items)) this.queues.push({ t, ids: l.items.map((q) => String((q as { requestId?: unknown }).requestId)) })
    for (const w of [...this.waiters]) w()
  }

  private mark(state: string): void {
    const t = Date.now()
    this.states.push({ t, state })
    // A dead workstation shows nothing: its queue is empty until the next run prints the one it restored.
    if (state === 'down') this.queues.push({ t, ids: [] })
    for (const w of [...this.waiters]) w()
  }

  /** SIGKILL: no clean shutdown, no last words. */
  async kill(): Promise<void> {
    const p = this.proc
    if (!p) return
    this.proc = null
    this.mark('down')
    p.kill('SIGKILL')
    await this.exited
  }

  /** SIGTERM and wait (bounded; SIGKILL after `ms`). */
  async stop(ms = 10_000): Promise<void> {
    this.stopping = true
    const p = this.proc
    if (!p) return
    this.proc = null
    this.mark('down')
    p.kill('SIGTERM')
    const t = setTimeout(() => p.kill('SIGKILL'), ms)
    await this.exited
    clearTimeout(t)
  }

  /** Resolves when `pred()` holds (checked on every line), rejects after `ms`. */
  waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((res, rej) => {
      const check = () => {
        if (!pred()) return false
        clearTimeout(timer)
        this.waiters.delete(check)
        res()
        return true
      }
      const timer = setTimeout(() => {
        this.waiters.delete(check)
        rej(new Error(`${this.id}: timed out after ${ms} ms waiting for ${what} (state ${this.state}); last stderr: ${this.stderrTail.slice(-5).join(' | ')}`))
      }, ms)
      if (!check()) this.waiters.add(check)
    })
  }
}
