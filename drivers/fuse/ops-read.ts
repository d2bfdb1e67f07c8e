import { closeSync, fdatasync, fstatSync, fsync, lstatSync, open, openSync, read } from 'node:fs';
import { constants } from 'node:fs';
import { readlink, statfs } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { promisify } from 'node:util';
import type { FuseStat, FuseStatfs } from 'fuse-native';
import { sys } from '../../core/sys/index.js';
import { isOverlayXattr } from '../../core/tree.js';
import { isWhiteoutStats } from '../../core/union/whiteout-format.js';
import { fsError } from './errno.js';
import type { UnionFs } from './union-fs.js';

const readAt = promisify(read);
/** Raw fds, not FileHandles: a FileHandle closes its fd when collected, and these live on as FUSE file handles. */
export const openFd = promisify(open);
const syncFd = promisify(fsync);
const dataSyncFd = promisify(fdatasync);

/**
 * Fault injection for tests (ms, read once as the mount process starts): a pause before fstat
 * of an unnamed open file's handle, which widens the window in which another handle's RELEASE
 * could close the descriptor first (see Holds in scripts/fuse-native-fast-paths.c).
 */
const TEST_FGETATTR_DELAY_MS = Number(process.env.STRATA_FUSE_TEST_FGETATTR_DELAY_MS ?? 0) || 0;

/** The access-mode bits of open(2) flags (Node's fs.constants lacks O_ACCMODE). */
export const O_ACCMODE = 3;

/**
 * What getattr answers for a backing entry's lstat, showing `ino` as st_ino
 * (use_ino; UnionFs.inode gives the number: hard links show as one file, a
 * copy-up keeps its source's). Without `ino`, the backing inode.
 */
export function fuseStat(st: Stats, ino: number = st.ino): FuseStat {
  return {
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    // A merged directory's link count is not its backing copy's: 1 tells find(1) not to count subdirectories.
    nlink: st.isDirectory() ? 1 : st.nlink,
    ino,
    rdev: st.rdev,
    blksize: st.blksize,
    blocks: st.blocks,
    atime: Math.floor(st.atimeMs),
    mtime: Math.floor(st.mtimeMs),
    ctime: Math.floor(st.ctimeMs),
  };
}

/** Does an open with these flags change the file (write access, or truncation)? */
export function opensForWrite(flags: number): boolean {
  return (flags & O_ACCMODE) !== constants.O_RDONLY || (flags & constants.O_TRUNC) !== 0;
}

/**
 * The operations that only look. Every one resolves its path through the
 * mount's index to the one backing entry that holds it (O(1) in depth).
 * Reads are served from a real fd on the backing file: `open` returns that
 * fd as the FUSE file handle and `read` is a pread on it — no path lookup and
 * no copying through JavaScript streams per call. No `flush`: writes go
 * straight to the backing fd, so there is nothing to flush, and libfuse
 * answering ENOSYS once spares a call per close(2).
 */
export function readOps(u: UnionFs) {
  /**
   * A whiteout where the index located path means the name was removed
   * between the lookup and the lstat (a removal runs beside this): ENOENT, as
   * for a name already gone. Answering the whiteout's char-device attributes
   * for an inode the kernel knows as a file or directory made it mark the
   * inode bad and fail with EIO (`find` beside `rm -rf`).
   */
  async function getattr(path: string): Promise<FuseStat> {
    const at = await u.locate(path);
    const st = lstatSync(at.fsPath); // a metadata call answered from the kernel's caches: a thread-pool hop costs more
    if (isWhiteoutStats(st)) throw fsError('ENOENT', path);
    const shown = fuseStat(st, await u.inode(path, at, st));
    shown.ctime = Math.floor(u.ctimes.shown(path, st.ctimeMs));
    return shown;
  }
  return {
    getattr,
    /**
     * fstat(2) of an open file: as getattr while the file has a name; for a
     * file removed while open (path '', see UNNAMED_OK) the backing file's
     * own fstat, through the handle (its descriptor), showing the number its
     * inode gives (`InodeNumbers.fresh`: a copied-up file loses the number it
     * showed before; a kept one is not readable without its name).
     */
    async fgetattr(path: string, fd: number): Promise<FuseStat> {
      if (path !== '') return getattr(path);
      if (fd <= 0) throw fsError('ENOENT');
      if (TEST_FGETATTR_DELAY_MS > 0) await new Promise((resolve) => setTimeout(resolve, TEST_FGETATTR_DELAY_MS));
      const st = fstatSync(fd);
      return fuseStat(st, u.inodes.fresh(st));
    },
    /** The kernel asks only for directories it opened as such (it answers ENOTDIR itself): no lstat. */
    async readdir(path: string): Promise<string[]> {
      await u.locate(path);
      return ['.', '..', ...(await u.tree.readdir(path))];
    },
    async readlink(path: string): Promise<string> {
      return readlink((await u.locate(path)).fsPath);
    },
    /** Read-only opens; opens for writing copy up first (see writeOps.open). */
    async openForRead(path: string): Promise<number> {
      return openSync((await u.locate(path)).fsPath, constants.O_RDONLY | constants.O_NOFOLLOW);
    },
    async read(_path: string, fd: number, buf: Buffer, len: number, pos: number): Promise<number> {
      return (await readAt(fd, buf, 0, len, pos)).bytesRead;
    },
    async release(_path: string, fd: number): Promise<void> {
      closeSync(fd);
    },
    async fsync(_path: string, datasync: boolean, fd: number): Promise<void> {
      if (fd > 0) await (datasync ? dataSyncFd(fd) : syncFd(fd));
    },
    async statfs(): Promise<FuseStatfs> {
      const s = await statfs(u.upperDir);
      return {
        bsize: s.bsize, frsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail,
        files: s.files, ffree: s.ffree, favail: s.ffree, fsid: 0, flag: 0, namemax: 255,
      };
    },
    async getxattr(path: string, name: string): Promise<Buffer | null> {
      if (isOverlayXattr(name)) return null;
      return sys.lgetxattr((await u.locate(path)).fsPath, name);
    },
    async listxattr(path: string): Promise<string[]> {
      return sys.llistxattr((await u.locate(path)).fsPath).filter((n) => !isOverlayXattr(n));
    },
  };
}
