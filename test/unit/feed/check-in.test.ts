// The check-in answer is server input: validated before the engine acts on it. The loop around it: when it calls,
// what it falls back to on a project without check_in (or without the heartbeat table), and what each answer makes
// it do — read the queue, report the private path broken or healthy.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SupabaseClient } from '@supabase/supabase-js'
import { CheckInLoop, parseCheckIn } from '../../../src/core/feed/check-in.js'
import { TimerRegistry } from '../../../src/core/link/timers.js'
import { captureLog } from '../core/helpers.js'

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

// ─── CheckInLoop: the rules, with fake timers and a fake PostgREST at the client seam (rpc / from().upsert) ───

type Answer = { data: unknown; error: { code?: string; message?: string } | null; status: number }

const ok = (version: number | string, workstations = 4, flags: unknown[] = [{ key: 'mech_audio_alerts', enabled: true }]): Answer => ({
  data: { queue_version: String(version), flags, workstations },
  error: null,
  status: 200,
})
const NO_FUNCTION: Answer = { data: null, error: { code: 'PGRST202', message: 'Could not find the function public.check_in' }, status: 404 }
const NO_TABLE: Answer = { data: null, error: { code: 'PGRST205', message: "Could not find the table 'public.workstation_health'" }, status: 404 }
const SERVER_DOWN: Answer = { data: null, error: { code: '', message: 'upstream down' }, status: 503 }

function builder(answer: () => Answer | Promise<Answer>) {
  const b = {
    retry: () => b,
    abortSignal: () => b,
    then: (res: (v: Answer) => unknown, rej?: (e: unknown) => unknown) => Promise.resolve().then(answer).then(res, rej),
  }
  return b
}

interface World {
  /** The server's queue version; each check-in answers it. */
  version: number
  live: boolean
  user: string | null
  /** The next check_in answer (default: ok(version)). */
  checkIn: (() => Answer | Promise<Answer>) | null
  upsert: () => Answer
}

function harness(o: { periodMs?: number; graceMs?: number } = {}) {
  const world: World = { version: 1, live: true, user: 'user-1', checkIn: null, upsert: () => ({ data: null, error: null, status: 201 }) }
  const rpcCalls: Record<string, unknown>[] = []
  const upserts: Record<string, unknown>[] = []
  const client = {
    rpc: (name: string, args: Record<string, unknown>) => {
      expect(name).toBe('check_in')
      rpcCalls.push(args)
      return builder(() => (world.checkIn ? world.checkIn() : ok(world.version)))
    },
    from: (table: string) => ({
      upsert: (row: Record<string, unknown>, opts: unknown) => {
        expect(table).toBe('workstation_health')
        expect(opts).toEqual({ onConflict: 'workstation_id,mechanic_id' })
        upserts.push(row)
        return builder(world.upsert)
      },
    }),
    auth: { refreshSession: async () => ({ error: null }) },
  } as unknown as SupabaseClient
  const timers = new TimerRegistry()
  const log = captureLog()
  const out = { reconciles: [] as string[], counts: [] as string[], useCheckIn: [] as boolean[], flagRows: [] as unknown[][], broken: [] as string[], healthy: 0 }
  const loop = new CheckInLoop({
    client,
    log,
    clock: { now: () => Date.now() },
    timers,
    ...o,
    count: (k) => out.counts.push(k),
    userId: () => world.user,
    row: () => ({ workstation_id: 'ws-1', app_version: '1.2.3', state: 'live', reason: 'ok', counters: { rings: 2 } }),
    linkLive: () => world.live,
    reconcile: (t) => out.reconciles.push(t),
    useCheckIn: (on) => out.useCheckIn.push(on),
    applyFlagRows: (rows) => out.flagRows.push(rows),
    privatePath: { reportPrivatePathBroken: (r) => out.broken.push(r), reportPrivatePathHealthy: () => void out.healthy++ },
  })
  return { world, loop, rpcCalls, upserts, timers, log, out }
}

