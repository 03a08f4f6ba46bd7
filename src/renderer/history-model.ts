// What the History view says about each request of the last day, as pure data: who, when, the path that brought it,
// how fast it rang, what each sink did, and how it ended. No DOM here.
import type { HistoryEntry, HistorySinkResult } from '../shared/types.js'
import { clockTime, safeLine } from './format.js'

export interface HistoryRow {
  requestId: string
  who: string
  /** When it was first seen here, HH:MM. */
  time: string
  source: string
  ring: string
  sinks: string
  outcome: string
}

/** Milliseconds as a mechanic reads them: "180 ms", "2.4 s", "12 s", "2 min". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`
  return `${Math.round(ms / 60_000)} min`
}

export function ringText(e: HistoryEntry): string {
  if (e.alertedAt === null) return 'did not ring here'
  const burst = e.alertKind === 'summary' ? ' (in a burst)' : ''
  return e.latencyMs === null ? `rang${burst}, latency unknown` : `rang after ${duration(e.latencyMs)}${burst}`
}

function sinkText(s: HistorySinkResult): string {
  const parts: string[] = []
  if (s.ok > 0) parts.push(`${s.ok} shown`)
  if (s.failed > 0) parts.push(`${s.failed} failed`)
  if (s.skipped > 0) parts.push(`${s.skipped} off by a switch`)
  return `${safeLine(s.sink, 40)}: ${parts.join(', ') || 'nothing'}`
}

export function sinksText(e: HistoryEntry): string {
  return e.sinks.length === 0 ? 'no sink was called' : e.sinks.map(sinkText).join(' · ')
}

export function outcomeText(e: HistoryEntry): string {
  const ack = e.acknowledgedAt !== null ? 'acknowledged; ' : ''
  switch (e.ended) {
    case 'taken':
      return `${ack}${e.takenByMe ? 'taken by you' : e.takenBy ? `taken by ${safeLine(e.takenBy, 80)}` : 'taken by another mechanic'}`
    case 'cancelled':
      return `${ack}cancelled by the customer`
    case 'removed':
      return `${ack}left the queue`
    case null:
      return e.takenBy ? `${ack}taken by ${safeLine(e.takenBy, 80)}` : `${ack}still waiting`
  }
}

export function historyRows(entries: readonly HistoryEntry[]): HistoryRow[] {
  return entries.map((e) => ({
    requestId: e.requestId,
    who: safeLine(e.customerName, 80) || 'A customer',
    time: clockTime(e.seenAt),
    source: `via ${e.source}`,
    ring: ringText(e),
    sinks: sinksText(e),
    outcome: outcomeText(e),
  }))
}
