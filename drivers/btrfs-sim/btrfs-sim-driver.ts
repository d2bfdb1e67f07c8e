import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { inject, injectable } from 'inversify';
import { DriverContext, ErrorCode, StrataError, capabilities } from '../../core/index.js';
import { DirectoryTree, changesOf, compareTrees, writeLayerTar } from '../../core/kit.js';
import type { Change, CreateOptions, DriverCapabilities, LayerUsage, ProbeResult, StorageDriver, TreeReader } from '../../core/index.js';
import type { DiffEntry } from '../../core/kit.js';
import { applyLayerTar } from './apply-tar.js';
import { checkStore } from './check-store.js';
import { ExtentStore } from './extent-store.js';
import { LayerMounts, type MountStore } from './layer-mounts.js';
import { LayerTable, type LayerRow, openMetaDb } from './meta-db.js';
import { NodeStore } from './node-store.js';
import { overlayAvailable } from './overlay-view.js';
import { SimTree } from './sim-tree.js';
import { TreeCache } from './tree-cache.js';
import { compareStoredTrees } from './tree-diff.js';
import { layerUsage } from './usage.js';
import { WorkTree } from './work-tree.js';

type Open = MountStore;

/**
 * btrfs-sim: btrfs-style subvolumes simulated in user space, on any filesystem.
 *
 * Every layer is a persistent copy-on-write tree: a root pointer plus a
 * generation (bumped at every change). Its nodes (one per path) and file
 * extents (1 MiB pieces of file content; small files inline) are
 * content-addressed and reference-counted in one store shared by all layers,
 * so an unchanged subtree or extent is stored once however many layers hold it.
 *
 * - create(id, parent) is a snapshot: the child's root pointer names the
 *   parent's root node — one row and one reference, whatever the parent's size.
 * - applyDiff and the fold-back of a mount copy only the paths they change, up
 *   to the root (path copying, see work-tree.ts), in one SQLite transaction that
 *   stores the new nodes and swings the root pointer; extent files are written
 *   and synced before it. A crash leaves the old tree or the new one.
 * - diff and changes compare the two trees and skip every subtree both share by
 *   node id (tree-diff.ts), like `btrfs send`; the output is exactly core's
 *   naive diff of the same trees.
 * - Lookups walk from the root: cost grows with path depth, not stack depth.
 * - remove drops the root's reference; nodes and extents nothing else
 *   references go in the same transaction, their files after it (dead_extents,
 *   reaped again by init if interrupted; orphan files of an interrupted write
 *   are swept by init).
 *
 * ## Mounts: a materialised tree per root, an overlay upper per writable layer
 *
 * A tree is materialised as real files once per root node id, in
 * `trees/<root>` (tree-cache.ts), and shared by every mount of that tree: a
 * read-only layer mounts as a read-only bind of it (writes fail with EROFS);
 * a writable layer mounts as a kernel overlay whose lower is the tree it
 * started from (its *upper base*, which holds a node reference) and whose
 * upper, `uppers/<id>`, collects what processes change, kept across mounts
 * until commit or remove. The last unmount folds the upper onto the upper base
 * (fold-upper.ts: whiteouts, opaque directories, redirects of renamed
 * directories), so a mount and an unmount cost O(what changed), not O(tree):
 * only the first mount of a tree pays for writing it. Any process gets a
 * plain directory with native speed and full POSIX semantics (rename of
 * directories, hard links, mmap), and no FUSE process. While a writable layer
 * is mounted, its lookups, diff and changes read the mounted directory (naive
 * diff), so they agree with what processes see; `usage` and a snapshot taken
 * of it (`create` with it as parent) see the tree as of its last fold-back.
 * Where kernel overlay is unavailable (not root), a writable mount writes the
 * whole tree into `mnt/<id>` and its last unmount reads it all back, re-reading
 * only files whose ctime shows a change (clean-check.ts): O(tree) both ways.
 * Materialised trees nothing may mount any more (no read-only layer has that
 * root, no upper has it as base) are deleted on remove, commit and init.
 *
 * Home layout: `btrfs-sim.db` (layers, nodes, reference counts),
 * `extents/<2 hex>/<sha256>`, `trees/<root node id>/` (materialised trees),
 * `uppers/<id>/{upper,work}` (overlay uppers), `mnt/<id>` (mount points),
 * `stamps/<id>` (when a mount began, see clean-check.ts), `tmp/`.
 */
