// The history table's SQL (schema version 3): one row per request seen, kept a day, and the sink results of its
// rings read from sink_attempts.
import type Database from 'better-sqlite3'
import { StatementsPerConnection } from './statements-per-connection.js'
import type { FactSource, HistoryEntry, HistorySinkResult } from '../../shared/types.js'

/** A summary ring carries no per-request key: its sink attempts are those of kind 'summary' this close to the ring. */
const SUMMARY_MATCH_MS = 2000

export class HistoryTable {
  private readonly statements: StatementsPerConnection<ReturnType<HistoryTable['prepare']>>

  constructor(connection: () => Database.Database) {
    this.statements = new StatementsPerConnection(connection, (db) => this.prepare(db))
  }

  private get st(): ReturnType<HistoryTable['prepare']> {
    return this.statements.get()
  }

  private prepare(db: Database.Database) {
    return {
      seen: db.prepare(`INSERT INTO history (request_id, key, customer_name, first_source, seen_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (request_id) DO UPDATE SET key = coalesce(excluded.key, history.key),
          customer_name = coalesce(excluded.customer_name, history.customer_name),
          ended_at = NULL, ended_why = NULL`),
      alerted: db.prepare(`UPDATE history SET alerted_at = coalesce(alerted_at, ?), alert_kind = coalesce(alert_kind, ?),
        latency_ms = CASE WHEN alerted_at IS NULL THEN ? ELSE latency_ms END WHERE request_id = ?`),
      named: db.prepare(`UPDATE history SET customer_name = ? WHERE request_id = ?`),
      acknowledged: db.prepare(`UPDATE history SET acknowledged_at = coalesce(acknowledged_at, ?) WHERE request_id = ?`),
      // 'removed' says least (gone from the queue, reason unknown): it never replaces taken or cancelled.
      ended: db.prepare(`UPDATE history SET ended_at = coalesce(ended_at, @at),
        ended_why = CASE WHEN @why = 'removed' AND ended_why IN ('taken', 'cancelled') THEN ended_why ELSE @why END
        WHERE request_id = @id`),
      left: db.prepare(`UPDATE history SET ended_at = ?, ended_why = coalesce(ended_why, 'removed') WHERE request_id = ? AND ended_at IS NULL`),
      claimed: db.prepare(`UPDATE history SET taken_by = ?, taken_by_me = ? WHERE request_id = ?`),
      takerNamed: db.prepare(`UPDATE history SET taken_by = ? WHERE request_id = ? AND taken_by_me = 0 AND taken_by IS NULL`),
      list: db.prepare(`SELECT * FROM history WHERE seen_at >= ? ORDER BY seen_at DESC, request_id LIMIT ?`),
      sinksByKey: db.prepare(`SELECT sink, result, count(*) AS n FROM sink_attempts
        WHERE key = ? AND alert_kind IN ('request', 'repeat') GROUP BY sink, result ORDER BY sink`),
      sinksNear: db.prepare(`SELECT sink, result, count(*) AS n FROM sink_attempts
        WHERE alert_kind = 'summary' AND at BETWEEN ? AND ? GROUP BY sink, result ORDER BY sink`),
      prune: db.prepare(`DELETE FROM history WHERE seen_at < ?`),
      batch: db.transaction((fn: () => void) => fn()),
    }
  }

  /**
   * Runs these writes in one transaction: a backlog of 1,000 rings writes 2,000 history rows, and one commit each
   * (≈ 30 µs apiece) held the 1,000-request backlog's alert back by ≈ 65 ms.
   */
  batch(fn: () => void): void {
    this.st.batch(fn)
  }

  /** A request is in the queue (first time: a new row; again after it left: waiting again). */
  seen(requestId: string, key: string, customerName: string | null, source: FactSource, at: number): void {
    this.st.seen.run(requestId, key, customerName, source, at)
  }

  alerted(requestId: string, at: number, kind: 'request' | 'summary', latencyMs: number | null): void {
    this.st.alerted.run(at, kind, latencyMs === null ? null : Math.round(latencyMs), requestId)
  }

  named(requestId: string, customerName: string): void {
    this.st.named.run(customerName, requestId)
  }

  acknowledged(requestId: string, at: number): void {
    this.st.acknowledged.run(at, requestId)
  }

  /** The desk said why it left. */
  ended(requestId: string, why: 'taken' | 'cancelled' | 'removed', at: number): void {
    this.st.ended.run({ at, why, id: requestId })
  }

  /** It left the queue and no reason came (yet): removed, unless a reason is recorded later. */
  left(requestId: string, at: number): void {
    this.st.left.run(at, requestId)
  }

  claimed(requestId: string, takenBy: string | null, mine: boolean): void {
    this.st.claimed.run(takenBy, mine ? 1 : 0, requestId)
  }

  /** Who took it, as the server's retract named them; never over this workstation's own claim or an earlier name. */
  takerNamed(requestId: string, takenBy: string): void {
    this.st.takerNamed.run(takenBy, requestId)
  }

  prune(before: number): number {
    return this.st.prune.run(before).changes
  }

  list(since: number, limit: number): HistoryEntry[] {
    return (this.st.list.all(since, limit) as Record<string, unknown>[]).map((r) => {
      const alertedAt = (r.alerted_at as number | null) ?? null
      const kind = (r.alert_kind as 'request' | 'summary' | null) ?? null
      const rows = (
        kind === 'summary' && alertedAt !== null
          ? this.st.sinksNear.all(alertedAt - SUMMARY_MATCH_MS, alertedAt + SUMMARY_MATCH_MS)
          : r.key
            ? this.st.sinksByKey.all(r.key)
            : []
      ) as { sink: string; result: string; n: number }[]
      const sinks = new Map<string, HistorySinkResult>()
      for (const s of rows) {
        const acc = sinks.get(s.sink) ?? { sink: s.sink, ok: 0, failed: 0, skipped: 0 }
        if (s.result === 'ok') acc.ok += s.n
        else if (s.result === 'skipped-flag') acc.skipped += s.n
        else acc.failed += s.n
        sinks.set(s.sink, acc)
      }
      return {
        requestId: r.request_id as string,
        customerName: (r.customer_name as string | null) ?? null,
        source: r.first_source as FactSource,
        seenAt: r.seen_at as number,
        alertedAt,
        alertKind: kind,
        latencyMs: (r.latency_ms as number | null) ?? null,
        sinks: [...sinks.values()],
        acknowledgedAt: (r.acknowledged_at as number | null) ?? null,
        endedAt: (r.ended_at as number | null) ?? null,
        ended: (r.ended_why as HistoryEntry['ended']) ?? null,
        takenBy: (r.taken_by as string | null) ?? null,
        takenByMe: r.taken_by_me === 1,
      }
    })
  }
}
