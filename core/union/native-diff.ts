import { closeSync, constants, openSync, readSync } from 'node:fs';
import type { DiffEntry } from '../diff/diff-entry.js';
import { sameMetadata, sameXattrs } from '../diff/same-node.js';
import { userXattrsAt, userXattrsNamed } from '../directory-tree.js';
import { ErrorCode, StrataError } from '../errors.js';
import { compareNames, layerPathJoin } from '../tree.js';
import type { EntryStat } from '../tree.js';
import { readlinkUtf8Sync } from '../utf8-name.js';
import { AT_FDCWD, LSTAT_XATTRS_ALL, closeDir, openDirAt, scanDir } from './dir-scan.js';
import type { ScannedEntry } from './dir-scan.js';
import { closeRoots, layerRoots, lookUpLowerAll, lowerHasOtherName, lowerNames } from './lower-stack.js';
import type { LayerRoots, LowerDir, LowerNode } from './lower-stack.js';
import { expandRedirect, redirectExpansion } from './redirect-expansion.js';
import type { RedirectExpansion } from './redirect-expansion.js';
import { startReadAhead, stopReadAhead } from './read-ahead.js';
import type { ReadAhead } from './read-ahead.js';
import { redirectFromNames } from './redirect-format.js';
import { upperIoError } from './upper-dir.js';
import { isOpaqueMarked, isWhiteoutEntry } from './whiteout-format.js';

export interface CompareUpperOptions {
  /** Give each 'opaque' entry the lower names it hides (`DiffEntry.hidden`; what `changes` lists). Costs one listing of that lower directory. */
  readonly hiddenNames?: boolean;
}

/**
 * The native diff of an upper-directory layer: the canonical `DiffEntry`
 * sequence (core/diff/diff-entry.ts) of what the layer changes over its own
 * parent — exactly what `compareTrees(parent union, layer union)` yields —
 * found by walking only the layer's own upper directory.
 *
 * - `upperDir`: the layer's upper directory (its whiteouts and opaque markers
 *   say what it removes);
 * - `lowerLayers`: the parent's stack, the layers' upper directories top
 *   first ([] for a base layer).
 *
 * Every 'add'/'modify' path is a real entry of `upperDir` (no symlink on the
 * way) and carries its `upperStat` and `upperXattrs` (and, for a small file
 * the read-ahead read, its `upperContent`); every 'add' says whether
 * it `replaces` a lower node. The exception: below a directory the layer
 * renamed from a lower layer (a redirect), the entries are its whole subtree
 * in the layer's union, each naming its `source` in whichever layer holds it
 * (redirect-expansion.ts). Cost O(entries of the upper directory, and of
 * redirected subtrees): names
 * the layer does not hold are by construction the parent's, unchanged, and
 * never visited; each path it holds costs one lstat per lower layer at most
 * (lower-stack.ts). A lower directory is read only where the layer removes
 * names in it and holds none of the names it keeps (then the canonical
 * sequence says 'opaque' if it removed them all).
 *
 * Syscalls (dir-scan.ts): one native call per upper directory lists it and
 * lstats and lists the xattr names of every entry relative to the open
 * directory (each entry's xattr list is read once: opaque marker, comparison
 * and tar header all come from it); one per lower copy lstats the names the
 * layer holds there, by their paths relative to its layer's directory (no
 * lower directory is opened). Where the read-ahead (below) cannot run,
 * upper directories are opened by name in their open parents. The walk holds
 * one descriptor per upper directory level at most and one per lower layer it
 * reached (at most 256); closing the generator closes them.
 *
 * The upper directory's scans, and the lookups of their names in the top
 * lower layer at the same paths, are made ahead of the walk on a thread of
 * their own (read-ahead.ts), the same calls made earlier; the walk makes any
 * other call itself.
 *
 * Synchronous: every call is a short syscall on local directories, and a walk
 * through the thread pool spent most of its time waiting. Fails with
 * ENOTFOUND where the upper root is not a directory or an entry vanishes while
 * walked, EUNSUPPORTED for a name or link target that is not UTF-8, EIO on
 * any other error.
 */
