// "Maria Gonzalez — taken by Ana": what the queue window and the wallboard say for a few seconds after a
// request was taken (the engine's snapshot.taken). Pure data, no DOM.
import type { TakenNotice } from '../shared/types.js'
import { safeLine } from './format.js'

/** The line a notice shows, and the sentence the live region reads. */
export function takenLine(n: TakenNotice): string {
  const who = safeLine(n.customerName, 80) || 'A customer'
  const by = safeLine(n.takenBy, 80)
  return by ? `${who} — taken by ${by}` : `${who} — taken`
}

export function takenSentence(n: TakenNotice): string {
  const who = safeLine(n.customerName, 80) || 'A customer'
  const by = safeLine(n.takenBy, 80)
  return by ? `${who} was taken by ${by}.` : `${who} was taken.`
}

/** The notices of `after` that `before` did not show yet (by request id and time). */
export function newTaken(before: readonly TakenNotice[] | undefined, after: readonly TakenNotice[] | undefined): TakenNotice[] {
  const seen = new Set((before ?? []).map((n) => `${n.requestId}@${n.at}`))
  return (after ?? []).filter((n) => !seen.has(`${n.requestId}@${n.at}`))
}
