import { sys } from '../sys/index.js';
import { layerPathJoin } from '../tree.js';
import { isNoMarkError, isOpaqueMarked, markNames } from './whiteout-format.js';

/**
 * # Redirected directories, as kernel overlayfs (`redirect_dir=on`) records them
 *
 * Renaming a directory that merges lower layers does not copy its subtree:
 * the upper layer gets a directory under the new name carrying the xattr
 * `trusted.overlay.redirect` (`user.overlay.redirect` for layers written by
 * unprivileged processes, as the opaque marker), and a whiteout at the old
 * name. Below a redirected directory, the stack below the layer is read at the
 * redirect's path, not at the directory's own name:
 *
 * - a value starting with '/' is a path of the union *below the layer that
 *   holds the directory*, from its root (`/usr/share`);
 * - any other value is one name: the sibling of that name in the directory
 *   the parent merges with below (a rename within one directory).
 *
 * So redirects chain (the directory a redirect names may itself be redirected
 * in a layer further down: each layer's value is a path of the union right
 * below it) and nest (a redirected directory's own subdirectories continue
 * below the redirect's path, and may carry redirects of their own). A
 * directory carrying both an opaque marker and a redirect is opaque (nothing
 * below merges), as in overlayfs. Values are written without a trailing NUL,
 * as the kernel writes them.
 */
export const TRUSTED_REDIRECT = 'trusted.overlay.redirect';
export const USER_REDIRECT = 'user.overlay.redirect';
const REDIRECT_NAMES: readonly string[] = [TRUSTED_REDIRECT, USER_REDIRECT];

/** The redirect xattr name a layer writes: trusted.* needs CAP_SYS_ADMIN (as `opaqueXattrFor`). */
export function redirectXattrFor(privileged: boolean): string {
  return privileged ? TRUSTED_REDIRECT : USER_REDIRECT;
}

/** What a directory of an upper layer says about merging with the stack below it. */
export interface DirMarks {
  readonly opaque: boolean;
  /** The raw redirect value (absolute path or one name), where one is set and the directory is not opaque. */
  readonly redirect?: string;
}

const NO_MARKS: DirMarks = Object.freeze({ opaque: false });
const OPAQUE: DirMarks = Object.freeze({ opaque: true });

/**
 * The opaque marker and redirect of the directory at fsPath (either xattr
 * name of each). One llistxattr; a value is read only where its name is
 * there (most directories carry no xattr). Absent paths and filesystems
 * without xattrs have no marks. A redirect value that is empty, holds a NUL,
 * or (relative) a '/' is ignored: the directory merges as if unredirected.
 */
export function dirMarks(fsPath: string): DirMarks {
  const names = markNames(fsPath);
  if (names.length === 0) return NO_MARKS;
  if (isOpaqueMarked(fsPath, names)) return OPAQUE;
  const redirect = redirectFromNames(fsPath, names);
  return redirect === undefined ? NO_MARKS : { opaque: false, redirect };
}

/**
 * The redirect of a directory that is not opaque, from its attribute names
 * already listed (`names`): the value is read only where a redirect name is
 * there; undefined where none is, or the value is one this reader ignores.
 */
export function redirectFromNames(fsPath: string, names: readonly string[]): string | undefined {
  // an indexed loop over a shared list: this runs for every directory with attributes a native diff walks
  for (let k = 0; k < REDIRECT_NAMES.length; k++) {
    const name = REDIRECT_NAMES[k]!;
    if (!names.includes(name)) continue;
    const value = read(fsPath, name);
    if (value !== undefined && isValidRedirect(value)) return value;
  }
  return undefined;
}

/** Is value a redirect this reader follows (an absolute layer path, or one name other than '.' and '..')? */
export function isValidRedirect(value: string): boolean {
  if (value.length === 0 || value.includes('\0')) return false;
  if (value.startsWith('/')) return !value.split('/').slice(1).some((c) => c === '' || c === '.' || c === '..') || value === '/';
  return !value.includes('/') && value !== '.' && value !== '..';
}

/**
 * The path of the union below that a redirected directory continues:
 * `redirect` as read by `dirMarks`, and `parentBelow`, the path below that the
 * directory's parent merges with (undefined where the parent merges nothing:
 * then a relative redirect leads nowhere, and the answer is undefined).
 */
export function redirectTarget(redirect: string, parentBelow: string | undefined): string | undefined {
  if (redirect.startsWith('/')) return redirect;
  return parentBelow === undefined ? undefined : layerPathJoin(parentBelow, redirect);
}

/**
 * The redirect value that makes a directory at layer path `to` continue
 * `target` below, where `toParentBelow` is what `to`'s parent merges with
 * below (undefined: nothing). Undefined where none is needed (`to`'s own
 * name already leads to target); one name where target is a sibling below;
 * else target itself (absolute).
 */
export function redirectFor(to: string, target: string, toParentBelow: string | undefined): string | undefined {
  if (toParentBelow !== undefined) {
    const name = target.slice(target.lastIndexOf('/') + 1);
    const targetParent = target.slice(0, target.lastIndexOf('/')) || '/';
    if (targetParent === toParentBelow) return name === to.slice(to.lastIndexOf('/') + 1) ? undefined : name;
  }
  return target;
}

/** Sets (value) or removes (undefined) the redirect of the directory at fsPath, under both names' rule: writes `xattrName`, removes the other. */
export function setRedirect(fsPath: string, value: string | undefined, xattrName: string): void {
  for (const name of [TRUSTED_REDIRECT, USER_REDIRECT]) {
    if (name !== xattrName || value === undefined) removeQuietly(fsPath, name);
  }
  if (value !== undefined) sys.lsetxattr(fsPath, xattrName, Buffer.from(value));
}

function read(fsPath: string, name: string): string | undefined {
  try {
    return sys.lgetxattr(fsPath, name)?.toString() ?? undefined;
  } catch (err) {
    if (isNoMarkError(err)) return undefined;
    throw err;
  }
}

function removeQuietly(fsPath: string, name: string): void {
  try {
    sys.lremovexattr(fsPath, name);
  } catch (err) {
    if (!isNoMarkError(err)) throw err;
  }
}