export function compareUpper(upperDir: string, lowerLayers: readonly string[], options: CompareUpperOptions = {}): Generator<DiffEntry> {
  return walkTree(upperDir, lowerLayers, options.hiddenNames === true);
}

interface Walk {
  readonly hiddenNames: boolean;
  /** Where the layer has lower layers: how a directory it renamed from them (a redirect) is expanded. */
  readonly redirects: RedirectExpansion | null;
  /** The lower layers' directories, held open for lookups (lower-stack.ts). */
  readonly roots: LayerRoots;
  /** The upper directory's scans, made ahead on their own thread (read-ahead.ts); undefined where that could not start. */
  readonly ahead: ReadAhead | undefined;
}

/**
 * One directory the walk is in: its entries the layer holds (`own`, sorted)
 * and, where it is compared with lower, lower's node at each (`below`) and
 * the lower names it removes (`deleted`, sorted); `i` and `j`: the next of
 * each to emit. `opaque`: its 'opaque' entry, to emit first.
 */
interface Frame {
  readonly dir: string;
  /** Its descriptor, -1 for none (then its subdirectories are opened by path). */
  readonly fd: number;
  /** Whether the frame closes `fd` when it ends (the walk opened it for this frame). */
  readonly owned: boolean;
  readonly own: readonly ScannedEntry[];
  readonly below: ReadonlyArray<LowerNode | undefined>;
  readonly deleted: readonly string[];
  /** Null where the comparison with lower has stopped (a new or opaque directory). */
  readonly lower: LowerDir | null;
  readonly cut: boolean;
  opaque: DiffEntry | undefined;
  i: number;
  j: number;
}

/**
 * compareUpper's walk, depth first: one generator for the whole tree (an
 * explicit stack of frames, not one generator per directory, so an entry is
 * not passed up through every level it is below). A file's entry is made by
 * a plain call (`node`); a subdirectory's frame by `enter`.
 */
function* walkTree(upperDir: string, lowerLayers: readonly string[], hiddenNames: boolean): Generator<DiffEntry> {
  const fd = openDirAt(AT_FDCWD, upperDir, upperDir);
  if (fd < 0) throw new StrataError(ErrorCode.ENOTFOUND, 'the upper tree has no root directory');
  let walk: Walk | undefined;
  const stack: Frame[] = [];
  try {
    const redirects = redirectExpansion(upperDir, lowerLayers, { hiddenNames, same: (path, lower, fsPath, upperStat) => sameNodeAt(path, lower, fsPath, upperStat, xattrsOf(fsPath, undefined)) });
    walk = { hiddenNames, roots: layerRoots(), redirects, ahead: startReadAhead(upperDir, LSTAT_XATTRS_ALL, lowerLayers[0]) };
    stack.push(enter(walk, '/', upperDir, fd, NO_NAMES_LIST, lowerLayers.length === 0 ? null : lowerLayers, false, false));
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (f.opaque !== undefined) {
        const opaque = f.opaque;
        f.opaque = undefined;
        yield opaque;
        continue;
      }
      if (f.i === f.own.length) {
        while (f.j < f.deleted.length) yield { kind: 'delete', path: layerPathJoin(f.dir, f.deleted[f.j++]!) };
        stack.pop();
        if (f.owned) closeDir(f.fd);
        continue;
      }
      const o = f.own[f.i]!;
      const under = f.lower === null ? null : f.below[f.i];
      f.i++;
      while (f.j < f.deleted.length && compareNames(f.deleted[f.j]!, o.name) < 0) yield { kind: 'delete', path: layerPathJoin(f.dir, f.deleted[f.j++]!) };
      const path = layerPathJoin(f.dir, o.name);
      if (walk.redirects !== null && o.stat.type === 'directory' && o.xattrNames.length > 0 && !isOpaqueMarked(o.fsPath, o.xattrNames) && redirectFromNames(o.fsPath, o.xattrNames) !== undefined) {
        yield* expandRedirect(walk.redirects, path, under);
        continue;
      }
      const added = under == null || under.stat.type !== o.stat.type;
      const entry = node(path, o, under, added);
      if (entry !== undefined) yield entry;
      if (o.stat.type !== 'directory') continue;
      // scanned ahead (no descriptor needed), else opened by name in this one (one lookup, not the whole path); -1 where it went away: read as empty
      const sub = walk.ahead !== undefined ? -1 : openDirAt(f.fd < 0 ? AT_FDCWD : f.fd, f.fd < 0 ? o.fsPath : o.name, o.fsPath);
      stack.push(added ? enter(walk, path, o.fsPath, sub, o.xattrNames, null, true, true) : enter(walk, path, o.fsPath, sub, o.xattrNames, under!.dir ?? null, f.cut, true));
    }
  } finally {
    for (const f of stack) if (f.owned) closeDir(f.fd);
    if (walk !== undefined) {
      stopReadAhead(walk.ahead);
      closeRoots(walk.roots);
    }
    closeDir(fd);
  }
}

