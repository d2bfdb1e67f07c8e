import { constants, ftruncate, write } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink, truncate, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { splitRdev } from '../../core/directory-tree.js';
import { sys } from '../../core/sys/index.js';
import { isOverlayXattr, layerPathParent } from '../../core/tree.js';
import { markOpaque } from '../../core/union/whiteout-format.js';
import type { Caller } from './caller.js';
import { fsError, refuseReplacedBytes } from './errno.js';
import { giveToCaller } from './ownership.js';
import { O_ACCMODE, openFd } from './ops-read.js';
import type { UnionFs } from './union-fs.js';

const writeAt = promisify(write);
const truncateFd = promisify(ftruncate);
/** fuse-native hands "leave unchanged" (-1) as an unsigned 32-bit number. */
const UNCHANGED_ID = 0xffffffff;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/**
 * fuse-native passes utimens' times as milliseconds. scripts/patch-fuse-native.mjs
 * (postinstall) fixes its C shim (the mtime slot held the atime) and turns
 * UTIME_NOW and UTIME_OMIT into these markers; an unpatched shim sends 1073 ms
 * (tv_sec 0, tv_nsec ~2^30) for both, taken as "now".
 */
const UTIME_NOW_MS = 2 ** 52 + 1;
const UTIME_OMIT_MS = 2 ** 52 + 2;
const UNPATCHED_MARKER_MS = 1073;
/** Flags that make sense for the creating call only, or that the kernel already applied (append offsets). */
const CREATION_FLAGS = constants.O_CREAT | constants.O_EXCL | constants.O_NOCTTY | constants.O_APPEND | constants.O_TRUNC;

/**
 * The operations that change the top layer, as kernel overlayfs changes an
 * upper directory: copy-up on the first change of a lower entry (data and
 * metadata), a whiteout (char 0/0) where a deleted name exists below, an
 * opaque directory where a new directory replaces a whited-out one. Each one
 * runs inside `UnionFs.mutate` (EROFS on a read-only mount) and records its
 * effect in the mount's index.
 */
