// The watch's words, shared by the status bar, the window's list, the wallboard and the terminal.
import { describe, expect, it } from 'vitest'
import { clockTime, liveText, silentText, watchLine } from '../../../src/shared/workstations-text.js'

const at = (h: number, m: number) => new Date(2026, 10, 30, h, m, 59).getTime() // local time, like the display

describe('workstation watch text', () => {
  it('"n of m workstations live", singular for one', () => {
    expect(liveText({ live: 3, total: 4 })).toBe('3 of 4 workstations live')
    expect(liveText({ live: 1, total: 1 })).toBe('1 of 1 workstation live')
    expect(liveText({ live: 0, total: 0 })).toBe('0 of 0 workstations live')
  })

  it('names a silent workstation with the local time it went quiet', () => {
    expect(clockTime(at(9, 5))).toBe('09:05')
    expect(silentText({ name: 'Bay 3', since: at(10, 42) })).toBe('Bay 3 silent since 10:42')
  })

  it('one line for the whole watch', () => {
    expect(watchLine({ live: 2, total: 3, silent: [{ name: 'Bay 3', since: at(10, 42) }], list: [] })).toBe('2 of 3 workstations live — Bay 3 silent since 10:42')
    expect(watchLine({ live: 2, total: 2, silent: [], list: [] })).toBe('2 of 2 workstations live')
  })
})
