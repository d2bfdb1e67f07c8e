import type { Database as Db } from 'better-sqlite3';
import type { StoreDatabase } from './store-database.js';

/**
 * Layer rows of the store's metadata database.
 *
 * ## Layer rows and the driver
 *
 * A row's `id` is what users see: the chainID hex for an imported layer, a
 * random hex id for a created one. `driver_id` is the name the driver knows the
 * layer by. A layer is imported under a temporary random id (its chainID is
 * known only once the whole tar was read) and drivers cannot rename layers, so
 * for imported layers `id` (chainID) and `driver_id` (the temporary id) differ;
 * for created layers they are equal. Always call the driver with `driver_id`.
 *
 * ## Write-ahead intent
 *
 * A row is inserted in state `creating` *before* the driver layer exists, and
 * set to `removing` before the driver layer is deleted; only `ready` rows are
 * visible. Hence every driver layer has a row, and recovery at open only has to
 * finish off the rows that are not `ready` (see layer-recovery.ts).
 *
 * ## Mount counts
 *
 * The driver's `mountCount()` is the source of truth (it keeps mount references
 * durably). `mount_count` is a cache refreshed after every mount/unmount and at
 * open, so that `list()` can stay synchronous; decisions (remove) ask the driver.
 */
export type LayerState = 'creating' | 'ready' | 'removing';

export interface LayerRow {
  readonly id: string;
  readonly driver_id: string;
  readonly parent: string | null;
  readonly diff_id: string | null;
  readonly chain_id: string | null;
  readonly compressed_digest: string | null;
  /** Bytes of the uncompressed tar (imported) or 0 (created). */
  readonly tar_size: number;
  /** Bytes of regular-file content the layer holds. */
  readonly content_size: number;
  readonly writable: 0 | 1;
  readonly state: LayerState;
  readonly ref_count: number;
  readonly mount_count: number;
  /** ISO 8601. */
  readonly created_at: string;
  readonly driver: string;
  /** File name of the tar-split record under `<root>/layers/`, null when the layer has none. */
  readonly tar_split: string | null;
}

/**
 * The `layers` table's SQL, over the root's one database (store-database.ts):
 * other stores change their rows and layer rows in one transaction.
 */
export class LayerRows {
  readonly #db: Db;

  constructor(db: StoreDatabase) {
    this.#db = db.sqlite;
  }

  /** Rows in state 'ready', oldest first. */
  readyLayers(): LayerRow[] {
    return this.#db.prepare("SELECT * FROM layers WHERE state = 'ready' ORDER BY created_at, id").all() as LayerRow[];
  }

  /** Rows that a crash left unfinished ('creating' or 'removing'), children first. */
  unfinishedLayers(): LayerRow[] {
    return this.#db.prepare("SELECT * FROM layers WHERE state != 'ready' ORDER BY created_at DESC").all() as LayerRow[];
  }

  /** A row by id, whatever its state. */
  find(id: string): LayerRow | undefined {
    return this.#db.prepare('SELECT * FROM layers WHERE id = ?').get(id) as LayerRow | undefined;
  }

  /** Number of rows (in any state) naming id as parent. */
  childCount(id: string): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM layers WHERE parent = ?').get(id) as { n: number }).n;
  }

  /** File names of every tar-split record some row refers to. */
  tarSplitNames(): Set<string> {
    const rows = this.#db.prepare('SELECT tar_split FROM layers WHERE tar_split IS NOT NULL').all() as { tar_split: string }[];
    return new Set(rows.map((r) => r.tar_split));
  }

  /** Records the intent to create a layer: a 'creating' row, invisible until `setState(id, 'ready')` or `promote`. */
  insertCreating(row: Pick<LayerRow, 'id' | 'parent' | 'writable' | 'driver'>): void {
    this.#db
      .prepare(
        `INSERT INTO layers (id, driver_id, parent, writable, state, ref_count, created_at, driver)
         VALUES (?, ?, ?, ?, 'creating', 1, ?, ?)`,
      )
      .run(row.id, row.id, row.parent, row.writable, new Date().toISOString(), row.driver);
  }

  /** Moves a row to another state ('ready' makes a created layer visible). */
  setState(id: string, state: LayerState): void {
    this.#db.prepare('UPDATE layers SET state = ? WHERE id = ?').run(state, id);
  }

  /**
   * Makes an imported layer visible under its content address: renames the
   * 'creating' row `tempId` to `id` (driver_id stays tempId) and records digests.
   */
  promote(
    tempId: string,
    values: Pick<LayerRow, 'id' | 'diff_id' | 'chain_id' | 'compressed_digest' | 'tar_size' | 'content_size' | 'tar_split'>,
  ): void {
    this.#db
      .prepare(
        `UPDATE layers SET id = ?, diff_id = ?, chain_id = ?, compressed_digest = ?, tar_size = ?,
           content_size = ?, tar_split = ?, state = 'ready', created_at = ?
         WHERE id = ? AND state = 'creating'`,
      )
      .run(values.id, values.diff_id, values.chain_id, values.compressed_digest, values.tar_size, values.content_size, values.tar_split, new Date().toISOString(), tempId);
  }

  /** A writable layer becomes read-only under its content id, with its digests and sizes. */
  commitRow(oldId: string, values: Pick<LayerRow, 'id' | 'diff_id' | 'chain_id' | 'tar_size' | 'content_size'>): void {
    this.#db
      .prepare(
        `UPDATE layers SET id = ?, diff_id = ?, chain_id = ?, tar_size = ?, content_size = ?, writable = 0
         WHERE id = ? AND state = 'ready'`,
      )
      .run(values.id, values.diff_id, values.chain_id, values.tar_size, values.content_size, oldId);
  }

  setRefCount(id: string, refCount: number): void {
    this.#db.prepare('UPDATE layers SET ref_count = ? WHERE id = ?').run(refCount, id);
  }

  setMountCount(id: string, mountCount: number): void {
    this.#db.prepare('UPDATE layers SET mount_count = ? WHERE id = ?').run(mountCount, id);
  }

  /** Names of the drivers any row was made with. */
  drivers(): string[] {
    return (this.#db.prepare('SELECT DISTINCT driver FROM layers').all() as { driver: string }[]).map((r) => r.driver);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM layers WHERE id = ?').run(id);
  }
}
