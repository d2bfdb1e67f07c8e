import { lstat, rename, rm, unlink } from 'node:fs/promises';
import { layerPathParent } from '../../core/tree.js';
import { lstatIfPresent } from '../../core/union/upper-dir.js';
import { isOpaqueDir, makeWhiteout, markOpaque } from '../../core/union/whiteout-format.js';
import { fsError, refuseReplacedBytes } from './errno.js';
import type { UnionFs } from './union-fs.js';

/**
 * rename(2) through the union, for files and directories in any layer:
 *
 * - a non-directory is copied up (if lower) and renamed in the top layer;
 * - a directory only the top layer holds is renamed there;
 * - a directory that merges lower layers is copied whole (its union) into the
 *   top layer under the new name — where overlayfs without redirect_dir and
 *   fuse-overlayfs answer EXDEV and leave `mv` to copy, this mount does it;
 * - the old name is whited out where the layers below still have it; a
 *   directory landing where the layers below have one is made opaque, so the
 *   old contents there do not merge back in.
 *
 * Fails with ENOENT, EINVAL (into itself), EISDIR/ENOTDIR (kind mismatch),
 * ENOTEMPTY, EROFS, EILSEQ (a new name that was not UTF-8).
 */
export function renameOps(u: UnionFs) {
  return {
    rename(from: string, to: string): Promise<void> {
      return u.mutate(async () => {
        if (from === to) return;
        if (to.startsWith(`${from}/`)) throw fsError('EINVAL', `${from} into itself`);
        refuseReplacedBytes(to.slice(to.lastIndexOf('/') + 1), to);
        const src = await u.locate(from);
        const srcStat = await lstat(src.fsPath);
        const dst = await u.tree.locate(to);
        if (dst !== undefined) {
          const dstStat = await lstat(dst.fsPath);
          if (srcStat.isDirectory() && !dstStat.isDirectory()) throw fsError('ENOTDIR', to);
          if (!srcStat.isDirectory() && dstStat.isDirectory()) throw fsError('EISDIR', to);
          if (dstStat.isDirectory() && (await u.tree.readdir(to)).length > 0) throw fsError('ENOTEMPTY', to);
          if (dstStat.ino === srcStat.ino && dstStat.dev === srcStat.dev) return; // two names of one file
        }
        await u.copyUp(layerPathParent(from));
        await u.copyUp(layerPathParent(to));
        const isDir = srcStat.isDirectory();
        let moving: string;
        if (!isDir) moving = await u.copyUp(from);
        else if (src.inTop && !(await mergesLower(u, from))) moving = src.fsPath;
        else moving = await u.copyTree(from);
        const target = u.upper(to);
        // What the top layer holds at the target is empty in the union: a directory of whiteouts only, or a whiteout.
        const there = await lstatIfPresent(target);
        if (there?.isDirectory()) await rm(target, { recursive: true });
        else if (there !== undefined && isDir) await unlink(target); // rename(2) puts no directory over a non-directory
        await rename(moving, target);
        if (isDir && (await u.lowerHas(to))) markOpaque(target, u.opaqueXattr);
        if (src.inTop && moving !== src.fsPath) await rm(src.fsPath, { recursive: true, force: true });
        if (await u.lowerHas(from)) makeWhiteout(u.upper(from));
        u.tree.update(from, null);
        u.tree.update(to, { isDir });
        u.ctimes.gone(to);
        u.ctimes.moved(from, to);
      }, layerPathParent(from), layerPathParent(to), to);
    },
  };
}

/** Does the top layer's directory at path merge with a directory of the layers below? */
async function mergesLower(u: UnionFs, path: string): Promise<boolean> {
  if (u.lower === null || isOpaqueDir(u.upper(path))) return false;
  return (await u.lower.stat(path))?.type === 'directory';
}
