// Recovery: dropped sockets, half-open links, expired tokens, realtime restarts, revoked sessions —
// and no leaked sockets, channels or timers.
import { describe, expect, it } from 'vitest'
import type { Backend } from '../backend/index.js'
import { createRequest, engineSuite, sleep, startEngine, until, waitForState, type TestEngine, onFallback } from './helpers.js'
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../../src/core/link/supervisor.js'

let b: Backend
/** Sockets the realtime server holds open (its stats() is not in the faults.ts interface yet). */
const serverSockets = () => (b.realtime as unknown as { stats(): { sockets: number } }).stats().sockets
const { live, running } = engineSuite({ started: (x) => (b = x) })

/** Never more than one socket and two channels for this workstation, at any moment. */
function watchLeaks(t: TestEngine): () => void {
  let worst = 0
  const timer = setInterval(() => {
    worst = Math.max(worst, t.engine.link!.channelCount)
    expect(t.engine.link!.channelCount).toBeLessThanOrEqual(2)
    expect(serverSockets()).toBeLessThanOrEqual(1)
  }, 25)
  return () => {
    clearInterval(timer)
    expect(worst).toBeLessThanOrEqual(2)
  }
}

describe('reconnect', () => {
  it('after dropped sockets, requests committed while down are reconciled and ring as one summary', async () => {
    const t = await live()
    const check = watchLeaks(t)
    // Sockets die and stay refused for 3 s: realtime delivers nothing in that time (postgres_changes has no replay: the real server reads
    // a temporary replication slot, so changes made while a client is away are never sent to it).
    b.faults.refuseConnections({ ms: 3000 })
    b.faults.dropSockets()
    await waitForState(t.engine, 'offline', 3000)
    const missed = [await createRequest(b, { name: 'While Down 1' }), await createRequest(b, { name: 'While Down 2' }), await createRequest(b, { name: 'While Down 3' })]
    const tDown = Date.now()
    await waitForState(t.engine, 'live', 20_000)
    await until(() => missed.every((r) => t.sink.rung().includes(r.id)), 5000, 'missed requests ring')
    console.log(`refused for 3 s: live again and the missed requests rung ${Date.now() - tDown} ms after the last commit`)
    const summary = t.sink.alerts.find((a) => a.kind === 'summary')
    expect(summary?.summaryOf?.sort()).toEqual(missed.map((r) => r.id).sort())
    expect(t.sink.alerts.filter((a) => a.kind !== 'health')).toHaveLength(1)
    // …and the link still works afterwards.
    const r = await createRequest(b)
    await until(() => t.sink.rung().includes(r.id), 2000, 'ring after reconnect')
    check()
  })

  // Within 2 heartbeat intervals (2 × 2.5 s), plus 1 s for timers running late on a loaded machine.
  it('a half-open link is noticed within 5 s and recovered', async () => {
    const t = await live()
    const check = watchLeaks(t)
    const t0 = Date.now()
    b.faults.halfOpen({ ms: 12_000 })
    await waitForState(t.engine, 'offline', 6000, /No reply/)
    const detectedMs = Date.now() - t0
    console.log(`half-open detected after ${detectedMs} ms`)
    expect(detectedMs).toBeLessThanOrEqual(2 * DEFAULT_HEARTBEAT_INTERVAL_MS + 1000)
    await waitForState(t.engine, 'live', 25_000)
    const r = await createRequest(b)
    await until(() => t.sink.rung().includes(r.id), 2000, 'ring after half-open')
    check()
  })

  it('"reconnect now", resume and network-back each give a fresh socket and stay at two channels', async () => {
    const t = await live()
    const check = watchLeaks(t)
    const opens = t.engine.link!.stats.socketOpens
    await t.engine.reconnectNow()
    await waitForState(t.engine, 'live', 10_000)
    t.engine.notifyResume()
    await sleep(50)
    await waitForState(t.engine, 'live', 10_000)
    t.engine.notifyNetworkChange(false)
    t.engine.notifyNetworkChange(true)
    await sleep(50)
    await waitForState(t.engine, 'live', 10_000)
    expect(t.engine.link!.stats.socketOpens).toBeGreaterThanOrEqual(opens + 3)
    const r = await createRequest(b)
    await until(() => t.sink.rung().includes(r.id), 2000, 'ring')
    check()
  })

  it('a realtime restart is recovered', async () => {
    const t = await live()
    await b.faults.restartRealtime()
    await waitForState(t.engine, 'live', 20_000)
    const r = await createRequest(b)
    await until(() => t.sink.rung().includes(r.id), 2000, 'ring after restart')
  })
})

