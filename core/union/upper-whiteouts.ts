import { lstat, lutimes, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { extractLayer } from '../archive/safe-extract.js';
import type { ExtractResult } from '../archive/safe-extract.js';
import type { WhiteoutHandler } from '../archive/whiteout-handler.js';
import { sys } from '../sys/index.js';
import { layerPathJoin } from '../tree.js';
import type { TreeReader } from '../tree.js';
import { lstatIfPresent } from './upper-dir.js';
import { TRUSTED_OPAQUE, USER_OPAQUE, isOpaqueDir, makeWhiteout, markOpaque } from './whiteout-format.js';

/**
 * The WhiteoutHandler that writes an OCI layer's deletions into an upper
 * directory in overlayfs' own format (see whiteout-format.ts):
 *
 * - `.wh.name`: whatever this layer wrote at the path is removed, and where the
 *   parent's union (`lower`) has the path, a whiteout (char 0/0) hides it;
 * - `.wh..wh..opq` in a directory: entries of it this layer did not write (only
 *   its own earlier whiteouts can be such) are removed and the directory is
 *   marked opaque with `opaqueXattr` (at the layer root, where overlayfs reads
 *   no opaque marker, `extractUpper` turns it into whiteouts afterwards).
 *
 * The directory holding a new whiteout keeps its mtime: a deletion recorded in
 * the upper directory is not a change of the directory itself.
 * Fails with the errno of mknod/lsetxattr (EPERM: not privileged for devices or
 * trusted.* xattrs).
 */
export function upperWhiteouts(lower: TreeReader | null, opaqueXattr: string): WhiteoutHandler {
  return Object.freeze({
    async whiteout(dir: string, layerPath: string): Promise<void> {
      await hide(dir, layerPath, lower);
    },
    async opaque(dir: string, layerPath: string, written: ReadonlySet<string>): Promise<void> {
      const fsPath = join(dir, layerPath);
      await keepingMtime(fsPath, async () => {
        for (const name of await readdir(fsPath)) {
          if (!written.has(layerPathJoin(layerPath, name))) await rm(join(fsPath, name), { recursive: true, force: true });
        }
      });
      markOpaque(fsPath, opaqueXattr);
    },
  });
}

/**
 * Writes an uncompressed OCI layer tarball into an empty upper directory whose
 * parent union is `lower`: `extractLayer` with `upperWhiteouts`, then an opaque
 * marker the tar put on the layer root — which overlayfs does not read there —
 * becomes one whiteout per lower root entry the layer does not hold.
 * Fails as extractLayer does; the caller empties `upperDir` after a failure.
 */
export async function extractUpper(upperDir: string, tar: Readable, lower: TreeReader | null, opaqueXattr: string): Promise<ExtractResult> {
  const result = await extractLayer(upperDir, tar, { whiteouts: upperWhiteouts(lower, opaqueXattr), ...(lower === null ? {} : { lower }) });
  if (isOpaqueDir(upperDir)) {
    for (const name of lower === null ? [] : await lower.readdir('/')) {
      if ((await lstatIfPresent(join(upperDir, name))) === undefined) await hide(upperDir, layerPathJoin('/', name), lower);
    }
    for (const name of [TRUSTED_OPAQUE, USER_OPAQUE]) sys.lremovexattr(upperDir, name);
  }
  return result;
}

/** Removes what the layer holds at layerPath and whites it out where lower has it. */
async function hide(dir: string, layerPath: string, lower: TreeReader | null): Promise<void> {
  const fsPath = join(dir, layerPath);
  await keepingMtime(dirname(fsPath), async () => {
    await rm(fsPath, { recursive: true, force: true });
    if (lower !== null && (await lower.stat(layerPath)) !== undefined) makeWhiteout(fsPath);
  });
}

async function keepingMtime(dirPath: string, change: () => Promise<void>): Promise<void> {
  const before = await lstat(dirPath);
  await change();
  await lutimes(dirPath, before.atime, before.mtime);
}
