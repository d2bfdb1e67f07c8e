import { chmod, lchown, link, mkdir, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { S_IFCHR, S_IFIFO } from '../sys/index.js';

/**
 * One edit of a tree, as a scenario records it. Paths are layer paths ('/a/b').
 * The same edits are applied to the oracle directory and, through the mount,
 * to writable layers; a tar built from the oracle applies them to every layer.
 */
export type Op =
  | { readonly op: 'mkdir'; readonly path: string; readonly mode?: number; readonly uid?: number; readonly gid?: number }
  | {
      readonly op: 'write';
      readonly path: string;
      readonly data: string;
      readonly mode?: number;
      readonly uid?: number;
      readonly gid?: number;
      /** Seconds since the epoch; default: the step's time. */
      readonly mtime?: number;
    }
  | { readonly op: 'symlink'; readonly path: string; readonly target: string; readonly uid?: number; readonly gid?: number }
  /** A hard link at path to the existing file target (a layer path). */
  | { readonly op: 'link'; readonly path: string; readonly target: string }
  | { readonly op: 'mknod'; readonly path: string; readonly kind: 'fifo' | 'char'; readonly mode?: number; readonly major?: number; readonly minor?: number }
  /** Recursive removal. */
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'rename'; readonly from: string; readonly to: string }
  | { readonly op: 'chmod'; readonly path: string; readonly mode: number }
  | { readonly op: 'chown'; readonly path: string; readonly uid: number; readonly gid: number }
  | { readonly op: 'setxattr'; readonly path: string; readonly name: string; readonly value: string };

/**
 * The calls node:fs/promises lacks. On a plain directory they may run inline;
 * on a mount they must not block the event loop (a FUSE driver may be serving
 * it in this process), so the suite runs them in a worker thread.
 */
export interface SysCalls {
  lsetxattr(path: string, name: string, value: Buffer): Promise<void>;
  mknod(path: string, mode: number, major: number, minor: number): Promise<void>;
}

/**
 * Applies ops, in order, to the tree at root with asynchronous calls only.
 * Owners are set only where an op names them; modes always (umask does not
 * leak in); files get mtime `op.mtime ?? stepTime` (seconds).
 */
export async function applyOps(root: string, ops: readonly Op[], stepTime: number, calls: SysCalls): Promise<void> {
  const at = (path: string): string => join(root, path);
  for (const o of ops) {
    switch (o.op) {
      case 'mkdir':
        await mkdir(at(o.path));
        await setOwnerAndMode(at(o.path), o.uid, o.gid, o.mode ?? 0o755);
        break;
      case 'write': {
        const time = o.mtime ?? stepTime;
        await writeFile(at(o.path), o.data);
        await setOwnerAndMode(at(o.path), o.uid, o.gid, o.mode ?? 0o644);
        await utimes(at(o.path), time, time);
        break;
      }
      case 'symlink':
        await symlink(o.target, at(o.path));
        if (o.uid !== undefined || o.gid !== undefined) await lchown(at(o.path), o.uid ?? 0, o.gid ?? 0);
        break;
      case 'link':
        await link(at(o.target), at(o.path));
        break;
      case 'mknod':
        await calls.mknod(at(o.path), (o.kind === 'fifo' ? S_IFIFO : S_IFCHR) | (o.mode ?? 0o644), o.major ?? 0, o.minor ?? 0);
        await chmod(at(o.path), o.mode ?? 0o644);
        break;
      case 'remove':
        await rm(at(o.path), { recursive: true });
        break;
      case 'rename':
        await rename(at(o.from), at(o.to));
        break;
      case 'chmod':
        await chmod(at(o.path), o.mode);
        break;
      case 'chown':
        await lchown(at(o.path), o.uid, o.gid);
        break;
      case 'setxattr':
        await calls.lsetxattr(at(o.path), o.name, Buffer.from(o.value));
        break;
    }
  }
}

/** chown before chmod: chown clears setuid/setgid. */
async function setOwnerAndMode(path: string, uid: number | undefined, gid: number | undefined, mode: number): Promise<void> {
  if (uid !== undefined || gid !== undefined) await lchown(path, uid ?? 0, gid ?? 0);
  await chmod(path, mode);
}

/** Paths whose old content the ops remove; a directory among them that exists again afterwards is re-created opaque. */
export function removedPaths(ops: readonly Op[]): string[] {
  return ops.flatMap((o) => (o.op === 'remove' ? [o.path] : o.op === 'rename' ? [o.from] : []));
}
