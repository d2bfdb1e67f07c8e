import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, StrataError, errnoOf } from '../../core/index.js';
import type { ExtentStore } from './extent-store.js';
import { materialize } from './materialize.js';
import type { NodeStore } from './node-store.js';

/**
 * Materialised trees, one directory per root node id (`<dir>/<node id>`), made
 * once and shared by every mount of that tree: the read-only bind of a
 * read-only layer and the overlay lower of a writable layer started from it.
 * Node ids are content hashes, so a directory never goes stale; nothing writes
 * into one once it is in place (binds are read-only, overlay never writes its
 * lower). A directory appears complete or not at all (materialised under
 * `tmp`, then renamed). Cost: the first `ensure` of a tree is O(tree) — every
 * file written — later ones one stat.
 */
export class TreeCache {
  readonly #dir: string;
  readonly #tmp: string;
  readonly #nodes: NodeStore;
  readonly #extents: ExtentStore;
  readonly #making = new Map<string, Promise<string>>();

  constructor(dir: string, tmp: string, nodes: NodeStore, extents: ExtentStore) {
    this.#dir = dir;
    this.#tmp = tmp;
    this.#nodes = nodes;
    this.#extents = extents;
  }

  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
  }

  pathOf(root: string): string {
    return join(this.#dir, root);
  }

  /** The materialised tree `root`, made now if absent. Fails with EIO naming the first write that fails. */
  ensure(root: string): Promise<string> {
    let making = this.#making.get(root);
    if (making === undefined) {
      making = this.#make(root).finally(() => this.#making.delete(root));
      this.#making.set(root, making);
    }
    return making;
  }

  async #make(root: string): Promise<string> {
    const path = this.pathOf(root);
    if (await isDir(path)) return path;
    const temp = join(this.#tmp, `tree-${randomBytes(6).toString('hex')}`);
    await mkdir(temp, { mode: 0o700 });
    try {
      await materialize(this.#nodes, this.#extents, root, temp);
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      // another process put the same tree in place first
      const code = errnoOf(err);
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && (await isDir(path))) return path;
      throw new StrataError(ErrorCode.EIO, `btrfs-sim: cannot materialise tree ${root}: ${(err as Error).message}`, { cause: err });
    }
    return path;
  }

  /** Deletes every materialised tree whose root is not in `keep`. */
  async prune(keep: ReadonlySet<string>): Promise<void> {
    for (const name of await readdir(this.#dir)) {
      if (!keep.has(name) && !this.#making.has(name)) await rm(join(this.#dir, name), { recursive: true, force: true });
    }
  }
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (st) => st.isDirectory(),
    () => false,
  );
}
