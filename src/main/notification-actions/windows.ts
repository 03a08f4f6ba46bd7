// Windows: the request's toast is toast XML with a Take it button. Pressing it (or the toast) activates the app
// in the foreground with bayalert://take|open/<uuid> as arguments; Electron hands that to the running instance's
// Notification.handleActivation callback (electron.d.ts: "Registers a callback to handle all notification
// activations … regardless of whether the original Notification object is still in memory"). A second launch
// carrying such an argument (a shortcut, a cold start) reaches the running instance as 'second-instance' argv.
// Both paths parse the text strictly (activation.ts, router.ts) before anything is taken.
import type { PlatformActions } from './types.js'
import { takeableRequest } from './types.js'
import { requestToastXml } from './toast-xml.js'

export const windowsActions: PlatformActions = {
  options(alert, base) {
    const requestId = takeableRequest(alert)
    return requestId ? { ...base, toastXml: requestToastXml(base.title ?? '', base.body ?? '', requestId) } : base
  },
  wire(n, alert, handlers) {
    // A toast without XML (summary, health) has no activation arguments: its click is the plain 'click' event.
    if (!takeableRequest(alert)) n.on('click', () => handlers.open(null))
  },
}
