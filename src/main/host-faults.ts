// Surfaces faults of the Electron host itself — an uncaught exception or rejection in main, a window
// renderer that keeps crashing — which the engine cannot see. Each fault becomes a health state (the
// host overlays it on every snapshot, so the tray, the window and the diagnostics export show it) and
// a health alert through the same sinks the engine uses (notification, sound, in-app), gated by the
// same tier flags. One alert per alertIntervalMs at most: a fault that repeats every second must not
// turn into a notification storm. The state clears after clearAfterMs without a new fault.
import { TIER_FLAG, type Alert, type AlertSink, type Logger } from '../core/ports.js'
import type { FeatureFlags } from '../shared/types.js'

export interface HostFaultState {
  reason: string
  /** Faults since start. */
  count: number
  since: number
}

export interface HostFaultsOptions {
  sinks: () => readonly AlertSink[]
  flags: () => FeatureFlags
  log: Logger
  /** The state changed (set or cleared): re-emit the snapshot. */
  onChange: (state: HostFaultState | null) => void
  now?: () => number
  /** Default 10 min. */
  alertIntervalMs?: number
  /** Default 30 min. */
  clearAfterMs?: number
}

export const HOST_FAULT_TITLE = 'BayAlert hit an internal problem'

export class HostFaults {
  private current: HostFaultState | null = null
  private count = 0
  private lastAlertAt = Number.NEGATIVE_INFINITY
  private clearTimer: ReturnType<typeof setTimeout> | null = null
  private readonly now: () => number

  constructor(private readonly o: HostFaultsOptions) {
    this.now = o.now ?? Date.now
  }

  state(): HostFaultState | null {
    return this.current
  }

  report(reason: string): void {
    const now = this.now()
    this.count++
    this.current = { reason, count: this.count, since: this.current?.since ?? now }
    this.scheduleClear()
    this.o.onChange(this.current)
    if (now - this.lastAlertAt < (this.o.alertIntervalMs ?? 10 * 60_000)) return
    this.lastAlertAt = now
    this.alert({
      kind: 'health',
      title: HOST_FAULT_TITLE,
      body: `${reason} Request alerts keep running; if they stop, restart BayAlert and send Export diagnostics to support.`,
      detail: 'basic',
      items: [],
      latencyMs: null,
    })
  }

  dispose(): void {
    if (this.clearTimer) clearTimeout(this.clearTimer)
    this.clearTimer = null
  }

  private scheduleClear(): void {
    if (this.clearTimer) clearTimeout(this.clearTimer)
    this.clearTimer = setTimeout(() => {
      this.clearTimer = null
      this.current = null
      this.o.onChange(null)
    }, this.o.clearAfterMs ?? 30 * 60_000)
    this.clearTimer.unref?.()
  }

  /** Each sink isolated: one throwing (or rejecting) is logged and the others still run. */
  private alert(alert: Alert): void {
    const flags = this.o.flags()
    for (const sink of this.o.sinks()) {
      const flag = TIER_FLAG[sink.tier]
      if (flag && !flags[flag]) continue
      const failed = (e: unknown) => this.o.log.warn('host fault alert: sink failed', { sink: sink.name, cause: String((e as Error)?.message ?? e) })
      try {
        const r = sink.alert(alert)
        if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(failed)
      } catch (e) {
        failed(e)
      }
    }
  }
}
