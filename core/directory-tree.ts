import { constants, createReadStream, lstatSync } from 'node:fs';
import { lstat, readdir, realpath } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { closeFd, fstatFd, lstatBigint, openFd, readFd } from './archive/fd.js';
import { Readable } from 'node:stream';
import { ErrorCode, StrataError, errnoOf } from './errors.js';
import { sys } from './sys/index.js';
import { compareNames, isOverlayXattr, layerPathParent, normalizeLayerPath } from './tree.js';
import type { EntryStat, EntryType, TreeReader } from './tree.js';
import { assertUtf8Listing, readlinkUtf8 } from './utf8-name.js';

/**
 * A plain directory seen as a tree: the upper side of a vfs layer, an extracted
 * tarball, the oracle of the conformance suite.
 *
 * Never follows a symlink: the final component is read with lstat/readlink/
 * O_NOFOLLOW, and a path whose parent resolves through a symlink (a component
 * that is a symlink in the directory) is treated as absent, so no lookup leaves
 * the directory. (A concurrent rename can race that check; the tree is meant to
 * be still while read.)
 *
 * Sizes are 0 for everything but files; `ino` is `${dev}:${ino}`; xattrs are the
 * user.*, security.* and trusted.* ones minus `trusted.overlay.*` and
 * `user.overlay.*` (overlayfs bookkeeping). A name or symlink target that is
 * not valid UTF-8 (made through a mount) fails `readdir` or `stat` with
 * EUNSUPPORTED naming it, never comes back as another name (core/utf8-name.ts).
 */
export class DirectoryTree implements TreeReader {
  readonly #dir: string;
  #root: Promise<string> | undefined;
  /**
   * realpath checks of parent directories now in flight: lookups of siblings
   * that overlap share one check (a check is only ever shared while it runs,
   * never remembered, so a later change of the tree is always seen).
   */
  readonly #checking = new Map<string, Promise<boolean>>();
  /** Settled checks, kept only while the tree is declared immutable (see `options.immutable`). */
  #settled: Map<string, boolean> | undefined;

  /**
   * `dir`: an existing directory; its own symlinks, if any, are resolved once.
   * `immutable`: the caller promises that nothing below `dir` changes while
   * this reader is used (a committed layer's directory), so each parent's
   * check — does it resolve to itself, without a symlink? — is made once and
   * remembered; a `stat` then costs one synchronous lstat (the directory must
   * be on a local filesystem, never on a FUSE mount this process serves).
   * `forget()` ends that promise.
   */
  constructor(dir: string, options: { readonly immutable?: boolean } = {}) {
    this.#dir = dir;
    if (options.immutable === true) this.#settled = new Map();
  }

  /** From now on nothing is remembered: every lookup checks its parent again (the tree may change). */
  forget(): void {
    this.#settled = undefined;
  }

  async stat(path: string): Promise<EntryStat | undefined> {
    const fsPath = await this.#locate(path);
    if (fsPath === undefined) return undefined;
    let st: BigIntStats | undefined;
    try {
      // An immutable tree's entry is in the kernel's caches after its parent's check:
      // a synchronous lstat (a few µs) beats a thread-pool round trip (tens of µs, more under load).
      st = this.#settled !== undefined ? lstatSync(fsPath, { bigint: true, throwIfNoEntry: false }) : await lstatBigint(fsPath);
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw ioError(path, err);
    }
    if (st === undefined) return undefined;
    const linkTarget = st.isSymbolicLink() ? await readlinkUtf8(fsPath, normalizeLayerPath(path)) : undefined;
    return entryStatOf(st, linkTarget);
  }

  async readdir(path: string): Promise<string[]> {
    const fsPath = await this.#existing(path);
    try {
      if (!(await lstat(fsPath)).isDirectory()) throw new StrataError(ErrorCode.ENOTFOUND, `${path} is not a directory`);
      const names = await readdir(fsPath);
      await assertUtf8Listing(names, fsPath, normalizeLayerPath(path));
      return names.sort(compareNames);
    } catch (err) {
      if (err instanceof StrataError) throw err;
      if (isAbsent(err)) throw notFound(path);
      throw ioError(path, err);
    }
  }