describe('tokens and sessions', () => {
  it('expired tokens: the server closes the channels, they are recreated with a refreshed token, still live', async () => {
    const t = await live()
    const check = watchLeaks(t)
    const closes = t.engine.link!.stats.serverCloses
    b.faults.expireTokens()
    await until(() => t.engine.link!.stats.serverCloses > closes, 10_000, 'server close')
    await waitForState(t.engine, 'live', 15_000)
    expect(t.engine.link!.channelCount).toBe(1)
    const r = await createRequest(b)
    await until(() => t.sink.rung().includes(r.id), 3000, 'ring after token refresh')
    check()
  })

  it('a revoked session shows signed-out with the reason, never silence', async () => {
    const t = await live()
    await b.sql.query('delete from auth.sessions where user_id = $1', [b.demoUsers[0]!.id])
    b.faults.expireTokens()
    await waitForState(t.engine, 'signed-out', 15_000, /revoked|no longer valid|Sign in again/i)
    const s = t.engine.snapshot()
    expect(s.user).toBeNull()
    expect(s.link.reason).toMatch(/Refresh Token/i)
    expect(t.engine.link!.channelCount).toBe(0)
    // Signing in again brings it back.
    await t.engine.signIn(b.demoUsers[0]!.email, b.demoUsers[0]!.password)
    await waitForState(t.engine, 'live', 15_000)
  })

  it('wrong credentials: signed-out with a readable reason', async () => {
    const t = await startEngine(b, { signIn: false })
    running.push(t)
    await expect(t.engine.signIn(b.demoUsers[0]!.email, 'wrong')).rejects.toThrow(/Invalid login credentials/)
    expect(t.engine.snapshot().link).toMatchObject({ state: 'signed-out', reason: expect.stringMatching(/Invalid login credentials/) })
  })

  it('a restored session restarts without signing in, and joins with the user token (not the anon apikey that supabase-js sends when subscribe() does not wait for setAuth)', async () => {
    const first = await live()
    const secrets = first.secrets
    await first.stop()
    running.splice(running.indexOf(first), 1)
    const t = await startEngine(b, { secrets, signIn: false })
    running.push(t)
    await waitForState(t.engine, 'live', 15_000)
    // The private channel is joined only with a mechanic's JWT (RLS on realtime.messages), and
    // postgres_changes are RLS-filtered: each arrives only if the join carried the user's token.
    const r = await createRequest(b)
    await until(() => t.sink.rung().includes(r.id), 3000, 'rings on the private channel of the restored session')
    expect(t.engine.snapshot().queue.find((q) => q.requestId === r.id)?.firstSource).toBe('db-broadcast')
    await onFallback(t)
    b.faults.realtimeMessages({ kind: 'broadcast', action: 'drop', count: 5 })
    const r2 = await createRequest(b)
    await until(() => t.sink.rung().includes(r2.id), 3000, 'rings via postgres_changes on the restored session')
  })
})

describe('lifecycle', () => {
  it('stop() leaves no timers, channels or sockets behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const t = await live()
    b.faults.dropSockets()
    await sleep(100)
    await t.engine.stop()
    running.splice(running.indexOf(t), 1)
    expect(t.engine.timers.count).toBe(0)
    expect(t.engine.link!.timers.count).toBe(0)
    expect(t.engine.link!.channelCount).toBe(0)
    await until(() => serverSockets() === 0, 3000, 'server sees no socket')
    await until(() => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length <= before, 3000, 'no timers left in the process')
  })
})
