// The periodic check-in: one REST call per workstation per period (default 60 s) instead of three (heartbeat
// upsert, feature_flags, a full queue read). `rpc check_in` records this workstation's heartbeat row and answers the
// server's queue version, the feature flags and how many workstations the shop has (migration
// 20261201000000_bayalert_check_in.sql). The full queue read then runs only when the version moved — every other
// trigger (subscription confirmed, resume, network back, an unreadable event) still reads as before — and a version
// that moved while the private broadcast stayed silent reports that path broken to the link (PrivatePathCheck).
// A project without the function (PostgREST PGRST202) falls back, with one log line, to the old three: the
// heartbeat upsert here, the reconciler's safety timer and the flags read with each reconcile.
import type { SupabaseClient } from '@supabase/supabase-js'
import type { Clock, Logger } from '../ports.js'
import { describeRestError, restCall } from '../link/rest.js'
import type { TimerRegistry } from '../link/timers.js'
import { PrivatePathCheck, type PathVerdict } from './private-path-check.js'
import type { ReconcileTrigger } from './reconcile.js'
import { parseRoster, type RosterAnswer } from './roster.js'

/** What the link offers for a private path that broke silently (the link decides how to fall back). */
export interface PrivatePathReporter {
  reportPrivatePathBroken?(reason: string): void
  reportPrivatePathHealthy?(): void
}

export interface CheckInAnswer {
  queueVersion: string
  /** Rows `{key, enabled}` as feature_flags holds them (validated by the feed's flag parser). */
  flags: unknown[]
  workstations: number
  /** The shop's workstations (20261202000000_bayalert_workstation_watch.sql): undefined without that migration, a string when malformed. */
  roster: RosterAnswer | string | undefined
}

/** Validates the RPC's answer; a string says what is wrong with it. */
export function parseCheckIn(data: unknown): CheckInAnswer | string {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 'check_in answered something that is not an object'
  const d = data as Record<string, unknown>
  const v = d.queue_version
  const queueVersion = typeof v === 'string' && /^\d{1,20}$/.test(v) ? v : typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : null
  if (queueVersion === null) return 'check_in answered no queue_version'
  if (!Array.isArray(d.flags)) return 'check_in answered no flags list'
  const w = d.workstations
  if (typeof w !== 'number' || !Number.isSafeInteger(w) || w < 0) return 'check_in answered no workstation count'
  return { queueVersion, flags: d.flags, workstations: w, roster: parseRoster(d) }
}

export interface HeartbeatRow {
  workstation_id: string
  app_version: string
  state: string
  reason: string
  counters: Record<string, unknown>
}

export interface CheckInOptions {
  client: SupabaseClient
  log: Logger
  clock: Clock
  timers: TimerRegistry
  /** Period between check-ins (default 60 s; 0 = none, and the safety reconcile timer stays on). */
  periodMs?: number
  /** After a quiet version move, how long its broadcast may still be in flight (default min(5 s, period / 2)). */
  graceMs?: number
  count(key: string): void
  /** The signed-in mechanic, null when signed out. */
  userId(): string | null
  /** This workstation's heartbeat row as of now. */
  row(): HeartbeatRow
  /** True while the link is live (its private channel joined): only then must every broadcast arrive. */
  linkLive(): boolean
  reconcile(trigger: ReconcileTrigger): void
  /** true: the check-in stands in for the safety reconcile timer and the flags reads; false: the old way. */
  useCheckIn(on: boolean): void
  applyFlagRows(rows: unknown[]): void
  /** Each answer's roster (the workstation watch); optional for hosts that do not watch. */
  applyRoster?(roster: RosterAnswer | string | undefined): void
  /** The watch's parameters for check_in (p_silent_after_ms, p_roster_digest); left out where the server lacks them. */
  watchArgs?(): Record<string, unknown>
  privatePath: PrivatePathReporter
}

export class CheckInLoop {
  private readonly periodMs: number
  private readonly graceMs: number
  private readonly path = new PrivatePathCheck()
  /** null: not known yet; 'rpc': check_in works; 'legacy': no check_in on this project; 'off': no heartbeat table either. */
  private mode: null | 'rpc' | 'legacy' | 'off' = null
  private cancelNext: (() => void) | null = null
  private cancelRecheck: (() => void) | null = null
  private stopped = false
  /** The project's check_in predates the watch (20261201000000 only): call it without the watch's parameters. */
  private watchArgsRefused = false
  /** Workstations of the shop seen recently (0 until a check-in says): sizes the rejoin window. */
  workstations = 0
  readonly stats = { checkIns: 0, failed: 0, reconciles: 0, broken: 0, healthy: 0 }

  constructor(private readonly o: CheckInOptions) {
    this.periodMs = o.periodMs ?? 60_000
    this.graceMs = o.graceMs ?? Math.min(5000, Math.max(1, Math.floor(this.periodMs / 2)))
  }

  get privatePathBroken(): boolean {
    return this.path.broken
  }

  /** Signed in: the first check-in after `delayMs`, then one per period. */
  start(delayMs: number): void {
    if (this.periodMs <= 0 || this.stopped) return
    this.arm(delayMs)
  }

  /** Signed out: no check-ins until the next start. */
  pause(): void {
    this.cancelNext?.()
    this.cancelNext = null
    this.cancelRecheck?.()
    this.cancelRecheck = null
    this.path.interrupted()
  }

  stop(): void {
    this.stopped = true
    this.pause()
  }

