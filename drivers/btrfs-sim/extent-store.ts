import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import { ErrorCode, StrataError, errnoOf } from '../../core/index.js';
import type { ExtentRef, FileNode } from './node.js';

/** Files are cut into extents of this many bytes (the last one may be shorter). */
export const EXTENT_SIZE = 1024 * 1024;
/** Files of at most this many bytes live inline in their node, as btrfs inlines small files. */
export const INLINE_MAX = 2048;

/** A file's content once stored: inline bytes (base64) or extent references. */
export interface StoredContent {
  readonly size: number;
  readonly extents: ExtentRef[];
  readonly inline?: string;
}

/**
 * Content-addressed extent files under `<home>/extents/<2 hex>/<64 hex>`.
 * Files are written (tmp, fsync, rename) before the transaction that references
 * them commits; their reference counts live in the metadata database (NodeStore).
 * Hence a file on disk without an `extents` row is garbage from an interrupted
 * write (`sweep` removes it), and an id in `dead_extents` is a file whose last
 * reference was dropped by a committed transaction (`reap` removes it).
 * Memory: one extent (EXTENT_SIZE bytes) per write in flight.
 */
export class ExtentStore {
  readonly #dir: string;
  readonly #tmp: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.#tmp = join(dir, 'tmp');
  }

  async init(): Promise<void> {
    await mkdir(this.#tmp, { recursive: true, mode: 0o700 });
  }

  pathOf(id: string): string {
    return join(this.#dir, id.slice(0, 2), id);
  }

  /**
   * Stores a file's content, streaming with bounded memory; ids of extent files
   * this call created are added to `created` (for `discard` if the change is
   * abandoned). Fails with EIO when the disk refuses.
   */
  async write(body: AsyncIterable<Buffer>, created: Set<string>): Promise<StoredContent> {
    const extents: ExtentRef[] = [];
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let size = 0;
    const flush = async (upTo: number): Promise<void> => {
      const all = Buffer.concat(pending, pendingBytes);
      const chunk = all.subarray(0, upTo);
      const rest = all.subarray(upTo);
      pending = rest.length > 0 ? [rest] : [];
      pendingBytes = rest.length;
      extents.push([await this.#store(chunk, created), chunk.length]);
    };
    for await (const data of body) {
      pending.push(data);
      pendingBytes += data.length;
      size += data.length;
      while (pendingBytes >= EXTENT_SIZE) await flush(EXTENT_SIZE);
    }
    if (extents.length === 0 && size <= INLINE_MAX) {
      return size === 0 ? { size, extents } : { size, extents, inline: Buffer.concat(pending).toString('base64') };
    }
    if (pendingBytes > 0) await flush(pendingBytes);
    return { size, extents };
  }

  async #store(chunk: Buffer, created: Set<string>): Promise<string> {
    const id = createHash('sha256').update(chunk).digest('hex');
    const final = this.pathOf(id);
    if (await exists(final)) return id;
    const tmp = join(this.#tmp, randomBytes(12).toString('hex'));
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(chunk);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await mkdir(join(this.#dir, id.slice(0, 2)), { recursive: true, mode: 0o700 });
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new StrataError(ErrorCode.EIO, `btrfs-sim: cannot write extent ${id}: ${errnoOf(err) ?? (err as Error).message}`, { cause: err });
    }
    created.add(id);
    return id;
  }

  /** The content of a file node, streamed extent by extent. */
  read(node: FileNode): Readable {
    if (node.inline !== undefined) return Readable.from([Buffer.from(node.inline, 'base64')]);
    const paths = node.extents.map(([id]) => this.pathOf(id));
    return Readable.from(
      (async function* () {
        for (const p of paths) yield* createReadStream(p);
      })(),
    );
  }

  /** Deletes the extent files a change created that no database row references (the change was abandoned, or later entries replaced that content before the commit). */
  async discard(created: Iterable<string>, db: Database.Database): Promise<void> {
    const known = db.prepare<[string], { id: string }>('SELECT id FROM extents WHERE id = ?');
    for (const id of created) {
      if (!known.get(id)) await rm(this.pathOf(id), { force: true });
    }
  }

  /** Deletes the files of extents freed by committed transactions. Idempotent, safe to interrupt. */
  async reap(db: Database.Database): Promise<number> {
    const dead = db.prepare<[], { id: string }>('SELECT id FROM dead_extents').all();
    const known = db.prepare<[string], { id: string }>('SELECT id FROM extents WHERE id = ?');
    const forget = db.prepare<[string]>('DELETE FROM dead_extents WHERE id = ?');
    let freed = 0;
    for (const { id } of dead) {
      if (!known.get(id)) {
        await rm(this.pathOf(id), { force: true });
        freed++;
      }
      forget.run(id);
    }
    return freed;
  }

  /** Removes temp files and extent files no database row references (left by a crash). */
  async sweep(db: Database.Database): Promise<number> {
    await rm(this.#tmp, { recursive: true, force: true });
    await mkdir(this.#tmp, { recursive: true, mode: 0o700 });
    const known = db.prepare<[string], { id: string }>('SELECT id FROM extents WHERE id = ?');
    let removed = 0;
    for (const shard of await readdir(this.#dir)) {
      if (shard === 'tmp') continue;
      for (const name of await readdir(join(this.#dir, shard))) {
        if (!known.get(name)) {
          await unlink(join(this.#dir, shard, name));
          removed++;
        }
      }
    }
    return removed;
  }

  /** Every extent file on disk (for consistency checks). */
  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const shard of await readdir(this.#dir)) {
      if (shard === 'tmp') continue;
      out.push(...(await readdir(join(this.#dir, shard))));
    }
    return out;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
