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
 * LowerDir's copies may sit at other paths than the directory's own (those
 * are read by path, never through a parent's descriptor).
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
  /** For a directory: via[k], the index in the parent's LowerDir of the copy that `dir[k]` is a child of. */
  readonly via?: readonly number[];
}

/** The lower union's node at name in dir, or undefined where it has none (absent or whited out). */
export function lookUpLower(dir: LowerDir, name: string): LowerNode | undefined {
  return lookUpLowerAll(dir, [name])[0];
}

/**
 * `lookUpLower` of each of `names` (index by index), one native call per copy
 * of `dir` (sys.lstatDir: a name costs one fstatat relative to the copy, and a
 * llistxattr where it is a directory, for its opaque marker); a copy is asked
 * only about the names still unresolved above it. `open`: `dir`'s copies
 * (`openCopies`), read through their descriptors or their parents'
 * (`budget`: the walk's count of open copies).
 */
export function lookUpLowerAll(dir: LowerDir, names: readonly string[], open?: OpenCopies, budget?: CopyBudget): Array<LowerNode | undefined> {
  const out = new Array<LowerNode | undefined>(names.length).fill(undefined);
  const place = placeOf(dir);
  /** Index → the name asked in the next copies (a bare redirect renames it). */
  const nameOf = names.slice();
  /** Indexes whose answer needs the next copy down. */
  let asking = names.map((_, i) => i);
  /** Index → its directory's copies found so far, which of dir's copies each is in (-1: read by path) and its layer, while copies below still merge. */
  const merging = new Map<number, { readonly copies: string[]; readonly via: number[]; readonly layers: number[] }>();
  /** A copy found under another name than the first (a bare redirect) is not the child `name` of its parent copy. */
  const renamed = new Set<number>();
  /** Adds the copies below a directory copy at copy index k of dir (its redirect followed); answers whether more may merge below. */
  const follow = (i: number, k: number, e: ScannedEntry): boolean => {
    if (isOpaqueMarked(e.fsPath, e.xattrNames)) return false;
    const redirect = e.xattrNames.length === 0 ? undefined : redirectFromNames(e.fsPath, e.xattrNames);
    if (redirect === undefined) return true;
    if (!redirect.startsWith('/')) {
      nameOf[i] = redirect;
      renamed.add(i);
      return true;
    }
    const below = resolveDir(place.stack, place.layers[k]! + 1, redirect);
    if (below !== undefined) {
      const m = merging.get(i)!;
      m.copies.push(...below);
      m.via.push(...below.map(() => -1));
      m.layers.push(...placeOf(below).layers);
    }
    return false;
  };
  for (let layer = 0; layer < dir.length && asking.length > 0; layer++) {
    const asked = asking.map((i) => nameOf[i]!);
    let found: Array<ScannedEntry | undefined> | null;
    if (open === undefined || budget === undefined) found = scanNames(-1, dir[layer]!, asked, LSTAT_XATTRS_DIRS);
    else {
      const base = lookupBase(open, layer, budget);
      if (base.prefix === '') found = scanNames(base.fd, dir[layer]!, asked, LSTAT_XATTRS_DIRS);
      else found = scanNames(base.fd, dir[layer]!, asked.map((n) => base.prefix + n), LSTAT_XATTRS_DIRS, asked);
    }
    if (found === null) continue;
    const next: number[] = [];
    for (let k = 0; k < asking.length; k++) {
      const i = asking[k]!;
      const e = found[k];
      if (e === undefined) {
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
        const started = { copies: [e.fsPath], via: [layer], layers: [place.layers[layer]!] };
        // The layers array fills as copies below are found: the place is recorded once, now.
        places.set(started.copies, { stack: place.stack, layers: started.layers });
        out[i] = { fsPath: e.fsPath, stat: e.stat, dir: started.copies, xattrNames: e.xattrNames, via: started.via };
        merging.set(i, started);
      } else if (e.stat.type !== 'directory') {
        merging.delete(i); // a whiteout or a non-directory hides every copy below
        continue;
      } else {
        m.copies.push(e.fsPath);
        m.via.push(renamed.has(i) ? -1 : layer);
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
 * The copies of one lower directory, for a walk below it: each is opened only
 * when first needed (`copyFd`: a subdirectory's copies are opened in it), by
 * name in its parent's copy where that is open, and stays open until
 * `closeCopies`; until then its names are looked up through the parent's copy
 * (`name/child`, one lookup more per name instead of an open and a close —
 * most directories of a layer are leaves).
 */
export interface OpenCopies {
  readonly dir: LowerDir;
  /** This directory's name in its parent. */
  readonly name: string;
  readonly parent: OpenCopies | null;
  /** via[i]: the index of the parent's copy that dir[i] is the child `name` of; -1 for none (read by path). */
  readonly via: readonly number[];
  /** fds[i]: dir[i]'s descriptor; UNOPENED until first needed; -1 where absent or read by path. */
  readonly fds: number[];
}

const UNOPENED = -2;

/** At most this many lower copies are held open at once by one walk (the rest are read by path). */
const OPEN_COPIES_MAX = 256;

/** How many copies one walk holds open (`copyFd` / `closeCopies`). */
export interface CopyBudget {
  open: number;
}

/**
 * The copies of `dir`, the child `name` of the directory whose copies are
 * `parent` (null for the root's), none opened yet. `known`: which parent copy
 * each is the child of (`LowerNode.via`), where the caller knows; else found
 * by path, and a copy that is not `${p}/${name}` of a parent copy p (a
 * redirect, say) is read by its path.
 */
export function openCopies(dir: LowerDir, name: string, parent: OpenCopies | null, known?: readonly number[]): OpenCopies {
  const fds = new Array<number>(dir.length).fill(UNOPENED);
  if (known !== undefined && parent !== null) return { dir, name, parent, via: known, fds };
  const via: number[] = [];
  let j = 0;
  for (const copy of dir) {
    // copies of a child are, in order, children of the parent's copies
    if (parent !== null) while (j < parent.dir.length && !isChildPath(copy, parent.dir[j]!, name)) j++;
    via.push(parent !== null && j < parent.dir.length ? j : -1);
  }
  return { dir, name, parent, via, fds };
}

/** The descriptor of copy i (opened now where not yet, in its parent's copy where that can be opened); -1 where absent or over budget. Fails with EIO. */
export function copyFd(open: OpenCopies, i: number, budget: CopyBudget): number {
  if (open.fds[i] !== UNOPENED) return open.fds[i]!;
  let fd = -1;
  if (budget.open < OPEN_COPIES_MAX) {
    const v = open.via[i]!;
    const at = v >= 0 && open.parent !== null ? copyFd(open.parent, v, budget) : -1;
    fd = at >= 0 ? openDirAt(at, open.name, open.dir[i]!) : openDirAt(AT_FDCWD, open.dir[i]!, open.dir[i]!);
    if (fd >= 0) budget.open++;
  }
  open.fds[i] = fd;
  return fd;
}

/**
 * Where the names of copy i are looked up: its own descriptor where open,
 * else its parent copy's (opened if need be; names then go as `name/child`),
 * its own (opened now) where it has no parent copy, else none (-1: by path).
 */
function lookupBase(open: OpenCopies, i: number, budget: CopyBudget): { fd: number; prefix: string } {
  const own = open.fds[i]!;
  if (own !== UNOPENED) return { fd: own, prefix: '' };
  const v = open.via[i]!;
  if (v < 0 || open.parent === null) return { fd: copyFd(open, i, budget), prefix: '' };
  const parentFd = copyFd(open.parent, v, budget);
  return parentFd >= 0 ? { fd: parentFd, prefix: `${open.name}/` } : { fd: -1, prefix: '' };
}

function isChildPath(path: string, dir: string, name: string): boolean {
  return path.length === dir.length + 1 + name.length && path.startsWith(dir) && path.endsWith(name) && path[dir.length] === '/';
}

export function closeCopies(open: OpenCopies, budget: CopyBudget): void {
  for (let i = 0; i < open.fds.length; i++) {
    const fd = open.fds[i]!;
    if (fd < 0) continue;
    closeDir(fd);
    budget.open--;
    open.fds[i] = -1;
  }
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
