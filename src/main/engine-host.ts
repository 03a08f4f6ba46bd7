// Owns the current EngineHandle. The engine's config (Supabase URL and key) is fixed at creation, so a
// settings change stops the old engine and starts a new one; everything else (tray, IPC, windows) talks
// to this host and keeps working across the swap. With no shop configured there is no engine and the
// host reports a 'signed-out' snapshot whose reason says what to do.
import { OUTAGE_ALARM_ID, outageUnacknowledged } from '../shared/types.js'
import type { EngineConfig, EngineHandle } from '../core/engine-api.js'
import type { Alert, Logger } from '../core/ports.js'
import type { AcceptResult, EngineSnapshot, HistoryEntry, PauseRequest } from '../shared/types.js'
import { DEFAULT_FLAGS } from '../shared/types.js'

export type EngineFactory = (config: EngineConfig) => EngineHandle

export function placeholderSnapshot(reason: string, now: number): EngineSnapshot {
  return {
    link: { state: 'signed-out', reason, since: now },
    queue: [],
    flags: { ...DEFAULT_FLAGS },
    paused: null,
    user: null,
    health: { counters: {}, latencyMs: { p50: null, p95: null, p99: null, count: 0 }, fetchFailureRate: 0, sinkFailureRate: 0, degradedReason: null },
  }
}

export const NOT_CONFIGURED = 'No shop configured yet: enter the Supabase URL and anon key in Settings.'

export class EngineHost {
  private engine: EngineHandle | null = null
  private unsubscribe: Array<() => void> = []
  private placeholder: EngineSnapshot
  private snapshotListeners = new Set<(s: EngineSnapshot) => void>()
  private alertListeners = new Set<(a: Alert) => void>()
  private generation = 0
  private hostFault: { reason: string; count: number } | null = null

  constructor(
    private readonly factory: EngineFactory,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.placeholder = placeholderSnapshot(NOT_CONFIGURED, now())
  }

  current(): EngineHandle | null {
    return this.engine
  }

  snapshot(): EngineSnapshot {
    return this.withHostFault(this.engine ? this.engine.snapshot() : this.placeholder)
  }

  /**
   * A fault of the host itself (main-process exception, a window that keeps crashing), shown as the
   * health state — the engine's own degraded reason, if any, comes first — and counted in
   * health.counters['host:fault']. null clears it. Re-emits the snapshot.
   */
  setHostFault(fault: { reason: string; count: number } | null): void {
    this.hostFault = fault
    this.emitSnapshot(this.engine ? this.engine.snapshot() : this.placeholder)
  }

  private withHostFault(s: EngineSnapshot): EngineSnapshot {
    const f = this.hostFault
    if (!f) return s
    return {
      ...s,
      health: { ...s.health, degradedReason: s.health.degradedReason ?? f.reason, counters: { ...s.health.counters, 'host:fault': f.count } },
    }
  }

  /** Stop the running engine (if any) and start one for `config` (or none, with `reason`). */
  async configure(config: EngineConfig | null, reason = NOT_CONFIGURED): Promise<void> {
    const gen = ++this.generation
    await this.stopCurrent()
    if (gen !== this.generation) return
    if (!config) {
      this.placeholder = placeholderSnapshot(reason, this.now())
      this.emitSnapshot(this.placeholder)
      return
    }
    let engine: EngineHandle
    try {
      engine = this.factory(config)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      this.log.error('engine could not be created', { error: message })
      this.placeholder = placeholderSnapshot(`The alert engine could not start: ${message}`, this.now())
      this.emitSnapshot(this.placeholder)
      return
    }
    this.engine = engine
    this.unsubscribe = [
      engine.on('snapshot', (s) => this.emitSnapshot(s)),
      engine.on('alert', (a) => this.alertListeners.forEach((l) => l(a))),
      engine.on('error', (e) => this.log.warn('engine error', { message: e.message })),
    ]
    // An engine whose store cannot open yet keeps trying on its own (offline, with the reason, in its snapshots);
    // the host stops waiting at its first error instead of holding the rest of the app's start behind it.
    let firstError = (): void => {}
    const erred = new Promise<void>((resolve) => (firstError = resolve))
    this.unsubscribe.push(engine.on('error', () => firstError()))
    const started = engine.start().catch((err) => {
      this.log.error('engine start failed', { error: err instanceof Error ? err.message : String(err) })
    })
    await Promise.race([started, erred])
    this.emitSnapshot(engine.snapshot())
  }

  async stop(): Promise<void> {
    this.generation++
    await this.stopCurrent()
  }

  private async stopCurrent(): Promise<void> {
    const engine = this.engine
    this.engine = null
    this.unsubscribe.forEach((u) => u())
    this.unsubscribe = []
    if (engine) await engine.stop().catch((err) => this.log.warn('engine stop failed', { error: String(err) }))
  }

  onSnapshot(listener: (s: EngineSnapshot) => void): () => void {
    this.snapshotListeners.add(listener)
    return () => this.snapshotListeners.delete(listener)
  }

  onAlert(listener: (a: Alert) => void): () => void {
    this.alertListeners.add(listener)
    return () => this.alertListeners.delete(listener)
  }

  private emitSnapshot(engineSnapshot: EngineSnapshot): void {
    const s = this.withHostFault(engineSnapshot)
    for (const l of this.snapshotListeners) {
      try {
        l(s)
      } catch (err) {
        this.log.warn('snapshot listener failed', { error: String(err) })
      }
    }
  }

  private need(): EngineHandle {
    if (!this.engine) throw new Error(this.placeholder.link.reason)
    return this.engine
  }

  acknowledge = async (id: string): Promise<void> => this.need().acknowledge(id)
  accept = (id: string): Promise<AcceptResult> =>
    this.engine ? this.engine.accept(id) : Promise.resolve({ ok: false, reason: 'offline', message: this.placeholder.link.reason })
  pause = async (r: PauseRequest): Promise<void> => this.need().pause(r)
  resume = async (): Promise<void> => this.need().resume()
  reconnectNow = async (): Promise<void> => this.need().reconnectNow()
  history = async (): Promise<HistoryEntry[]> => (await this.engine?.history?.()) ?? []
  signIn = async (email: string, password: string): Promise<void> => this.need().signIn(email, password)
  signOut = async (): Promise<void> => {
    if (this.engine) await this.engine.signOut()
  }

  /**
   * Tray "Acknowledge all": every unacknowledged request and the not-receiving reminder, each isolated so one
   * failure skips only itself.
   */
  async acknowledgeAll(): Promise<void> {
    const engine = this.engine
    if (!engine) return
    const snap = engine.snapshot()
    if (outageUnacknowledged(snap.outage)) {
      await engine.acknowledge(OUTAGE_ALARM_ID).catch((err) => this.log.warn('acknowledging the outage reminder failed', { error: String(err) }))
    }
    for (const item of snap.queue.filter((q) => !q.acknowledged)) {
      await engine.acknowledge(item.requestId).catch((err) => this.log.warn('acknowledge failed', { requestId: item.requestId, error: String(err) }))
    }
  }
}
