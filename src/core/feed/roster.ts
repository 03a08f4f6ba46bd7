// The workstation watch as pure rules: check_in's `roster` (migration 20261202000000_bayalert_workstation_watch.sql)
// read defensively, and which workstations count as live. A workstation is live while its last check-in is at most
// `silentAfterMs` old (three check-in periods: one late or failed check-in is not yet a dead machine); the server
// marks each row with that threshold (sent as p_silent_after_ms) on its own clock, the clock last_seen was written
// with, so a workstation whose own clock is wrong neither hides nor invents a silent colleague. Times handed to the
// UIs are moved onto this machine's clock. The server sends the roster only when its digest differs from the one
// the caller holds (`roster: null` otherwise), so an idle check-in stays small.
import type { WorkstationEntry, WorkstationWatch } from '../../shared/types.js'
import { serverText } from '../server-text.js'

export interface RosterRow {
  name: string
  mechanic: string | null
  state: string | null
  version: string | null
  /** Epoch ms, server clock. */
  lastSeen: number
  /** The server's verdict with the caller's threshold; null when it gave none (then the age decides). */
  live: boolean | null
}

export interface Roster {
  rows: RosterRow[]
  /** Epoch ms, server clock. */
  serverTime: number
  /** The server's digest of this roster (sent back as p_roster_digest), or null. */
  digest: string | null
  /** Rows left out, each with why (counted and logged by the caller). */
  rejected: string[]
}

/** What a check-in says about the roster: a new one, or "the one you hold" (its digest). */
export type RosterAnswer = Roster | { unchanged: true; digest: string }

/** A workstation id is at most 300 characters (the table's CHECK); names on screen are cut shorter. */
const NAME_MAX = 80
const WORD_MAX = 32
const VERSION_MAX = 64
/** The function answers at most 200 rows; more is a server that does not follow it. */
export const ROSTER_MAX = 200

function optionalText(v: unknown, max: number): string | null {
  if (v === null || v === undefined) return null
  return serverText(v, max) || null
}

function time(v: unknown): number | null {
  if (typeof v !== 'string') return null
  const t = Date.parse(v)
  return Number.isFinite(t) ? t : null
}

/**
 * The roster and server clock of a check-in answer. undefined: the answer has none (a project without this
 * migration — no watch, nothing wrong); a string: what is wrong with it.
 */
export function parseRoster(answer: Record<string, unknown>): RosterAnswer | string | undefined {
  if (answer.roster === undefined && answer.server_time === undefined && answer.roster_digest === undefined) return undefined
  const digest = typeof answer.roster_digest === 'string' && /^[0-9a-f]{32}$/.test(answer.roster_digest) ? answer.roster_digest : null
  if (answer.roster_digest !== undefined && digest === null) return 'check_in answered a roster digest that is not an md5'
  if (answer.roster === null) return digest ? { unchanged: true, digest } : 'check_in answered no roster and no digest'
  if (!Array.isArray(answer.roster)) return 'check_in answered a roster that is not a list'
  const serverTime = time(answer.server_time)
  if (serverTime === null) return 'check_in answered a roster without a server time'
  const rows: RosterRow[] = []
  const rejected: string[] = []
  const seen = new Set<string>()
  for (const [i, raw] of answer.roster.slice(0, ROSTER_MAX).entries()) {
    const r = (raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>
    const name = serverText(r.workstation_id, NAME_MAX)
    const lastSeen = time(r.last_seen)
    if (!name) rejected.push(`roster row ${i}: no workstation_id`)
    else if (lastSeen === null) rejected.push(`roster row ${i}: no last_seen`)
    else if (seen.has(name)) rejected.push(`roster row ${i}: workstation listed twice`)
    else {
      seen.add(name)
      const live = typeof r.live === 'boolean' ? r.live : null
      rows.push({ name, mechanic: optionalText(r.mechanic_name, NAME_MAX), state: optionalText(r.state, WORD_MAX), version: optionalText(r.app_version, VERSION_MAX), lastSeen, live })
    }
  }
  if (answer.roster.length > ROSTER_MAX) rejected.push(`roster: ${answer.roster.length - ROSTER_MAX} rows beyond ${ROSTER_MAX} left out`)
  return { rows, serverTime, digest, rejected }
}

/**
 * Live and silent workstations: the server's verdict, else last check-in at most `silentAfterMs` before server_time.
 * `localNow` is this machine's clock at the answer: each last check-in is shown at localNow − (serverTime − lastSeen).
 * A last_seen after server_time (another transaction's clock) counts as now.
 */
export function watchOf(roster: Roster, localNow: number, silentAfterMs: number): WorkstationWatch {
  const list: WorkstationEntry[] = roster.rows.map((r) => {
    const age = Math.max(0, roster.serverTime - r.lastSeen)
    return { name: r.name, mechanic: r.mechanic, state: r.state, version: r.version, lastSeen: localNow - age, live: r.live ?? age <= silentAfterMs }
  })
  list.sort((a, b) => Number(b.live) - Number(a.live) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const silent = list
    .filter((e) => !e.live)
    .sort((a, b) => a.lastSeen - b.lastSeen)
    .map((e) => ({ name: e.name, since: e.lastSeen }))
  return { live: list.length - silent.length, total: list.length, silent, list }
}
