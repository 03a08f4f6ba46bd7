// Server-supplied text — refusal reasons, PostgREST and GoTrue error messages, realtime system messages —
// is as untrusted as customer text: a compromised or misconfigured server, or anything between us and
// it, can put terminal escapes ("\u001b[2J" clears a mechanic's terminal), bidi overrides (reorder what a
// notification appears to say) or megabytes into it. Every server string passes through here before it
// becomes a state reason, a terminal line or a notification: the same cleaning as customer text
// (alerts/safe-text.ts), then key/token redaction.
import { safeText } from './alerts/safe-text.js'
import { redactText } from './config.js'

/** Long enough for any real error message; a state reason is a line, not a log dump. */
export const SERVER_TEXT_MAX = 300

/**
 * Cleaned, capped and redacted text, '' when there is none. Cleaning runs first, so an invisible
 * character placed inside a token cannot hide it from redaction.
 */
export function serverText(value: unknown, maxChars = SERVER_TEXT_MAX): string {
  const clean = safeText(value, maxChars)
  return clean === null ? '' : redactText(clean)
}
