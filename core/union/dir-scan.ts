import { closeSync } from 'node:fs';
import { ErrorCode, StrataError } from '../errors.js';
import { LSTAT_FIELDS, sys } from '../sys/index.js';
import { layerPathJoin } from '../tree.js';
import type { EntryStat, EntryType } from '../tree.js';
import { assertUtf8ListingSync, readlinkUtf8Sync } from '../utf8-name.js';
import { takeScan } from './read-ahead.js';
import type { ReadAhead, ScanArrays } from './read-ahead.js';
import { upperIoError } from './upper-dir.js';

export { AT_FDCWD, LSTAT_XATTRS_ALL, LSTAT_XATTRS_DIRS, LSTAT_XATTRS_NONE } from '../sys/index.js';

/**
 * # One directory of a layer, lstat'ed in one native call
 *
 * The walks of core/union (the native diff) look at every entry a layer holds
 * and at the same names in the layers below; one `sys.lstatDir` per directory
 * (each name resolved relative to the open directory) replaces a readdir, an
 * lstat per name through the whole path and a llistxattr per entry. Stats come
 * as `EntryStat`, exactly as `entryStatOf` (core/directory-tree.ts) makes them
 * from node:fs's bigint lstat.
 */
export interface ScannedEntry {
  readonly name: string;
  /** `${dir}/${name}`. */
  readonly fsPath: string;
  /** Without `linkTarget` where links were not read (`readLinks` false). */
  readonly stat: EntryStat;
  /** Its attribute names (all namespaces), where they were asked for; [] for none. */
  readonly xattrNames: readonly string[];
  /**
   * The same name at the same path under the read-ahead's lower directory
   * (`ReadAhead.lower`), looked up as `scanNames` does: null where it has
   * none; undefined where that was not looked up.
   */
  readonly below: ScannedEntry | null | undefined;
  /** A small regular file's content as the read-ahead read it (ScanAheadBatch.contents); undefined where not read. */
  readonly content: Buffer | undefined;
}

const NO_XATTRS: readonly string[] = Object.freeze([]);

/**
 * Every entry of directory `fsDir` (layer path `layerDir`: for messages, and
 * its path in the read-ahead's tree), in
 * readdir order, read through `fd` where it is open (>= 0); null where the
 * directory is absent (a writable layer may remove it). `xattrs`: LSTAT_XATTRS_*.
 * `ahead`: the tree's read-ahead, which may already hold this scan (then
 * sorted by name, with each entry's `below` and `content`). Fails with EUNSUPPORTED for a name
 * or (with `readLinks`) a link target that is not UTF-8, ENOTFOUND where a
 * name vanishes between the listing and its lstat, EIO on any other error
 * (readlink's own error where a link vanishes).
 */
export function scanDir(fd: number, fsDir: string, layerDir: string, xattrs: number, readLinks: boolean, ahead?: ReadAhead): ScannedEntry[] | null {
  let taken = ahead !== undefined && ahead.xattrs === xattrs ? takeScan(ahead, layerDir, fsDir) : undefined;
  if (taken === undefined) {
    const r = lstatDir(fd, fsDir, null, xattrs);
    if (r === null) return null;
    taken = { names: r.names!, start: 0, upper: r, lower: undefined, contents: undefined };
  }
  if (taken === null) return null;
  const { names, start, upper, lower, contents } = taken;
  assertUtf8ListingSync(names, fsDir, layerDir);
  const lowerDir = lower === undefined ? '' : `${ahead!.lower!}${layerDir === '/' ? '' : layerDir}`;
  const out: ScannedEntry[] = [];
  for (let i = 0; i < names.length; i++) {
    const at = start + i;
    const below = lower === undefined ? undefined : (entryAt(lower, at, lowerDir, names[i]!, '', false, undefined, undefined) ?? null);
    const e = entryAt(upper, at, fsDir, names[i]!, layerDir, readLinks, below, contents?.[at]);
    if (e === undefined) throw new StrataError(ErrorCode.ENOTFOUND, `${layerPathJoin(layerDir, names[i]!)} vanished from the upper tree while it was compared`);
    out.push(e);
  }
  return out;
}