export function writeOps(u: UnionFs) {
  return {
    /** An open for writing: the file is copied up and opened read-write in the top layer. */
    openForWrite(path: string, flags: number): Promise<number> {
      return u.mutate(async () => {
        const fsPath = await u.copyUp(path);
        return openFd(fsPath, (flags & ~CREATION_FLAGS & ~O_ACCMODE) | constants.O_RDWR | (flags & constants.O_TRUNC));
      }, ...((flags & constants.O_TRUNC) !== 0 ? [path] : []));
    },
    /** `caller` (here and in mkdir, symlink, mknod): who asks, given by fuseOps; the new node becomes theirs (`giveToCaller`). */
    create(path: string, mode: number, caller?: Caller): Promise<number> {
      return u.mutate(async () => {
        const { fsPath } = await u.prepareNew(path);
        const fd = await openFd(fsPath, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR, mode & 0o7777);
        u.tree.update(path, { isDir: false });
        if (u.privileged) await giveToCaller(fsPath, caller, S_IFREG | (mode & 0o7777), fd);
        return fd;
      }, layerPathParent(path), path);
    },
    async write(path: string, fd: number, buf: Buffer, len: number, pos: number): Promise<number> {
      if (!u.writable) throw fsError('EROFS');
      u.ctimes.changed(path);
      return (await writeAt(fd, buf, 0, len, pos)).bytesWritten;
    },
    truncate(path: string, size: number): Promise<void> {
      return u.mutate(async () => truncate(await u.copyUp(path), size), path);
    },
    async ftruncate(path: string, fd: number, size: number): Promise<void> {
      if (!u.writable) throw fsError('EROFS');
      u.ctimes.changed(path);
      await truncateFd(fd, size);
    },
    mkdir(path: string, mode: number, caller?: Caller): Promise<void> {
      return u.mutate(async () => {
        const { fsPath, replacedWhiteout } = await u.prepareNew(path);
        await mkdir(fsPath, { mode: mode & 0o7777 });
        if (replacedWhiteout) markOpaque(fsPath, u.opaqueXattr);
        u.tree.update(path, { isDir: true });
        if (u.privileged) await giveToCaller(fsPath, caller, S_IFDIR | (mode & 0o7777));
      }, layerPathParent(path), path);
    },
    symlink(target: string, path: string, caller?: Caller): Promise<void> {
      return u.mutate(async () => {
        refuseReplacedBytes(target, `the target of ${path}`);
        const { fsPath } = await u.prepareNew(path);
        await symlink(target, fsPath);
        u.tree.update(path, { isDir: false });
        if (u.privileged) await giveToCaller(fsPath, caller, S_IFLNK | 0o777);
      }, layerPathParent(path), path);
    },
    mknod(path: string, mode: number, dev: number, caller?: Caller): Promise<void> {
      return u.mutate(async () => {
        const { fsPath } = await u.prepareNew(path);
        const { major, minor } = splitRdev(BigInt(dev));
        sys.mknod(fsPath, mode, major, minor);
        u.tree.update(path, { isDir: false });
        if (u.privileged) await giveToCaller(fsPath, caller, mode);
      }, layerPathParent(path), path);
    },
    link(from: string, path: string): Promise<void> {
      return u.mutate(async () => {
        if ((await lstat((await u.locate(from)).fsPath)).isDirectory()) throw fsError('EPERM', from);
        const source = await u.copyUp(from);
        const { fsPath } = await u.prepareNew(path);
        await link(source, fsPath);
        u.tree.update(path, { isDir: false });
      }, from, layerPathParent(path), path);
    },
    unlink(path: string): Promise<void> {
      return u.mutate(async () => {
        const at = await u.locate(path);
        if ((await lstat(at.fsPath)).isDirectory()) throw fsError('EISDIR', path);
        await u.copyUp(layerPathParent(path));
        if (at.inTop) await unlink(at.fsPath);
        await u.hide(path);
      }, layerPathParent(path));
    },
    rmdir(path: string): Promise<void> {
      return u.mutate(async () => {
        const at = await u.locate(path);
        if (!(await lstat(at.fsPath)).isDirectory()) throw fsError('ENOTDIR', path);
        if ((await u.tree.readdir(path)).length > 0) throw fsError('ENOTEMPTY', path);
        await u.copyUp(layerPathParent(path));
        // The top layer's copy holds at most whiteouts of lower names.
        if (at.inTop) await rm(at.fsPath, { recursive: true });
        await u.hide(path);
      }, layerPathParent(path));
    },
    chmod(path: string, mode: number): Promise<void> {
      return u.mutate(async () => chmod(await u.copyUp(path), mode & 0o7777), path);
    },
    chown(path: string, uid: number, gid: number): Promise<void> {
      return u.mutate(async () => {
        const fsPath = await u.copyUp(path);
        await lchown(fsPath, uid === UNCHANGED_ID ? -1 : uid, gid === UNCHANGED_ID ? -1 : gid);
      }, path);
    },
    utimens(path: string, atime: number, mtime: number): Promise<void> {
      return u.mutate(async () => {
        const fsPath = await u.copyUp(path);
        if (atime === UTIME_OMIT_MS && mtime === UTIME_OMIT_MS) return;
        // Node has no UTIME_OMIT: a kept time is read back (to ~0.25 µs: seconds as a double).
        const kept = atime === UTIME_OMIT_MS || mtime === UTIME_OMIT_MS ? await lstat(fsPath) : undefined;
        const now = Date.now();
        const seconds = (ms: number, keptMs: number | undefined): number =>
          (ms === UTIME_OMIT_MS ? keptMs! : ms === UTIME_NOW_MS || ms === UNPATCHED_MARKER_MS ? now : ms) / 1000;
        await lutimes(fsPath, seconds(atime, kept?.atimeMs), seconds(mtime, kept?.mtimeMs));
      }, path);
    },
    setxattr(path: string, name: string, value: Buffer): Promise<void> {
      return u.mutate(async () => {
        if (isOverlayXattr(name)) throw fsError('EPERM', name);
        sys.lsetxattr(await u.copyUp(path), name, Buffer.from(value));
      }, path);
    },
    removexattr(path: string, name: string): Promise<void> {
      return u.mutate(async () => {
        if (isOverlayXattr(name)) throw fsError('ENODATA', name);
        const at = await u.locate(path);
        if (sys.lgetxattr(at.fsPath, name) === null) throw fsError('ENODATA', name);
        sys.lremovexattr(await u.copyUp(path), name);
      }, path);
    },
  };
}

