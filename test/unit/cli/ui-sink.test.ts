// The loopback queue UI as an ordinary sink of the alert pipeline: a real UI server and WebSocket, a real
// AlertPipeline; what the page hears is what the pipeline delivered (flags, updates), not a side channel.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_FLAGS, type FeatureFlags } from '../../../src/shared/types.js'
import type { Alert } from '../../../src/core/ports.js'
import { AlertPipeline } from '../../../src/core/alerts/pipeline.js'
import { startUiServer, type UiServer } from '../../../src/cli/ui-server.js'
import { UiPushSink } from '../../../src/cli/ui-sink.js'
import { FakeEngine } from '../../mocks/fake-engine.js'

const quiet = { debug() {}, info() {}, warn() {}, error() {} }
const alert = (over: Partial<Alert> = {}): Alert => ({
  kind: 'request', requestId: 'r1', key: 'r1@t', title: 'New request: A customer', body: 'Details are still loading', detail: 'basic', items: [], latencyMs: null, ...over,
})

let dir: string
let engine: FakeEngine
let sink: UiPushSink
let flags: FeatureFlags
let pipeline: AlertPipeline
let server: UiServer
let ws: WebSocket
let messages: { type: string; alert?: { title: string; body: string; requestId: string | null } }[]

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bayalert-ui-sink-'))
  engine = new FakeEngine()
  sink = new UiPushSink(() => 42)
  flags = { ...DEFAULT_FLAGS }
  pipeline = new AlertPipeline({ sinks: [sink], flags: () => flags, log: quiet })
  server = await startUiServer({ engine, alerts: sink, host: '127.0.0.1', port: 0, rendererDir: dir, log: quiet })
  const url = new URL(server.url)
  messages = []
  ws = new WebSocket(`ws://127.0.0.1:${url.port}/api/events`, { origin: url.origin, headers: { authorization: `Bearer ${url.searchParams.get('k')}` } })
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())))
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))
  await until(() => messages.length >= 1) // the first snapshot
})
afterEach(async () => {
  ws.terminate()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10))
  if (!cond()) throw new Error('timed out')
}
const alertsSeen = () => messages.filter((m) => m.type === 'alert').map((m) => m.alert)

describe('the queue UI hears alerts through the pipeline', () => {
  it('a delivered alert, then its silent update (details arrived), reach the page in order', async () => {
    await pipeline.deliver(alert())
    await pipeline.update(alert({ title: 'New request: Dana Diaz', body: '2015 Ford F-150 · Check engine light', detail: 'full' }))
    await until(() => alertsSeen().length === 2)
    expect(alertsSeen()).toEqual([
      { title: 'New request: A customer', body: 'Details are still loading', requestId: 'r1', at: 42 },
      { title: 'New request: Dana Diaz', body: '2015 Ford F-150 · Check engine light', requestId: 'r1', at: 42 },
    ])
  })

  it('master switch off: the pipeline skips it like every other sink, and the page hears nothing', async () => {
    flags = { ...flags, mech_new_request_alerts: false }
    const attempts = await pipeline.deliver(alert())
    expect(attempts.map((a) => [a.sink, a.result])).toEqual([['queue-ui', 'skipped-flag']])
    await pipeline.deliver(alert({ kind: 'health', requestId: undefined, title: 'Link degraded' })) // health alerts still go
    await until(() => alertsSeen().length === 1)
    expect(alertsSeen()[0]!.title).toBe('Link degraded')
  })

  it('engine alert events are not a second path to the page', async () => {
    engine.emit('alert', alert({ title: 'from the side' }))
    await pipeline.deliver(alert({ title: 'through the pipeline' }))
    await until(() => alertsSeen().length === 1)
    await new Promise((r) => setTimeout(r, 50))
    expect(alertsSeen().map((a) => a!.title)).toEqual(['through the pipeline'])
  })

  it('after the server closes, the sink is detached: delivering reaches nobody and does not throw', async () => {
    await server.close()
    const attempts = await pipeline.deliver(alert())
    expect(attempts.map((a) => a.result)).toEqual(['ok'])
  })
})
