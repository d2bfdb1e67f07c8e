import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The Linux system calls Node's fs lacks, from strata's own small N-API addon
 * (core/sys/native/strata_sys.c, built by `npm install` through binding.gyp).
 * Every call acts on the path itself and never follows a final symlink.
 * Failures throw an Error whose `code` is the errno name, as node:fs does.
 */
export interface Sys {
  /** Creates a device node, FIFO or socket; `mode` holds the S_IF* type bits and permissions. */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** The attribute's value, or null where it is absent or the filesystem has no xattrs. */
  lgetxattr(path: string, name: string): Buffer | null;
  lsetxattr(path: string, name: string, value: Buffer): void;
  /** Attribute names; empty where the filesystem has no xattrs. */
  llistxattr(path: string): string[];
  /** Removing an absent attribute is not an error. */
  lremovexattr(path: string, name: string): void;
  /**
   * mount(2) with no flags, with this process's working directory at `cwd`
   * during the call (relative paths in `data` resolve there), then restored.
   */
  mountIn(cwd: string, source: string, target: string, fstype: string, data: string): void;
  /** flags: MNT_DETACH (2) for a lazy unmount. */
  umount2(path: string, flags: number): void;
  /**
   * Flushes the whole filesystem holding `path` (a directory) to disk, in a worker
   * thread: one call makes a freshly written layer durable, instead of an fsync
   * per file and directory.
   */
  syncfs(path: string): Promise<void>;
  /**
   * lstat of many names of one directory in one call (each resolved relative
   * to the open directory), never following a symlink: the directory open at
   * `fd`, or where fd < 0 the one at `dir` (then null where it is absent or
   * not a directory; `dir` also names it in errors). `names` null lists the
   * directory (readdir order, `.` and `..` left out) and answers for every
   * name. See `LstatDirResult`; `xattrs`: whose attribute names to list
   * (`LSTAT_XATTRS_*`). Fails with the errno error of open, getdents,
   * fstatat or listxattr.
   */
  lstatDir(fd: number, dir: string, names: readonly string[] | null, xattrs: number): LstatDirResult | null;
  /**
   * A descriptor of the directory at `path`, relative to the open directory
   * `at` (AT_FDCWD: to the working directory), never through a final
   * symlink; -1 where it is absent or not a directory. The caller closes it
   * (fs.closeSync). Fails with the errno error of openat.
   */
  openDirAt(at: number, path: string): number;
  /**
   * Reads the file at `path` (relative to the open directory `at`; never
   * through a final symlink) into `target` from `offset`, until `max` bytes or
   * its end, in one call (open, reads, close). A read that returns max - 1
   * bytes is taken as the end: pass one more than the expected size, so a
   * file that grew shows. The bytes read; -1 where it is absent or a symlink.
   * Fails with the errno error of open or read.
   */
  readFileAt(at: number, path: string, target: Buffer, offset: number, max: number): number;
  /**
   * Starts scanning the whole tree at `root` on a thread of its own
   * (core/sys/native/strata_scan_ahead.c): each directory as
   * `lstatDir(-1, path, null, xattrs)` would, depth first, names sorted by
   * their bytes, at most `ahead` entries ahead of what is taken. With
   * `lower`, each directory's names are also looked up at the same path
   * under that directory (`ScanAheadBatch.lower*`). A handle, or null where
   * root is not a directory. Stop it with `scanAheadStop`.
   */
  scanAhead(root: string, xattrs: number, ahead: number, lower: string | null): ScanAheadHandle | null;
  /**
   * The next scans in depth-first order, names sorted: the first (waited
   * for where not made yet) and those ready after it, as one
   * `ScanAheadBatch`; undefined once the scan is over.
   */
  scanAheadTake(handle: ScanAheadHandle): ScanAheadBatch | undefined;
  /** Ends the scan: its thread stops and what it held is freed. */
  scanAheadStop(handle: ScanAheadHandle): void;
  /**
   * _exit(2) with `status`: the process ends at once, without Node's or V8's
   * teardown ('exit' listeners, buffered output, coverage and profiles are
   * the caller's to finish first).
   */
  exitNow(status: number): never;
  /** dup2(2): descriptor `to` becomes a copy of `from` (closed first where open). */
  dup2(from: number, to: number): void;
}

/**
 * Consecutive scans from `Sys.scanAheadTake`, in one set of arrays: each
 * scan's entries are a run of the per-entry arrays (`index`). Per entry, as
 * `LstatDirResult` gives them: `fields` (LSTAT_FIELDS each), `inos`, `xattrs`;
 * the same for its name under the scan's `lower` directory (LSTAT_XATTRS_DIRS;
 * mode 0 where absent or not looked up); `contents` for small regular files.
 */
export interface ScanAheadBatch {
  /** The scans' directories ('' for the root), joined by NUL. */
  readonly rels: string;
  /**
   * Per scan: its first entry's index, its entry count, 1 where its lower
   * lookups were made (else 0), and its status: 0 scanned, 1 absent (as
   * lstatDir's null), 2 failed (`error`, what lstatDir would have thrown).
   * An absent or failed directory comes in a batch of its own.
   */
  readonly index: Float64Array;
  readonly error?: Error;
  /** Every entry's name, joined by NUL. */
  readonly names: string;
  readonly fields: Float64Array;
  /** `${st_dev}:${st_ino}` per entry ('' where absent), joined by NUL. */
  readonly inos: string;
  readonly xattrs: Array<string | undefined>;
  readonly lowerFields: Float64Array;
  readonly lowerInos: string;
  readonly lowerXattrs: Array<string | undefined>;
  /**
   * Where small regular files (under 64 KiB) were read: per entry, a file's
   * bytes, read up to one byte past its size (more than its size: it grew);
   * undefined where not read.
   */
  readonly contents?: Array<Buffer | undefined>;
}

/** A running `Sys.scanAhead`. */
export type ScanAheadHandle = { readonly __scanAhead: never };

/** What `Sys.lstatDir` answers, index by index with the names. */
export interface LstatDirResult {
  /** The directory's names, where it was listed. */
  readonly names?: string[];
  /**
   * LSTAT_FIELDS numbers per name: st_mode (0 where the name is absent), uid,
   * gid, size, mtime in ms (as `Number(mtimeNs) / 1e6`), nlink, rdev major,
   * rdev minor.
   */
  readonly fields: Float64Array;
  /** `${st_dev}:${st_ino}` per present name (as `${bigint dev}:${bigint ino}` of node:fs). */
  readonly inos: Array<string | undefined>;
  /** The entry's attribute names joined by NUL, where it has any and they were asked for. */
  readonly xattrs: Array<string | undefined>;
}

export const LSTAT_FIELDS = 8;
/** openDirAt's `at` for a path relative to the working directory (or absolute). */
export const AT_FDCWD = -100;
/** lstatDir's `xattrs`: list no attribute names, a directory's only, every entry's but a whiteout's. */
export const LSTAT_XATTRS_NONE = 0;
export const LSTAT_XATTRS_DIRS = 1;
export const LSTAT_XATTRS_ALL = 2;

export const MNT_DETACH = 2;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

const require = createRequire(import.meta.url);
/** dist/core/sys/index.js → <package>/build/Release. */
export const sys: Sys = require('../../../build/Release/strata_sys.node') as Sys;

/** strata's container runner process (core/containers/runner/native/strata_nsrun.c), built beside the addon. */
export const NSRUN_PATH = fileURLToPath(new URL('../../../build/Release/strata-nsrun', import.meta.url));