@injectable()
export class BtrfsSimDriver implements StorageDriver {
  readonly name = 'btrfs-sim';
  readonly capabilities: DriverCapabilities = capabilities({ nativeDiff: true, snapshotCost: 'constant', mountKind: 'directory' });
  readonly #home: string;
  readonly #extents: ExtentStore;
  readonly #mounts: LayerMounts;
  #open: Open | undefined;

  constructor(@inject(DriverContext) context: DriverContext) {
    this.#home = context.home;
    this.#extents = new ExtentStore(join(context.home, 'extents'));
    this.#mounts = new LayerMounts(context.home, this.#extents, () => this.#state(), (row, build) =>
      this.#change(row, async (created) => ({ tree: await build(created), result: undefined })),
    );
  }

  async probe(): Promise<ProbeResult> {
    if (process.getuid?.() !== 0) {
      return { ok: true, reason: 'not root: mounts cannot keep owners or device nodes, read-only layers cannot be mounted (no bind mounts), and writable mounts copy the whole tree (no kernel overlay)' };
    }
    if (!(await overlayAvailable())) return { ok: true, reason: 'no kernel overlay: writable mounts copy the whole tree in and out (O(tree))' };
    return { ok: true };
  }

  async init(): Promise<void> {
    if (this.#open) return;
    await mkdir(join(this.#home, 'tmp'), { recursive: true, mode: 0o700 });
    await this.#extents.init();
    const db = openMetaDb(join(this.#home, 'btrfs-sim.db'));
    const nodes = new NodeStore(db);
    const trees = new TreeCache(join(this.#home, 'trees'), join(this.#home, 'tmp'), nodes, this.#extents);
    await trees.init();
    this.#open = { db, layers: new LayerTable(db), nodes, trees };
    await this.#extents.reap(db);
    await this.#extents.sweep(db);
    await this.#mounts.init();
  }

  async close(): Promise<void> {
    this.#open?.db.close();
    this.#open = undefined;
  }

  async create(id: string, parent: string | null, options: CreateOptions): Promise<void> {
    const { db, layers, nodes } = this.#state();
    const parentRoot = parent === null ? null : this.#rootOf(parent);
    db.transaction(() => {
      const root = parentRoot ?? nodes.put({ type: 'directory', mode: 0o755, uid: 0, gid: 0, mtimeMs: Date.now(), children: [] });
      nodes.incref(root);
      layers.insert(id, parent, root, options.writable);
    })();
  }

  async remove(id: string): Promise<void> {
    const { db, layers, nodes } = this.#state();
    const row = layers.get(id);
    db.transaction(() => {
      layers.delete(id);
      nodes.decref(row.root);
      if (row.upper_base !== null) nodes.decref(row.upper_base);
    })();
    await this.#mounts.afterUpperDropped(id);
  }

  async exists(id: string): Promise<boolean> {
    return this.#state().layers.find(id) !== undefined;
  }

  async list(): Promise<string[]> {
    return this.#state().layers.all().map((row) => row.id);
  }

  /**
   * One row update: the tree (folded back at the last unmount) is already the
   * layer's content. The overlay upper a writable mount kept goes, with the
   * reference its base held.
   */
  async commit(id: string): Promise<void> {
    const { db, layers } = this.#state();
    db.transaction(() => {
      layers.seal(id);
      this.#mounts.dropUpperBase(layers.get(id));
    })();
    await this.#mounts.afterUpperDropped(id);
  }

  async parent(id: string): Promise<string | null> {
    return this.#state().layers.get(id).parent;
  }

  async mount(id: string): Promise<string> {
    const { layers } = this.#state();
    const path = await this.#mounts.mount(layers.get(id));
    layers.setMounts(id, layers.get(id).mounts + 1);
    return path;
  }

  async unmount(id: string): Promise<void> {
    const { layers } = this.#state();
    const row = layers.get(id);
    if (row.mounts === 0) return;
    if (row.mounts === 1) await this.#mounts.unmountLast(row);
    layers.setMounts(id, row.mounts - 1);
  }

  async mountCount(id: string): Promise<number> {
    return this.#state().layers.get(id).mounts;
  }

  async applyDiff(id: string, _parent: string | null, tar: Readable): Promise<number> {
    const { db, nodes, layers } = this.#state();
    let row = layers.get(id);
    if (row.upper_base !== null) {
      // the tree changes under the upper: its changes are in the tree already
      db.transaction(() => this.#mounts.dropUpperBase(row))();
      await this.#mounts.afterUpperDropped(id);
      row = layers.get(id);
    }
    return this.#change(row, async (created) => {
      const tree = new WorkTree(nodes, row.root);
      const size = await applyLayerTar(tree, new SimTree(nodes, this.#extents, row.root), this.#extents, tar, created);
      return { tree, result: size };
    });
  }

  async diff(id: string, parent: string | null): Promise<Readable> {
    const { upper, entries } = await this.#compare(id, parent);
    return writeLayerTar(entries, upper);
  }

  async changes(id: string, parent: string | null): Promise<Change[]> {
    const { lower, entries } = await this.#compare(id, parent);
    return changesOf(entries, lower);
  }

  reader(id: string): Promise<TreeReader> {
    return this.#reader(id);
  }

  async usage(id: string): Promise<LayerUsage> {
    return layerUsage(this.#state().nodes, this.#rootOf(id));
  }

  /**
   * A full consistency check of the store (reference counts against the actual
   * references, extent files against extent rows); one line per problem. Not
   * part of the driver contract: for tests and `fsck`-like tooling.
   */
  async check(): Promise<string[]> {
    return checkStore(this.#state().db, this.#extents);
  }

  /** Runs a change of row's tree and commits it: new nodes and the root swing in one transaction; then frees what nothing references. */
  async #change<T>(row: LayerRow, build: (created: Set<string>) => Promise<{ tree: WorkTree; result: T }>): Promise<T> {
    const { db, layers, nodes } = this.#state();
    const created = new Set<string>();
    try {
      const { tree, result } = await build(created);
      db.transaction(() => {
        const root = tree.commit();
        nodes.incref(root);
        nodes.decref(row.root);
        layers.setRoot(row.id, root);
      })();
      return result;
    } finally {
      // Extents written for content the committed tree no longer holds (overwritten
      // or whited out later in the same tar), or for an abandoned change, go now.
      await this.#extents.discard(created, db);
      await this.#extents.reap(db);
    }
  }

  /** The native comparison where both trees are stored; the naive one where either is a live writable mount. */
  async #compare(id: string, parent: string | null): Promise<{ lower: TreeReader | null; upper: TreeReader; entries: AsyncIterable<DiffEntry> }> {
    const upper = await this.#reader(id);
    const lower = parent === null ? null : await this.#reader(parent);
    if (upper instanceof SimTree && (lower === null || lower instanceof SimTree)) {
      return { lower, upper, entries: compareStoredTrees(this.#state().nodes, lower?.root ?? null, upper.root) };
    }
    return { lower, upper, entries: compareTrees(lower, upper) };
  }

  /** What lookups of id read: its stored tree, or its mounted directory while a writable mount is live. */
  async #reader(id: string): Promise<TreeReader> {
    const { layers, nodes } = this.#state();
    const row = layers.get(id);
    if (row.writable && row.mounts > 0) return new DirectoryTree(this.#mounts.mountPath(id));
    return new SimTree(nodes, this.#extents, row.root);
  }

  #rootOf(id: string): string {
    return this.#state().layers.get(id).root;
  }

  /** Fails with EUNSUPPORTED before init() or after close(). */
  #state(): Open {
    if (!this.#open) throw new StrataError(ErrorCode.EUNSUPPORTED, 'btrfs-sim: init() was not called, or the driver is closed');
    return this.#open;
  }
}
