import { lstat, lutimes, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { WhiteoutHandler } from '../archive/whiteout-handler.js';
import { layerPathJoin } from '../tree.js';
import type { TreeReader } from '../tree.js';
import { makeWhiteout, markOpaque } from './whiteout-format.js';

/**
 * The WhiteoutHandler that writes an OCI layer's deletions into an upper
 * directory in overlayfs' own format (see whiteout-format.ts):
 *
 * - `.wh.name`: whatever this layer wrote at the path is removed, and where the
 *   parent's union (`lower`) has the path, a whiteout (char 0/0) hides it;
 * - `.wh..wh..opq` in a directory: entries of it this layer did not write (only
 *   its own earlier whiteouts can be such) are removed and the directory is
 *   marked opaque with `opaqueXattr`. At the layer root, where overlayfs reads
 *   no opaque marker, each lower root entry the layer did not write gets a
 *   whiteout instead.
 *
 * The directory holding a new whiteout keeps its mtime: a deletion recorded in
 * the upper directory is not a change of the directory itself.
 * Fails with the errno of mknod/lsetxattr (EPERM: not privileged for devices or
 * trusted.* xattrs).
 */
export function upperWhiteouts(lower: TreeReader | null, opaqueXattr: string): WhiteoutHandler {
  async function hide(dir: string, layerPath: string): Promise<void> {
    const fsPath = join(dir, layerPath);
    await keepingMtime(dirname(fsPath), async () => {
      await rm(fsPath, { recursive: true, force: true });
      if (lower !== null && (await lower.stat(layerPath)) !== undefined) makeWhiteout(fsPath);
    });
  }
  return Object.freeze({
    whiteout: hide,
    async opaque(dir: string, layerPath: string, written: ReadonlySet<string>): Promise<void> {
      const fsPath = join(dir, layerPath);
      if (layerPath === '/') {
        const names = lower === null ? [] : await lower.readdir('/');
        for (const name of names) if (!written.has(layerPathJoin('/', name))) await hide(dir, layerPathJoin('/', name));
        return;
      }
      await keepingMtime(fsPath, async () => {
        for (const name of await readdir(fsPath)) {
          if (!written.has(layerPathJoin(layerPath, name))) await rm(join(fsPath, name), { recursive: true, force: true });
        }
      });
      markOpaque(fsPath, opaqueXattr);
    },
  });
}

async function keepingMtime(dirPath: string, change: () => Promise<void>): Promise<void> {
  const before = await lstat(dirPath);
  await change();
  await lutimes(dirPath, before.atime, before.mtime);
}
