// A small fake EngineHandle for host tests (Electron main, ui-server, renderer): it records every command
// and lets the test push snapshots, alerts and state changes. Not a model of the real engine's logic.
import type { EngineEvents, EngineHandle } from '../../src/core/engine-api.js'
import type { AcceptResult, EngineSnapshot, LinkState, PauseRequest, QueueItem } from '../../src/shared/types.js'
import { DEFAULT_FLAGS } from '../../src/shared/types.js'

export type FakeCall =
  | { cmd: 'start' | 'stop' | 'signOut' | 'resume' | 'reconnectNow' | 'notifyResume' | 'notifySuspend' }
  | { cmd: 'signIn'; email: string }
  | { cmd: 'acknowledge' | 'accept'; requestId: string }
  | { cmd: 'pause'; request: PauseRequest }
  | { cmd: 'notifyNetworkChange'; online: boolean }

export function makeItem(over: Partial<QueueItem> & { requestId: string }): QueueItem {
  return {
    key: `${over.requestId}@2026-11-23T10:00:00Z`,
    sessionId: null,
    queuedAt: new Date(Date.now() - 90_000).toISOString(),
    details: { customerName: 'Dana Ortiz', vehicle: '2014 Honda Civic', concern: 'Grinding noise when braking', sessionType: 'video' },
    detail: 'full',
    acknowledged: false,
    alertCount: 1,
    firstSeenAt: Date.now() - 90_000,
    firstSource: 'broadcast',
    confirmed: true,
    ...over,
  }
}

export function makeSnapshot(over: Partial<EngineSnapshot> = {}): EngineSnapshot {
  return {
    link: { state: 'live', reason: 'Connected; both channels joined.', since: Date.now() },
    queue: [],
    flags: { ...DEFAULT_FLAGS },
    paused: null,
    user: 'mechanic1@demo.bayalert.test',
    health: {
      counters: {},
      latencyMs: { p50: null, p95: null, p99: null, count: 0 },
      fetchFailureRate: 0,
      sinkFailureRate: 0,
      degradedReason: null,
    },
    ...over,
  }
}

export class FakeEngine implements EngineHandle {
  calls: FakeCall[] = []
  snap: EngineSnapshot
  acceptResult: AcceptResult = { ok: true }
  private listeners = new Map<keyof EngineEvents, Set<(p: any) => void>>()

  constructor(initial: Partial<EngineSnapshot> = {}) {
    this.snap = makeSnapshot(initial)
  }

  async start() {
    this.calls.push({ cmd: 'start' })
  }
  async stop() {
    this.calls.push({ cmd: 'stop' })
  }
  async signIn(email: string, _password: string) {
    this.calls.push({ cmd: 'signIn', email })
  }
  async signOut() {
    this.calls.push({ cmd: 'signOut' })
  }
  snapshot() {
    return this.snap
  }
  async acknowledge(requestId: string) {
    this.calls.push({ cmd: 'acknowledge', requestId })
  }
  async accept(requestId: string) {
    this.calls.push({ cmd: 'accept', requestId })
    return this.acceptResult
  }
  async pause(request: PauseRequest) {
    this.calls.push({ cmd: 'pause', request })
  }
  async resume() {
    this.calls.push({ cmd: 'resume' })
  }
  async reconnectNow() {
    this.calls.push({ cmd: 'reconnectNow' })
  }
  notifyResume() {
    this.calls.push({ cmd: 'notifyResume' })
  }
  notifySuspend() {
    this.calls.push({ cmd: 'notifySuspend' })
  }
  notifyNetworkChange(online: boolean) {
    this.calls.push({ cmd: 'notifyNetworkChange', online })
  }
  on<E extends keyof EngineEvents>(event: E, listener: (payload: EngineEvents[E]) => void): () => void {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => set!.delete(listener)
  }
  listenerCount(event: keyof EngineEvents): number {
    return this.listeners.get(event)?.size ?? 0
  }

  emit<E extends keyof EngineEvents>(event: E, payload: EngineEvents[E]): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) l(payload)
  }
  /** Replace the snapshot and emit it (and the state event if the link changed). */
  push(over: Partial<EngineSnapshot>): EngineSnapshot {
    const prev = this.snap.link
    this.snap = { ...this.snap, ...over }
    if (over.link && over.link !== prev) this.emit('state', over.link as LinkState)
    this.emit('snapshot', this.snap)
    return this.snap
  }
}