/**
 * The frame of directory `dir` (real path `fsDir`, open at `fd` where >= 0;
 * attribute names `dirXattrs`: [] for the root, whose opaque marker is never
 * read): the entries the layer holds there, compared with `lower` (null
 * where the comparison has stopped: dir is new, or an opaque entry hides
 * lower below it). `cut`: the layer's dir is not merged with lower's (it, or
 * an ancestor, is opaque), so the union lists only the layer's names there.
 * `owned`: the frame closes fd when it ends (closed here where this fails).
 */
function enter(walk: Walk, dir: string, fsDir: string, fd: number, dirXattrs: readonly string[], lower: LowerDir | null, cut: boolean, owned: boolean): Frame {
  try {
    const own: ScannedEntry[] = [];
    const whiteouts: ScannedEntry[] = [];
    for (const e of scanDir(fd, fsDir, dir, LSTAT_XATTRS_ALL, true, walk.ahead) ?? []) {
      if (isWhiteoutEntry(e.stat)) whiteouts.push(e);
      else own.push(e);
    }
    own.sort((a, b) => compareNames(a.name, b.name));
    if (lower === null) return { dir, fd, owned, own, below: NO_NODES, deleted: NO_NAMES_LIST, lower, cut, opaque: undefined, i: 0, j: 0 };

    cut ||= isOpaqueMarked(fsDir, dirXattrs);
    // one batch per lower copy: the layer's names, then (merged dirs only) its whiteouts
    const askedEntries = cut ? own : own.concat(whiteouts);
    const asked = askedEntries.map((o) => o.name);
    const found = lookUpLowerAll(lower, asked, walk.roots, lookedUpAhead(walk, dir, lower, askedEntries));
    const below = found.slice(0, own.length);
    const holdsLowerName = below.some((n) => n !== undefined);
    let gone: string[];
    if (cut) {
      const kept = new Set(asked);
      gone = holdsLowerName ? lowerNames(lower, dir).filter((n) => !kept.has(n)) : [];
    } else gone = whiteouts.filter((_, k) => found[own.length + k] !== undefined).map((w) => w.name);
    // Opaque: lower's dir has names and the union keeps none of them.
    const opaque = !holdsLowerName && (cut ? lowerHasOtherName(lower, NO_NAMES) : gone.length > 0 && !lowerHasOtherName(lower, new Set(gone)));
    if (opaque) {
      const entry: DiffEntry = walk.hiddenNames ? { kind: 'opaque', path: dir, hidden: lowerNames(lower, dir).sort(compareNames) } : { kind: 'opaque', path: dir };
      return { dir, fd, owned, own, below, deleted: NO_NAMES_LIST, lower: null, cut, opaque: entry, i: 0, j: 0 };
    }
    return { dir, fd, owned, own, below, deleted: gone.sort(compareNames), lower, cut, opaque: undefined, i: 0, j: 0 };
  } catch (err) {
    if (owned) closeDir(fd);
    throw err;
  }
}

const NO_NODES: ReadonlyArray<LowerNode | undefined> = [];

