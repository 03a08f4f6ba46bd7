// What a notification hands back to the running app: "take this request" or "open the queue on it", spelled
// as bayalert://take/<uuid> and bayalert://open/<uuid>. On Windows the text arrives from outside the app (a toast
// button's arguments through Notification.handleActivation, or a command line passed on to the running instance
// through 'second-instance'), so it is parsed strictly: exactly this shape, a uuid id, nothing else — a hostile
// or malformed argument is refused and never reaches the engine.
import { isUuid } from '../../core/feed/parse.js'

export const ACTIVATION_SCHEME = 'bayalert'
export type ActivationAction = 'take' | 'open'
export interface Activation {
  action: ActivationAction
  requestId: string
}

/** Longer than any activation we write; refused before any parsing. */
const MAX_ACTIVATION_LENGTH = 100
const ACTIVATION_RE = /^bayalert:\/\/(take|open)\/([0-9a-fA-F-]{36})$/

export function activationUrl(action: ActivationAction, requestId: string): string {
  return `${ACTIVATION_SCHEME}://${action}/${requestId}`
}

/** The activation a string spells, or null for anything else (wrong type, shape, action or id). */
export function parseActivation(raw: unknown): Activation | null {
  if (typeof raw !== 'string' || raw.length > MAX_ACTIVATION_LENGTH) return null
  const m = ACTIVATION_RE.exec(raw)
  if (!m || !isUuid(m[2])) return null
  return { action: m[1] as ActivationAction, requestId: m[2]!.toLowerCase() }
}

/**
 * A second launch's command line (Electron's 'second-instance' argv): the one activation it carries, and how
 * many bayalert: arguments it carried that were refused (so the host can say so instead of ignoring them).
 * Only arguments that claim our scheme count; everything else on a command line is not ours to judge.
 */
export function activationInArgv(argv: readonly unknown[]): { activation: Activation | null; refused: number } {
  let activation: Activation | null = null
  let refused = 0
  for (const arg of argv.slice(0, 50)) {
    if (typeof arg !== 'string' || !arg.slice(0, 20).toLowerCase().startsWith(`${ACTIVATION_SCHEME}:`)) continue
    const a = parseActivation(arg)
    if (a && !activation) activation = a
    else refused++
  }
  return { activation, refused }
}
