import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, StrataError } from '../errors.js';

/** How long an operation waits for the store lock by default, in milliseconds. */
export const DEFAULT_LOCK_TIMEOUT_MS = 300_000;

const POLL_MS = 50;

/**
 * The store lock: serialises long mutating operations (import, create, remove,
 * mount, unmount, recovery) across every strata process using one root.
 *
 * Held as an open `BEGIN EXCLUSIVE` transaction on `<root>/lock.db` (rollback
 * journal, nothing is ever written). SQLite's lock is an OS file lock, so the
 * kernel releases it when the holding process dies, even by SIGKILL: no stale
 * lock files. Within one process, operations queue on a promise chain first, so
 * a store never polls against itself. Not reentrant: a locked operation must
 * not start another one.
 */
export class StoreLock {
  readonly #db: Db;
  readonly #path: string;
  readonly #timeoutMs: number;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string, timeoutMs = DEFAULT_LOCK_TIMEOUT_MS) {
    this.#path = path;
    this.#timeoutMs = timeoutMs;
    this.#db = new Database(path);
    // The default rollback journal, never WAL: setting a journal mode would itself need the lock.
    this.#db.pragma('busy_timeout = 0');
  }

  /**
   * Runs fn while holding the lock. `what` names the operation in the error.
   * Fails with ELOCKED when another process holds the lock longer than the timeout.
   */
  run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(async () => {
      await this.#acquire(what);
      try {
        return await fn();
      } finally {
        this.#db.exec('ROLLBACK');
      }
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #acquire(what: string): Promise<void> {
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      try {
        this.#db.exec('BEGIN EXCLUSIVE');
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') {
          throw new StrataError(ErrorCode.EIO, `store lock ${this.#path}: ${(err as Error).message}`, { cause: err });
        }
      }
      if (Date.now() >= deadline) {
        throw new StrataError(
          ErrorCode.ELOCKED,
          `${what}: another strata process holds the store lock ${this.#path}; gave up after ${Math.round(this.#timeoutMs / 1000)} s`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  /** Waits for queued operations, then closes the lock database. */
  async close(): Promise<void> {
    await this.#queue;
    this.#db.close();
  }
}
