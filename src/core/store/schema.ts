// Versioned migrations. Each entry runs once, in order, inside one transaction with the row in
// schema_version that records it, so a crash mid-migration leaves the previous version intact.
// Never edit a shipped migration: append a new one.

export interface Migration {
  version: number
  description: string
  sql: string
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'queue, events, sink attempts, tombstones, flags, meta',
    sql: `
      CREATE TABLE queue (
        request_id     TEXT PRIMARY KEY,
        key            TEXT NOT NULL UNIQUE,
        session_id     TEXT,
        queued_at      TEXT,
        customer_name  TEXT,
        vehicle        TEXT,
        concern        TEXT,
        session_type   TEXT,
        detail         TEXT NOT NULL CHECK (detail IN ('full', 'basic')),
        acknowledged   INTEGER NOT NULL DEFAULT 0,
        alert_count    INTEGER NOT NULL DEFAULT 0,
        next_repeat_at INTEGER,
        first_seen_at  INTEGER NOT NULL,
        first_source   TEXT NOT NULL,
        last_alert_at  INTEGER,
        commit_ts      TEXT
      );
      CREATE INDEX queue_next_repeat ON queue (next_repeat_at) WHERE next_repeat_at IS NOT NULL;

      CREATE TABLE events (
        id          INTEGER PRIMARY KEY,
        received_at INTEGER NOT NULL,
        source      TEXT NOT NULL,
        event_id    TEXT NOT NULL,
        kind        TEXT NOT NULL,
        request_id  TEXT,
        dedup_key   TEXT,
        outcome     TEXT NOT NULL,
        reason      TEXT
      );

      CREATE TABLE sink_attempts (
        id          INTEGER PRIMARY KEY,
        at          INTEGER NOT NULL,
        sink        TEXT NOT NULL,
        tier        TEXT NOT NULL,
        alert_kind  TEXT NOT NULL,
        key         TEXT,
        result      TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        error       TEXT
      );

      CREATE TABLE tombstones (
        key               TEXT PRIMARY KEY,
        request_id        TEXT NOT NULL,
        queued_at         TEXT,
        removed_at        INTEGER NOT NULL,
        removed_commit_ts TEXT,
        reason            TEXT
      );
      CREATE INDEX tombstones_request ON tombstones (request_id);
      CREATE INDEX tombstones_removed ON tombstones (removed_at);

      CREATE TABLE flags (
        name       TEXT PRIMARY KEY,
        value      INTEGER NOT NULL,
        fetched_at INTEGER NOT NULL
      );

      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'outbox: claims made while the link was down, replayed in order',
    // state: pending until replayed; then done, conflict (someone else has it: taken_by), gone (cancelled or no
    // longer queued) or failed (refused for good). idem_key is this workstation's key for one intent; the
    // server's accept_request is idempotent per (request, caller) on its own (a replay answers 'already_yours').
    sql: `
      CREATE TABLE outbox (
        id            INTEGER PRIMARY KEY,
        idem_key      TEXT NOT NULL UNIQUE,
        action        TEXT NOT NULL CHECK (action IN ('accept')),
        request_id    TEXT NOT NULL,
        customer_name TEXT,
        created_at    INTEGER NOT NULL,
        state         TEXT NOT NULL CHECK (state IN ('pending', 'done', 'conflict', 'gone', 'failed')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        taken_by      TEXT,
        message       TEXT,
        settled_at    INTEGER
      );
      CREATE INDEX outbox_pending ON outbox (id) WHERE state = 'pending';
    `,
  },
  {
    version: 3,
    description: 'history: one row per request seen, for the last day',
    // The queue row is deleted when a request leaves the queue; this keeps what the History view shows after:
    // the name, where it came from, when it rang and with what latency, how it ended and who took it.
    sql: `
      CREATE TABLE history (
        request_id    TEXT PRIMARY KEY,
        key           TEXT,
        customer_name TEXT,
        first_source  TEXT NOT NULL,
        seen_at       INTEGER NOT NULL,
        alerted_at    INTEGER,
        alert_kind    TEXT,
        latency_ms    INTEGER,
        acknowledged_at INTEGER,
        ended_at      INTEGER,
        ended_why     TEXT,
        taken_by      TEXT,
        taken_by_me   INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX history_seen ON history (seen_at);
    `,
  },
]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** Columns each table must have after migrating; anything else means "wrong schema" → move aside. */
export const EXPECTED_COLUMNS: Record<string, string[]> = {
  queue: [
    'request_id', 'key', 'session_id', 'queued_at', 'customer_name', 'vehicle', 'concern', 'session_type',
    'detail', 'acknowledged', 'alert_count', 'next_repeat_at', 'first_seen_at', 'first_source',
    'last_alert_at', 'commit_ts',
  ],
  events: ['id', 'received_at', 'source', 'event_id', 'kind', 'request_id', 'dedup_key', 'outcome', 'reason'],
  sink_attempts: ['id', 'at', 'sink', 'tier', 'alert_kind', 'key', 'result', 'duration_ms', 'error'],
  tombstones: ['key', 'request_id', 'queued_at', 'removed_at', 'removed_commit_ts', 'reason'],
  flags: ['name', 'value', 'fetched_at'],
  meta: ['key', 'value'],
  outbox: [
    'id', 'idem_key', 'action', 'request_id', 'customer_name', 'created_at', 'state', 'attempts', 'last_error',
    'taken_by', 'message', 'settled_at',
  ],
  history: [
    'request_id', 'key', 'customer_name', 'first_source', 'seen_at', 'alerted_at', 'alert_kind', 'latency_ms',
    'acknowledged_at', 'ended_at', 'ended_why', 'taken_by', 'taken_by_me',
  ],
}
