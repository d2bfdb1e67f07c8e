import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import { inject, injectable } from 'inversify';
import { DriverContext, ErrorCode, StrataError, capabilities } from '../../core/index.js';
import { DirectoryTree, bindMount, changesOf, compareTrees, isMounted, unmountPath, writeLayerTar } from '../../core/kit.js';
import type { Change, CreateOptions, DriverCapabilities, LayerUsage, ProbeResult, StorageDriver, TreeReader } from '../../core/index.js';
import type { DiffEntry } from '../../core/kit.js';
import { applyLayerTar } from './apply-tar.js';
import { checkStore } from './check-store.js';
import { readStamp, stamp, unchangedContent } from './clean-check.js';
import { ExtentStore } from './extent-store.js';
import { foldUpper } from './fold-upper.js';
import { applyMetaSync, importTree, materialize } from './materialize.js';
import { LayerTable, type LayerRow, openMetaDb } from './meta-db.js';
import { NodeStore } from './node-store.js';
import { mountOverlayView, overlayAvailable } from './overlay-view.js';
import { SimTree } from './sim-tree.js';
import { TreeCache } from './tree-cache.js';
import { compareStoredTrees } from './tree-diff.js';
import { layerUsage } from './usage.js';
import { WorkTree } from './work-tree.js';

