import { close, fstat, lstat, open, read, write, type BigIntStats } from 'node:fs';
import { promisify } from 'node:util';

/**
 * Promise wrappers over Node's callback fs API with plain descriptors, for the
 * per-entry hot paths (extracting, reading a tree): each call costs about half
 * of what the same call through fs/promises' FileHandle costs. The caller
 * closes what it opens, on every path.
 */
export const openFd = promisify(open);
export const fstatFd = promisify(fstat);
export const closeFd = promisify(close);
/** lstat with bigint fields (nanosecond times, 64-bit inode numbers). */
const lstatPromise = promisify(lstat);
export const lstatBigint = (path: string): Promise<BigIntStats> => lstatPromise(path, { bigint: true });

/** Reads up to `length` bytes at `position` into `buf` at `offset`; resolves with the count (0 at EOF). */
export function readFd(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

/** Writes all of `buf` at the current offset (a short write is continued). */
export async function writeAllFd(fd: number, buf: Buffer): Promise<void> {
  let at = 0;
  while (at < buf.length) {
    at += await new Promise<number>((resolve, reject) =>
      write(fd, buf, at, buf.length - at, null, (err, n) => (err ? reject(err) : resolve(n))),
    );
  }
}
