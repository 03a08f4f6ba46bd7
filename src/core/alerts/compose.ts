// Turns queue rows into Alerts and QueueItems. Every customer-supplied string here was already made
// safe when it entered the store (safe-text.ts); titles/bodies are capped again because they are
// concatenations.
import type { QueueItem } from '../../shared/types.js'
import type { Alert, AlertKind } from '../ports.js'
import type { QueueRow } from '../store/store.js'
import { safeText } from './safe-text.js'

const TITLE_MAX = 120
const BODY_MAX = 400
const SUMMARY_NAMES = 5

/** confirmed: the server has confirmed the request since this start (an alert is only ever made for one). */
export function toQueueItem(row: QueueRow, confirmed: boolean): QueueItem {
  return {
    requestId: row.requestId,
    key: row.key,
    sessionId: row.sessionId,
    queuedAt: row.queuedAt,
    details: { ...row.details },
    detail: row.detail,
    acknowledged: row.acknowledged,
    alertCount: row.alertCount,
    firstSeenAt: row.firstSeenAt,
    firstSource: row.firstSource,
    confirmed,
  }
}

function who(row: QueueRow): string {
  return row.details.customerName ?? 'A customer'
}

function bodyOf(row: QueueRow): string {
  const parts = [row.details.vehicle, row.details.concern, row.details.sessionType].filter((p): p is string => !!p)
  if (parts.length === 0) return row.detail === 'basic' ? 'Details are still loading.' : 'No details given.'
  return parts.join(' · ')
}

function cap(s: string, n: number): string {
  return safeText(s, n) ?? ''
}

export function requestAlert(row: QueueRow, kind: Extract<AlertKind, 'request' | 'repeat'>, now: number, latencyMs: number | null): Alert {
  const waitedMin = Math.max(0, Math.round((now - row.firstSeenAt) / 60_000))
  const title =
    kind === 'request'
      ? `New request: ${who(row)}`
      : `Still waiting${waitedMin > 0 ? ` (${waitedMin} min)` : ''}: ${who(row)}`
  return {
    kind,
    requestId: row.requestId,
    key: row.key,
    title: cap(title, TITLE_MAX),
    body: cap(bodyOf(row), BODY_MAX),
    detail: row.detail,
    items: [toQueueItem(row, true)],
    latencyMs,
  }
}

/** One alert standing for several requests (backlog, burst, several repeats due at once). */
export function summaryAlert(rows: QueueRow[], kind: Extract<AlertKind, 'summary' | 'repeat'>, title: string, latencyMs: number | null): Alert {
  const names = rows.slice(0, SUMMARY_NAMES).map((r) => (r.details.vehicle ? `${who(r)} (${r.details.vehicle})` : who(r)))
  const more = rows.length > SUMMARY_NAMES ? ` and ${rows.length - SUMMARY_NAMES} more` : ''
  return {
    kind,
    title: cap(title, TITLE_MAX),
    body: cap(names.join(', ') + more, BODY_MAX),
    detail: rows.every((r) => r.detail === 'full') ? 'full' : 'basic',
    summaryOf: rows.map((r) => r.requestId),
    items: rows.map((r) => toQueueItem(r, true)),
    latencyMs,
  }
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}
