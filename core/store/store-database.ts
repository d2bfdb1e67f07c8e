import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { ErrorCode, StrataError } from '../errors.js';
import { MIGRATIONS } from './schema.js';

/**
 * The one SQLite database of a store root (`<root>/strata.db`; WAL, so readers
 * never block the one writer), shared by every store of the root. Changes run
 * in IMMEDIATE transactions; one transaction may change rows of several stores.
 */
export class StoreDatabase {
  /** The connection, for the stores' row classes (layer-rows.ts, ...). */
  readonly sqlite: Db;

  private constructor(db: Db) {
    this.sqlite = db;
  }

  /** Opens (creating and migrating as needed) the database at path. Fails with ECORRUPT for a newer or unreadable schema. */
  static open(path: string): StoreDatabase {
    let db: Db;
    try {
      db = new Database(path);
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = FULL');
    } catch (err) {
      throw new StrataError(ErrorCode.ECORRUPT, `cannot open metadata database ${path}: ${(err as Error).message}`, { cause: err });
    }
    const store = new StoreDatabase(db);
    store.#migrate(path);
    return store;
  }

  #migrate(path: string): void {
    this.sqlite.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    this.sqlite.transaction(() => {
      const row = this.sqlite.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
      const current = row?.version ?? 0;
      if (current > MIGRATIONS.length) {
        throw new StrataError(ErrorCode.ECORRUPT, `metadata database ${path} has schema ${current}, newer than this strata (${MIGRATIONS.length})`);
      }
      for (const sql of MIGRATIONS.slice(current)) this.sqlite.exec(sql);
      if (row === undefined) this.sqlite.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
      else this.sqlite.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
    }).immediate();
  }

  /** Runs fn in one IMMEDIATE transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    if (this.sqlite.inTransaction) return fn();
    return this.sqlite.transaction(fn).immediate();
  }

  /**
   * Runs fn in one IMMEDIATE transaction whose commit does not wait for the
   * disk (synchronous = NORMAL for it alone): only for rows that recovery
   * recomputes from the system — a layer's mount count (the driver's count is
   * the truth), a container's running mark (its owner's liveness is) — or whose
   * loss only leaves what the next open sweeps (a lease over blobs not yet
   * recorded: ImageStore.registerChain). WAL keeps
   * commits in order, so the next durable commit makes this one durable too; a
   * power cut can lose such rows, never a durable commit made after them, and a
   * process crash loses nothing. Nested in a transaction, it joins it.
   */
  relaxed<T>(fn: () => T): T {
    if (this.sqlite.inTransaction) return fn();
    this.sqlite.pragma('synchronous = NORMAL');
    try {
      return this.sqlite.transaction(fn).immediate();
    } finally {
      this.sqlite.pragma('synchronous = FULL');
    }
  }

  /** A value of the root's own state (root_state), or undefined. */
  state(key: string): string | undefined {
    return (this.sqlite.prepare('SELECT value FROM root_state WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setState(key: string, value: string | undefined): void {
    if (value === undefined) this.sqlite.prepare('DELETE FROM root_state WHERE key = ?').run(key);
    else this.sqlite.prepare('INSERT INTO root_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    this.sqlite.close();
  }
}
