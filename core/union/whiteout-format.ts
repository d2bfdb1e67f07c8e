import type { BigIntStats, Stats } from 'node:fs';
import { sys, S_IFCHR } from '../sys/index.js';
import { ErrorCode, StrataError, errnoOf } from '../errors.js';
import type { EntryStat } from '../tree.js';

/**
 * How an upper directory records deletions, exactly as kernel overlayfs reads
 * and writes them (Documentation/filesystems/overlayfs.rst):
 *
 * - a *whiteout* is a character device 0/0 named like the entry it hides;
 * - an *opaque directory* carries the xattr `trusted.overlay.opaque` = "y"
 *   (privileged mounts) or `user.overlay.opaque` = "y" (mounts with the
 *   `userxattr` option, for unprivileged users). Both names are read; the one
 *   written is chosen by the layer home (`opaqueXattrFor`).
 *
 * A directory's `*.overlay.redirect` is read too (redirect-format.ts): it
 * says where the directory continues in the layers below. Any other
 * `*.overlay.*` attribute (origin, impure, ...) is kernel bookkeeping; none is
 * ever part of a layer's content (a diff leaves them all out).
 */
export const TRUSTED_OPAQUE = 'trusted.overlay.opaque';
export const USER_OPAQUE = 'user.overlay.opaque';
const OPAQUE_NAMES: readonly string[] = [TRUSTED_OPAQUE, USER_OPAQUE];
const OPAQUE_VALUE = 'y';

/** The opaque xattr name a layer home writes: trusted.* needs CAP_SYS_ADMIN. */
export function opaqueXattrFor(privileged: boolean): string {
  return privileged ? TRUSTED_OPAQUE : USER_OPAQUE;
}

/** True for a character device 0/0 (Node's fs.Stats or BigIntStats: rdev is the raw dev_t). */
export function isWhiteoutStats(st: Stats | BigIntStats): boolean {
  return st.isCharacterDevice() && Number(st.rdev) === 0;
}

/** True for an EntryStat of a character device 0/0. */
export function isWhiteoutEntry(st: EntryStat): boolean {
  return st.type === 'char' && st.rdev?.major === 0 && st.rdev.minor === 0;
}

/**
 * Is the directory at fsPath marked opaque (either xattr name)? Absent paths
 * are not. One llistxattr, and a read only of a marker that is there (most
 * directories carry no xattr at all: one call instead of one per name).
 */
export function isOpaqueDir(fsPath: string): boolean {
  return isOpaqueMarked(fsPath, markNames(fsPath));
}

/** The attribute names of the directory at fsPath, for its marks (opaque, redirect): [] where it is absent or the filesystem keeps none. */
export function markNames(fsPath: string): string[] {
  try {
    return sys.llistxattr(fsPath);
  } catch (err) {
    if (isNoMarkError(err)) return [];
    throw err;
  }
}

/**
 * `isOpaqueDir` where the directory's attribute names (`names`, as llistxattr
 * gives them) are known already: no call at all unless a marker name is there.
 */
export function isOpaqueMarked(fsPath: string, names: readonly string[]): boolean {
  if (names.length === 0) return false;
  // an indexed loop over a shared list: this runs for every directory a native diff walks
  for (let k = 0; k < OPAQUE_NAMES.length; k++) {
    const name = OPAQUE_NAMES[k]!;
    if (!names.includes(name)) continue;
    try {
      if (sys.lgetxattr(fsPath, name)?.toString() === OPAQUE_VALUE) return true;
    } catch (err) {
      if (!isNoMarkError(err)) throw err;
    }
  }
  return false;
}

/** Errors that mean "no marker here": absent, not a directory path, no xattrs on this filesystem, not ours to read. */
const NO_MARK_ERRORS = new Set(['ENOENT', 'ENOTDIR', 'ENOTSUP', 'EPERM']);

/** Is err one of those that mean "no marker here" (a marker's read or removal that found nothing to act on)? */
export function isNoMarkError(err: unknown): boolean {
  return NO_MARK_ERRORS.has(errnoOf(err) ?? '');
}

/**
 * Creates a whiteout at fsPath (nothing may exist there). Fails with
 * EDRIVERUNAVAILABLE where the process may not make it (unprivileged before
 * Linux 5.8, which allows anyone a whiteout), else with the errno of mknod.
 */
export function makeWhiteout(fsPath: string): void {
  try {
    sys.mknod(fsPath, S_IFCHR, 0, 0);
  } catch (err) {
    if (errnoOf(err) !== 'EPERM') throw err;
    throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `cannot record a deletion at ${fsPath}: this kernel lets only CAP_MKNOD make whiteouts (device 0/0)`, { cause: err });
  }
}

/** Marks the directory at fsPath opaque under the given xattr name. */
export function markOpaque(fsPath: string, xattrName: string): void {
  sys.lsetxattr(fsPath, xattrName, Buffer.from(OPAQUE_VALUE));
}
