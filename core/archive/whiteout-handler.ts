import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { layerPathJoin } from '../tree.js';

/**
 * How a driver records the deletions of an OCI layer (`.wh.<name>` entries and
 * `.wh..wh..opq` markers) in a layer directory. The extractor calls it only
 * after it has checked that every component of `layerPath` above the last one
 * is a real directory inside `dir` (no symlink), so an implementation may use
 * plain path operations on `join(dir, layerPath)`, but must never follow a
 * symlink at the last component.
 *
 * `dir` is the layer's own directory; `layerPath` is a normalized layer path
 * ("/a/b"; "/" for the layer root).
 */
export interface WhiteoutHandler {
  /** Entry `.wh.<name>`: `layerPath` (and all below it) disappears from the union. */
  whiteout(dir: string, layerPath: string): Promise<void>;
  /**
   * Marker `.wh..wh..opq` in directory `layerPath`: everything lower layers had
   * below it disappears from the union, but what this layer wrote there stays.
   * `writtenByThisLayer` holds the layer paths this layer's entries created, or
   * passed through as parent directories, so far (the marker may come after them).
   */
  opaque(dir: string, layerPath: string, writtenByThisLayer: ReadonlySet<string>): Promise<void>;
}

/**
 * The handler for layers stored as full copies of their parent (vfs): a
 * whiteout removes the path, an opaque marker removes every entry below the
 * directory that this layer did not write. Never follows symlinks.
 */
export const deletingWhiteouts: WhiteoutHandler = Object.freeze({
  async whiteout(dir: string, layerPath: string): Promise<void> {
    await rm(join(dir, layerPath), { recursive: true, force: true });
  },

  async opaque(dir: string, layerPath: string, writtenByThisLayer: ReadonlySet<string>): Promise<void> {
    await removeUnwritten(dir, layerPath, writtenByThisLayer);
  },
});

async function removeUnwritten(dir: string, layerPath: string, written: ReadonlySet<string>): Promise<void> {
  const host = join(dir, layerPath);
  for (const name of await readdir(host)) {
    const child = layerPathJoin(layerPath, name);
    if (!written.has(child)) {
      await rm(join(host, name), { recursive: true, force: true });
    } else if ((await lstat(join(host, name))).isDirectory()) {
      await removeUnwritten(dir, child, written);
    }
  }
}
