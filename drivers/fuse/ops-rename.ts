import { lstat, rename, rm, unlink } from 'node:fs/promises';
import { layerPathParent } from '../../core/tree.js';
import { redirectFor, setRedirect } from '../../core/union/redirect-format.js';
import { lstatIfPresent } from '../../core/union/upper-dir.js';
import { makeWhiteout, markOpaque } from '../../core/union/whiteout-format.js';
import { fsError, refuseReplacedBytes } from './errno.js';
import type { UnionFs } from './union-fs.js';

/**
 * rename(2) through the union, for files and directories in any layer, as
 * kernel overlayfs with `redirect_dir=on`:
 *
 * - a non-directory is copied up (if lower) and renamed in the top layer;
 * - a directory that merges nothing below (only the top layer holds it) is
 *   renamed there, and made opaque where it lands on a name the layers below
 *   have, so their old contents there do not merge back in;
 * - a directory that continues one below (held below, copied up, or already
 *   redirected) is renamed — or, held below only, made anew as an empty
 *   copy of itself — in the top layer, carrying a redirect to the path below
 *   it continues (redirect-format.ts): nothing of its subtree is copied, hard
 *   links inside stay one file, and its entries keep their st_ino. A
 *   directory renamed back to the name that leads there carries none.
 *   Without `redirectDirs` (upper directories other programs read, as
 *   strata-fuse-overlay's), its whole union is copied under the new name
 *   instead, and made opaque where the layers below have that name;
 * - the old name is whited out where the layers below still have it.
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
        // Asked before anything moves: where from continues below, and what the layers below hold at both names.
        const continues = isDir ? await u.tree.belowPathOf(from) : undefined;
        const redirects = continues !== undefined && u.redirectDirs;
        const redirect = redirects ? redirectFor(to, continues, await u.tree.belowPathOf(layerPathParent(to))) : undefined;
        const opaque = isDir && !redirects && (await u.lowerHas(to));
        const hideFrom = await u.lowerHas(from);
        let moving: string;
        if (!isDir) moving = await u.copyUp(from);
        else if (continues !== undefined && !redirects) moving = await u.copyTree(from);
        else if (src.inTop) moving = src.fsPath;
        else moving = await u.stageDirCopy(from);
        const target = u.upper(to);
        // What the top layer holds at the target is empty in the union: a directory of whiteouts only, or a whiteout.
        const there = await lstatIfPresent(target);
        if (there?.isDirectory()) await rm(target, { recursive: true });
        else if (there !== undefined && isDir) await unlink(target); // rename(2) puts no directory over a non-directory
        if (redirects) setRedirect(moving, redirect, u.redirectXattr);
        await rename(moving, target);
        if (opaque) markOpaque(target, u.opaqueXattr);
        if (src.inTop && moving !== src.fsPath) await rm(src.fsPath, { recursive: true, force: true });
        if (hideFrom) makeWhiteout(u.upper(from));
        u.tree.update(from, null);
        u.tree.update(to, { isDir });
        u.ctimes.gone(to);
        u.ctimes.moved(from, to);
      }, layerPathParent(from), layerPathParent(to), to);
    },
  };
}