describe('CheckInLoop', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })
  const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms)

  describe('timing', () => {
    it('the first check-in after the start delay, then one per period (default 60 s)', async () => {
      const h = harness()
      h.loop.start(3000)
      await advance(2999)
      expect(h.rpcCalls).toHaveLength(0)
      await advance(1)
      expect(h.rpcCalls).toHaveLength(1)
      expect(h.rpcCalls[0]).toEqual({ p_workstation_id: 'ws-1', p_app_version: '1.2.3', p_state: 'live', p_reason: 'ok', p_counters: { rings: 2 } })
      await advance(59_999)
      expect(h.rpcCalls).toHaveLength(1)
      await advance(1)
      expect(h.rpcCalls).toHaveLength(2)
      h.loop.stop()
    })

    it('a configured period is kept; 0 (or less) means no check-ins at all', async () => {
      const h = harness({ periodMs: 1000 })
      h.loop.start(0)
      await advance(3500)
      expect(h.rpcCalls).toHaveLength(4) // at 0, 1000, 2000, 3000
      h.loop.stop()
      for (const periodMs of [0, -5]) {
        const off = harness({ periodMs })
        off.loop.start(0)
        await advance(120_000)
        expect(off.rpcCalls).toHaveLength(0)
        expect(off.timers.count).toBe(0)
      }
    })

    it('pause stops the check-ins until the next start; stop ends them for good', async () => {
      const h = harness({ periodMs: 1000 })
      h.loop.start(0)
      await advance(10)
      expect(h.rpcCalls).toHaveLength(1)
      h.loop.pause()
      await advance(5000)
      expect(h.rpcCalls).toHaveLength(1)
      expect(h.timers.count).toBe(0)
      h.loop.start(500)
      await advance(500)
      expect(h.rpcCalls).toHaveLength(2)
      h.loop.stop()
      h.loop.start(0)
      await advance(5000)
      expect(h.rpcCalls).toHaveLength(2)
      await expect(h.loop.tick()).resolves.toBe(false)
      expect(h.timers.count).toBe(0)
    })

    it('signed out: no call, and the loop does not re-arm itself', async () => {
      const h = harness({ periodMs: 1000 })
      h.world.user = null
      h.loop.start(0)
      await advance(5000)
      expect(h.rpcCalls).toHaveLength(0)
      expect(h.timers.count).toBe(0)
      await expect(h.loop.tick()).resolves.toBe(false)
    })

    it('stopped while a check-in is in flight: its answer is dropped and nothing is re-armed', async () => {
      const h = harness({ periodMs: 1000 })
      let answer!: (a: Answer) => void
      h.world.checkIn = () => new Promise<Answer>((r) => (answer = r))
      const t = h.loop.tick()
      await advance(0)
      h.loop.stop()
      answer(ok(5))
      await expect(t).resolves.toBe(false)
      expect(h.out.flagRows).toHaveLength(0)
      expect(h.out.reconciles).toHaveLength(0)
      expect(h.timers.count).toBe(0)
    })
  })

  describe('modes', () => {
    it('check_in works: it stands in for the periodic reads (said once), applies the flags and the fleet size', async () => {
      const h = harness({ periodMs: 1000 })
      h.world.checkIn = () => ok(1, 37, [{ key: 'mech_new_request_alerts', enabled: false }])
      await expect(h.loop.tick()).resolves.toBe(true)
      await h.loop.tick()
      expect(h.out.useCheckIn).toEqual([true])
      expect(h.log.lines.filter((l) => /stands in for the periodic queue and flag reads/.test(l.msg))).toHaveLength(1)
      expect(h.out.flagRows).toEqual([[{ key: 'mech_new_request_alerts', enabled: false }], [{ key: 'mech_new_request_alerts', enabled: false }]])
      expect(h.loop.workstations).toBe(37)
      expect(h.loop.stats.checkIns).toBe(2)
      expect(h.upserts).toHaveLength(0)
    })

    it('no check_in on the project (PGRST202): the old way, said once, and the heartbeat row is upserted instead — from then on without asking again', async () => {
      const h = harness({ periodMs: 1000 })
      h.world.checkIn = () => NO_FUNCTION
      h.loop.start(0)
      await advance(10)
      expect(h.out.useCheckIn).toEqual([false])
      expect(h.upserts).toHaveLength(1)
      expect(h.upserts[0]).toMatchObject({ workstation_id: 'ws-1', app_version: '1.2.3', state: 'live', reason: 'ok', counters: { rings: 2 }, mechanic_id: 'user-1' })
      expect(new Date(h.upserts[0]!.last_seen as string).getTime()).toBe(Date.now() - 10)
      expect(h.log.lines.filter((l) => l.level === 'info' && /no usable check_in function/.test(l.msg))).toHaveLength(1)
      await advance(2000)
      expect(h.rpcCalls).toHaveLength(1)
      expect(h.upserts).toHaveLength(3)
      expect(h.out.useCheckIn).toEqual([false])
      // The old way reads nothing itself: the reconciler's own safety timer is back on.
      expect(h.out.reconciles).toEqual([])
      h.loop.stop()
    })

    it('no heartbeat table either: heartbeats are off (said once), nothing more is sent and the loop stops arming', async () => {
      const h = harness({ periodMs: 1000 })
      h.world.checkIn = () => NO_FUNCTION
      h.world.upsert = () => NO_TABLE
      h.loop.start(0)
      await advance(10)
      expect(h.upserts).toHaveLength(1)
      expect(h.log.lines.filter((l) => /workstation heartbeats are off/.test(l.msg))).toHaveLength(1)
      await advance(5000)
      expect(h.upserts).toHaveLength(1)
      expect(h.rpcCalls).toHaveLength(1)
      expect(h.timers.count).toBe(0)
      await expect(h.loop.tick()).resolves.toBe(false)
    })

    it('a heartbeat upsert that fails otherwise is logged and tried again next period', async () => {
      const h = harness({ periodMs: 1000 })
      h.world.checkIn = () => NO_FUNCTION
      h.world.upsert = () => SERVER_DOWN
      h.loop.start(0)
      await advance(1010)
      expect(h.upserts).toHaveLength(2)
      expect(h.log.lines.filter((l) => l.level === 'warn' && /workstation heartbeat failed/.test(l.msg))).toHaveLength(2)
      h.loop.stop()
    })
  })

  describe('failures', () => {
    it.each([
      ['a server error', () => SERVER_DOWN, /server error 503/],
      ['an answer that is not one', () => ({ data: { queue_version: 'x' }, error: null, status: 200 }), /no queue_version/],
    ])('%s: logged with its cause, counted, and the queue is read instead; the next check-in works', async (_what, answer, cause) => {
      const h = harness({ periodMs: 1000 })
      h.world.checkIn = answer
      await expect(h.loop.tick()).resolves.toBe(false)
      expect(h.out.reconciles).toEqual(['timer'])
      expect(h.out.counts).toEqual(['check-in:failed'])
      expect(h.loop.stats.failed).toBe(1)
      const warn = h.log.lines.find((l) => l.level === 'warn' && /check-in failed; reading the queue instead/.test(l.msg))
      expect(String(warn?.fields?.cause)).toMatch(cause)
      expect(h.out.useCheckIn).toEqual([])
      h.world.checkIn = null
      await expect(h.loop.tick()).resolves.toBe(true)
      expect(h.out.useCheckIn).toEqual([true])
    })
  })

  describe('verdicts on the private path (link live)', () => {
    it('the first check-in reads the queue (a change may have slipped in since the last read); an unmoved version reads nothing', async () => {
      const h = harness({ periodMs: 1000 })
      await h.loop.tick()
      expect(h.out.reconciles).toEqual(['timer'])
      await h.loop.tick()
      await h.loop.tick()
      expect(h.out.reconciles).toEqual(['timer'])
      expect(h.out.broken).toEqual([])
    })

    it('a moved version with its broadcast: one read, nothing reported', async () => {
      const h = harness({ periodMs: 1000, graceMs: 500 })
      await h.loop.tick()
      h.world.version = 2
      h.loop.broadcast()
      await h.loop.tick()
      expect(h.out.reconciles).toHaveLength(2)
      await advance(5000)
      expect(h.out.broken).toEqual([])
      expect(h.timers.count).toBe(0)
    })

    it('a quiet move is suspect: read now, and broken if no broadcast came by the end of the grace (not before)', async () => {
      const h = harness({ periodMs: 60_000, graceMs: 500 })
      await h.loop.tick()
      h.world.version = 2
      await h.loop.tick()
      expect(h.out.reconciles).toHaveLength(2)
      expect(h.out.broken).toEqual([])
      await advance(499)
      expect(h.out.broken).toEqual([])
      await advance(1)
      expect(h.out.broken).toEqual(['the queue changed on the server but no private broadcast arrived'])
      expect(h.out.counts).toEqual(['private-path:broken'])
      expect(h.loop.stats.broken).toBe(1)
      expect(h.loop.privatePathBroken).toBe(true)
      expect(h.out.reconciles).toHaveLength(3) // the fallback's first read
      expect(h.log.errors().map((l) => l.msg)).toEqual(['check-in: private path silently broken — the queue changed on the server but no private broadcast arrived'])
    })

    it('a suspect move whose broadcast arrives within the grace is consistent: nothing reported', async () => {
      const h = harness({ periodMs: 60_000, graceMs: 500 })
      await h.loop.tick()
      h.world.version = 2
      await h.loop.tick()
      await advance(200)
      h.loop.broadcast()
      await advance(1000)
      expect(h.out.broken).toEqual([])
      expect(h.loop.privatePathBroken).toBe(false)
    })

    it('the grace defaults to half the period, at most 5 s', async () => {
      for (const [periodMs, graceMs] of [[4000, 2000], [60_000, 5000]]) {
        const h = harness({ periodMs })
        await h.loop.tick()
        h.world.version = 2
        await h.loop.tick()
        await advance(graceMs - 1)
        expect(h.out.broken, `period ${periodMs}`).toEqual([])
        await advance(1)
        expect(h.out.broken, `period ${periodMs}`).toHaveLength(1)
        h.loop.stop()
      }
    })

    it('the link leaving live during the grace cancels the recheck: missed broadcasts are expected then', async () => {
      const h = harness({ periodMs: 60_000, graceMs: 500 })
      await h.loop.tick()
      h.world.version = 2
      await h.loop.tick()
      h.loop.interrupted()
      await advance(1000)
      expect(h.out.broken).toEqual([])
      expect(h.timers.count).toBe(0)
    })

    it('a recheck that finds the link not live says nothing', async () => {
      const h = harness({ periodMs: 60_000, graceMs: 500 })
      await h.loop.tick()
      h.world.version = 2
      await h.loop.tick()
      h.world.live = false
      await advance(1000)
      expect(h.out.broken).toEqual([])
    })

    it('broken, then a broadcast arrives again: healthy, reported and counted once', async () => {
      const h = harness({ periodMs: 60_000, graceMs: 500 })
      await h.loop.tick()
      h.world.version = 2
      await h.loop.tick()
      await advance(500)
      expect(h.out.broken).toHaveLength(1)
      h.world.version = 3 // moves again without a broadcast: nothing new to report
      await h.loop.tick()
      expect(h.out.broken).toHaveLength(1)
      h.loop.broadcast()
      await h.loop.tick()
      expect(h.out.healthy).toBe(1)
      expect(h.out.counts).toEqual(['private-path:broken', 'private-path:healthy'])
      expect(h.loop.privatePathBroken).toBe(false)
      await h.loop.tick()
      expect(h.out.healthy).toBe(1)
    })
  })

  describe('link not live', () => {
    it('every check-in reads the queue (reads are the only source), and none reports the private path', async () => {
      const h = harness({ periodMs: 1000, graceMs: 100 })
      h.world.live = false
      for (let i = 0; i < 3; i++) await h.loop.tick() // the version never moves
      h.world.version = 2
      await h.loop.tick()
      expect(h.out.reconciles).toEqual(['timer', 'timer', 'timer', 'timer'])
      await advance(1000)
      expect(h.out.broken).toEqual([])
      expect(h.out.healthy).toBe(0)
      // Live again: the version the last check-in read is the baseline — unmoved, nothing to read or to judge.
      h.world.live = true
      await h.loop.tick()
      expect(h.out.reconciles).toHaveLength(4)
      await advance(1000)
      expect(h.out.broken).toEqual([])
    })
  })
})
