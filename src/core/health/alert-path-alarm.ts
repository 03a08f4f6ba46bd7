// When the alert-path self-test's findings become a health alert. The tray's warning state and the window's
// line are quiet; a mechanic whose pop-ups Do Not Disturb hides, or whose speakers are muted, must be told
// the way a health problem is told (sound and the queue window, which still work when the OS swallows
// notifications). Told once per set of problems: the hourly run finding the same ones says nothing; a set that
// changes (one more, one fewer, another) is said again in full; a verdict with none withdraws it; a Test alert
// that finds problems says them whatever was said before (the mechanic asked).
//
// A problem that vanishes in the same run in which a detector newly could not tell (a PowerShell that timed
// out this hour) is not taken as fixed: which detector found it is not recorded, so any detector newly unable
// to answer keeps the problems said before until a run can tell again. Unknowns already there in the last run that found
// every problem (a machine without a session bus answers "unknown" every hour) do not hold anything.
//
// Pure: no I/O, no clock. alert-path-announcer.ts applies the decisions.
import type { AlertChannel, AlertPathVerdict, Finding, FindingId } from '../alert-path/types.js'

/** The key of the health alert this raises: sinks withdraw what they show for it when the verdict is OK again. */
export const ALERT_PATH_ALERT_KEY = 'bayalert:alert-path'

export type AlertPathDecision =
  | { kind: 'raise'; problems: Finding[]; why: 'new' | 'changed' | 'test' }
  | { kind: 'clear' }
  | { kind: 'none' }

export class AlertPathAlarm {
  /** The problems said and not yet withdrawn (null: none), and which detectors could not tell at the time. */
  private said: { problems: Finding[]; unknown: Set<string> } | null = null

  /** The problems said and still standing, for logs and tests. */
  get standing(): readonly Finding[] {
    return this.said?.problems ?? []
  }

  decide(v: Pick<AlertPathVerdict, 'trigger' | 'findings' | 'unknown'>): AlertPathDecision {
    const unknown = new Set(v.unknown.map((u) => u.detector))
    const found = distinct(v.findings)
    const problems = this.held(found, unknown)
    const said = this.said
    if (problems.length === 0) {
      this.said = null
      return said ? { kind: 'clear' } : { kind: 'none' }
    }
    const same = said !== null && sameIds(said.problems, problems)
    // The unknowns later runs are measured against: those of the last run that found every problem it says. A
    // run that held problems keeps the old ones, or the next run (the same detector still silent) would drop them.
    const holding = problems.length > found.length
    this.said = { problems, unknown: said && holding ? said.unknown : unknown }
    if (v.trigger === 'test') return { kind: 'raise', problems, why: 'test' }
    if (same) return { kind: 'none' }
    return { kind: 'raise', problems, why: said ? 'changed' : 'new' }
  }

  /** The findings, plus the problems said before that a newly silent detector may be hiding. */
  private held(findings: Finding[], unknown: Set<string>): Finding[] {
    const said = this.said
    if (!said) return findings
    const newlySilent = [...unknown].some((d) => !said.unknown.has(d))
    if (!newlySilent) return findings
    const ids = new Set(findings.map((f) => f.id))
    return [...findings, ...said.problems.filter((p) => !ids.has(p.id))]
  }
}

/** One finding per id: two detectors can report the same thing (GNOME banners off and the portal's inhibit). */
function distinct(findings: readonly Finding[]): Finding[] {
  const seen = new Set<FindingId>()
  return findings.filter((f) => !seen.has(f.id) && seen.add(f.id))
}

function sameIds(a: readonly Finding[], b: readonly Finding[]): boolean {
  const ids = new Set(a.map((f) => f.id))
  return a.length === b.length && b.every((f) => ids.has(f.id))
}

const CHANNEL_WORDS: Record<AlertChannel, string> = { notifications: 'pop-up notifications', sound: 'alert sounds', tray: 'the tray icon' }
/** What still reaches the mechanic when a channel is swallowed: the queue window is always there. */
const STILL_WORKING: readonly AlertChannel[] = ['sound', 'notifications']

/** The health alert's words: each problem with what to do, then what still works. */
export function alertPathAlertText(problems: readonly Finding[], why: 'new' | 'changed' | 'test'): { title: string; body: string } {
  const hit = new Set(problems.map((p) => p.affects))
  const working = STILL_WORKING.filter((c) => !hit.has(c)).map((c) => CHANNEL_WORDS[c])
  const lost = [...hit].map((c) => CHANNEL_WORDS[c])
  const title = `${why === 'test' ? 'Test alert' : 'BayAlert'}: ${inWords(lost)} may not reach you`
  const still = `Still working: ${[...working, 'the queue window'].join(', ')}.`
  // One line: the terminal writes an alert as one line, and notifications wrap it themselves.
  return { title, body: [...problems.map((p) => p.reason), still].join(' ') }
}

/** "a", "a and b", "a, b and c" (never empty: a health alert has at least one problem). */
function inWords(list: readonly string[]): string {
  return list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`
}
