// The desk's door for escalated rings: delivered to every sink like any ring (the alert event too), and nothing at
// all while silenced (paused, or new-request alerts switched off for the shop) or after stop.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DEFAULT_FLAGS } from '../../../../src/shared/types.js'
import type { Alert } from '../../../../src/core/ports.js'
import { T0, harness, settle, type Harness } from '../helpers.js'

let h: Harness
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  h = harness()
})
afterEach(() => {
  h.dispose()
  vi.useRealTimers()
})

const urgent: Alert = { kind: 'repeat', requestId: 'r1', key: 'r1@x', title: 'Urgent — waiting 4 min: Dana', body: 'Only 1 of 3 workstations live.', detail: 'full', items: [], latencyMs: null, escalated: true }

describe('RequestDesk.ringEscalated', () => {
  it('rings every sink and emits the alert, escalated flag intact', async () => {
    const events: Alert[] = []
    h.core.desk.on('alert', (a) => events.push(a))
    expect(h.core.desk.ringEscalated(urgent)).toBe(true)
    await settle()
    expect(events).toEqual([urgent])
    for (const s of Object.values(h.sinks)) expect(s.alerts.map((a) => a.escalated)).toEqual([true])
  })

  it('paused or alerts off for the shop: false, and nothing rings', async () => {
    h.core.desk.pause({ minutes: 15 })
    expect(h.core.desk.ringEscalated(urgent)).toBe(false)
    h.core.desk.resume()
    h.core.desk.setFlags({ ...DEFAULT_FLAGS, mech_new_request_alerts: false })
    expect(h.core.desk.ringEscalated(urgent)).toBe(false)
    await settle()
    expect(h.alerts()).toEqual([])
  })

  it('after stop: false', async () => {
    h.core.desk.stop()
    expect(h.core.desk.ringEscalated(urgent)).toBe(false)
    await settle()
    expect(h.alerts()).toEqual([])
  })
})
