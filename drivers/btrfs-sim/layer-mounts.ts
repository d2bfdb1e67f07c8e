import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { ErrorCode, StrataError } from '../../core/index.js';
import { DirectoryTree, bindMount, isMounted, unmountPath } from '../../core/kit.js';
import { readStamp, stamp, unchangedContent } from './clean-check.js';
import type { ExtentStore } from './extent-store.js';
import { foldUpper } from './fold-upper.js';
import { applyMetaSync, importTree, materialize } from './materialize.js';
import type { LayerRow, LayerTable } from './meta-db.js';
import type { NodeStore } from './node-store.js';
import { mountOverlayView, overlayAvailable } from './overlay-view.js';
import { SimTree } from './sim-tree.js';
import type { TreeCache } from './tree-cache.js';
import type { WorkTree } from './work-tree.js';

/** What the mounts work on: the driver's open store. */
export interface MountStore {
  readonly db: Database.Database;
  readonly layers: LayerTable;
  readonly nodes: NodeStore;
  readonly trees: TreeCache;
}

/** Commits a tree built from a layer's mount as the layer's new tree (the driver's one way to change a tree). */
export type CommitTree = (row: LayerRow, build: (created: Set<string>) => Promise<WorkTree>) => Promise<void>;

/**
 * The mounts of btrfs-sim layers (see the driver's comment for the design):
 * read-only binds of materialised trees, kernel overlays of writable layers
 * folded back from their upper on the last unmount, and the copy fallback
 * where kernel overlay is unavailable. Home layout: `trees/`, `uppers/<id>/`,
 * `mnt/<id>`, `stamps/<id>`, `tmp/`. Reference counts live in the layer rows;
 * this class makes and removes what they count.
 */
export class LayerMounts {
  readonly #home: string;
  readonly #extents: ExtentStore;
  readonly #store: () => MountStore;
  readonly #commit: CommitTree;
  /** Whether writable mounts can be kernel overlays here (asked once). */
  #overlay: Promise<boolean> | undefined;

  constructor(home: string, extents: ExtentStore, store: () => MountStore, commit: CommitTree) {
    this.#home = home;
    this.#extents = extents;
    this.#store = store;
    this.#commit = commit;
  }

