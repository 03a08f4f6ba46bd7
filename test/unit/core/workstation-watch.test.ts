// The engine's watch keeper: each check-in's roster becomes the snapshot's watch and the escalator's live count; a
// workstation falling silent is logged and counted once (not at every check-in), its return logged; a malformed
// roster keeps the last watch and is counted; a project without the watch, or a sign-out, leaves nothing known.
import { describe, expect, it } from 'vitest'
import { WatchKeeper } from '../../../src/core/workstation-watch.js'
import type { Escalator } from '../../../src/core/desk/escalator.js'
import type { Roster } from '../../../src/core/feed/roster.js'
import { captureLog } from './helpers.js'

const NOW = Date.parse('2026-11-30T10:45:00.000Z')

function keeper() {
  const log = captureLog()
  const counted: string[] = []
  const watches: unknown[] = []
  let changes = 0
  const escalator = { setWatch: (w: unknown) => watches.push(w && { live: (w as { live: number }).live, total: (w as { total: number }).total }) } as unknown as Escalator
  const k = new WatchKeeper({ clock: { now: () => NOW }, log, count: (key) => counted.push(key), silentAfterMs: 180_000, escalator, changed: () => changes++ })
  return { k, log, counted, watches, changes: () => changes }
}

const roster = (ages: Record<string, number>, rejected: string[] = [], digest: string | null = null): Roster => ({
  rows: Object.entries(ages).map(([name, age]) => ({ name, mechanic: null, state: 'live', version: null, lastSeen: NOW - age, live: null })),
  serverTime: NOW,
  digest,
  rejected,
})
const D1 = '11111111111111111111111111111111'
const D2 = '22222222222222222222222222222222'

describe('WatchKeeper', () => {
  it('a roster becomes the watch and the escalator hears the live count', () => {
    const t = keeper()
    t.k.apply(roster({ 'Bay 1': 0, 'Bay 2': 1000 }))
    expect(t.k.watch).toMatchObject({ live: 2, total: 2, silent: [] })
    expect(t.watches).toEqual([{ live: 2, total: 2 }])
    expect(t.changes()).toBe(1)
    t.k.apply(roster({ 'Bay 1': 0, 'Bay 2': 1000 }))
    expect(t.changes()).toBe(1) // the same watch: no new snapshot
  })

  it('falling silent is said once with its time, counted once; coming back is said too', () => {
    const t = keeper()
    t.k.apply(roster({ 'Bay 1': 0, 'Bay 3': 0 }))
    t.k.apply(roster({ 'Bay 1': 0, 'Bay 3': 200_000 }))
    t.k.apply(roster({ 'Bay 1': 0, 'Bay 3': 260_000 }))
    expect(t.counted).toEqual(['watch:silent'])
    const warn = t.log.lines.filter((l) => l.msg.includes('fell silent'))
    expect(warn).toHaveLength(1)
    expect(warn[0]!.fields).toMatchObject({ workstation: 'Bay 3', since: new Date(NOW - 200_000).toISOString(), live: 1, total: 2 })
    t.k.apply(roster({ 'Bay 1': 0, 'Bay 3': 0 }))
    expect(t.log.lines.some((l) => l.msg.includes('checks in again') && l.fields?.workstation === 'Bay 3')).toBe(true)
    expect(t.watches.at(-1)).toEqual({ live: 2, total: 2 })
  })

  it('a malformed roster keeps the last watch, counted and logged; rejected rows are counted and logged', () => {
    const t = keeper()
    t.k.apply(roster({ 'Bay 1': 0 }))
    t.k.apply('check_in answered a roster that is not a list')
    expect(t.k.watch).toMatchObject({ live: 1, total: 1 })
    expect(t.counted).toEqual(['watch:bad-answer'])
    expect(t.log.lines.some((l) => l.level === 'warn' && l.fields?.cause === 'check_in answered a roster that is not a list')).toBe(true)
    t.k.apply(roster({ 'Bay 1': 0 }, ['roster row 1: no last_seen']))
    expect(t.counted).toEqual(['watch:bad-answer', 'watch:row-rejected'])
  })

  it("sends its threshold and the digest of the roster it holds; an unchanged answer keeps the watch; a digest not its own asks again", () => {
    const t = keeper()
    expect(t.k.args()).toEqual({ p_silent_after_ms: 180_000, p_roster_digest: null })
    t.k.apply(roster({ 'Bay 1': 0 }, [], D1))
    expect(t.k.args()).toEqual({ p_silent_after_ms: 180_000, p_roster_digest: D1 })
    t.k.apply({ unchanged: true, digest: D1 })
    expect(t.k.watch).toMatchObject({ live: 1, total: 1 })
    expect(t.changes()).toBe(1)
    expect(t.k.args().p_roster_digest).toBe(D1)
    t.k.apply({ unchanged: true, digest: D2 })
    expect(t.k.args().p_roster_digest).toBeNull()
    expect(t.k.watch).toMatchObject({ live: 1, total: 1 })
    t.k.apply('check_in answered no roster and no digest')
    t.k.apply(roster({ 'Bay 1': 0 }, [], D2))
    expect(t.k.args().p_roster_digest).toBe(D2)
    t.k.clear()
    expect(t.k.args().p_roster_digest).toBeNull()
  })

  it('no watch on the project, or signed out: nothing known, and the escalator is told so', () => {
    const t = keeper()
    t.k.apply(roster({ 'Bay 1': 0 }))
    t.k.apply(undefined)
    expect(t.k.watch).toBeNull()
    t.k.apply(roster({ 'Bay 1': 0 }))
    t.k.clear()
    expect(t.k.watch).toBeNull()
    expect(t.watches).toEqual([{ live: 1, total: 1 }, null, { live: 1, total: 1 }, null])
    expect(t.changes()).toBe(4)
  })
})
