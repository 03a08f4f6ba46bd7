// Is the private database broadcast still delivering? Supabase Realtime can keep a channel joined while its
// database broadcasts stop reaching it (e.g. realtime.send losing messages with only a WARNING on the server when a
// partition or policy is missing: https://supabase.com/docs/guides/realtime/broadcast#broadcast-from-the-database),
// and a joined channel that hears nothing looks exactly like a quiet shop. The periodic check-in returns the
// server's queue version, which moves exactly when the database sends such a broadcast; a version that moved while
// no broadcast arrived means the private path is broken. Pure: the engine feeds it and acts on its verdicts.
//
// A broadcast may still be in flight when the check-in answers (the version is visible at commit, the broadcast
// leaves a moment later), so one quiet move is only "suspect": the engine reconciles and asks again after a short
// grace (recheck) or at the next check-in; still nothing by then → "broken". Once broken, the first broadcast that
// arrives again → "healthy".

export type PathVerdict =
  /** First version seen (or first after an interruption): nothing to compare. */
  | 'first'
  /** The version did not move and nothing is owed. */
  | 'quiet'
  /** The version moved and broadcasts arrived (or a suspect move's broadcast arrived late). */
  | 'consistent'
  /** The version moved with no broadcast yet: reconcile, and recheck after a grace. */
  | 'suspect'
  /** A move's broadcast never came: the private path is broken (reported once). */
  | 'broken'
  /** Broken before, and broadcasts arrive again. */
  | 'healthy'
  /** Broken, and the version moved again without a broadcast (nothing new to report). */
  | 'still-broken'

export class PrivatePathCheck {
  private version: string | null = null
  private eventsSince = 0
  private suspect = false
  private brokenNow = false

  get broken(): boolean {
    return this.brokenNow
  }

  /** A message on the private database broadcast arrived. */
  broadcast(): void {
    this.eventsSince++
  }

  /**
   * The link was interrupted (not live, rejoining): broadcasts missed meanwhile are expected, and the reconcile
   * after the rejoin covers them. The next check-in starts a new comparison; a broken path stays broken until
   * broadcasts arrive.
   */
  interrupted(): void {
    this.version = null
    this.suspect = false
    this.eventsSince = 0
  }

  /** A check-in answered with the server's queue version. `moved`: a reconcile is due. */
  checkIn(version: string): { moved: boolean; verdict: PathVerdict } {
    const events = this.eventsSince
    this.eventsSince = 0
    if (this.version === null) {
      this.version = version
      return { moved: false, verdict: this.recovered(events) ?? 'first' }
    }
    const moved = version !== this.version
    this.version = version
    const recovered = this.recovered(events)
    if (recovered) return { moved, verdict: recovered }
    if (moved) {
      if (events > 0) {
        this.suspect = false
        return { moved, verdict: 'consistent' }
      }
      if (this.brokenNow) return { moved, verdict: 'still-broken' }
      if (this.suspect) return { moved, verdict: this.breaks() } // two quiet moves in a row
      this.suspect = true
      return { moved, verdict: 'suspect' }
    }
    if (!this.suspect) return { moved, verdict: 'quiet' }
    if (events > 0) {
      this.suspect = false
      return { moved, verdict: 'consistent' }
    }
    return { moved, verdict: this.breaks() }
  }

  /** The grace after a suspect move is over: did its broadcast arrive? */
  recheck(): PathVerdict {
    if (!this.suspect) return this.brokenNow ? 'still-broken' : 'quiet'
    const events = this.eventsSince
    this.eventsSince = 0
    if (events > 0) {
      this.suspect = false
      return 'consistent'
    }
    return this.breaks()
  }

  private breaks(): PathVerdict {
    this.suspect = false
    this.brokenNow = true
    return 'broken'
  }

  private recovered(events: number): PathVerdict | null {
    if (!this.brokenNow || events === 0) return null
    this.brokenNow = false
    this.suspect = false
    return 'healthy'
  }
}
