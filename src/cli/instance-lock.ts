// One headless run per data directory. Two engines on one store would each ring every request (the dedup
// table is per process until written), fight over the session file's refresh token (each refresh revokes
// the other's) and serve two queue UIs. The lock is a file in the data directory naming its holder (pid and
// start time); a lock whose process is gone (killed, crashed, machine restarted) is taken over, with a line
// that says so. After a restart the old pid often belongs to some other process by now (low pids are handed
// out again at boot); where the OS tells a process's start time (Linux /proc), a holder that started after
// the lock was written is that other process, and the lock is stale too.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const LOCK_FILE = 'headless.lock'

export interface LockHolder {
  pid: number
  /** ISO time the holder started. */
  startedAt: string
}

export type LockResult =
  | { ok: true; /** Removes the lock if it is still ours; the cause when that failed, else null. */ release(): string | null; /** The stale holder whose lock this run took over, if any. */ tookOverFrom: LockHolder | 'unreadable' | null }
  | { ok: false; holder: LockHolder }

export interface LockOptions {
  pid?: number
  now?: () => Date
  /** Whether a process with this pid exists (default: signal 0). */
  isAlive?: (pid: number) => boolean
  /** When the process with this pid started (epoch ms), or null where the OS does not say (default: /proc). */
  startedAtOf?: (pid: number) => number | null
}

/** The lock is written after its process started; this much later is another process (btime has 1 s steps). */
const REUSED_PID_SLACK_MS = 2000

export function heldMessage(holder: LockHolder): string {
  return `BayAlert is already running headless with this data directory (pid ${holder.pid}, since ${holder.startedAt}). Stop it or use --data-dir.`
}

/** Signal 0 checks existence only; EPERM means it exists but belongs to another user. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Linux: start time of a process from /proc (boot time + field 22 in clock ticks of 1/100 s); else null. */
export function linuxProcessStartedAt(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name, which is in parentheses and may itself contain spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[19]) // field 22 overall; the slice starts at field 3
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))
    if (!Number.isFinite(ticks) || !btime) return null
    return Number(btime[1]) * 1000 + ticks * 10 // USER_HZ is 100 on every Linux ABI
  } catch {
    return null
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>
    if (Number.isSafeInteger(v.pid) && (v.pid as number) > 0 && typeof v.startedAt === 'string') return { pid: v.pid as number, startedAt: v.startedAt.slice(0, 40) }
  } catch {
    /* not ours or half-written by a crash: unreadable */
  }
  return null
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw e
  }
}

export function acquireInstanceLock(dataDir: string, opts: LockOptions = {}): LockResult {
  const pid = opts.pid ?? process.pid
  const isAlive = opts.isAlive ?? processExists
  const startedAtOf = opts.startedAtOf ?? linuxProcessStartedAt
  /** The holder still runs: its pid exists and is not a newer process that was given the same pid. */
  const holderRuns = (h: LockHolder): boolean => {
    if (!isAlive(h.pid)) return false
    const lockedAt = Date.parse(h.startedAt)
    const started = startedAtOf(h.pid)
    return started === null || !Number.isFinite(lockedAt) || started <= lockedAt + REUSED_PID_SLACK_MS
  }
  const lockPath = join(dataDir, LOCK_FILE)
  const me: LockHolder = { pid, startedAt: (opts.now ?? (() => new Date()))().toISOString() }
  const mine = JSON.stringify(me)
  // Written whole to a private name, then hard-linked into place: link() fails if the lock exists, so the
  // lock appears atomically and complete (no reader ever sees it half-written).
  const tmp = join(dataDir, `${LOCK_FILE}.${pid}.tmp`)
  writeFileSync(tmp, mine, { mode: 0o600 })
  let tookOverFrom: LockHolder | 'unreadable' | null = null
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, lockPath)
        return { ok: true, tookOverFrom, release: () => releaseIfMine(lockPath, mine) }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      const text = readText(lockPath)
      if (text === null) continue // released between our link and our read: try again
      const holder = parseHolder(text)
      // Our own pid in an old lock is a previous life of this pid (containers start every run as the same
      // pid), not a live holder: this process has not taken the lock yet.
      if (holder && holder.pid !== pid && holderRuns(holder)) return { ok: false, holder }
      tookOverFrom = holder ?? 'unreadable'
      // Remove it only if it is still the stale lock we read (another starter may have just replaced it).
      if (readText(lockPath) === text) unlinkSync(lockPath)
    }
    const text = readText(lockPath)
    const holder = text === null ? null : parseHolder(text)
    if (holder) return { ok: false, holder }
    throw new Error(`could not take the lock ${lockPath}: it keeps changing`)
  } finally {
    try {
      unlinkSync(tmp)
    } catch {
      /* already gone */
    }
  }
}

function releaseIfMine(lockPath: string, mine: string): string | null {
  try {
    if (readText(lockPath) === mine) unlinkSync(lockPath)
    return null
  } catch (e) {
    // Left behind, the next start takes over a lock whose process is gone (and says so); the cause still belongs
    // in this run's output.
    return `could not remove the lock ${lockPath}: ${(e as Error).message}`
  }
}
