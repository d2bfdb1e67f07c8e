import { ownStartTime, processLives } from '../process-stat.js';
import { randomId } from '../ids.js';
import type { StoreDatabase } from './store-database.js';

/**
 * A lease holds what an unfinished operation (a load, a pull, a build) has
 * made so far: the layer references its imports returned and the blobs it
 * stored, recorded in the same transactions that made them. When the
 * operation registers its image, the image takes the references over and the
 * lease ends, in one transaction. If the process dies first, the next open
 * finds the lease of a dead process and gives everything back — so a crash
 * leaves no orphan layer and no unreferenced blob.
 *
 * A lease names its process by pid and start time (/proc/<pid>/stat field
 * 22), so a reused pid is not mistaken for the owner.
 */
export class Lease {
  readonly id: string;
  readonly #db: StoreDatabase;
  #seq = 0;

  private constructor(db: StoreDatabase, id: string) {
    this.#db = db;
    this.id = id;
  }

  /** A new lease of this process. */
  static begin(db: StoreDatabase): Lease {
    const id = randomId();
    db.sqlite.prepare('INSERT INTO leases (id, pid, started, created_at) VALUES (?, ?, ?, ?)').run(id, process.pid, ownStartTime() ?? '', new Date().toISOString());
    return new Lease(db, id);
  }

  /** Records one layer reference held by the lease (call inside the transaction that took it). */
  addLayer(layer: string): void {
    this.#db.sqlite.prepare('INSERT INTO lease_layers (lease, seq, layer) VALUES (?, ?, ?)').run(this.id, this.#seq++, layer);
  }

  /** Records a blob the lease keeps alive until it ends. */
  addBlob(digest: string): void {
    this.#db.sqlite.prepare('INSERT OR IGNORE INTO lease_blobs (lease, digest) VALUES (?, ?)').run(this.id, digest);
  }

  /**
   * The reference recorded for layer `from` now belongs to `to` (a writable layer
   * committed under its chainID), or is forgotten when `to` is undefined (the caller
   * gave it back); inside the caller's transaction.
   */
  replaceLayer(from: string, to: string | undefined): void {
    if (to === undefined) this.#db.sqlite.prepare('DELETE FROM lease_layers WHERE lease = ? AND layer = ?').run(this.id, from);
    else this.#db.sqlite.prepare('UPDATE lease_layers SET layer = ? WHERE lease = ? AND layer = ?').run(to, this.id, from);
  }

  /** The layer references the lease holds, in the order taken. */
  layers(): string[] {
    return (this.#db.sqlite.prepare('SELECT layer FROM lease_layers WHERE lease = ? ORDER BY seq').all(this.id) as { layer: string }[]).map((r) => r.layer);
  }

  /** Forgets the lease (its references were handed over or given back); inside the caller's transaction. */
  end(): void {
    this.#db.sqlite.prepare('DELETE FROM leases WHERE id = ?').run(this.id);
  }
}

/** Forgets one record of `layer` in the lease (the newest) once that reference was given back; inside the caller's transaction. */
export function dropLeaseLayer(db: StoreDatabase, lease: string, layer: string): void {
  db.sqlite.prepare('DELETE FROM lease_layers WHERE lease = ? AND layer = ? AND seq = (SELECT max(seq) FROM lease_layers WHERE lease = ? AND layer = ?)').run(lease, layer, lease, layer);
}

/** Leases whose process is gone: id and the layers they hold, newest first. */
export function deadLeases(db: StoreDatabase): { id: string; layers: string[] }[] {
  const rows = db.sqlite.prepare('SELECT id, pid, started FROM leases').all() as { id: string; pid: number; started: string }[];
  return rows
    .filter((r) => !processLives(r.pid, r.started))
    .map((r) => ({
      id: r.id,
      layers: (db.sqlite.prepare('SELECT layer FROM lease_layers WHERE lease = ? ORDER BY seq DESC').all(r.id) as { layer: string }[]).map((l) => l.layer),
    }));
}
