// A request desk built with only what it needs (store, pipeline, log) — as the store bench builds one — keeps its
// promises without a health monitor: a store failure, a failed group commit, a throwing listener and the
// offline-start threshold are logged, never thrown. And what it is given instead of its defaults is used: the
// clock a host passes, and the mechanic's urgency thresholds (repeats come sooner as a wait grows).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AlertPipeline } from '../../../../src/core/alerts/pipeline.js'
import type { Clock } from '../../../../src/core/ports.js'
import { RequestDesk, type DeskOptions } from '../../../../src/core/desk/request-desk.js'
import { Store } from '../../../../src/core/store/store.js'
import { DEFAULT_FLAGS } from '../../../../src/shared/types.js'
import { T0, captureLog, queued, recordingSink, settle } from '../helpers.js'

let dir: string
let store: Store
const log = captureLog()
const sink = recordingSink('in-app', 'in-app')
const desks: RequestDesk[] = []

function bareDesk(over: Partial<DeskOptions> = {}): RequestDesk {
  const pipeline = new AlertPipeline({ sinks: [sink], flags: () => DEFAULT_FLAGS, log, store })
  const desk = new RequestDesk({ store, pipeline, log, ...over })
  desk.start()
  desks.push(desk)
  return desk
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  dir = mkdtempSync(join(tmpdir(), 'bayalert-bare-desk-'))
  store = Store.open({ path: join(dir, 'bayalert.db'), log })
  log.lines.length = 0
  sink.alerts.length = 0
})
afterEach(() => {
  vi.restoreAllMocks()
  for (const d of desks.splice(0)) d.stop()
  if (store.isOpen) store.close()
  rmSync(dir, { recursive: true, force: true })
  vi.useRealTimers()
})

describe('a desk without a health monitor', () => {
  it('a store failure on a fact or a reconcile is logged and reported, not thrown', () => {
    const desk = bareDesk()
    vi.spyOn(store, 'transactionInGroup').mockImplementation(() => {
      throw new Error('SQLITE_FULL: database or disk is full')
    })
    expect(desk.ingest(queued('r1')).outcome).toBe('error')
    expect(desk.reconcile({ trigger: 'timer', requests: [], startedAt: Date.now() })).toEqual({ added: [], removed: [], unchanged: 0, enriched: 0 })
    expect(log.errors().map((l) => l.msg)).toEqual(['desk: could not process a fact', 'desk: reconcile failed; the local queue is unchanged'])
  })

  it('facts and a reconcile that go through are not counted anywhere, and ring', async () => {
    const desk = bareDesk()
    expect(desk.ingest(queued('r1')).outcome).toBe('alerted')
    expect(desk.reconcile({ trigger: 'timer', requests: [{ ...queued('r1'), source: 'reconcile' }], startedAt: Date.now() }).unchanged).toBe(1)
    await settle()
    expect(sink.alerts.map((a) => a.requestId)).toEqual(['r1'])
    expect(log.errors()).toEqual([])
  })

  it('a group commit that fails is logged, not thrown', async () => {
    const desk = bareDesk()
    vi.spyOn(store, 'transactionInGroup').mockImplementation((fn, after) => {
      const r = fn()
      after(false)
      return r
    })
    desk.ingest(queued('r1'))
    desk.reconcile({ trigger: 'timer', requests: [], startedAt: Date.now() })
    await settle()
    expect(log.errors().map((l) => l.fields)).toEqual([{ source: 'postgres_changes' }, { source: 'reconcile' }])
  })

  it('a listener that throws is logged, and the others still hear', async () => {
    const desk = bareDesk()
    const heard: string[] = []
    desk.on('alert', () => {
      throw new Error('window gone')
    })
    desk.on('alert', (a) => heard.push(a.requestId!))
    desk.ingest(queued('r1'))
    await settle()
    expect(heard).toEqual(['r1'])
    expect(log.errors().map((l) => l.msg)).toEqual(['desk: a alert listener threw'])
  })

  it('restored requests past the threshold: the notice, without a health alert', async () => {
    bareDesk().ingest(queued('r1'))
    store.commitGroup()
    desks.splice(0).forEach((d) => d.stop())
    const desk = bareDesk({ unconfirmedNoticeMs: 1000 })
    await vi.advanceTimersByTimeAsync(1000)
    expect(desk.notice()).toBe('Not connected since start: 1 request from the last session is not confirmed')
  })
})

describe('what a host passes instead of the defaults', () => {
  it("the host's clock: latency and removal times are read from it", async () => {
    const clock: Clock = { now: () => Date.now() + 60_000 }
    const desk = bareDesk({ clock })
    desk.ingest(queued('r1', { commitTs: new Date(T0).toISOString() }))
    await settle()
    expect(sink.alerts[0]!.latencyMs).toBe(60_000)
    const startedAt = Date.now() + 60_000
    desk.reconcile({ trigger: 'timer', requests: [], startedAt })
    expect(store.tombstonesFor('r1')[0]!.removedAt).toBe(startedAt)
  })

  it("the mechanic's urgency thresholds: a request waiting past red repeats at a quarter of the interval", async () => {
    const desk = bareDesk({ repeatIntervalMs: 120_000, urgency: { amberAfterMs: 60_000, redAfterMs: 120_000 } })
    desk.ingest(queued('r1', { queuedAt: new Date(T0 - 10 * 60_000).toISOString() }))
    await vi.advanceTimersByTimeAsync(29_999)
    expect(sink.alerts.map((a) => a.kind)).toEqual(['request'])
    await vi.advanceTimersByTimeAsync(1)
    expect(sink.alerts.map((a) => a.kind)).toEqual(['request', 'repeat'])
    expect(desk.queue()[0]!.alertCount).toBe(2)
  })
})
