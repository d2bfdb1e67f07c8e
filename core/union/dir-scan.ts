import { closeSync } from 'node:fs';
import { ErrorCode, StrataError } from '../errors.js';
import { LSTAT_FIELDS, sys } from '../sys/index.js';
import { layerPathJoin } from '../tree.js';
import type { EntryStat, EntryType } from '../tree.js';
import { assertUtf8ListingSync, readlinkUtf8Sync } from '../utf8-name.js';
import { takeScan } from './read-ahead.js';
import type { ReadAhead } from './read-ahead.js';
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
}

const NO_XATTRS: readonly string[] = Object.freeze([]);

/**
 * Every entry of directory `fsDir` (layer path `layerDir`: for messages, and
 * its path in the read-ahead's tree), in
 * readdir order, read through `fd` where it is open (>= 0); null where the
 * directory is absent (a writable layer may remove it). `xattrs`: LSTAT_XATTRS_*.
 * `ahead`: the tree's read-ahead, which may already hold this scan (then
 * sorted by name). Fails with EUNSUPPORTED for a name
 * or (with `readLinks`) a link target that is not UTF-8, ENOTFOUND where a
 * name vanishes between the listing and its lstat, EIO on any other error
 * (readlink's own error where a link vanishes).
 */
export function scanDir(fd: number, fsDir: string, layerDir: string, xattrs: number, readLinks: boolean, ahead?: ReadAhead): ScannedEntry[] | null {
  let r = ahead !== undefined && ahead.xattrs === xattrs ? takeScan(ahead, layerDir, fsDir) : undefined;
  if (r === undefined) r = lstatDir(fd, fsDir, null, xattrs);
  if (r === null) return null;
  const names = r.names!;
  assertUtf8ListingSync(names, fsDir, layerDir);
  const out: ScannedEntry[] = [];
  for (let i = 0; i < names.length; i++) {
    const e = entryAt(r, i, fsDir, names[i]!, layerDir, readLinks);
    if (e === undefined) throw new StrataError(ErrorCode.ENOTFOUND, `${layerPathJoin(layerDir, names[i]!)} vanished from the upper tree while it was compared`);
    out.push(e);
  }
  return out;
}

/**
 * The entries named `shown` in directory `fsDir` (read through `fd` where it
 * is open, >= 0, as `names`: relative to fd, e.g. `dir/name` where fd is
 * fsDir's parent), index by index (undefined where absent); null where the
 * directory itself is absent. Link targets are
 * not read. Fails with EIO.
 */
export function scanNames(fd: number, fsDir: string, names: readonly string[], xattrs: number, shown: readonly string[] = names): Array<ScannedEntry | undefined> | null {
  const r = lstatDir(fd, fsDir, names, xattrs);
  if (r === null) return null;
  const out = new Array<ScannedEntry | undefined>(names.length);
  for (let i = 0; i < names.length; i++) out[i] = entryAt(r, i, fsDir, shown[i]!, '', false);
  return out;
}

function lstatDir(fd: number, fsDir: string, names: readonly string[] | null, xattrs: number) {
  try {
    return sys.lstatDir(fd, fsDir, names, xattrs);
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

function entryAt(r: { fields: Float64Array; inos: Array<string | undefined>; xattrs: Array<string | undefined> }, i: number, fsDir: string, name: string, layerDir: string, readLinks: boolean): ScannedEntry | undefined {
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
  return { name, fsPath, stat, xattrNames };
}
