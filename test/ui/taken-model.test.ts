import { describe, expect, it } from 'vitest'
import { newTaken, takenLine, takenSentence } from '../../src/renderer/taken-model.js'

const n = (over: Partial<{ requestId: string; customerName: string | null; takenBy: string | null; at: number }> = {}) => ({
  requestId: 'r1',
  customerName: 'Maria Gonzalez',
  takenBy: 'Ana',
  at: 1,
  ...over,
})

describe('"taken by" words', () => {
  it('names the customer and the taker; an unknown customer is "A customer", an unnamed taker is left out', () => {
    expect(takenLine(n())).toBe('Maria Gonzalez — taken by Ana')
    expect(takenSentence(n())).toBe('Maria Gonzalez was taken by Ana.')
    expect(takenLine(n({ customerName: null }))).toBe('A customer — taken by Ana')
    expect(takenLine(n({ takenBy: null }))).toBe('Maria Gonzalez — taken')
    expect(takenSentence(n({ customerName: '', takenBy: null }))).toBe('A customer was taken.')
  })

  it('controls are dropped and names cut to 80 characters', () => {
    expect(takenLine(n({ takenBy: 'An\u0007a' }))).not.toContain('\u0007')
    expect(Array.from(takenLine(n({ customerName: 'x', takenBy: 'y'.repeat(200) }))).length).toBeLessThanOrEqual('x — taken by '.length + 80)
  })

  it('only notices not shown before are new: by request and time, so the same request taken again is news', () => {
    expect(newTaken(undefined, [n()])).toEqual([n()])
    expect(newTaken([n()], [n()])).toEqual([])
    expect(newTaken([n()], [n(), n({ requestId: 'r2' })])).toEqual([n({ requestId: 'r2' })])
    expect(newTaken([n()], [n({ at: 2 })])).toEqual([n({ at: 2 })])
    expect(newTaken([n()], undefined)).toEqual([])
  })
})
