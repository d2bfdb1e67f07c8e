import type Database from 'better-sqlite3';
import { ErrorCode, StrataError } from '../../core/index.js';
import { type TreeNode, childIdsOf, decodeNode, encodeNode, extentsOf, hashOf } from './node.js';

const CACHE_LIMIT = 20_000;

/**
 * Reference-counted, content-addressed node storage over the metadata database,
 * with extent reference counts kept in step. Nodes are immutable, so a bounded
 * in-process cache of decoded nodes is always valid.
 *
 * Mutating methods (`put`, `incref`, `decref`) must run inside a transaction of
 * the same database; `decref` records extents that reach zero in dead_extents,
 * whose files the caller deletes after the commit (see ExtentStore.reap).
 */
export class NodeStore {
  readonly #cache = new Map<string, TreeNode>();
  readonly #getBody: Database.Statement<[string], { body: Buffer }>;
  readonly #getInfo: Database.Statement<[string], { refs: number; tbytes: number }>;
  readonly #insert: Database.Statement<[string, number, Buffer]>;
  readonly #addRef: Database.Statement<[number, string]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #extentInfo: Database.Statement<[string], { refs: number; size: number }>;
  readonly #extentInsert: Database.Statement<[string, number]>;
  readonly #extentAddRef: Database.Statement<[number, string]>;
  readonly #extentDelete: Database.Statement<[string]>;
  readonly #deadInsert: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#getBody = db.prepare('SELECT body FROM nodes WHERE id = ?');
    this.#getInfo = db.prepare('SELECT refs, tbytes FROM nodes WHERE id = ?');
    this.#insert = db.prepare('INSERT INTO nodes (id, refs, tbytes, body) VALUES (?, 0, ?, ?)');
    this.#addRef = db.prepare('UPDATE nodes SET refs = refs + ? WHERE id = ?');
    this.#delete = db.prepare('DELETE FROM nodes WHERE id = ?');
    this.#extentInfo = db.prepare('SELECT refs, size FROM extents WHERE id = ?');
    this.#extentInsert = db.prepare('INSERT INTO extents (id, size, refs) VALUES (?, ?, 1) ON CONFLICT(id) DO UPDATE SET refs = refs + 1');
    this.#extentAddRef = db.prepare('UPDATE extents SET refs = refs + ? WHERE id = ?');
    this.#extentDelete = db.prepare('DELETE FROM extents WHERE id = ?');
    this.#deadInsert = db.prepare('INSERT OR IGNORE INTO dead_extents (id) VALUES (?)');
  }

  /** The node with id; fails with ECORRUPT when the store lacks it. */
  get(id: string): TreeNode {
    const hit = this.#cache.get(id);
    if (hit) return hit;
    const row = this.#getBody.get(id);
    if (!row) throw new StrataError(ErrorCode.ECORRUPT, `btrfs-sim: node ${id} is missing from the store`);
    const node = decodeNode(row.body);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(id, node);
    return node;
  }

  /** Reference count and total logical bytes below (and including) the node. */
  info(id: string): { refs: number; tbytes: number } {
    const row = this.#getInfo.get(id);
    if (!row) throw new StrataError(ErrorCode.ECORRUPT, `btrfs-sim: node ${id} is missing from the store`);
    return row;
  }

  extentInfo(id: string): { refs: number; size: number } | undefined {
    return this.#extentInfo.get(id);
  }

  /**
   * Stores a node whose children are stored already and returns its id. A new
   * node starts with refs 0 (the caller's parent or root pointer adds one) and
   * takes one reference on each child and extent; an existing identical node is
   * reused as is.
   */
  put(node: TreeNode): string {
    const body = encodeNode(node);
    const id = hashOf(body);
    if (this.#getInfo.get(id)) return id;
    let tbytes = body.length;
    for (const child of childIdsOf(node)) {
      tbytes += this.info(child).tbytes;
      this.#addRef.run(1, child);
    }
    for (const [extent, size] of extentsOf(node)) {
      tbytes += size;
      this.#extentInsert.run(extent, size);
    }
    this.#insert.run(id, tbytes, body);
    return id;
  }

  incref(id: string): void {
    this.#addRef.run(1, id);
  }

  /** Drops one reference; frees the node and, recursively, what only it held. */
  decref(id: string): void {
    const stack = [id];
    while (stack.length > 0) {
      const cur = stack.pop()!;
      const info = this.info(cur);
      if (info.refs > 1) {
        this.#addRef.run(-1, cur);
        continue;
      }
      const node = this.get(cur);
      this.#delete.run(cur);
      this.#cache.delete(cur);
      stack.push(...childIdsOf(node));
      for (const [extent] of extentsOf(node)) this.#dropExtent(extent);
    }
  }

  #dropExtent(id: string): void {
    const info = this.#extentInfo.get(id);
    if (!info) throw new StrataError(ErrorCode.ECORRUPT, `btrfs-sim: extent ${id} is missing from the store`);
    if (info.refs > 1) {
      this.#extentAddRef.run(-1, id);
      return;
    }
    this.#extentDelete.run(id);
    this.#deadInsert.run(id);
  }
}
