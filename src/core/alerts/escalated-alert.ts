// The text of an escalated ring (src/core/desk/escalation.ts): who has waited how long, and why this is louder —
// only this many of the shop's workstations are live. Customer strings in QueueItems were made safe when they
// entered the store; the concatenations are capped again.
import type { QueueItem } from '../../shared/types.js'
import type { Alert } from '../ports.js'
import { safeText } from './safe-text.js'

const TITLE_MAX = 120
const BODY_MAX = 400
const NAMES = 5

function who(item: QueueItem): string {
  return item.details.customerName ?? 'A customer'
}

function minutes(ms: number): number {
  return Math.max(0, Math.floor(ms / 60_000))
}

/** `waited`: ms each item has waited, in the same order. */
export function escalatedAlert(items: readonly QueueItem[], waited: readonly number[], live: number, total: number): Alert {
  const shop = `Only ${live} of ${total} workstation${total === 1 ? '' : 's'} live.`
  if (items.length === 1) {
    const item = items[0]!
    const what = [item.details.vehicle, item.details.concern].filter((p): p is string => !!p).join(' · ')
    return {
      kind: 'repeat',
      requestId: item.requestId,
      key: item.key,
      title: safeText(`Urgent — waiting ${minutes(waited[0] ?? 0)} min: ${who(item)}`, TITLE_MAX) ?? '',
      body: safeText(what ? `${shop} ${what}` : shop, BODY_MAX) ?? '',
      detail: item.detail,
      items: [...items],
      latencyMs: null,
      escalated: true,
    }
  }
  const names = items.slice(0, NAMES).map(who).join(', ') + (items.length > NAMES ? ` and ${items.length - NAMES} more` : '')
  return {
    kind: 'repeat',
    title: safeText(`Urgent — ${items.length} requests waiting over ${minutes(Math.min(...waited))} min`, TITLE_MAX) ?? '',
    body: safeText(`${shop} ${names}`, BODY_MAX) ?? '',
    detail: items.every((i) => i.detail === 'full') ? 'full' : 'basic',
    summaryOf: items.map((i) => i.requestId),
    items: [...items],
    latencyMs: null,
    escalated: true,
  }
}
