import Database from 'better-sqlite3';
import { ErrorCode, StrataError } from '../../core/index.js';

/**
 * The btrfs-sim metadata database (`<home>/btrfs-sim.db`): layers (a root node
 * id and a generation), the nodes themselves, extent reference counts, and the
 * extents whose files await deletion. Every change of a layer's tree is one
 * transaction that inserts the new nodes and swings the root pointer, so a crash
 * leaves either the old or the new tree, never a mix.
 *
 * Invariant (checked by `checkStore`): a node's `refs` is the number of layer
 * roots and upper bases plus directory entries naming it; an extent's `refs` the number of file
 * node references to it. Nothing is stored with refs 0 once a transaction ends.
 */
export interface LayerRow {
  readonly id: string;
  readonly parent: string | null;
  readonly root: string;
  readonly generation: number;
  readonly writable: number;
  readonly mounts: number;
  /**
   * Writable layers mounted through a kernel overlay: the root the overlay's
   * lower was materialised from (the upper directory `uppers/<id>` holds the
   * changes over it); it holds one node reference. Null otherwise.
   */
  readonly upper_base: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS layers (
  id TEXT PRIMARY KEY,
  parent TEXT,
  root TEXT NOT NULL,
  generation INTEGER NOT NULL,
  writable INTEGER NOT NULL,
  mounts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS layers_parent ON layers(parent);
CREATE TABLE IF NOT EXISTS nodes (
  id TEXT PRIMARY KEY,
  refs INTEGER NOT NULL,
  tbytes INTEGER NOT NULL,
  body BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS extents (
  id TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  refs INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_extents (id TEXT PRIMARY KEY) WITHOUT ROWID;
`;

/** Opens (creating if needed) the database. Fails with EIO when SQLite cannot open it. */
export function openMetaDb(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (err) {
    throw new StrataError(ErrorCode.EIO, `btrfs-sim: cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 10000');
  db.exec(SCHEMA);
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(layers)').all();
  if (!columns.some((c) => c.name === 'upper_base')) db.exec('ALTER TABLE layers ADD COLUMN upper_base TEXT');
  return db;
}

/** Layer rows: the only place root pointers live. */
export class LayerTable {
  readonly #get: Database.Statement<[string], LayerRow>;
  readonly #seal: Database.Statement<[string]>;
  readonly #insert: Database.Statement<[string, string | null, string, number]>;
  readonly #setRoot: Database.Statement<[string, string]>;
  readonly #setMounts: Database.Statement<[number, string]>;
  readonly #setUpperBase: Database.Statement<[string | null, string]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #all: Database.Statement<[], LayerRow>;

  constructor(db: Database.Database) {
    this.#get = db.prepare('SELECT * FROM layers WHERE id = ?');
    this.#seal = db.prepare('UPDATE layers SET writable = 0 WHERE id = ?');
    this.#insert = db.prepare('INSERT INTO layers (id, parent, root, generation, writable) VALUES (?, ?, ?, 1, ?)');
    this.#setRoot = db.prepare('UPDATE layers SET root = ?, generation = generation + 1 WHERE id = ?');
    this.#setMounts = db.prepare('UPDATE layers SET mounts = ? WHERE id = ?');
    this.#setUpperBase = db.prepare('UPDATE layers SET upper_base = ? WHERE id = ?');
    this.#delete = db.prepare('DELETE FROM layers WHERE id = ?');
    this.#all = db.prepare('SELECT * FROM layers');
  }

  find(id: string): LayerRow | undefined {
    return this.#get.get(id);
  }

  /** Fails with ENOLAYER. */
  get(id: string): LayerRow {
    const row = this.#get.get(id);
    if (!row) throw new StrataError(ErrorCode.ENOLAYER, `no layer ${id}`);
    return row;
  }

  /** The layer becomes read-only; its tree stays as it is. */
  seal(id: string): void {
    this.#seal.run(id);
  }

  insert(id: string, parent: string | null, root: string, writable: boolean): void {
    this.#insert.run(id, parent, root, writable ? 1 : 0);
  }

  setRoot(id: string, root: string): void {
    this.#setRoot.run(root, id);
  }

  setMounts(id: string, mounts: number): void {
    this.#setMounts.run(mounts, id);
  }

  /** The caller takes (or drops) the node reference an upper base holds, in the same transaction. */
  setUpperBase(id: string, base: string | null): void {
    this.#setUpperBase.run(base, id);
  }

  delete(id: string): void {
    this.#delete.run(id);
  }

  all(): LayerRow[] {
    return this.#all.all();
  }
}
