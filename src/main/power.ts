// OS power and network signals → engine (https://www.electronjs.org/docs/latest/api/power-monitor): on
// resume/unlock force a reconnect and backfill, as tray notifiers such as ntfy Desktop do — a socket can
// look open after sleep with the peer gone (supabase/realtime#1414), and the heartbeat alone notices late.
// - resume everywhere; unlock-screen only fires on darwin/win32 (a long lock can stall the socket too).
// - suspend → notifySuspend so the engine stops its timers instead of declaring the link dead on wake.
// - net.isOnline() has no events and "true is inconclusive": poll it only while the link is not live,
//   and report only changes. Realtime channel status remains the real signal.
import type { EngineHandle } from '../core/engine-api.js'
import type { LinkStateName } from '../shared/types.js'

export interface PowerSource {
  on(event: 'resume' | 'suspend' | 'unlock-screen', listener: () => void): unknown
  removeListener(event: 'resume' | 'suspend' | 'unlock-screen', listener: () => void): unknown
}

export interface PowerWiringOptions {
  engine: () => EngineHandle | null
  power: PowerSource
  isOnline: () => boolean
  linkState: () => LinkStateName
  platform: NodeJS.Platform
  pollMs?: number
}

export function wirePowerEvents(o: PowerWiringOptions): () => void {
  const onResume = () => o.engine()?.notifyResume()
  const onSuspend = () => o.engine()?.notifySuspend()
  o.power.on('resume', onResume)
  o.power.on('suspend', onSuspend)
  const unlock = o.platform === 'darwin' || o.platform === 'win32'
  if (unlock) o.power.on('unlock-screen', onResume)

  let last: boolean | null = null
  const timer = setInterval(() => {
    const state = o.linkState()
    if (state === 'live' || state === 'signed-out') {
      last = null // re-learn from scratch next time the link drops
      return
    }
    const online = o.isOnline()
    if (last !== null && online !== last) o.engine()?.notifyNetworkChange(online)
    else if (last === null && !online) o.engine()?.notifyNetworkChange(false)
    last = online
  }, o.pollMs ?? 5_000)
  timer.unref?.()

  return () => {
    clearInterval(timer)
    o.power.removeListener('resume', onResume)
    o.power.removeListener('suspend', onSuspend)
    if (unlock) o.power.removeListener('unlock-screen', onResume)
  }
}
