// The workstation watch's rules: check_in's roster is server input (read defensively, bad rows left out with a
// reason), and a workstation is live while its last check-in is at most three periods old on the server's clock.
import { describe, expect, it } from 'vitest'
import { parseCheckIn } from '../../../src/core/feed/check-in.js'
import { parseRoster, ROSTER_MAX, watchOf, type Roster } from '../../../src/core/feed/roster.js'

const T = Date.parse('2026-11-30T10:45:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()
const row = (name: string, agoMs: number, extra: Record<string, unknown> = {}) => ({
  workstation_id: name,
  mechanic_name: 'Alex Rivera',
  state: 'live',
  app_version: '1.0.0',
  last_seen: iso(T - agoMs),
  ...extra,
})

describe('parseRoster', () => {
  const DIGEST = '0123456789abcdef0123456789abcdef'

  it('an answer without roster, digest and server_time is a project without the watch (undefined, not an error)', () => {
    expect(parseRoster({ queue_version: '1' })).toBeUndefined()
    expect(parseCheckIn({ queue_version: '1', flags: [], workstations: 1 })).toMatchObject({ roster: undefined })
  })

  it('reads names, mechanic, state, version and last seen, on the server clock', () => {
    const r = parseRoster({ roster: [row('Bay 1', 0), row('Bay 2', 5000, { mechanic_name: null, state: null, app_version: null })], server_time: iso(T) }) as Roster
    expect(r.serverTime).toBe(T)
    expect(r.rejected).toEqual([])
    expect(r.digest).toBeNull()
    expect(r.rows).toEqual([
      { name: 'Bay 1', mechanic: 'Alex Rivera', state: 'live', version: '1.0.0', lastSeen: T, live: null },
      { name: 'Bay 2', mechanic: null, state: null, version: null, lastSeen: T - 5000, live: null },
    ])
    expect(parseCheckIn({ queue_version: '1', flags: [], workstations: 2, roster: [row('Bay 1', 0)], server_time: iso(T) })).toMatchObject({ roster: { rows: [{ name: 'Bay 1' }] } })
  })

  it("keeps the server's live verdict and the roster's digest", () => {
    const r = parseRoster({ roster: [row('Bay 1', 0, { live: false }), row('Bay 2', 0, { live: 'yes' })], roster_digest: DIGEST, server_time: iso(T) }) as Roster
    expect(r.digest).toBe(DIGEST)
    expect(r.rows.map((x) => x.live)).toEqual([false, null])
  })

  it('roster null with a digest: the roster held is unchanged; without one, or a digest that is not an md5, is refused', () => {
    expect(parseRoster({ roster: null, roster_digest: DIGEST, server_time: iso(T) })).toEqual({ unchanged: true, digest: DIGEST })
    expect(parseRoster({ roster: null, server_time: iso(T) })).toBe('check_in answered no roster and no digest')
    for (const d of ['', 'abc', DIGEST.toUpperCase(), 42, null]) {
      expect(parseRoster({ roster: [], roster_digest: d, server_time: iso(T) }), String(d)).toBe('check_in answered a roster digest that is not an md5')
    }
  })

  it('refuses a roster that is not a list or has no server time, saying which', () => {
    expect(parseRoster({ roster: {}, server_time: iso(T) })).toBe('check_in answered a roster that is not a list')
    expect(parseRoster({ roster: [], server_time: 'yesterday' })).toBe('check_in answered a roster without a server time')
    expect(parseRoster({ roster: [] })).toBe('check_in answered a roster without a server time')
    expect(parseRoster({ server_time: iso(T) })).toBe('check_in answered a roster that is not a list')
  })

  it('leaves out rows without a name or a time, and a name listed twice, each with a reason', () => {
    const r = parseRoster({ roster: [null, row('', 0), row('Bay 1', 0, { last_seen: 'soon' }), row('Bay 2', 0), row('Bay 2', 1)], server_time: iso(T) }) as Roster
    expect(r.rows.map((x) => x.name)).toEqual(['Bay 2'])
    expect(r.rejected).toEqual(['roster row 0: no workstation_id', 'roster row 1: no workstation_id', 'roster row 2: no last_seen', 'roster row 4: workstation listed twice'])
  })

  it('cleans server text (terminal escapes, bidi overrides) and caps names', () => {
    const r = parseRoster({ roster: [row('Bay\u001b[2J 3\u202e', 0, { mechanic_name: 'x'.repeat(500), state: 'live\u0007' })], server_time: iso(T) }) as Roster
    expect(r.rows[0]!.name).not.toMatch(/[\u001b\u202e]/)
    expect(r.rows[0]!.name).toContain('Bay')
    expect(r.rows[0]!.mechanic!.length).toBeLessThanOrEqual(80)
    expect(r.rows[0]!.state).toBe('live')
  })

  it(`reads at most ${ROSTER_MAX} rows and says how many it left out`, () => {
    const rows = Array.from({ length: ROSTER_MAX + 3 }, (_, i) => row(`Bay ${i}`, 0))
    const r = parseRoster({ roster: rows, server_time: iso(T) }) as Roster
    expect(r.rows).toHaveLength(ROSTER_MAX)
    expect(r.rejected).toEqual([`roster: 3 rows beyond ${ROSTER_MAX} left out`])
  })
})

describe('watchOf', () => {
  const roster = (rows: [string, number][], serverTime = T): Roster => ({
    rows: rows.map(([name, ago]) => ({ name, mechanic: null, state: 'live', version: null, lastSeen: serverTime - ago, live: null })),
    serverTime,
    digest: null,
    rejected: [],
  })

  it('live up to and including three periods, silent after; names the silent ones, longest silent first', () => {
    const w = watchOf(roster([['Bay 1', 0], ['Bay 2', 180_000], ['Bay 3', 180_001], ['Bay 4', 600_000]]), T, 180_000)
    expect(w.live).toBe(2)
    expect(w.total).toBe(4)
    expect(w.silent).toEqual([{ name: 'Bay 4', since: T - 600_000 }, { name: 'Bay 3', since: T - 180_001 }])
    expect(w.list.map((e) => [e.name, e.live])).toEqual([['Bay 1', true], ['Bay 2', true], ['Bay 3', false], ['Bay 4', false]])
  })

  it("moves times onto this machine's clock: a clock 1 h off neither hides nor invents silence", () => {
    const local = T + 3_600_000
    const w = watchOf(roster([['Bay 1', 10_000], ['Bay 2', 400_000]]), local, 180_000)
    expect(w.live).toBe(1)
    expect(w.silent).toEqual([{ name: 'Bay 2', since: local - 400_000 }])
    expect(w.list[0]!.lastSeen).toBe(local - 10_000)
  })

  it("the server's verdict wins over the age where it gave one", () => {
    const r = roster([['Bay 1', 0], ['Bay 2', 600_000]])
    r.rows[0]!.live = false
    r.rows[1]!.live = true
    expect(watchOf(r, T, 180_000)).toMatchObject({ live: 1, total: 2, silent: [{ name: 'Bay 1', since: T }] })
  })

  it('a last check-in after the server time (another transaction) counts as now', () => {
    const w = watchOf(roster([['Bay 1', -5000]]), T, 1000)
    expect(w.list[0]).toMatchObject({ live: true, lastSeen: T })
  })

  it('an empty roster is 0 of 0', () => {
    expect(watchOf(roster([]), T, 1000)).toEqual({ live: 0, total: 0, silent: [], list: [] })
  })
})
