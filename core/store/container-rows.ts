import type { Database as Db } from 'better-sqlite3';
import type { RunConfig } from '../containers/run-config.js';
import type { StoreDatabase } from './store-database.js';

export type ContainerState = 'created' | 'running' | 'exited';

/** A container as the store records it. */
export interface ContainerRecord {
  /** 64 hex. */
  readonly id: string;
  readonly name: string;
  /** The image id it runs. */
  readonly image: string;
  /** The image as the user named it (`ps`'s IMAGE column). */
  readonly imageRef: string;
  /** Its writable layer (it holds one reference). */
  readonly layer: string;
  /** The image's top layer, which `diff` compares with (null for an image without layers). */
  readonly baseLayer: string | null;
  readonly config: RunConfig;
  readonly state: ContainerState;
  /** The strata process running it (while running). */
  readonly ownerPid: number | null;
  readonly ownerStarted: string | null;
  readonly exitCode: number | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly createdAt: string;
}

interface Row {
  id: string; name: string; image: string; image_ref: string; layer: string; base_layer: string | null; config: string;
  state: ContainerState; owner_pid: number | null; owner_started: string | null; exit_code: number | null;
  started_at: string | null; finished_at: string | null; created_at: string;
}

function toRecord(r: Row): ContainerRecord {
  return {
    id: r.id, name: r.name, image: r.image, imageRef: r.image_ref, layer: r.layer, baseLayer: r.base_layer,
    config: JSON.parse(r.config) as RunConfig, state: r.state, ownerPid: r.owner_pid, ownerStarted: r.owner_started,
    exitCode: r.exit_code, startedAt: r.started_at, finishedAt: r.finished_at, createdAt: r.created_at,
  };
}

/** The containers table's SQL (schema.ts). */
export class ContainerRows {
  readonly #db: Db;

  constructor(db: StoreDatabase) {
    this.#db = db.sqlite;
  }

  all(): ContainerRecord[] {
    return (this.#db.prepare('SELECT * FROM containers ORDER BY created_at DESC, id').all() as Row[]).map(toRecord);
  }

  find(id: string): ContainerRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  byName(name: string): ContainerRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM containers WHERE name = ?').get(name) as Row | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  insert(c: Pick<ContainerRecord, 'id' | 'name' | 'image' | 'imageRef' | 'layer' | 'baseLayer' | 'config'>): void {
    this.#db
      .prepare(`INSERT INTO containers (id, name, image, image_ref, layer, base_layer, config, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'created', ?)`)
      .run(c.id, c.name, c.image, c.imageRef, c.layer, c.baseLayer, JSON.stringify(c.config), new Date().toISOString());
  }

  setRunning(id: string, pid: number, started: string): void {
    this.#db
      .prepare(`UPDATE containers SET state = 'running', owner_pid = ?, owner_started = ?, exit_code = NULL, started_at = ?, finished_at = NULL WHERE id = ?`)
      .run(pid, started, new Date().toISOString(), id);
  }

  setExited(id: string, exitCode: number): void {
    this.#db
      .prepare(`UPDATE containers SET state = 'exited', owner_pid = NULL, owner_started = NULL, exit_code = ?, finished_at = ? WHERE id = ?`)
      .run(exitCode, new Date().toISOString(), id);
  }

  setLayer(id: string, layer: string): void {
    this.#db.prepare('UPDATE containers SET layer = ? WHERE id = ?').run(layer, id);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  }

  /** Containers of an image. */
  ofImage(image: string): ContainerRecord[] {
    return (this.#db.prepare('SELECT * FROM containers WHERE image = ?').all(image) as Row[]).map(toRecord);
  }
}
