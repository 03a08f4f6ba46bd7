// The outbox table's SQL (schema version 2): claims made while the link was down, in the order they were made.
import type Database from 'better-sqlite3'
import { StatementsPerConnection } from './statements-per-connection.js'
import type { OutboxEntry, OutboxState } from '../../shared/types.js'

export interface OutboxRow extends OutboxEntry {
  id: number
  attempts: number
  lastError: string | null
}

function toRow(r: Record<string, unknown>): OutboxRow {
  return {
    id: r.id as number,
    key: r.idem_key as string,
    action: 'accept',
    requestId: r.request_id as string,
    customerName: (r.customer_name as string | null) ?? null,
    createdAt: r.created_at as number,
    state: r.state as OutboxState,
    attempts: r.attempts as number,
    lastError: (r.last_error as string | null) ?? null,
    takenBy: (r.taken_by as string | null) ?? null,
    message: (r.message as string | null) ?? null,
    settledAt: (r.settled_at as number | null) ?? null,
  }
}

export class OutboxTable {
  private readonly statements: StatementsPerConnection<ReturnType<OutboxTable['prepare']>>

  constructor(connection: () => Database.Database) {
    this.statements = new StatementsPerConnection(connection, (db) => this.prepare(db))
  }

  private get st(): ReturnType<OutboxTable['prepare']> {
    return this.statements.get()
  }

  private prepare(db: Database.Database) {
    return {
      insert: db.prepare(`INSERT INTO outbox (idem_key, action, request_id, customer_name, created_at, state)
        VALUES (?, 'accept', ?, ?, ?, 'pending')`),
      byKey: db.prepare(`SELECT * FROM outbox WHERE idem_key = ?`),
      pendingFor: db.prepare(`SELECT * FROM outbox WHERE state = 'pending' AND request_id = ? ORDER BY id LIMIT 1`),
      oldestPending: db.prepare(`SELECT * FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 1`),
      countPending: db.prepare(`SELECT count(*) AS n FROM outbox WHERE state = 'pending'`),
      visible: db.prepare(`SELECT * FROM outbox WHERE state = 'pending' OR settled_at >= ? ORDER BY id`),
      attempt: db.prepare(`UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ? AND state = 'pending'`),
      settle: db.prepare(`UPDATE outbox SET state = ?, taken_by = ?, message = ?, settled_at = ?, attempts = attempts + 1
        WHERE id = ? AND state = 'pending'`),
      prune: db.prepare(`DELETE FROM outbox WHERE state <> 'pending' AND settled_at < ?`),
    }
  }

  insert(key: string, requestId: string, customerName: string | null, createdAt: number): OutboxRow {
    this.st.insert.run(key, requestId, customerName, createdAt)
    return this.byKey(key)!
  }

  byKey(key: string): OutboxRow | undefined {
    const r = this.st.byKey.get(key) as Record<string, unknown> | undefined
    return r ? toRow(r) : undefined
  }

  pendingFor(requestId: string): OutboxRow | undefined {
    const r = this.st.pendingFor.get(requestId) as Record<string, unknown> | undefined
    return r ? toRow(r) : undefined
  }

  oldestPending(): OutboxRow | undefined {
    const r = this.st.oldestPending.get() as Record<string, unknown> | undefined
    return r ? toRow(r) : undefined
  }

  pendingCount(): number {
    return (this.st.countPending.get() as { n: number }).n
  }

  /** Pending entries and those settled at or after `settledSince`, oldest first. */
  visible(settledSince: number): OutboxRow[] {
    return (this.st.visible.all(settledSince) as Record<string, unknown>[]).map(toRow)
  }

  recordAttempt(id: number, error: string): void {
    this.st.attempt.run(error, id)
  }

  settle(id: number, state: Exclude<OutboxState, 'pending'>, takenBy: string | null, message: string | null, at: number): boolean {
    return this.st.settle.run(state, takenBy, message, at, id).changes > 0
  }

  /** Deletes settled entries older than `before`; pending ones are kept however old (they are intents). */
  prune(before: number): number {
    return this.st.prune.run(before).changes
  }
}