  /** A message on the private database broadcast arrived. */
  broadcast(): void {
    this.path.broadcast()
  }

  /** The link left "live": missed broadcasts are expected until the rejoin's reconcile. */
  interrupted(): void {
    this.cancelRecheck?.()
    this.cancelRecheck = null
    this.path.interrupted()
  }

  private arm(delayMs: number): void {
    this.cancelNext?.()
    this.cancelNext = this.o.timers.after(delayMs, () => {
      this.cancelNext = null
      void this.tick().finally(() => {
        if (!this.stopped && this.o.userId() && this.mode !== 'off') this.arm(this.periodMs)
      })
    })
  }

  /** One check-in now. Resolves true when the server recorded the heartbeat. */
  async tick(): Promise<boolean> {
    if (this.stopped || !this.o.userId() || this.mode === 'off') return false
    if (this.mode === 'legacy') return this.upsertRow()
    const row = this.o.row()
    const args = { p_workstation_id: row.workstation_id, p_app_version: row.app_version, p_state: row.state, p_reason: row.reason, p_counters: row.counters }
    const watchArgs = this.watchArgsRefused ? undefined : this.o.watchArgs?.()
    let res = await restCall<unknown>(this.o.client, (c) => c.rpc('check_in', { ...args, ...watchArgs }), 5000)
    if (!this.stopped && !res.ok && res.error.kind === 'missing' && watchArgs) {
      // PostgREST finds no check_in taking the watch's parameters (PGRST202): a project with the check-in but not the
      // watch. Check in as before; the watch stays unknown (no roster in the answer).
      this.watchArgsRefused = true
      this.o.log.info('check-in: this project has no workstation watch; checking in without it', { cause: describeRestError(res.error) })
      res = await restCall<unknown>(this.o.client, (c) => c.rpc('check_in', args), 5000)
    }
    if (this.stopped) return false
    if (!res.ok) {
      // PGRST202 (no such function: a project without the migration), or what it needs was dropped under it.
      if (res.error.kind === 'missing') {
        this.mode = 'legacy'
        this.o.log.info('check-in: no usable check_in function on this project; reading flags, queue and heartbeat separately', { cause: describeRestError(res.error) })
        this.o.useCheckIn(false)
        return this.upsertRow()
      }
      return this.failed(describeRestError(res.error))
    }
    const answer = parseCheckIn(res.data)
    if (typeof answer === 'string') return this.failed(answer)
    this.stats.checkIns++
    if (this.mode !== 'rpc') {
      this.mode = 'rpc'
      this.o.log.info('check-in: one call per period stands in for the periodic queue and flag reads')
      this.o.useCheckIn(true)
    }
    this.workstations = answer.workstations
    this.o.applyFlagRows(answer.flags)
    this.o.applyRoster?.(answer.roster)
    if (!this.o.linkLive()) {
      // Nothing can be expected from realtime now: the version alone decides, and reads are the only source.
      this.path.interrupted()
      this.path.checkIn(answer.queueVersion)
      this.reconcile()
      return true
    }
    const { moved, verdict } = this.path.checkIn(answer.queueVersion)
    // 'first': nothing to compare with, and a change may have slipped in since the last read (sign-in, rejoin).
    if (moved || verdict === 'first') this.reconcile()
    this.act(verdict)
    return true
  }

  private reconcile(): void {
    this.stats.reconciles++
    this.o.reconcile('timer')
  }

  private act(verdict: PathVerdict): void {
    if (verdict === 'suspect') {
      this.cancelRecheck?.()
      this.cancelRecheck = this.o.timers.after(this.graceMs, () => {
        this.cancelRecheck = null
        if (!this.stopped && this.o.linkLive()) this.act(this.path.recheck())
      })
    } else if (verdict === 'broken') {
      this.stats.broken++
      this.o.count('private-path:broken')
      const reason = 'the queue changed on the server but no private broadcast arrived'
      this.o.log.error(`check-in: private path silently broken — ${reason}`)
      this.o.privatePath.reportPrivatePathBroken?.(reason)
      this.reconcile()
    } else if (verdict === 'healthy') {
      this.stats.healthy++
      this.o.count('private-path:healthy')
      this.o.log.info('check-in: private broadcasts arrive again')
      this.o.privatePath.reportPrivatePathHealthy?.()
    }
  }

  /** A failed check-in: logged and counted; the queue is read instead, as the safety timer would have. */
  private failed(cause: string): boolean {
    this.stats.failed++
    this.o.count('check-in:failed')
    this.o.log.warn('check-in failed; reading the queue instead', { cause })
    this.reconcile()
    return false
  }

  /** The old heartbeat: upsert this workstation's row (optional table: a missing one is detected once, then skipped). */
  private async upsertRow(): Promise<boolean> {
    const user = this.o.userId()
    if (!user) return false
    const r = this.o.row()
    const row = { ...r, mechanic_id: user, last_seen: new Date(this.o.clock.now()).toISOString() }
    const res = await restCall<unknown>(this.o.client, (c) => c.from('workstation_health').upsert(row, { onConflict: 'workstation_id,mechanic_id' }), 5000)
    if (res.ok) return true
    if (res.error.kind === 'missing') {
      this.mode = 'off'
      this.o.log.info('engine: no workstation_health table on this project; workstation heartbeats are off', { cause: describeRestError(res.error) })
    } else {
      this.o.log.warn('engine: workstation heartbeat failed', { cause: describeRestError(res.error) })
    }
    return false
  }
}
