// What happens when the Electron main process fails to start. Without this, a rejected main() left a
// process holding the single-instance lock with no tray and no window: nothing rang, and every later launch
// quit at once because "BayAlert is already running". Now the person sees why, and the process ends.
import type { Logger } from '../core/ports.js'

export interface StartupFailureDeps {
  /** dialog.showErrorBox: synchronous, and usable before 'ready' (it prints to stderr on Linux then). */
  showErrorBox(title: string, content: string): void
  /** app.exit: ends at once, without 'before-quit' handlers that expect a started app. */
  exit(code: number): void
  log: Logger
}

export const STARTUP_FAILURE_TITLE = 'BayAlert could not start'

export function reportStartupFailure(error: unknown, deps: StartupFailureDeps): void {
  const message = error instanceof Error ? error.message : String(error)
  deps.log.error('start-up failed; exiting', { cause: error instanceof Error ? (error.stack ?? message) : message })
  try {
    deps.showErrorBox(
      STARTUP_FAILURE_TITLE,
      `${message}\n\nThis workstation will not ring for new requests until BayAlert starts. Start it again; if this ` +
        'message comes back, give it to whoever looks after the shop computers.',
    )
  } catch (dialogError) {
    // Still exit: a dialog that cannot be shown must not keep the lock held.
    deps.log.error('could not show the start-up error dialog', { cause: String(dialogError) })
  }
  deps.exit(1)
}
