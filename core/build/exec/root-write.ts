/**
 * Writing into a mounted root file system (a step's writable layer) as a process
 * chrooted there would, without ever following a link out of it: every path is
 * resolved with `resolveInRoot` (an absolute symlink restarts at the root, `..` stops
 * at it). Paths are absolute inside the root.
 */
import { lstat, mkdir, chown } from 'node:fs/promises';
import { posix } from 'node:path';
import { resolveInRoot } from '../../containers/runner/root-path.js';
import { CREATED_DIRECTORY_MODE } from '../copy-rules.js';

export interface Owner { uid: number; gid: number }

/** The host path of `path` in `root`, the last component's link followed (a write through it). */
export async function hostPath(root: string, path: string): Promise<{ host: string; exists: boolean }> {
  const r = await resolveInRoot(root, path);
  return { host: r.host, exists: r.exists };
}

/** The host path of `path`'s parent, links followed, and the last component not followed. */
export async function hostPathNoFollow(root: string, path: string): Promise<string> {
  const parent = await resolveInRoot(root, posix.dirname(path));
  return posix.join(parent.host, posix.basename(path));
}

/** Whether `path` in `root` is an existing directory (links followed). */
export async function isDirectoryIn(root: string, path: string): Promise<boolean> {
  const r = await resolveInRoot(root, path);
  return r.exists && (await lstat(r.host)).isDirectory();
}

/**
 * Creates `dir` and its missing ancestors in `root` (mode 0755; `dir` itself owned by
 * `owner`, ancestors by root, as Docker 20.10 does); existing ones keep their mode and
 * owner. Returns the host path.
 */
export async function mkdirAllIn(root: string, dir: string, owner: Owner = { uid: 0, gid: 0 }): Promise<string> {
  let current = '/';
  const parts = dir.split('/').filter(Boolean);
  for (const [i, part] of parts.entries()) {
    current = posix.join(current, part);
    const r = await resolveInRoot(root, current);
    if (!r.exists) {
      await mkdir(r.host, { mode: CREATED_DIRECTORY_MODE });
      const who = i === parts.length - 1 ? owner : { uid: 0, gid: 0 };
      await chown(r.host, who.uid, who.gid);
    }
  }
  return (await resolveInRoot(root, dir)).host;
}
