// Take it, pressed on a notification (or arriving as an activation): claims the request through the engine and
// answers where the mechanic is looking — a notification saying what happened when it did not work ("Ana took it
// first."), never silence. A claim that failed for a reason worth retrying (offline, a server error) also opens
// the queue on the request, its Take it focused. Two presses while one claim is in flight take once.
import type { AcceptResult } from '../../shared/types.js'
import type { Logger } from '../../core/ports.js'

export interface TakeFromNotificationOptions {
  accept(requestId: string): Promise<AcceptResult>
  open(requestId: string | null): void
  /** A short native notification with the outcome. */
  tell(title: string, body: string): void
  log: Logger
}

export function takeFromNotification(o: TakeFromNotificationOptions): (requestId: string) => Promise<void> {
  const inFlight = new Set<string>()
  return async (requestId) => {
    if (inFlight.has(requestId)) return
    inFlight.add(requestId)
    try {
      const r = await o.accept(requestId)
      if (r.ok) {
        o.log.info('taken from a notification', { requestId })
        return
      }
      o.log.warn('take from a notification refused', { requestId, reason: r.reason, message: r.message })
      o.tell('Not taken', r.message)
      if (r.reason === 'offline' || r.reason === 'error') o.open(requestId)
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e)
      o.log.error('take from a notification failed', { requestId, cause: why })
      o.tell('Not taken', `Could not take it: ${why}`)
      o.open(requestId)
    } finally {
      inFlight.delete(requestId)
    }
  }
}
