import { DirectoryTree } from './directory-tree.js';
import type { TreeReader } from './tree.js';

/**
 * For drivers whose every layer's union is one plain directory (vfs, copy
 * drivers): `reader` of the StorageDriver contract, read straight from that
 * directory. Such drivers need no diff of their own: core's naive diff over
 * the reader is theirs. A subclass says where a layer's directory is.
 */
export abstract class DirectoryLayers {
  /** The directory holding id's whole union (id exists: core's runtime checked). */
  protected abstract layerRoot(id: string): Promise<string>;

  /** See StorageDriver.reader. */
  async reader(id: string): Promise<TreeReader> {
    return new DirectoryTree(await this.layerRoot(id));
  }
}
