// What the two parts of the desk that ring — the ringer and the repeat schedule — both need from the desk:
// the store they record rings in, the clock and timers, and the two gates every ring passes (restored requests
// the server has not confirmed since start never ring; nothing rings while silenced).
import type { Clock, Logger } from '../ports.js'
import type { HealthMonitor } from '../health/health.js'
import type { Store } from '../store/store.js'
import type { RingTuning } from './rules.js'
import type { Timers } from './timers.js'

export interface RingDeps extends RingTuning {
  store: Store
  log: Logger
  health: HealthMonitor | undefined
  clock: Clock
  timers: Timers
  /** Restored requests the server has not confirmed since start: they never ring, and their schedule waits. */
  unconfirmed: ReadonlySet<string>
  /** Why nothing may ring now, or null. */
  silenced: () => string | null
}
