import { fchmod, fchown } from 'node:fs';
import { chmod, lchown, lstat, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { Caller } from './caller.js';

const fchownFd = promisify(fchown);
const fchmodFd = promisify(fchmod);
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;

/**
 * Gives a node the mount just made in the top layer (as root) to the process
 * that asked for it, as a local filesystem would: owner = the caller's uid;
 * group = the caller's gid, or the parent directory's where that one has
 * the set-group-ID bit (the backing filesystem gave it that group and, for a
 * directory, the bit already). `mode` is the full mode asked for (umask
 * applied by the kernel): chown(2) clears set-user/group-ID bits on files, so
 * they are put back afterwards, except S_ISGID where the file's group is not
 * one of the caller's groups (supplementary ones included, read from
 * /proc/<pid>/status) and the caller is not root — as inode_init_owner does.
 * `fd`: an open descriptor of the node (create), used instead of the path.
 * A no-op without a caller (unpatched binding) or unprivileged mount.
 * Fails with the errno of chown/chmod.
 */
export async function giveToCaller(fsPath: string, caller: Caller | undefined, mode: number, fd?: number): Promise<void> {
  if (caller === undefined || (caller.uid === 0 && caller.gid === 0)) return; // made as root:root already (or the setgid parent's group)
  const parent = await lstat(dirname(fsPath));
  const inheritsGroup = (parent.mode & S_ISGID) !== 0;
  const gid = inheritsGroup ? parent.gid : caller.gid;
  if (fd !== undefined) await fchownFd(fd, caller.uid, gid);
  else await lchown(fsPath, caller.uid, gid);
  const isDir = (mode & 0o170000) === 0o040000;
  const isLink = (mode & 0o170000) === 0o120000;
  let special = mode & (S_ISUID | S_ISGID);
  if (special === 0 || isDir || isLink) return;
  if ((special & S_ISGID) !== 0 && caller.uid !== 0 && !(await inGroup(caller, gid))) special &= ~S_ISGID;
  const perms = (mode & 0o777) | special;
  if (fd !== undefined) await fchmodFd(fd, perms);
  else await chmod(fsPath, perms);
}

/** Is gid the caller's primary group or one of its supplementary groups? */
async function inGroup(caller: Caller, gid: number): Promise<boolean> {
  if (caller.gid === gid) return true;
  const status = await readFile(`/proc/${caller.pid}/status`, 'utf8').catch(() => '');
  const groups = /^Groups:\s*(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
  return groups.includes(gid);
}
