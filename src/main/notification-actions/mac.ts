// macOS: one "Take it" button. Electron emits 'action' with { actionIndex } (the second, positional argument is
// deprecated but still passed; either is accepted). A click on the body opens the queue on the request.
import type { PlatformActions } from './types.js'
import { takeableRequest } from './types.js'

export const TAKE_IT = 'Take it'

export const macActions: PlatformActions = {
  options(alert, base) {
    return takeableRequest(alert) ? { ...base, actions: [{ type: 'button', text: TAKE_IT }] } : base
  },
  wire(n, alert, handlers) {
    const requestId = takeableRequest(alert)
    n.on('click', () => handlers.open(alert.requestId ?? null))
    if (!requestId) return
    n.on('action', (details, legacyIndex) => {
      const index = typeof details?.actionIndex === 'number' ? details.actionIndex : legacyIndex
      if (index === 0) handlers.take(requestId)
    })
  },
}
