import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { chmod, copyFile, lchown, link, lstat, lutimes, mkdir, readdir, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { splitRdev, sys } from '../../core/kit.js';

/**
 * Copies the tree at `source` to `target` (which must not exist) as `cp -a`
 * would: file content through copy-on-write clones where the filesystem offers
 * them (FICLONE; a plain copy otherwise), modes including setuid/setgid/sticky,
 * owners, mtimes, extended attributes, symlinks (never followed), hardlink
 * groups, device nodes, FIFOs and sockets. Directories get their metadata after
 * their children, so their mtimes survive. Owners other than the caller's need root.
 */
export async function copyTree(source: string, target: string): Promise<void> {
  await copyEntry(source, target, new Map());
}

/** `links` maps a source inode ("dev:ino") to the first target path made for it. */
async function copyEntry(source: string, target: string, links: Map<string, string>): Promise<void> {
  const st = await lstat(source);
  if (st.isDirectory()) {
    await mkdir(target);
    for (const name of await readdir(source)) await copyEntry(join(source, name), join(target, name), links);
  } else if (st.isFile()) {
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? links.get(key) : undefined;
    if (first !== undefined) {
      await link(first, target);
      return;
    }
    if (st.nlink > 1) links.set(key, target);
    await copyFile(source, target, constants.COPYFILE_FICLONE);
  } else if (st.isSymbolicLink()) {
    await symlink(await readlink(source), target);
  } else {
    const { major, minor } = splitRdev(BigInt(st.rdev));
    sys.mknod(target, st.mode, major, minor);
  }
  await copyMetadata(source, target, st);
}

async function copyMetadata(source: string, target: string, st: Stats): Promise<void> {
  for (const name of sys.llistxattr(source)) {
    const value = sys.lgetxattr(source, name);
    if (value !== null) sys.lsetxattr(target, name, value);
  }
  await lchown(target, st.uid, st.gid);
  // chmod after chown: chown clears setuid/setgid. Symlinks have no mode of their own.
  if (!st.isSymbolicLink()) await chmod(target, st.mode & 0o7777);
  await lutimes(target, st.atime, st.mtime);
}