/**
 * The entries' names in `lower`'s first copy, as the read-ahead looked them
 * up (`ScannedEntry.below`), where that copy is the read-ahead's lower
 * directory at the same path (no redirect on the way) and it looked all of
 * them up; else undefined.
 */
function lookedUpAhead(walk: Walk, dir: string, lower: LowerDir, entries: readonly ScannedEntry[]): Array<ScannedEntry | null> | undefined {
  const top = walk.ahead?.lower;
  if (top === undefined || lower[0] !== (dir === '/' ? top : top + dir)) return undefined;
  const out: Array<ScannedEntry | null> = [];
  for (const e of entries) {
    if (e.below === undefined) return undefined;
    out.push(e.below);
  }
  return out;
}

const NO_NAMES: ReadonlySet<string> = new Set();
const NO_NAMES_LIST: readonly string[] = [];
/** The xattrs of the many entries that have none (one shared, frozen object). */
const NO_XATTRS = Object.freeze({}) as Record<string, Buffer>;

/**
 * The entry of one node the layer holds, not below it: 'add' where `added`
 * (`lower`, lower's node there, is absent, not compared (null) or of another
 * type), 'modify' where it changed, else undefined.
 */
function node(path: string, o: ScannedEntry, lower: LowerNode | undefined | null, added: boolean): DiffEntry | undefined {
  const upperStat = o.stat;
  const upperXattrs = o.xattrNames.length === 0 ? NO_XATTRS : xattrsOf(o.fsPath, o.xattrNames);
  const upperContent = o.content;
  if (added) return { kind: 'add', path, upperStat, upperXattrs, upperContent, replaces: lower != null };
  if (!sameNodeAt(path, lower!, o.fsPath, upperStat, upperXattrs)) return { kind: 'modify', path, upperStat, upperXattrs, upperContent };
  return undefined;
}

/** The 'modify' rule of DiffEntry (same-node.ts) between lower's node and the layer's entry at fsPath, of the same type. */
function sameNodeAt(path: string, lower: LowerNode, fsPath: string, upperStat: EntryStat, upperXattrs: Record<string, Buffer>): boolean {
  const lowerStat = lower.stat.type === 'symlink' ? { ...lower.stat, linkTarget: readlinkUtf8Sync(lower.fsPath, path) } : lower.stat;
  if (!sameMetadata(lowerStat, upperStat)) return false;
  if (!sameXattrs(xattrsOf(lower.fsPath, lower.xattrNames), upperXattrs)) return false;
  if (upperStat.type !== 'file' || upperStat.size === 0) return true;
  return sameFileContent(lower.fsPath, fsPath);
}

/** The visible xattrs at fsPath; `names`: its attribute names where known (else listed here). Fails with EIO. */
function xattrsOf(fsPath: string, names: readonly string[] | undefined): Record<string, Buffer> {
  try {
    return names === undefined ? userXattrsAt(fsPath) : userXattrsNamed(fsPath, names);
  } catch (err) {
    throw upperIoError(fsPath, err);
  }
}

const CHUNK = 64 * 1024;

/** Byte equality of two files, a chunk of each at a time. */
function sameFileContent(a: string, b: string): boolean {
  const fa = openNoFollow(a);
  try {
    const fb = openNoFollow(b);
    try {
      const ba = Buffer.allocUnsafe(CHUNK);
      const bb = Buffer.allocUnsafe(CHUNK);
      for (let at = 0; ; ) {
        const na = readFull(fa, ba, at);
        const nb = readFull(fb, bb, at);
        if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
        if (na < CHUNK) return true;
        at += na;
      }
    } finally {
      closeSync(fb);
    }
  } finally {
    closeSync(fa);
  }
}

function openNoFollow(fsPath: string): number {
  try {
    return openSync(fsPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw upperIoError(fsPath, err);
  }
}

/** Fills buf from position `at` until it is full or the file ends; the bytes read. */
function readFull(fd: number, buf: Buffer, at: number): number {
  let n = 0;
  while (n < buf.length) {
    const got = readSync(fd, buf, n, buf.length - n, at + n);
    if (got === 0) break;
    n += got;
  }
  return n;
}