interface Open {
  readonly db: Database.Database;
  readonly layers: LayerTable;
  readonly nodes: NodeStore;
  readonly trees: TreeCache;
}

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
  #open: Open | undefined;
  /** Whether writable mounts can be kernel overlays here (asked once). */
  #overlay: Promise<boolean> | undefined;

  constructor(@inject(DriverContext) context: DriverContext) {
    this.#home = context.home;
    this.#extents = new ExtentStore(join(context.home, 'extents'));
  }

  async probe(): Promise<ProbeResult> {
    if (process.getuid?.() !== 0) {
      return { ok: true, reason: 'not root: mounts cannot keep owners or device nodes, and read-only layers cannot be mounted (no bind mounts)' };
    }
    return { ok: true };
  }

  async init(): Promise<void> {
    if (this.#open) return;
    for (const dir of ['mnt', 'stamps', 'tmp', 'uppers']) await mkdir(join(this.#home, dir), { recursive: true, mode: 0o700 });
    await this.#extents.init();
    const db = openMetaDb(join(this.#home, 'btrfs-sim.db'));
    const nodes = new NodeStore(db);
    const trees = new TreeCache(join(this.#home, 'trees'), join(this.#home, 'tmp'), nodes, this.#extents);
    await trees.init();
    this.#open = { db, layers: new LayerTable(db), nodes, trees };
    await this.#extents.reap(db);
    await this.#extents.sweep(db);
    const { layers } = this.#open;
    for (const name of await readdir(join(this.#home, 'mnt'))) {
      if ((layers.find(name)?.mounts ?? 0) === 0) await this.#dropMountDir(name);
    }
    for (const row of layers.all()) {
      if (row.mounts === 0) continue;
      const live = row.upper_base !== null || !row.writable ? await isMounted(this.#mountPath(row.id)) : await exists(this.#mountPath(row.id));
      if (live) continue;
      // gone with a reboot: what processes wrote is still in the upper directory
      if (row.writable && row.upper_base !== null) await this.#foldUpper(row);
      await this.#dropMountDir(row.id);
      layers.setMounts(row.id, 0);
    }
    for (const name of await readdir(join(this.#home, 'stamps'))) {
      if ((layers.find(name)?.mounts ?? 0) === 0) await rm(this.#stampPath(name), { force: true });
    }
    for (const name of await readdir(join(this.#home, 'uppers'))) {
      if ((layers.find(name)?.upper_base ?? null) === null) await rm(this.#upperPath(name), { recursive: true, force: true });
    }
    await this.#pruneTrees();
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
    await this.#extents.reap(db);
    await this.#dropMountDir(id);
    await rm(this.#upperPath(id), { recursive: true, force: true });
    await this.#pruneTrees();
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
      this.#dropUpperBase(layers.get(id));
    })();
    await this.#afterUpperDropped(id);
  }

  async parent(id: string): Promise<string | null> {
    return this.#state().layers.get(id).parent;
  }

  async mount(id: string): Promise<string> {
    const { layers, trees } = this.#state();
    const row = layers.get(id);
    const path = this.#mountPath(id);
    const mounted = await isMounted(path);
    if (!row.writable) {
      if (!mounted) {
        await this.#dropMountDir(id);
        await bindMount(await trees.ensure(row.root), path, true);
      }
    } else if (row.upper_base !== null || (await this.#overlayAvailable())) {
      if (!mounted) await this.#mountUpper(row);
    } else {
      await this.#mountCopy(row);
    }
    layers.setMounts(id, layers.get(id).mounts + 1);
    return path;
  }

  /**
   * A writable layer's kernel overlay: the lower is the materialised tree it
   * started from (cached, shared with every mount of that tree), the upper its
   * own directory, kept across mounts until commit or remove. A first mount
   * takes a reference on the base tree and gives the upper's root the tree
   * root's metadata (overlay shows the upper root's). Cost: O(1) once the base
   * tree is materialised.
   */
  async #mountUpper(row: LayerRow): Promise<void> {
    const { db, layers, nodes, trees } = this.#state();
    const upper = join(this.#upperPath(row.id), 'upper');
    const work = join(this.#upperPath(row.id), 'work');
    let base = row.upper_base;
    if (base === null) {
      await rm(this.#upperPath(row.id), { recursive: true, force: true });
      await mkdir(upper, { recursive: true, mode: 0o700 });
      await mkdir(work, { mode: 0o700 });
      applyMetaSync(upper, nodes.get(row.root));
      db.transaction(() => {
        nodes.incref(row.root);
        layers.setUpperBase(row.id, row.root);
      })();
      base = row.root;
    }
    const lower = await trees.ensure(base);
    const path = this.#mountPath(row.id);
    await this.#dropMountDir(row.id);
    await mkdir(path, { mode: 0o755 });
    await stamp(join(this.#home, 'tmp'), this.#stampPath(row.id));
    await mountOverlayView({ lower, upper, work, target: path });
  }

  /** Where kernel overlay is not available: the whole tree materialised into the mount directory (O(tree)). */
  async #mountCopy(row: LayerRow): Promise<void> {
    const { nodes } = this.#state();
    const id = row.id;
    const path = this.#mountPath(id);
    if (row.mounts === 0 || !(await exists(path))) {
      await this.#dropMountDir(id);
      const temp = join(this.#home, 'tmp', `${id}-${randomBytes(6).toString('hex')}`);
      await mkdir(temp, { mode: 0o700 });
      try {
        await materialize(nodes, this.#extents, row.root, temp);
        await stamp(join(this.#home, 'tmp'), this.#stampPath(id));
        await rename(temp, path);
      } catch (err) {
        await rm(temp, { recursive: true, force: true });
        throw new StrataError(ErrorCode.EIO, `btrfs-sim: cannot materialise layer ${id}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  async unmount(id: string): Promise<void> {
    const { layers } = this.#state();
    const row = layers.get(id);
    if (row.mounts === 0) return;
    if (row.mounts === 1) {
      if (row.writable && row.upper_base !== null) {
        await unmountPath(this.#mountPath(id));
        await this.#foldUpper(row);
      } else if (row.writable) {
        await this.#foldBack(row);
      }
      await this.#dropMountDir(id);
    }
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
      db.transaction(() => this.#dropUpperBase(row))();
      await this.#afterUpperDropped(id);
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

  /** Folds a writable layer's overlay upper (all it changed since its upper began) onto its upper base: the layer's new tree. */
  async #foldUpper(row: LayerRow): Promise<void> {
    const { nodes } = this.#state();
    const upper = join(this.#upperPath(row.id), 'upper');
    const base = new SimTree(nodes, this.#extents, row.upper_base!);
    const previous = new SimTree(nodes, this.#extents, row.root);
    const stampNs = await readStamp(this.#stampPath(row.id));
    const unchanged = stampNs === undefined ? undefined : (path: string, size: number) => unchangedContent(upper, path, size, stampNs, previous);
    await this.#change(row, async (created) => ({ tree: await foldUpper(nodes, this.#extents, base, new DirectoryTree(upper), upper, created, unchanged), result: undefined }));
  }

  /** In a transaction: the layer's upper stops, and so does the reference its base held. */
  #dropUpperBase(row: LayerRow): void {
    if (row.upper_base === null) return;
    this.#state().layers.setUpperBase(row.id, null);
    this.#state().nodes.decref(row.upper_base);
  }

  async #afterUpperDropped(id: string): Promise<void> {
    await this.#extents.reap(this.#state().db);
    await rm(this.#upperPath(id), { recursive: true, force: true });
    await this.#pruneTrees();
  }

  /** Keeps the materialised trees of read-only layers and of writable layers' upper bases; deletes the rest. */
  async #pruneTrees(): Promise<void> {
    const { layers, trees } = this.#state();
    const keep = new Set<string>();
    for (const row of layers.all()) {
      if (!row.writable) keep.add(row.root);
      if (row.upper_base !== null) keep.add(row.upper_base);
    }
    await trees.prune(keep);
  }

  #overlayAvailable(): Promise<boolean> {
    this.#overlay ??= overlayAvailable();
    return this.#overlay;
  }

  /** Reads a writable layer's mounted directory back into its tree. */
  async #foldBack(row: LayerRow): Promise<void> {
    const { nodes } = this.#state();
    const host = this.#mountPath(row.id);
    const stampNs = await readStamp(this.#stampPath(row.id));
    const original = new SimTree(nodes, this.#extents, row.root);
    const unchanged = stampNs === undefined ? undefined : (path: string, size: number) => unchangedContent(host, path, size, stampNs, original);
    const reader = new DirectoryTree(host);
    await this.#change(row, async (created) => ({ tree: await importTree(nodes, this.#extents, reader, created, unchanged), result: undefined }));
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
    if (row.writable && row.mounts > 0) return new DirectoryTree(this.#mountPath(id));
    return new SimTree(nodes, this.#extents, row.root);
  }

  #rootOf(id: string): string {
    return this.#state().layers.get(id).root;
  }

  /** Unmounts and deletes id's mount directory: a mount point is only ever rmdir'ed, a materialised copy deleted whole. */
  async #dropMountDir(id: string): Promise<void> {
    const path = this.#mountPath(id);
    if (await isMounted(path)) {
      await unmountPath(path);
      await rmdir(path).catch(() => undefined);
    } else {
      await rm(path, { recursive: true, force: true });
    }
    await rm(this.#stampPath(id), { force: true });
  }

  /** `uppers/<id>`: the upper and work directories of a writable layer's overlay. */
  #upperPath(id: string): string {
    return join(this.#home, 'uppers', id);
  }

  /** The ctime stamp of a mount's materialisation (clean-check.ts). */
  #stampPath(id: string): string {
    return join(this.#home, 'stamps', id);
  }

  #mountPath(id: string): string {
    return join(this.#home, 'mnt', id);
  }

  /** Fails with EUNSUPPORTED before init() or after close(). */
  #state(): Open {
    if (!this.#open) throw new StrataError(ErrorCode.EUNSUPPORTED, 'btrfs-sim: init() was not called, or the driver is closed');
    return this.#open;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
