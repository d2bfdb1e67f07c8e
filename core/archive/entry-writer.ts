import { constants, fchmodSync, fchownSync, futimesSync } from 'node:fs';
import { chmod, lchown, lutimes, mkdir, symlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ErrorCode, StrataError, errnoOf } from '../errors.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, sys } from '../sys/index.js';
import type { LayerTarHeader } from './entry.js';
import { batches, closeFd, openFd, writevAllFd } from './fd.js';
import { unsafe } from './safe-path.js';

/** What the node writers need besides the entry itself. */
export interface NodeWriterContext {
  /** lchown to the entry's owner (only root may give files away). */
  readonly chown: boolean;
  /** Create character and block devices; refused otherwise. */
  readonly allowDevices: boolean;
  /** Directory mode and mtime are applied after all entries (children change a directory's mtime). */
  deferDirectory(host: string, mode: number, mtime: Date | undefined): void;
}

/** Header fields a node needs; copy-ups from a lower layer synthesize them. */
export type NodeHeader = Pick<LayerTarHeader, 'type' | 'mode' | 'uid' | 'gid' | 'mtime' | 'linkName' | 'devmajor' | 'devminor' | 'xattrs'>;

const CREATE_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** File content is written in runs of at least this many bytes (one writev each): 1 MiB. */
const WRITE_RUN = 1024 * 1024;

/**
 * Creates the node `header` describes at `host`, where nothing exists and whose
 * parents are real directories, with owner, mode, xattrs and mtime (directories:
 * deferred). Hardlinks are not nodes: the extractor links them itself.
 * Returns the bytes of file content written.
 * Fails with EUNSAFEARCHIVE for a device node without `allowDevices`; `what`
 * names the entry in messages. OS errors propagate.
 */
export async function createNode(host: string, header: NodeHeader, body: Readable, ctx: NodeWriterContext, what: string): Promise<number> {
  switch (header.type) {
    case 'file':
      return writeFile(host, header, body, ctx, what);
    case 'directory':
      await mkdir(host, 0o700);
      await setDirectoryMetadata(host, header, ctx, what);
      return 0;
    case 'symlink':
      await symlink(header.linkName ?? '', host);
      break;
    case 'char':
    case 'block':
      if (!ctx.allowDevices) throw unsafe(what, 'device nodes are refused here (extraction not privileged)');
      sys.mknod(host, (header.type === 'char' ? S_IFCHR : S_IFBLK) | 0o600, header.devmajor ?? 0, header.devminor ?? 0);
      break;
    case 'fifo':
      sys.mknod(host, S_IFIFO | 0o600, 0, 0);
      break;
    default:
      throw new StrataError(ErrorCode.EBADARCHIVE, `entry ${JSON.stringify(what)}: cannot create a ${header.type} from a tar entry`);
  }
  if (ctx.chown) await lchown(host, header.uid, header.gid);
  if (header.type !== 'symlink') await chmod(host, header.mode);
  setXattrs(host, header, what);
  await lutimes(host, header.mtime, header.mtime);
  return 0;
}

/** Owner and xattrs now, mode and mtime deferred: for new and for merged directories. */
export async function setDirectoryMetadata(host: string, header: NodeHeader, ctx: NodeWriterContext, what: string): Promise<void> {
  if (ctx.chown) await lchown(host, header.uid, header.gid);
  setXattrs(host, header, what);
  ctx.deferDirectory(host, header.mode, header.mtime);
}

/**
 * Owner, mode and times go on the open descriptor synchronously: each is an
 * inode update that never waits for the disk, far cheaper than a thread-pool
 * round trip (the file is in the layer's own directory, never on a FUSE mount).
 */
async function writeFile(host: string, header: NodeHeader, body: Readable, ctx: NodeWriterContext, what: string): Promise<number> {
  const fd = await openFd(host, CREATE_FILE, 0o600);
  let bytes = 0;
  try {
    for await (const run of batches(body as AsyncIterable<Buffer>, WRITE_RUN)) {
      await writevAllFd(fd, run);
      for (const chunk of run) bytes += chunk.length;
    }
    if (ctx.chown) fchownSync(fd, header.uid, header.gid);
    fchmodSync(fd, header.mode);
    setXattrs(host, header, what);
    futimesSync(fd, header.mtime, header.mtime);
  } finally {
    await closeFd(fd);
  }
  return bytes;
}

/** Sets the entry's xattrs without following symlinks; ignored where the filesystem has none. */
function setXattrs(host: string, header: NodeHeader, what: string): void {
  for (const [name, value] of Object.entries(header.xattrs ?? {})) {
    try {
      sys.lsetxattr(host, name, value);
    } catch (err) {
      const errno = errnoOf(err);
      if (errno === 'ENOTSUP' || errno === 'EOPNOTSUPP') return;
      // the kernel keeps user.* xattrs off symlinks: nothing to set, nothing unsafe
      if (errno === 'EPERM' && header.type === 'symlink' && name.startsWith('user.')) continue;
      throw new StrataError(ErrorCode.EIO, `entry ${JSON.stringify(what)}: cannot set xattr ${name}: ${errno ?? String(err)}`, { cause: err });
    }
  }
}