  /**
   * Recovery at init: drops mount directories nothing counts, folds back the
   * uppers of writable mounts that vanished (a reboot) and zeroes their count,
   * deletes stamps, uppers and materialised trees nothing uses.
   */
  async init(): Promise<void> {
    for (const dir of ['mnt', 'stamps', 'uppers']) await mkdir(join(this.#home, dir), { recursive: true, mode: 0o700 });
    const { layers } = this.#store();
    for (const name of await readdir(join(this.#home, 'mnt'))) {
      if ((layers.find(name)?.mounts ?? 0) === 0) await this.#dropMountDir(name);
    }
    for (const row of layers.all()) {
      if (row.mounts === 0) continue;
      const live = row.upper_base !== null || !row.writable ? await isMounted(this.mountPath(row.id)) : await exists(this.mountPath(row.id));
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
    await this.pruneTrees();
  }

  /** See StorageDriver.mount; the caller counts. */
  async mount(row: LayerRow): Promise<string> {
    const { trees } = this.#store();
    const path = this.mountPath(row.id);
    const mounted = await isMounted(path);
    if (!row.writable) {
      if (!mounted) {
        await this.#dropMountDir(row.id);
        await bindMount(await trees.ensure(row.root), path, true);
      }
    } else if (row.upper_base !== null || (await this.#overlayAvailable())) {
      if (!mounted) await this.#mountUpper(row);
    } else {
      await this.#mountCopy(row);
    }
    return path;
  }

  /**
   * The last unmount of row (its count is 1): a writable layer's changes
   * become its tree, read while it is still mounted, so where the fold-back
   * refuses something (a name that is not UTF-8: EUNSUPPORTED) the mount stays
   * for the user to fix it.
   */
  async unmountLast(row: LayerRow): Promise<void> {
    if (row.writable && row.upper_base !== null) {
      await this.#foldUpper(row);
    } else if (row.writable) {
      await this.#foldBack(row);
    }
    await this.#dropMountDir(row.id);
  }

  /** In a transaction: the layer's upper stops, and so does the node reference its base held. Then `afterUpperDropped`. */
  dropUpperBase(row: LayerRow): void {
    if (row.upper_base === null) return;
    const { layers, nodes } = this.#store();
    layers.setUpperBase(row.id, null);
    nodes.decref(row.upper_base);
  }

  /**
   * After the transaction of `dropUpperBase` (or of the layer's removal): its
   * directories go. The upper is renamed into `tmp/` at once and deleted in
   * the background (what an interrupted deletion leaves, core empties from
   * `tmp/` before the next init), so a commit does not wait for it.
   */
  async afterUpperDropped(id: string): Promise<void> {
    await this.#extents.reap(this.#store().db);
    await this.#dropMountDir(id);
    await this.pruneTrees();
    // last: the deletion's thread-pool work must not delay the awaits above
    const doomed = join(this.#home, 'tmp', `upper-${id}-${randomBytes(6).toString('hex')}`);
    const moved = await rename(this.#upperPath(id), doomed).then(() => true, () => false);
    if (moved) void rm(doomed, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Keeps the materialised trees of read-only layers and of writable layers' upper bases; deletes the rest. */
  async pruneTrees(): Promise<void> {
    const { layers, trees } = this.#store();
    const keep = new Set<string>();
    for (const row of layers.all()) {
      if (!row.writable) keep.add(row.root);
      if (row.upper_base !== null) keep.add(row.upper_base);
    }
    await trees.prune(keep);
  }

  mountPath(id: string): string {
    return join(this.#home, 'mnt', id);
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
    const { db, layers, nodes, trees } = this.#store();
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
    const path = this.mountPath(row.id);
    await this.#dropMountDir(row.id);
    await mkdir(path, { mode: 0o755 });
    await stamp(join(this.#home, 'tmp'), this.#stampPath(row.id));
    await mountOverlayView({ lower, upper, work, target: path });
  }

  /** Folds a writable layer's overlay upper (all it changed since its upper began) onto its upper base: the layer's new tree. */
  async #foldUpper(row: LayerRow): Promise<void> {
    const { nodes } = this.#store();
    const upper = join(this.#upperPath(row.id), 'upper');
    const base = new SimTree(nodes, this.#extents, row.upper_base!);
    const previous = new SimTree(nodes, this.#extents, row.root);
    const stampNs = await readStamp(this.#stampPath(row.id));
    const unchanged = stampNs === undefined ? undefined : (path: string, size: number) => unchangedContent(upper, path, size, stampNs, previous);
    await this.#commit(row, (created) => foldUpper(nodes, this.#extents, base, new DirectoryTree(upper), upper, created, unchanged));
  }

  /** Where kernel overlay is not available: the whole tree materialised into the mount directory (O(tree)). */
  async #mountCopy(row: LayerRow): Promise<void> {
    const id = row.id;
    const path = this.mountPath(id);
    if (row.mounts > 0 && (await exists(path))) return;
    await this.#dropMountDir(id);
    const temp = join(this.#home, 'tmp', `${id}-${randomBytes(6).toString('hex')}`);
    await mkdir(temp, { mode: 0o700 });
    try {
      await materialize(this.#store().nodes, this.#extents, row.root, temp);
      await stamp(join(this.#home, 'tmp'), this.#stampPath(id));
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw new StrataError(ErrorCode.EIO, `btrfs-sim: cannot materialise layer ${id}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The copy fallback's fold-back: reads the whole mounted directory back into the tree (clean-check.ts spares unchanged content). */
  async #foldBack(row: LayerRow): Promise<void> {
    const { nodes } = this.#store();
    const host = this.mountPath(row.id);
    const stampNs = await readStamp(this.#stampPath(row.id));
    const original = new SimTree(nodes, this.#extents, row.root);
    const unchanged = stampNs === undefined ? undefined : (path: string, size: number) => unchangedContent(host, path, size, stampNs, original);
    await this.#commit(row, (created) => importTree(nodes, this.#extents, new DirectoryTree(host), created, unchanged));
  }

  #overlayAvailable(): Promise<boolean> {
    this.#overlay ??= overlayAvailable();
    return this.#overlay;
  }

  /** Unmounts and deletes id's mount directory: a mount point is only ever rmdir'ed, a materialised copy deleted whole. */
  async #dropMountDir(id: string): Promise<void> {
    const path = this.mountPath(id);
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

  /** When a mount began (clean-check.ts). */
  #stampPath(id: string): string {
    return join(this.#home, 'stamps', id);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
