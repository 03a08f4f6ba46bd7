// The check-in answer is server input: validated before the engine acts on it.
import { describe, expect, it } from 'vitest'
import { parseCheckIn } from '../../../src/core/feed/check-in.js'

describe('parseCheckIn', () => {
  const good = { queue_version: '42', flags: [{ key: 'mech_audio_alerts', enabled: false }], workstations: 7 }

  it('takes a version as digits (text, as the function sends a bigint) or a safe whole number', () => {
    expect(parseCheckIn(good)).toEqual({ queueVersion: '42', flags: good.flags, workstations: 7 })
    expect(parseCheckIn({ ...good, queue_version: 0 })).toMatchObject({ queueVersion: '0' })
    expect(parseCheckIn({ ...good, queue_version: '9223372036854775807' })).toMatchObject({ queueVersion: '9223372036854775807' })
    expect(parseCheckIn({ ...good, workstations: 0 })).toMatchObject({ workstations: 0 })
  })

  it('refuses what is not an answer, saying what is missing', () => {
    for (const bad of [null, 'x', [], 42]) expect(parseCheckIn(bad)).toBe('check_in answered something that is not an object')
    for (const v of [undefined, '', '-1', '1.5', 'abc', '123456789012345678901', -1, 1.5, Number.MAX_SAFE_INTEGER + 2, null]) {
      expect(parseCheckIn({ ...good, queue_version: v }), String(v)).toBe('check_in answered no queue_version')
    }
    expect(parseCheckIn({ ...good, flags: {} })).toBe('check_in answered no flags list')
    for (const w of [undefined, '7', -1, 2.5, Number.NaN]) expect(parseCheckIn({ ...good, workstations: w }), String(w)).toBe('check_in answered no workstation count')
  })
})
