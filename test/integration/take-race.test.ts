// Two mechanics press Take it on the same request at the same moment, each on a real engine against the local
// backend. The claim is atomic on the server (accept_request updates one queued row): exactly one wins, the
// loser is told plainly who won, and both workstations withdraw the request and say "taken by <the winner>".
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import type { RetractEvent } from '../../src/core/ports.js'
import { createRequest, engineSuite, until } from './helpers.js'

let b: Backend
const { live } = engineSuite({ started: (x) => (b = x) })

describe('two workstations racing for one request', () => {
  it('one wins, the loser hears "<winner> took it first", and both show "taken by <winner>"', async () => {
    const [a, c] = await Promise.all([live({ user: 0 }), live({ user: 1 })])
    const retracts: RetractEvent[][] = [[], []]
    a.engine.on('retract', (r) => retracts[0]!.push(r))
    c.engine.on('retract', (r) => retracts[1]!.push(r))
    const req = await createRequest(b, { name: 'Maria Gonzalez' })
    await until(() => a.sink.rung().includes(req.id) && c.sink.rung().includes(req.id), 5000, 'both ring')

    const answers = await Promise.all([a.engine.accept(req.id), c.engine.accept(req.id)])
    const winner = answers.findIndex((x) => x.ok)
    expect(winner, JSON.stringify(answers)).toBeGreaterThanOrEqual(0)
    const loser = 1 - winner
    const winnerName = b.demoUsers[winner]!.name
    expect(answers[loser]).toEqual({ ok: false, reason: 'already-taken', message: `${winnerName} took it first.` })

    for (const [i, t] of [a, c].entries()) {
      await until(() => !t.engine.snapshot().queue.some((q) => q.requestId === req.id), 5000, `workstation ${i} withdraws it`)
      expect(t.sink.retracts).toContain(req.id)
      expect(retracts[i]).toContainEqual({ requestId: req.id, why: 'taken', takenBy: winnerName })
      expect(t.engine.snapshot().taken).toEqual([{ requestId: req.id, customerName: 'Maria Gonzalez', takenBy: winnerName, at: expect.any(Number) }])
    }
    // The winner pressing again (a double click, a replayed claim) is still a success.
    expect(await [a, c][winner]!.engine.accept(req.id)).toEqual({ ok: true })
  })

  it('the notice goes away by itself after a few seconds, with a snapshot saying so', async () => {
    const t = await live({ user: 0 })
    const req = await createRequest(b, { name: 'Bo Short' })
    await until(() => t.sink.rung().includes(req.id), 5000, 'rings')
    expect(await t.engine.accept(req.id)).toEqual({ ok: true })
    await until(() => (t.engine.snapshot().taken ?? []).length === 1, 5000, 'notice shows')
    const snaps: number[] = []
    t.engine.on('snapshot', (s) => snaps.push(s.taken?.length ?? -1))
    await until(() => snaps.includes(0), 12_000, 'a snapshot without the notice')
  }, 20_000)
})
