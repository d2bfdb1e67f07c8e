import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, StrataError, errnoOf } from '../../errors.js';

/** Symlinks followed in one resolution before giving up (Linux's MAXSYMLINKS). */
const MAX_LINKS = 40;

export interface RootPath {
  /** Host path: `root` joined with `inRoot`. Always below `root` (or `root` itself). */
  readonly host: string;
  /** Absolute path inside the root, every symlink resolved (components that do not exist are kept as given, `..` applied lexically). */
  readonly inRoot: string;
  /** Whether the whole path exists. */
  readonly exists: boolean;
}

/**
 * Resolves `path` inside the directory `root` as a process chrooted there would,
 * except that nothing can lead outside it: an absolute symlink restarts at
 * `root`, and `..` stops at it. The answer can be opened on the host without
 * following a link outside the root — provided no one changes the tree
 * meanwhile (the container is not running yet when the runner calls this).
 * Fails with EINVALID when a symlink loop exceeds 40 links or a component
 * below a non-directory is asked for.
 */
export async function resolveInRoot(root: string, path: string): Promise<RootPath> {
  const pending = path.split('/');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, part);
    let isLink: boolean;
    try {
      isLink = (await lstat(host)).isSymbolicLink();
    } catch (err) {
      const errno = errnoOf(err);
      if (errno === 'ENOENT') return missing(root, [...done, part], pending);
      if (errno === 'ENOTDIR') throw new StrataError(ErrorCode.EINVALID, `${path}: /${done.join('/')} is not a directory in the container`);
      throw err;
    }
    if (!isLink) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new StrataError(ErrorCode.EINVALID, `${path}: too many levels of symbolic links in the container`);
    const target = await readlink(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/'));
  }
  return { host: join(root, ...done), inRoot: '/' + done.join('/'), exists: true };
}

/** The answer for a path whose component `done.at(-1)` is missing: the rest is applied lexically. */
function missing(root: string, done: string[], rest: string[]): RootPath {
  for (const part of rest) {
    if (part === '' || part === '.') continue;
    if (part === '..') done.pop();
    else done.push(part);
  }
  return { host: join(root, ...done), inRoot: '/' + done.join('/'), exists: false };
}