/** Where `scanNames` looks names up: relative to the open directory `fd` (real path `path`), as `${prefix}${name}`. */
export interface ScanBase {
  readonly fd: number;
  readonly path: string;
  readonly prefix: string;
}

/**
 * The entries `names` of directory `fsDir`, index by index (undefined where
 * absent): looked up through `base` where given (fsDir is then
 * `${base.path}/${prefix without its last '/'}`), else in fsDir opened by its
 * path; null where that directory is absent. Link targets are not read.
 * Fails with EIO.
 */
export function scanNames(fsDir: string, names: readonly string[], xattrs: number, base?: ScanBase): Array<ScannedEntry | undefined> | null {
  const r =
    base === undefined
      ? lstatDir(-1, fsDir, names, xattrs, fsDir)
      : lstatDir(base.fd, base.path, base.prefix === '' ? names : names.map((n) => base.prefix + n), xattrs, fsDir);
  if (r === null) return null;
  const out = new Array<ScannedEntry | undefined>(names.length);
  for (let i = 0; i < names.length; i++) out[i] = entryAt(r, i, fsDir, names[i]!, '', false, undefined, undefined);
  return out;
}

/** sys.lstatDir (`dir`: the directory fd is open at, or to open), its errors as EIO naming `fsDir`. */
function lstatDir(fd: number, dir: string, names: readonly string[] | null, xattrs: number, fsDir = dir) {
  try {
    return sys.lstatDir(fd, dir, names, xattrs);
  } catch (err) {
    throw upperIoError(fsDir, err);
  }
}

/**
 * The directory `name` under the open directory `at` (AT_FDCWD: `name` is a
 * path), as a descriptor the caller closes; -1 where it is absent or not a
 * directory. Fails with EIO (`fsPath` names it).
 */
export function openDirAt(at: number, name: string, fsPath: string): number {
  try {
    return sys.openDirAt(at, name);
  } catch (err) {
    throw upperIoError(fsPath, err);
  }
}

export function closeDir(fd: number): void {
  if (fd >= 0) closeSync(fd);
}

const S_IFMT = 0o170000;
const TYPES: ReadonlyMap<number, EntryType> = new Map([
  [0o100000, 'file'],
  [0o040000, 'directory'],
  [0o120000, 'symlink'],
  [0o020000, 'char'],
  [0o060000, 'block'],
  [0o010000, 'fifo'],
]);

function entryAt(
  r: ScanArrays,
  i: number,
  fsDir: string,
  name: string,
  layerDir: string,
  readLinks: boolean,
  below: ScannedEntry | null | undefined,
  content: Buffer | undefined,
): ScannedEntry | undefined {
  const f = r.fields;
  const o = i * LSTAT_FIELDS;
  const rawMode = f[o]!;
  if (rawMode === 0) return undefined;
  const type = TYPES.get(rawMode & S_IFMT) ?? 'socket';
  const fsPath = `${fsDir}/${name}`;
  const listed = r.xattrs[i];
  const xattrNames = listed === undefined ? NO_XATTRS : listed.split('\0');
  // the fields and their order of entryStatOf (core/directory-tree.ts)
  const base: EntryStat = {
    type,
    mode: rawMode & 0o7777,
    uid: f[o + 1]!,
    gid: f[o + 2]!,
    size: type === 'file' ? f[o + 3]! : 0,
    mtimeMs: f[o + 4]!,
    nlink: f[o + 5]!,
    ino: r.inos[i]!,
  };
  let stat = base;
  if (type === 'symlink') {
    if (readLinks) stat = { ...base, linkTarget: readlinkUtf8Sync(fsPath, layerPathJoin(layerDir, name)) };
  } else if (type === 'char' || type === 'block') {
    stat = { ...base, rdev: { major: f[o + 6]!, minor: f[o + 7]! } };
  }
  return { name, fsPath, stat, xattrNames, below, content };
}
