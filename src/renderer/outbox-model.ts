// What the queue window says about claims made while the link was down (the engine's outbox), as pure data: one
// line per claim and the sentence the live region announces when one ends. No DOM here.
import type { OutboxEntry } from '../shared/types.js'
import { safeLine } from './format.js'

export interface OutboxLine {
  key: string
  state: OutboxEntry['state']
  who: string
  text: string
}

function who(e: OutboxEntry): string {
  return safeLine(e.customerName, 80) || 'A customer'
}

/** What happened to one claim, in the words a mechanic uses. */
export function outboxText(e: OutboxEntry): string {
  switch (e.state) {
    case 'pending':
      return 'Take it saved — sent when the link is back'
    case 'done':
      return 'Taken — the session is yours'
    case 'conflict':
      return safeLine(e.message, 160) || `Taken by ${safeLine(e.takenBy, 80) || 'another mechanic'} while you were offline`
    case 'gone':
      return safeLine(e.message, 160) || 'No longer waiting'
    case 'failed':
      return `Not taken: ${safeLine(e.message, 160) || 'the server refused'}`
  }
}

export function outboxLines(entries: readonly OutboxEntry[] | undefined): OutboxLine[] {
  return (entries ?? []).map((e) => ({ key: e.key, state: e.state, who: who(e), text: outboxText(e) }))
}

export function outboxHeading(entries: readonly OutboxEntry[] | undefined): string {
  const pending = (entries ?? []).filter((e) => e.state === 'pending').length
  return pending > 0 ? `Waiting to send (${pending})` : 'Sent after the outage'
}

/** The claims that ended since the last snapshot, as one sentence ('' when none did). */
export function outboxNews(before: readonly OutboxEntry[] | undefined, after: readonly OutboxEntry[] | undefined): string {
  const wasPending = new Set((before ?? []).filter((e) => e.state === 'pending').map((e) => e.key))
  return (after ?? [])
    .filter((e) => e.state !== 'pending' && wasPending.has(e.key))
    .map((e) => `${who(e)}: ${outboxText(e)}.`)
    .join(' ')
}
