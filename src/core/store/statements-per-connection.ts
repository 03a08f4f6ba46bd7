// Prepared statements that follow the store's connection: the store may switch to another connection (its
// in-memory copy while the file cannot be written, then the file again), and a statement prepared on the old one
// must not run on the new. Tables that keep statements of their own read them through one of these.
import type Database from 'better-sqlite3'

export class StatementsPerConnection<T> {
  private db: Database.Database | null = null
  private statements: T | null = null

  constructor(
    private readonly connection: () => Database.Database,
    private readonly prepare: (db: Database.Database) => T,
  ) {}

  /** The statements on the connection in use, prepared again after the store switched connections. */
  get(): T {
    const db = this.connection()
    if (db !== this.db || this.statements === null) {
      this.db = db
      this.statements = this.prepare(db)
    }
    return this.statements
  }
}
