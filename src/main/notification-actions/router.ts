// Activations that arrive from outside a notification object — Windows' Notification.handleActivation, a second
// launch's command line ('second-instance'), a bayalert:// URL ('open-url' on macOS) — parsed strictly and routed
// to take / open. Anything that is not exactly one of our activations is refused and said (by its size and type
// only: the text came from outside), never passed on.
import type { Activation } from './activation.js'
import { activationInArgv, parseActivation } from './activation.js'
import type { NotificationActionHandlers } from './types.js'

export interface ActivationRouterOptions {
  handlers: NotificationActionHandlers
  /** A refused activation is logged with what was wrong (never the text itself: it came from outside). */
  refused(why: string): void
}

function route(a: Activation, handlers: NotificationActionHandlers): void {
  if (a.action === 'take') handlers.take(a.requestId)
  else handlers.open(a.requestId)
}

/** Notification.handleActivation's callback: arguments from a toast or one of its buttons. */
export function activationHandler(o: ActivationRouterOptions): (details: { type?: unknown; arguments?: unknown }) => void {
  return (details) => {
    const raw = details?.arguments
    // A click on a toast that carried no arguments (none of ours do) just shows the queue.
    if (raw === '' || raw === undefined) return o.handlers.open(null)
    const a = parseActivation(raw)
    if (!a) return o.refused(`a notification activation that is not ours (${typeof raw === 'string' ? `${raw.length} characters` : typeof raw})`)
    route(a, o.handlers)
  }
}

/** 'second-instance' argv: an activation in it is routed; without one the queue is shown (as before). */
export function secondInstanceHandler(o: ActivationRouterOptions): (argv: readonly unknown[]) => void {
  return (argv) => {
    const { activation, refused } = activationInArgv(Array.isArray(argv) ? argv : [])
    if (refused > 0) o.refused(`${refused} bayalert: argument(s) on a second launch that are not a valid activation`)
    if (activation) route(activation, o.handlers)
    else o.handlers.open(null)
  }
}

/** 'open-url' (a bayalert:// link opened on macOS): the same strict parse. */
export function openUrlHandler(o: ActivationRouterOptions): (url: unknown) => void {
  return (url) => {
    const a = parseActivation(url)
    if (a) route(a, o.handlers)
    else o.refused(`a bayalert: link that is not a valid activation (${typeof url === 'string' ? `${url.length} characters` : typeof url})`)
  }
}
