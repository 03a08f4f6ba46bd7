// Process-wide guards for the Electron main process (mattermost/desktop's CriticalErrorHandler idea).
// Without a handler, an uncaught exception in main shows Electron's modal "A JavaScript error occurred
// in the main process" box and an unhandled rejection only prints to a stderr nobody reads — either way
// the mechanic never learns that part of the app broke. Here each one is logged with its cause and
// stack (to the log file a person can send) and handed to onFault, which surfaces it (health state and
// one alert). The process keeps running: the tray, the engine and the alert path are separate and
// usually unaffected, and a tray notifier that quits on the first bug rings for nobody.
import type { Logger } from '../core/ports.js'

export type FaultKind = 'uncaught-exception' | 'unhandled-rejection'

export interface ProcessFault {
  kind: FaultKind
  /** One line a person can read: the error's name and message. */
  message: string
  /** How many faults (of both kinds) so far. */
  count: number
}

export interface GuardTarget {
  on(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown
  off(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown
  off(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown
}

const MESSAGE_MAX = 200

function describe(cause: unknown): { message: string; stack: string | null } {
  if (cause instanceof Error) {
    const message = `${cause.name}: ${cause.message}`.slice(0, MESSAGE_MAX)
    return { message, stack: cause.stack ?? null }
  }
  let text: string
  try {
    text = typeof cause === 'string' ? cause : JSON.stringify(cause) ?? String(cause)
  } catch {
    text = String(cause)
  }
  return { message: `non-Error value: ${text}`.slice(0, MESSAGE_MAX), stack: null }
}

/** Installs both handlers; returns a function that removes them. */
export function installProcessGuards(target: GuardTarget, log: Logger, onFault: (fault: ProcessFault) => void): () => void {
  let count = 0
  let reporting = false
  const handle = (kind: FaultKind, cause: unknown, origin?: string) => {
    count++
    const { message, stack } = describe(cause)
    log.error(kind === 'uncaught-exception' ? 'uncaught exception in the main process' : 'unhandled promise rejection in the main process', {
      cause: message,
      stack,
      ...(origin ? { origin } : {}),
      count,
    })
    // A fault while surfacing a fault (the notification code itself throwing) must not recurse.
    if (reporting) return
    reporting = true
    try {
      onFault({ kind, message, count })
    } catch (e) {
      log.error('surfacing a main-process fault failed', { cause: describe(e).message })
    } finally {
      reporting = false
    }
  }
  const onException = (error: Error, origin: string) => handle('uncaught-exception', error, origin)
  const onRejection = (reason: unknown) => handle('unhandled-rejection', reason)
  target.on('uncaughtException', onException)
  target.on('unhandledRejection', onRejection)
  return () => {
    target.off('uncaughtException', onException)
    target.off('unhandledRejection', onRejection)
  }
}
