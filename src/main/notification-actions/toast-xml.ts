// The Windows toast for one waiting request, as toast XML (Electron's `toastXml` option supersedes every other
// option on Windows: https://www.electronjs.org/docs/latest/api/notification). A "Take it" button and the
// toast body both activate in the foreground with our bayalert:// arguments, which reach the running instance
// through Notification.handleActivation (the AUMID activation path). Toast schema:
// https://learn.microsoft.com/en-us/uwp/schemas/tiles/toastschema/schema-root
import { activationUrl } from './activation.js'

/** XML-escapes text and attribute values; drops characters XML 1.0 cannot carry at all. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

export function requestToastXml(title: string, body: string, requestId: string): string {
  // scenario="reminder": stays on screen until the mechanic acts or dismisses it (what timeoutType 'never' did
  // for the plain toast). The sound sink owns audio, so the toast is silent.
  return (
    `<toast launch="${xmlEscape(activationUrl('open', requestId))}" activationType="foreground" scenario="reminder">` +
    `<visual><binding template="ToastGeneric"><text>${xmlEscape(title)}</text><text>${xmlEscape(body)}</text></binding></visual>` +
    `<audio silent="true"/>` +
    `<actions><action content="Take it" arguments="${xmlEscape(activationUrl('take', requestId))}" activationType="foreground"/></actions>` +
    `</toast>`
  )
}
