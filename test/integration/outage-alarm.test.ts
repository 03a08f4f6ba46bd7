// Never silent (issue #7): a workstation that cannot receive requests for longer than the threshold rings a health
// alert — through every sink, sound included — and repeats it until the mechanic acknowledges it or requests flow
// again. Real engine, real local backend (PostgreSQL + realtime), the network cut with the backend's fault knobs.
import { describe, expect, it } from 'vitest'
import { OUTAGE_ALARM_ID } from '../../src/shared/types.js'
import type { Backend } from '../backend/index.js'
import { createRequest, engineSuite, sleep, until, waitForState } from './helpers.js'

let backendOf: Backend
const { live } = engineSuite({ started: (x) => (backendOf = x) })
const b = () => backendOf

describe('the not-receiving reminder', () => {
  it('offline past the threshold: one health alert, repeats, Acknowledge stops them, back live clears it and requests ring', async () => {
    const t = await live({ config: { outageAlertAfterMs: 1500, repeatIntervalMs: 1000 } })
    const health = () => t.sink.alerts.filter((a) => a.kind === 'health' && a.title === 'BayAlert is not receiving requests')
    b().faults.refuseConnections({ ms: 20_000 })
    b().faults.dropSockets()
    await until(() => health().length >= 1, 10_000, 'the first reminder')
    expect(health()[0]!.body).toMatch(/^For 1 min: .+\. New requests will not ring on this workstation until it is back\./)
    expect(t.engine.snapshot().outage).toMatchObject({ alerted: true, acknowledged: false })
    await until(() => health().length >= 2, 5000, 'a repeat')
    await t.engine.acknowledge(OUTAGE_ALARM_ID)
    const after = health().length
    expect(t.engine.snapshot().outage).toMatchObject({ acknowledged: true })
    await sleep(2500)
    expect(health().length).toBe(after) // no repeat after the acknowledgement
    b().faults.clear({ quiet: true })
    await t.engine.reconnectNow()
    await waitForState(t.engine, 'live', 20_000)
    await until(() => t.engine.snapshot().outage === null, 5000, 'the reminder cleared')
    const r = await createRequest(b(), { name: 'After The Outage' })
    await until(() => t.sink.rung().includes(r.id), 5000, 'a request rings again')
  })
})
