import { chmod, copyFile, lchown, lstat, lutimes, mkdir, readlink, symlink } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { splitRdev } from '../../core/directory-tree.js';
import { sys } from '../../core/sys/index.js';
import { isOverlayXattr } from '../../core/tree.js';

const S_IFMT = 0o170000;

/**
 * Makes at `to` (which must not exist) a copy of the single entry at `from`:
 * a file with its data (a reflink where the filesystem offers one), an empty
 * directory, a symlink, or a device/FIFO/socket node; then its user-visible
 * xattrs, owner (when privileged) and mode. Times are left to `copyTimes`, so
 * a directory can be filled first. Returns from's lstat.
 * Fails with the errno of the failing call.
 */
export async function copyEntry(from: string, to: string, privileged: boolean): Promise<Stats> {
  const st = await lstat(from);
  if (st.isFile()) await copyFile(from, to, constants.COPYFILE_FICLONE);
  else if (st.isDirectory()) await mkdir(to, { mode: 0o700 });
  else if (st.isSymbolicLink()) await symlink(await readlink(from), to);
  else {
    const { major, minor } = splitRdev(BigInt(st.rdev));
    sys.mknod(to, (st.mode & S_IFMT) | 0o600, major, minor);
  }
  for (const name of sys.llistxattr(from)) {
    if (isOverlayXattr(name)) continue;
    const value = sys.lgetxattr(from, name);
    if (value !== null) sys.lsetxattr(to, name, value);
  }
  if (privileged) await lchown(to, st.uid, st.gid);
  if (!st.isSymbolicLink()) await chmod(to, st.mode & 0o7777); // after chown, which clears setuid
  return st;
}

/** Gives `to` the access and modification times of st. */
export async function copyTimes(st: Stats, to: string): Promise<void> {
  await lutimes(to, st.atime, st.mtime);
}
