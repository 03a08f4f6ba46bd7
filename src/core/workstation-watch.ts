// The engine's workstation watch: turns each check-in's roster into the snapshot's `workstations`
// ({ live, total, silent, list }), says in the log when a workstation falls silent or comes back, and hands the live
// count to the escalator. A workstation is silent after three check-in periods without a check-in (feed/roster.ts).
// Signed out, this workstation learns nothing new: the watch is dropped rather than shown stale.
import type { WorkstationWatch } from '../shared/types.js'
import type { Clock, Logger } from './ports.js'
import { watchOf, type RosterAnswer } from './feed/roster.js'
import type { Escalator } from './desk/escalator.js'

export interface WatchKeeperOptions {
  clock: Clock
  log: Logger
  count(key: string): void
  /** How long without a check-in makes a workstation silent (three check-in periods). */
  silentAfterMs: number
  escalator: Escalator
  /** The watch changed (the engine pushes a snapshot). */
  changed(): void
}

export class WatchKeeper {
  private current: WorkstationWatch | null = null
  /** The server's digest of the roster behind `current`: sent back so an unchanged roster is not sent again. */
  private digest: string | null = null

  constructor(private readonly o: WatchKeeperOptions) {}

  get watch(): WorkstationWatch | null {
    return this.current
  }

  /** check_in's watch parameters: this workstation's silence threshold and the digest of the roster it holds. */
  args(): { p_silent_after_ms: number; p_roster_digest: string | null } {
    return { p_silent_after_ms: this.o.silentAfterMs, p_roster_digest: this.current ? this.digest : null }
  }

  /**
   * A check-in's roster: undefined = the project has no watch; a string = a malformed answer (kept: the last watch);
   * unchanged = the roster held (nothing to do, unless the digest is not ours: then ask for the whole roster again).
   */
  apply(roster: RosterAnswer | string | undefined): void {
    if (roster === undefined) return this.set(null)
    if (typeof roster === 'string') {
      this.o.count('watch:bad-answer')
      this.o.log.warn('workstation watch: unusable roster in the check-in answer', { cause: roster })
      return
    }
    if ('unchanged' in roster) {
      if (roster.digest !== this.digest || !this.current) {
        this.digest = null
        this.o.log.warn('workstation watch: the server says the roster is unchanged, but not the one held here; asking for all of it')
      }
      return
    }
    if (roster.rejected.length > 0) {
      this.o.count('watch:row-rejected')
      this.o.log.warn('workstation watch: roster rows left out', { why: roster.rejected.slice(0, 5) })
    }
    this.digest = roster.digest
    this.set(watchOf(roster, this.o.clock.now(), this.o.silentAfterMs))
  }

  /** Signed out or stopped: nothing is known any more. */
  clear(): void {
    this.digest = null
    this.set(null)
  }

  private set(next: WorkstationWatch | null): void {
    const before = this.current
    this.current = next
    this.logChanges(before, next)
    this.o.escalator.setWatch(next)
    if (JSON.stringify(before) !== JSON.stringify(next)) this.o.changed()
  }

  private logChanges(before: WorkstationWatch | null, next: WorkstationWatch | null): void {
    if (!next) return
    const was = new Set(before?.silent.map((s) => s.name) ?? [])
    const now = new Set(next.silent.map((s) => s.name))
    for (const s of next.silent) {
      if (!was.has(s.name)) {
        this.o.count('watch:silent')
        this.o.log.warn('workstation watch: a workstation fell silent', { workstation: s.name, since: new Date(s.since).toISOString(), live: next.live, total: next.total })
      }
    }
    for (const name of was) {
      if (!now.has(name) && next.list.some((e) => e.name === name)) this.o.log.info('workstation watch: a workstation checks in again', { workstation: name })
    }
  }
}