  async read(path: string): Promise<Readable> {
    return openFileAt(await this.#existing(path), path);
  }

  async xattrs(path: string): Promise<Record<string, Buffer>> {
    const fsPath = await this.#existing(path);
    try {
      return userXattrsAt(fsPath);
    } catch (err) {
      if (isAbsent(err)) throw notFound(path);
      throw ioError(path, err);
    }
  }

  /** The directory path of a layer path, or undefined where its parent is absent or not reached without a symlink. */
  async #locate(path: string): Promise<string | undefined> {
    const layerPath = normalizeLayerPath(path);
    this.#root ??= realpath(this.#dir);
    let realRoot: string;
    try {
      realRoot = await this.#root;
    } catch (err) {
      if (isAbsent(err)) return undefined;
      throw ioError(path, err);
    }
    if (layerPath === '/') return realRoot;
    const root = realRoot === '/' ? '' : realRoot;
    const parent = layerPathParent(layerPath);
    if (parent !== '/' && !(await this.#isRealDirectory(root + parent, path))) return undefined;
    return root + layerPath;
  }

  /** Whether `expected` resolves to itself (no symlink on the way); false where it is absent. */
  #isRealDirectory(expected: string, path: string): Promise<boolean> | boolean {
    const known = this.#settled?.get(expected);
    if (known !== undefined) return known;
    let check = this.#checking.get(expected);
    if (check === undefined) {
      const remember = this.#settled;
      check = realpath(expected).then(
        (real) => {
          const ok = real === expected;
          if (remember !== undefined && remember === this.#settled) remember.set(expected, ok);
          return ok;
        },
        (err: unknown) => {
          if (!isAbsent(err)) throw ioError(path, err);
          if (remember !== undefined && remember === this.#settled) remember.set(expected, false);
          return false;
        },
      );
      const settled = (): void => void this.#checking.delete(expected);
      check.then(settled, settled);
      this.#checking.set(expected, check);
    }
    return check;
  }

  async #existing(path: string): Promise<string> {
    const fsPath = await this.#locate(path);
    if (fsPath === undefined) throw notFound(path);
    return fsPath;
  }
}

/**
 * The EntryStat of an lstat (bigint fields) of one entry; `linkTarget` is the
 * target of a symlink (read by the caller), ignored for other types.
 */
export function entryStatOf(st: BigIntStats, linkTarget: string | undefined): EntryStat {
  const type = entryTypeOf(st);
  const base: EntryStat = {
    type,
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: type === 'file' ? Number(st.size) : 0,
    mtimeMs: Number(st.mtimeNs) / 1e6,
    nlink: Number(st.nlink),
    ino: `${st.dev}:${st.ino}`,
  };
  if (type === 'symlink') return { ...base, linkTarget: linkTarget ?? '' };
  if (type === 'char' || type === 'block') return { ...base, rdev: splitRdev(st.rdev) };
  return base;
}

/**
 * The user-visible xattrs of the entry at fsPath (see DirectoryTree), names in
 * byte order. Fails with the errno error of llistxattr/lgetxattr.
 */
export function userXattrsAt(fsPath: string): Record<string, Buffer> {
  return userXattrsNamed(fsPath, sys.llistxattr(fsPath));
}

/**
 * `userXattrsAt` where the entry's attribute names (`names`, as llistxattr
 * gives them) are known already: reads only the values of the visible ones.
 */
export function userXattrsNamed(fsPath: string, names: readonly string[]): Record<string, Buffer> {
  const result: Record<string, Buffer> = {};
  if (names.length === 0) return result;
  for (const name of names.filter(isUserVisible).sort(compareNames)) {
    const value = sys.lgetxattr(fsPath, name);
    if (value !== null) result[name] = value;
  }
  return result;
}

/**
 * The content of the regular file at fsPath, never through a final symlink
 * (`path`: the layer path, for messages). Fails with ENOTFOUND where fsPath is
 * absent, a symlink or not a file, and with EIO otherwise.
 */
export async function openFileAt(fsPath: string, path: string): Promise<Readable> {
  let fd: number;
  try {
    fd = await openFd(fsPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (isAbsent(err) || errnoOf(err) === 'ELOOP') throw notFound(path);
    throw ioError(path, err);
  }
  let size: number;
  try {
    const st = await fstatFd(fd);
    if (!st.isFile()) throw new StrataError(ErrorCode.ENOTFOUND, `${path} is not a file`);
    size = st.size;
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
  return size < SMALL_FILE ? readSmall(fsPath, fd, size) : createReadStream(fsPath, { fd });
}

/** Files below this size (bytes) are read with one read call into one buffer, not through a 64 KiB stream. */
const SMALL_FILE = 64 * 1024;

/**
 * The content of a file of `size` bytes (as fstat said), usually in one read
 * call: a read of size + 1 bytes that returns `size` is at EOF; a file that
 * has grown since goes on streaming from there, so what the file holds is
 * yielded, as a stream would.
 * Closes `handle`.
 */
async function readSmall(fsPath: string, fd: number, size: number): Promise<Readable> {
  const buf = Buffer.allocUnsafe(size + 1);
  let filled = 0;
  try {
    for (;;) {
      const bytesRead = await readFd(fd, buf, filled, buf.length - filled, filled);
      filled += bytesRead;
      // all fstat's bytes and no more: EOF (one read); a shorter read is retried until EOF
      if (bytesRead === 0 || filled >= size) break;
    }
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
  if (filled <= size) {
    await closeFd(fd);
    return Readable.from(filled === 0 ? [] : [buf.subarray(0, filled)], { objectMode: false });
  }
  const rest = createReadStream(fsPath, { fd, start: filled });
  return Readable.from(concatStreams(buf, rest), { objectMode: false });
}

async function* concatStreams(head: Buffer, rest: Readable): AsyncGenerator<Buffer> {
  yield head;
  yield* rest as AsyncIterable<Buffer>;
}

const VISIBLE_XATTR_PREFIXES = ['user.', 'security.', 'trusted.'];

function isUserVisible(name: string): boolean {
  return VISIBLE_XATTR_PREFIXES.some((p) => name.startsWith(p)) && !isOverlayXattr(name);
}

/** The EntryType of an lstat. */
export function entryTypeOf(st: BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

/** Linux's dev_t encoding (glibc gnu_dev_major/minor). */
export function splitRdev(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

function isAbsent(err: unknown): boolean {
  const code = errnoOf(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function notFound(path: string): StrataError {
  return new StrataError(ErrorCode.ENOTFOUND, `${path}: no such entry`);
}

function ioError(path: string, err: unknown): StrataError {
  return new StrataError(ErrorCode.EIO, `${path}: ${(err as Error).message}`, { cause: err });
}
