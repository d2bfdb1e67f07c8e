import { lstatSync, readdirSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import type { EntryStat } from '../tree.js';
import { assertUtf8ListingSync } from '../utf8-name.js';
import { isAbsent, upperIoError } from './upper-dir.js';
import { isOpaqueMarked, isWhiteoutEntry, isWhiteoutStats } from './whiteout-format.js';
import { AT_FDCWD, LSTAT_XATTRS_DIRS, closeDir, openDirAt, scanNames } from './dir-scan.js';
import type { ScannedEntry } from './dir-scan.js';
import { redirectFromNames } from './redirect-format.js';

/**
 * # A directory of a lower stack, found path by path
 *
 * The parent union of a layer, seen only at the paths the layer holds: for
 * each directory the walk enters, the real paths of the copies of it that the
 * union merges (`LowerDir`, top layer first: from the top-most copy down to an
 * opaque copy, or to the layer below which a whiteout or a non-directory hides
 * the rest; the root's are the layers' upper directories themselves). A
 * child name is then looked up with at most one lstat per copy, all the names
 * of one directory in one native call per copy (`lookUpLowerAll`); nothing is
 * listed. It reads exactly what `UnionTree` would
 * show at those paths (same overlayfs rules; the root of every layer merges,
 * its opaque marker is not read), without building any merged listing.
 *
 * A redirected copy (redirect-format.ts: a directory a layer renamed from the
 * layers below) continues below at its redirect's path: a bare name is looked
 * up in the next copies of the parent instead of its own name; an absolute
 * path is resolved from the root of the layers below its layer. So a
 * LowerDir's copies may sit at other paths than the directory's own; each
 * is still inside its own layer's directory, and read by its path relative
 * to that directory (`LayerRoots`).
 *
 * Only where the answer needs names the layer does not hold — a directory all
 * of whose lower names the layer removes — is one directory's copies read:
 * `lowerHasOtherName` stops at the first name outside a set (usually in the
 * first block of the top copy), `lowerNames` reads them all.
 *
 * Lower layers are read-only while this runs; a lower path that vanishes is
 * taken as absent. Fails with EIO on any other error.
 */
export type LowerDir = readonly string[];

/** For a LowerDir: the stack it belongs to (layer directories, top first) and the layer of each copy. */
interface StackPlace {
  readonly stack: readonly string[];
  readonly layers: readonly number[];
}

/** Where each LowerDir made here sits in its stack; a LowerDir without an entry is a stack's root (copy k is layer k). */
const places = new WeakMap<LowerDir, StackPlace>();

function placeOf(dir: LowerDir): StackPlace {
  return places.get(dir) ?? { stack: dir, layers: dir.map((_, k) => k) };
}

/** The root of the union of `layers` (layer directories, top first), from layer `from` down. */
export function lowerRoot(layers: readonly string[], from = 0): LowerDir {
  if (from === 0) return layers;
  const root = layers.slice(from);
  places.set(root, { stack: layers, layers: root.map((_, k) => from + k) });
  return root;
}

/** What the lower union shows at one path. */
export interface LowerNode {
  /** Real path of the top-most copy: what the union shows. */
  readonly fsPath: string;
  /** Its stat; a symlink's without `linkTarget` (read it where needed). */
  readonly stat: EntryStat;
  /** For a directory: the copies it merges (its LowerDir). */
  readonly dir?: LowerDir;
  /** For a directory: the top-most copy's attribute names (all namespaces). */
  readonly xattrNames?: readonly string[];
}

/** The lower union's node at name in dir, or undefined where it has none (absent or whited out). */
export function lookUpLower(dir: LowerDir, name: string): LowerNode | undefined {
  return lookUpLowerAll(dir, [name])[0];
}

/**
 * `lookUpLower` of each of `names` (index by index), one native call per copy
 * of `dir` (sys.lstatDir: a name costs one fstatat, and a llistxattr where it
 * is a directory, for its opaque marker); a copy is asked only about the
 * names still unresolved above it. `roots`: the walk's layer directories,
 * through which names are looked up by relative path (else each copy is
 * opened by its own path). `first`: where the caller already has them, the
 * names' entries in `dir`'s first copy, index by index (null: absent there),
 * as scanNames gives them.
 */
export function lookUpLowerAll(dir: LowerDir, names: readonly string[], roots?: LayerRoots, first?: ReadonlyArray<ScannedEntry | null | undefined>): Array<LowerNode | undefined> {
  const out = new Array<LowerNode | undefined>(names.length).fill(undefined);
  const place = placeOf(dir);
  /** Index → the name asked in the next copies (a bare redirect renames it). */
  const nameOf = names.slice();
  /** Indexes whose answer needs the next copy down. */
  let asking = names.map((_, i) => i);
  /** Index → its directory's copies found so far and the layer of each, while copies below still merge. */
  const merging = new Map<number, { readonly copies: string[]; readonly layers: number[] }>();
  /** Adds the copies below a directory copy at copy index k of dir (its redirect followed); answers whether more may merge below. */
  const follow = (i: number, k: number, e: ScannedEntry): boolean => {
    if (isOpaqueMarked(e.fsPath, e.xattrNames)) return false;
    const redirect = e.xattrNames.length === 0 ? undefined : redirectFromNames(e.fsPath, e.xattrNames);
    if (redirect === undefined) return true;
    if (!redirect.startsWith('/')) {
      nameOf[i] = redirect;
      return true;
    }
    const below = resolveDir(place.stack, place.layers[k]! + 1, redirect);
    if (below !== undefined) {
      const m = merging.get(i)!;
      m.copies.push(...below);
      m.layers.push(...placeOf(below).layers);
    }
    return false;
  };
  for (let layer = 0; layer < dir.length && asking.length > 0; layer++) {
    const found: ReadonlyArray<ScannedEntry | null | undefined> | null =
      layer === 0 && first !== undefined ? first : scanCopy(dir[layer]!, place.stack[place.layers[layer]!]!, asking.map((i) => nameOf[i]!), roots);
    if (found === null) continue;
    const next: number[] = [];
    for (let k = 0; k < asking.length; k++) {
      const i = asking[k]!;
      const e = found[k];
      if (e == null) {
        next.push(i);
        continue;
      }
      const m = merging.get(i);
      if (m === undefined) {
        if (isWhiteoutEntry(e.stat)) continue;
        if (e.stat.type !== 'directory') {
          out[i] = { fsPath: e.fsPath, stat: e.stat };
          continue;
        }
        const started = { copies: [e.fsPath], layers: [place.layers[layer]!] };
        // The layers array fills as copies below are found: the place is recorded once, now.
        places.set(started.copies, { stack: place.stack, layers: started.layers });
        out[i] = { fsPath: e.fsPath, stat: e.stat, dir: started.copies, xattrNames: e.xattrNames };
        merging.set(i, started);
      } else if (e.stat.type !== 'directory') {
        merging.delete(i); // a whiteout or a non-directory hides every copy below
        continue;
      } else {
        m.copies.push(e.fsPath);
        m.layers.push(place.layers[layer]!);
      }
      if (follow(i, layer, e)) next.push(i);
      else merging.delete(i);
    }
    asking = next;
  }
  return out;
}

/** The lower union's directory at layer path `path` in `stack` from layer `from` down, or undefined where that is not a directory. */
function resolveDir(stack: readonly string[], from: number, path: string): LowerDir | undefined {
  if (from >= stack.length) return undefined;
  let dir: LowerDir | undefined = lowerRoot(stack, from);
  for (const component of path.split('/')) {
    if (component === '') continue;
    dir = lookUpLower(dir, component)?.dir;
    if (dir === undefined) return undefined;
  }
  return dir;
}

/**
 * The layer directories of a walk's stack, each opened once when first
 * needed and held until `closeRoots`: a copy's names are then looked up by
 * their path relative to its layer's directory (`a/b/name`: one fstatat, the
 * kernel walking the components), so no lower directory is ever opened for
 * a lookup. At most ROOT_FDS_MAX are held; a layer past that (or whose
 * directory is absent) is read by whole paths.
 */
export interface LayerRoots {
  /** Layer directory → its descriptor, -1 where absent or past the limit. */
  readonly fds: Map<string, number>;
}

/** At most this many layer directories are held open by one walk. */
const ROOT_FDS_MAX = 256;

export function layerRoots(): LayerRoots {
  return { fds: new Map() };
}

/** The descriptor of layer directory `root` (opened now where not yet); -1 where absent or past the limit. Fails with EIO. */
function rootFd(roots: LayerRoots, root: string): number {
  let fd = roots.fds.get(root);
  if (fd === undefined) {
    fd = roots.fds.size < ROOT_FDS_MAX ? openDirAt(AT_FDCWD, root, root) : -1;
    roots.fds.set(root, fd);
  }
  return fd;
}

export function closeRoots(roots: LayerRoots): void {
  for (const fd of roots.fds.values()) closeDir(fd);
  roots.fds.clear();
}

/**
 * The entries `names` of lower copy `copy` (in layer directory `root`):
 * through the layer's descriptor where `roots` holds it, as paths relative
 * to it; else by the copy's own path.
 */
function scanCopy(copy: string, root: string, names: readonly string[], roots: LayerRoots | undefined): Array<ScannedEntry | undefined> | null {
  const fd = roots === undefined || !copy.startsWith(root) ? -1 : rootFd(roots, root);
  if (fd < 0) return scanNames(copy, names, LSTAT_XATTRS_DIRS);
  return scanNames(copy, names, LSTAT_XATTRS_DIRS, { fd, path: root, prefix: copy.length === root.length ? '' : `${copy.slice(root.length + 1)}/` });
}

/** Does the lower union's directory hold any name outside `names`? Reads its copies only until it finds one. */
export function lowerHasOtherName(dir: LowerDir, names: ReadonlySet<string>): boolean {
  const hidden = new Set<string>();
  for (const copy of dir) {
    // one readdir of the copy (a Dir handle, read entry by entry, costs more to make than a small directory's whole listing)
    for (const d of direntsOrEmpty(copy)) {
      if (names.has(d.name) || hidden.has(d.name)) continue;
      // names of copies above were all in `names` or whiteouts (else this returned already)
      if (d.isCharacterDevice() && isWhiteoutAt(`${copy}/${d.name}`)) hidden.add(d.name);
      else return true;
    }
  }
  return false;
}

function direntsOrEmpty(fsPath: string) {
  try {
    return readdirSync(fsPath, { withFileTypes: true });
  } catch (err) {
    if (isAbsent(err)) return [];
    throw upperIoError(fsPath, err);
  }
}

/** Every name the lower union's directory shows (unsorted; `layerPath` names it in errors: EUNSUPPORTED for a name that is not UTF-8). */
export function lowerNames(dir: LowerDir, layerPath: string): string[] {
  const seen = new Map<string, boolean>();
  for (const copy of dir) {
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

function listOrEmpty(fsPath: string, layerPath: string) {
  const dirents = direntsOrEmpty(fsPath);
  assertUtf8ListingSync(dirents, fsPath, layerPath);
  return dirents;
}
