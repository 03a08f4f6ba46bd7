// LinkConfig.joinWindowMs: the delay phoenix waits before reconnecting after a server-side loss is the jittered
// backoff plus a uniform draw in [0, joinWindowMs()) — read at each reconnect, so a fleet can resize it — and
// exactly the backoff without a usable window. No network: the delay function is what phoenix calls.
import { describe, expect, it } from 'vitest'
import { LinkSupervisor, type LinkConfig } from '../../../src/core/link/supervisor.js'
import { MemorySecretStore } from '../../../src/core/memory-secret-store.js'
import { systemClock } from '../../../src/core/ports.js'
import { captureLog } from '../core/helpers.js'

const KEY = 'sb_publishable_abcdefghijklmnopqrstuv_12345678'

function reconnectDelay(extra: Partial<LinkConfig>, tries = 1): { ms: number; log: ReturnType<typeof captureLog> } {
  const log = captureLog()
  const link = new LinkSupervisor({ supabaseUrl: 'http://127.0.0.1:9', anonKey: KEY, random: () => 0.5, ...extra }, { secrets: new MemorySecretStore(), log, clock: systemClock })
  // The function phoenix's reconnect timer calls (realtime-js hands our reconnectAfterMs to it).
  const ms = (link.client.realtime as unknown as { reconnectAfterMs(t: number): number }).reconnectAfterMs(tries)
  return { ms, log }
}

describe('joinWindowMs', () => {
  it('adds random × window to the backoff (1 s at the middle jitter)', () => {
    expect(reconnectDelay({}).ms).toBe(1000)
    expect(reconnectDelay({ joinWindowMs: () => 3000 }).ms).toBe(1000 + 1500)
    expect(reconnectDelay({ joinWindowMs: () => 3000, random: () => 0 }).ms).toBe(700)
    expect(reconnectDelay({ joinWindowMs: () => 3000 }, 3).ms).toBe(4000 + 1500)
  })

  it('is read at each reconnect', () => {
    let window = 0
    const log = captureLog()
    const link = new LinkSupervisor({ supabaseUrl: 'http://127.0.0.1:9', anonKey: KEY, random: () => 0.5, joinWindowMs: () => window }, { secrets: new MemorySecretStore(), log, clock: systemClock })
    const delay = (link.client.realtime as unknown as { reconnectAfterMs(t: number): number }).reconnectAfterMs
    expect(delay(1)).toBe(1000)
    window = 10_000
    expect(delay(1)).toBe(6000)
  })

  it.each([
    ['zero', () => 0],
    ['negative', () => -5000],
    ['not a number', () => Number.NaN],
    ['infinite', () => Number.POSITIVE_INFINITY],
  ])('a %s window adds nothing', (_what, joinWindowMs) => {
    expect(reconnectDelay({ joinWindowMs }).ms).toBe(1000)
  })

  it('a window that throws adds nothing and says why in the log', () => {
    const { ms, log } = reconnectDelay({
      joinWindowMs: () => {
        throw new Error('no count yet')
      },
    })
    expect(ms).toBe(1000)
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/join window could not be read/), fields: { cause: 'Error: no count yet' } }))
  })
})
