// The join-rate counter behind peakJoinsPerSec: a sliding 1-second window, as the quota is stated.
import { describe, expect, it } from 'vitest'
import { JoinTimes } from './join-rate.js'

describe('JoinTimes', () => {
  it('counts joins less than 1000 ms apart in one window, and a join exactly 1000 ms later in a new one', () => {
    const j = new JoinTimes()
    expect(j.add(0)).toBe(1)
    expect(j.add(999)).toBe(2)
    expect(j.add(1000)).toBe(2) // the join at 0 is out: the window is (t − 1000, t]
    expect(j.add(1999)).toBe(2)
    expect(j.add(2999)).toBe(1) // 1999 is exactly 1000 ms before it
  })

  it('a burst straddling a clock second is one peak, not two halves', () => {
    const j = new JoinTimes()
    for (let i = 0; i < 10; i++) j.add(950 + i * 10) // 950 … 1040
    expect(j.peakSince(0)).toBe(10)
  })

  it('peakSince counts only joins at or after the given time', () => {
    const j = new JoinTimes()
    for (let i = 0; i < 8; i++) j.add(100 + i)
    j.add(5000)
    j.add(5500)
    expect(j.peakSince(0)).toBe(8)
    expect(j.peakSince(107)).toBe(2) // 107 alone, then 5000 + 5500
    expect(j.peakSince(5000)).toBe(2)
    expect(j.peakSince(5001)).toBe(1)
    expect(j.peakSince(6000)).toBe(0)
  })

  it('forgets joins older than keepMs and keeps at most cap of them, without losing the live window', () => {
    const j = new JoinTimes(10_000, 5000)
    for (let t = 0; t < 3000; t++) j.add(t * 10) // 0 … 29,990 ms, 100 per second
    expect(j.peakSince(0)).toBe(100)
    expect(j.peakSince(0)).toBe(j.peakSince(15_000)) // early joins may be gone; the rate is the same
    expect(j.add(30_000)).toBe(100)
    const capped = new JoinTimes(60_000, 2000)
    for (let i = 0; i < 5000; i++) capped.add(i) // all within 5 s, 1000 per second
    expect(capped.add(5000)).toBe(1000)
  })
})
