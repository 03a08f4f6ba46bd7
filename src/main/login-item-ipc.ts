// Start at login from the Settings panel: the same login item the tray's checkbox and first run set
// (login-item.ts), read and set through the typed, sender-checked IPC wrapper.
import type { Logger } from '../core/ports.js'
import type { LoginItemState } from '../shared/ipc.js'
import { handle } from './typed-ipc.js'

export interface LoginItemControl {
  supported(): boolean
  enabled(): boolean
  /** Returns whether it is on afterwards (the OS may refuse). */
  set(on: boolean): boolean
}

export function registerLoginItemHandlers(loginItem: LoginItemControl, log: Logger): void {
  const state = (): LoginItemState => ({ supported: loginItem.supported(), enabled: loginItem.enabled() })
  handle('login-item:get', state, log)
  handle(
    'login-item:set',
    (on) => {
      if (!loginItem.supported()) return state() // a development build: nothing to set, and the panel says why
      const now = loginItem.set(on)
      if (now !== on) log.warn('start at login: the OS did not take the change', { wanted: on, now })
      return state()
    },
    log,
  )
}
