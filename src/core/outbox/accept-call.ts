// One `rpc accept_request` and what its answer means. The claim is atomic on the server (one conditional UPDATE)
// and idempotent per caller: a replay of a claim that already went through answers {ok:true, reason:'already_yours'},
// so the outbox can resend after a lost response without taking anything twice.
import type { SupabaseClient } from '@supabase/supabase-js'
import { serverText } from '../server-text.js'
import { describeRestError, restCall, type RestError } from '../link/rest.js'

export type AcceptOutcome =
  | { kind: 'done' }
  /** Another mechanic has it; takenBy is their display name when the server says it. */
  | { kind: 'taken'; takenBy: string | null }
  /** Cancelled, deleted or no longer waiting: trying again cannot succeed. */
  | { kind: 'gone'; message: string }
  /** Refused for good (not a mechanic, permission, a server answer we do not know). */
  | { kind: 'refused'; message: string }
  /** The request did not get an answer (network, timeout, 5xx, an expired sign-in): trying again may succeed. */
  | { kind: 'temporary'; why: string }

export const ACCEPT_TIMEOUT_MS = 8000

/** Error kinds after which the claim may not have reached the server, or may succeed if sent again. */
function isTemporary(e: RestError): boolean {
  return e.kind === 'network' || e.kind === 'timeout' || e.kind === 'server' || e.kind === 'auth'
}

/** Reads accept_request's JSON answer (see supabase/README.md) into an outcome. */
export function acceptOutcome(data: unknown): AcceptOutcome {
  const d = (data && typeof data === 'object' ? data : {}) as { ok?: unknown; reason?: unknown; taken_by?: unknown }
  const reason = typeof d.reason === 'string' ? d.reason : null
  if (d.ok === true) return { kind: 'done' }
  switch (reason) {
    case 'already_accepted':
      return { kind: 'taken', takenBy: serverText(d.taken_by, 80) || null }
    case 'not_queued':
      return { kind: 'gone', message: 'This request is no longer waiting.' }
    case 'not_found':
      return { kind: 'gone', message: 'This request no longer exists.' }
    case 'cancelled':
      return { kind: 'gone', message: 'The customer cancelled this request.' }
    default:
      return { kind: 'refused', message: `The server refused: ${serverText(reason) || 'no reason given'}` }
  }
}

/** An outcome, with the server's answer when there was one (the engine words it for the mechanic: accept-answer.ts). */
export type AcceptCall = AcceptOutcome & { answer?: unknown }

export async function callAccept(client: SupabaseClient, requestId: string, timeoutMs = ACCEPT_TIMEOUT_MS): Promise<AcceptCall> {
  const res = await restCall<unknown>(client, (c) => c.rpc('accept_request', { p_request_id: requestId }), timeoutMs)
  if (res.ok) return { ...acceptOutcome(res.data), answer: res.data }
  const why = describeRestError(res.error)
  return isTemporary(res.error) ? { kind: 'temporary', why } : { kind: 'refused', message: `Could not accept: ${why}` }
}
