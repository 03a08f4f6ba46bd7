// accept_request's json answer (20261130000000_bayalert_grants.sql) in the words a mechanic reads.
// The claim is atomic on the server: the loser of a race is told plainly who won ("Ana took it first"), and a
// claim this mechanic already holds (a double click, a replay) is a success, not an error.
import type { AcceptResult } from '../shared/types.js'
import { TAKER_NAME_LIMIT } from './facts.js'
import { safeText } from './alerts/safe-text.js'
import { serverText } from './server-text.js'

export function acceptAnswer(data: unknown): AcceptResult {
  const d = (data && typeof data === 'object' ? data : {}) as { ok?: unknown; reason?: unknown; taken_by?: unknown }
  const reason = typeof d.reason === 'string' ? d.reason : null
  if (d.ok === true) return { ok: true }
  switch (reason) {
    case 'already_accepted': {
      const who = safeText(d.taken_by, TAKER_NAME_LIMIT)
      return { ok: false, reason: 'already-taken', message: who ? `${who} took it first.` : 'Another mechanic took it first.' }
    }
    case 'not_queued':
      return { ok: false, reason: 'already-taken', message: 'This request is no longer waiting.' }
    case 'not_found':
      return { ok: false, reason: 'not-found', message: 'This request no longer exists.' }
    case 'cancelled':
      return { ok: false, reason: 'not-found', message: 'The customer cancelled this request.' }
    default:
      return { ok: false, reason: 'error', message: `The server refused: ${serverText(reason) || 'no reason given'}` }
  }
}
