import type { Readable } from 'node:stream';
import { naiveChanges, naiveDiff } from './diff/index.js';
import { DirectoryTree } from './directory-tree.js';
import type { Change } from './driver.js';
import type { EntryStat } from './tree.js';

/**
 * For drivers whose every layer's union is one plain directory (vfs, copy
 * drivers): the lookups, diff and changes of the StorageDriver contract, read
 * straight from that directory, with core's naive diff. A subclass says where
 * a layer's directory is; everything else of the contract stays its own.
 */
export abstract class DirectoryLayers {
  /** The directory holding id's whole union. Fails with ENOLAYER when id does not exist. */
  protected abstract layerRoot(id: string): Promise<string>;

  /** See StorageDriver.diff: naive, against parent's directory (null: the whole union). */
  async diff(id: string, parent: string | null): Promise<Readable> {
    return naiveDiff(await this.#treeOrNull(parent), await this.#tree(id));
  }

  async changes(id: string, parent: string | null): Promise<Change[]> {
    return naiveChanges(await this.#treeOrNull(parent), await this.#tree(id));
  }

  async stat(id: string, path: string): Promise<EntryStat | undefined> {
    return (await this.#tree(id)).stat(path);
  }

  async readdir(id: string, path: string): Promise<string[]> {
    return (await this.#tree(id)).readdir(path);
  }

  async read(id: string, path: string): Promise<Readable> {
    return (await this.#tree(id)).read(path);
  }

  async xattrs(id: string, path: string): Promise<Record<string, Buffer>> {
    return (await this.#tree(id)).xattrs(path);
  }

  async #tree(id: string): Promise<DirectoryTree> {
    return new DirectoryTree(await this.layerRoot(id));
  }

  async #treeOrNull(id: string | null): Promise<DirectoryTree | null> {
    return id === null ? null : this.#tree(id);
  }
}
