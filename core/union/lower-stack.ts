import { lstatSync, opendirSync, readdirSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { StrataError } from '../errors.js';
import { assertUtf8ListingSync } from '../utf8-name.js';
import { isAbsent, upperIoError } from './upper-dir.js';
import { dirMarks } from './redirect-format.js';
import { isWhiteoutStats } from './whiteout-format.js';

/**
 * # A directory of a lower stack, found path by path
 *
 * The parent union of a layer, seen only at the paths the layer holds: for
 * each directory the walk enters, the real paths of the copies of it that the
 * union merges (`LowerDir`, top layer first: from the top-most copy down to an
 * opaque copy, or to the layer below which a whiteout or a non-directory hides
 * the rest; the root's are the layers' upper directories themselves). A
 * redirected copy (redirect-format.ts) continues in the layers below it at
 * its redirect's path, so a LowerDir's copies may sit at other paths than the
 * directory's own. A child name is then looked up with at most one lstat per
 * copy (`lookUpLower`), plus, below a redirect to an absolute path, one per
 * layer and component of that path; nothing is listed. It reads exactly what
 * `UnionTree` would show at those paths (same overlayfs rules; the root of
 * every layer merges, its opaque marker is not read), without building any
 * merged listing.
 *
 * Only where the answer needs names the layer does not hold — a directory all
 * of whose lower names the layer removes — is one directory's copies read:
 * `lowerHasOtherName` stops at the first name outside a set (usually in the
 * first block of the top copy), `lowerNames` reads them all.
 *
 * Lower layers are read-only while this runs; a lower path that vanishes is
 * taken as absent. Fails with EIO on any other error.
 */
export interface LowerDir {
  /** The stack's layer directories, top first (one array shared by every LowerDir of a stack). */
  readonly layers: readonly string[];
  /** The copies merged, top first. */
  readonly copies: readonly LowerCopy[];
}

/** One layer's copy of a directory: the layer's index in `layers`, and the copy's real path. */
export interface LowerCopy {
  readonly layer: number;
  readonly fsPath: string;
}

/** What the lower union shows at one path. */
export interface LowerNode {
  /** Real path of the top-most copy: what the union shows. */
  readonly fsPath: string;
  readonly stat: BigIntStats;
  /** For a directory: the copies it merges (its LowerDir). */
  readonly dir?: LowerDir;
}

/** The root of the union of `layers` (upper directories, top first; at least one). */
export function lowerRoot(layers: readonly string[], from = 0): LowerDir {
  return { layers, copies: layers.slice(from).map((fsPath, k) => ({ layer: from + k, fsPath })) };
}

/** The lower union's node at name in dir, or undefined where it has none (absent or whited out). */
export function lookUpLower(dir: LowerDir, name: string): LowerNode | undefined {
  const { copies } = dir;
  for (let i = 0; i < copies.length; i++) {
    const fsPath = `${copies[i]!.fsPath}/${name}`;
    const stat = lstatOrUndefined(fsPath);
    if (stat === undefined) continue;
    if (isWhiteoutStats(stat)) return undefined;
    if (!stat.isDirectory()) return { fsPath, stat };
    return { fsPath, stat, dir: { layers: dir.layers, copies: copiesFrom(dir, i, name, fsPath) } };
  }
  return undefined;
}

/**
 * The copies that copy i of dir's child `name` (a directory at fsPath) and
 * those below it merge, top first: below each copy, none where it is opaque;
 * else the next copy of its redirect's path, or of the same name, in the
 * copies below (a whiteout or a non-directory there hides every copy below).
 */
function copiesFrom(dir: LowerDir, i: number, name: string, fsPath: string): LowerCopy[] {
  const out: LowerCopy[] = [{ layer: dir.copies[i]!.layer, fsPath }];
  for (;;) {
    const marks = dirMarks(fsPath);
    if (marks.opaque) return out;
    const redirect = marks.redirect;
    if (redirect?.startsWith('/') === true) {
      out.push(...(resolveDir(lowerRoot(dir.layers, dir.copies[i]!.layer + 1), redirect)?.copies ?? []));
      return out;
    }
    const next = redirect ?? name;
    let j = i + 1;
    for (; j < dir.copies.length; j++) {
      const below = `${dir.copies[j]!.fsPath}/${next}`;
      const st = lstatOrUndefined(below);
      if (st === undefined) continue;
      if (!st.isDirectory()) return out; // a whiteout or a non-directory hides every copy below
      out.push({ layer: dir.copies[j]!.layer, fsPath: below });
      fsPath = below;
      break;
    }
    if (j === dir.copies.length) return out;
    i = j;
    name = next;
  }
}

/** The directory at layer path `path` below `root`, or undefined where that is not a directory. */
function resolveDir(root: LowerDir, path: string): LowerDir | undefined {
  let dir: LowerDir | undefined = root;
  for (const component of path.split('/')) {
    if (component === '') continue;
    dir = lookUpLower(dir, component)?.dir;
    if (dir === undefined) return undefined;
  }
  return dir;
}

/** Does the lower union's directory hold any name outside `names`? Reads its copies only until it finds one. */
export function lowerHasOtherName(dir: LowerDir, names: ReadonlySet<string>): boolean {
  const hidden = new Set<string>();
  for (const { fsPath: copy } of dir.copies) {
    const handle = openDir(copy);
    if (handle === undefined) continue;
    try {
      for (let d = handle.readSync(); d !== null; d = handle.readSync()) {
        if (names.has(d.name) || hidden.has(d.name)) continue;
        // names of copies above were all in `names` or whiteouts (else this returned already)
        if (d.isCharacterDevice() && isWhiteoutAt(`${copy}/${d.name}`)) hidden.add(d.name);
        else return true;
      }
    } finally {
      handle.closeSync();
    }
  }
  return false;
}

/** Every name the lower union's directory shows (unsorted; `layerPath` names it in errors: EUNSUPPORTED for a name that is not UTF-8). */
export function lowerNames(dir: LowerDir, layerPath: string): string[] {
  const seen = new Map<string, boolean>();
  for (const { fsPath: copy } of dir.copies) {
    for (const d of listOrEmpty(copy, layerPath)) {
      if (seen.has(d.name)) continue;
      seen.set(d.name, !(d.isCharacterDevice() && isWhiteoutAt(`${copy}/${d.name}`)));
    }
  }
  return [...seen].filter(([, visible]) => visible).map(([name]) => name);
}

/** lstat with bigint fields, or undefined where the path (or a parent) is absent. Fails with EIO. */
export function lstatOrUndefined(fsPath: string): BigIntStats | undefined {
  try {
    return lstatSync(fsPath, { bigint: true, throwIfNoEntry: false });
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw upperIoError(fsPath, err);
  }
}

function isWhiteoutAt(fsPath: string): boolean {
  const st = lstatOrUndefined(fsPath);
  return st !== undefined && isWhiteoutStats(st);
}

function openDir(fsPath: string) {
  try {
    return opendirSync(fsPath);
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw upperIoError(fsPath, err);
  }
}

function listOrEmpty(fsPath: string, layerPath: string) {
  try {
    const dirents = readdirSync(fsPath, { withFileTypes: true });
    assertUtf8ListingSync(dirents, fsPath, layerPath);
    return dirents;
  } catch (err) {
    if (err instanceof StrataError) throw err;
    if (isAbsent(err)) return [];
    throw upperIoError(fsPath, err);
  }
}
