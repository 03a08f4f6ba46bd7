// Linux: no buttons of our own (see index.ts); a click opens the queue window on the request, Take it focused.
import type { PlatformActions } from './types.js'

export const linuxActions: PlatformActions = {
  options: (_alert, base) => base,
  wire(n, alert, handlers) {
    n.on('click', () => handlers.open(alert.requestId ?? null))
  },
}
