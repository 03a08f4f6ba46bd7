/** @vitest-environment node */
// The wallboard's rules as data: the wait text, the order, the row text.
import { describe, expect, it } from 'vitest'
import { waitShort, wallboardRows } from '../../src/renderer/wallboard-model.js'
import { makeItem } from '../mocks/fake-engine.js'

const NOW = Date.parse('2026-11-30T12:00:00Z')

describe('wallboard model', () => {
  it('wait text: minutes under an hour, then hours and two-digit minutes; never negative', () => {
    expect(waitShort(NOW - 59_999, NOW)).toBe('< 1 min')
    expect(waitShort(NOW - 60_000, NOW)).toBe('1 min')
    expect(waitShort(NOW - 59 * 60_000 - 59_999, NOW)).toBe('59 min')
    expect(waitShort(NOW - 60 * 60_000, NOW)).toBe('1 h 00 min')
    expect(waitShort(NOW - 125 * 60_000, NOW)).toBe('2 h 05 min')
    expect(waitShort(NOW + 5 * 60_000, NOW)).toBe('< 1 min')
  })

  it('rows: longest wait first, ties by request id, the queue time or else when first seen', () => {
    const rows = wallboardRows([
      makeItem({ requestId: 'b', queuedAt: '2026-11-30T11:50:00Z' }),
      makeItem({ requestId: 'c', queuedAt: '2026-11-30T11:55:00Z' }),
      makeItem({ requestId: 'a', queuedAt: '2026-11-30T11:50:00Z' }),
      makeItem({ requestId: 'd', queuedAt: null, firstSeenAt: Date.parse('2026-11-30T11:40:00Z') }),
      makeItem({ requestId: 'e', queuedAt: 'not a time', firstSeenAt: Date.parse('2026-11-30T11:58:00Z') }),
    ])
    expect(rows.map((r) => r.requestId)).toEqual(['d', 'a', 'b', 'c', 'e'])
    expect(rows[0]!.since).toBe(Date.parse('2026-11-30T11:40:00Z'))
  })

  it('row text: cleaned and capped customer strings, a placeholder while details load', () => {
    const [full] = wallboardRows([
      makeItem({ requestId: 'x', details: { customerName: 'Ana\u202E Ruiz\u0007', vehicle: '2011 VW Golf', concern: 'Noise\nat speed', sessionType: null } }),
    ])
    expect(full).toMatchObject({ name: 'Ana Ruiz', what: '2011 VW Golf — Noise at speed', acknowledged: false })
    const [onlyConcern] = wallboardRows([makeItem({ requestId: 'y', details: { customerName: 'Bo', vehicle: null, concern: 'Flat tyre', sessionType: null } })])
    expect(onlyConcern!.what).toBe('Flat tyre')
    const [basic] = wallboardRows([makeItem({ requestId: 'z', acknowledged: true, details: { customerName: null, vehicle: null, concern: null, sessionType: null } })])
    expect(basic).toMatchObject({ name: 'Customer (details loading…)', what: '', acknowledged: true })
    const [long] = wallboardRows([makeItem({ requestId: 'w', details: { customerName: 'N'.repeat(500), vehicle: 'V'.repeat(500), concern: 'C'.repeat(10_000), sessionType: null } })])
    expect(Array.from(long!.name)).toHaveLength(60)
    expect(long!.what.length).toBeLessThanOrEqual(80 + 3 + 90)
  })
})
