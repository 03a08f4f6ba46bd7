// The heartbeat that notices a half-open link: phoenix sends one an interval after the last reply and gives up on it
// an interval later, so a dead link is noticed within 2 × the interval — 5 s with the default. No network: what is
// checked is the interval the realtime client was built with and what the state says when a heartbeat times out.
import { describe, expect, it } from 'vitest'
import { DEFAULT_HEARTBEAT_INTERVAL_MS, LinkSupervisor, type LinkConfig } from '../../../src/core/link/supervisor.js'
import { transition } from '../../../src/core/link/machine.js'
import { MemorySecretStore } from '../../../src/core/memory-secret-store.js'
import { systemClock } from '../../../src/core/ports.js'
import { captureLog } from '../core/helpers.js'
import { CONFIG, STATES } from './machine-fixtures.js'

const KEY = 'sb_publishable_abcdefghijklmnopqrstuv_12345678'

function clientInterval(extra: Partial<LinkConfig>): number {
  const link = new LinkSupervisor({ supabaseUrl: 'http://127.0.0.1:9', anonKey: KEY, ...extra }, { secrets: new MemorySecretStore(), log: captureLog(), clock: systemClock })
  return (link.client.realtime as unknown as { heartbeatIntervalMs: number }).heartbeatIntervalMs
}

describe('heartbeat', () => {
  it('by default a half-open link is noticed within 5 s: the realtime client heartbeats every 2.5 s', () => {
    expect(DEFAULT_HEARTBEAT_INTERVAL_MS).toBe(2500)
    expect(clientInterval({})).toBe(2500)
    expect(2 * clientInterval({})).toBeLessThanOrEqual(5000)
  })

  it('a configured interval is what the realtime client uses', () => {
    expect(clientInterval({ heartbeatIntervalMs: 4000 })).toBe(4000)
  })

  it.each([
    [2500, 'No reply from the server for 2.5 s (dead or half-open link)'],
    [4000, 'No reply from the server for 4 s (dead or half-open link)'],
    [25_000, 'No reply from the server for 25 s (dead or half-open link)'],
  ])('a timed-out heartbeat at %i ms says how long the server was silent, not rounded to a whole second', (ms, reason) => {
    // Phoenix reports the timeout, then closes the socket: the offline state's reason names the silence.
    const m = { ...STATES.offline, config: { ...CONFIG, heartbeatIntervalMs: ms } }
    const t = transition(m, { type: 'heartbeatTimeout' }, 0.5)
    expect(t.state.name).toBe('offline')
    expect(t.state.reason).toMatch(new RegExp(`^${reason.replace(/[().]/g, '\\$&')}`))
  })
})
