import { lstat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DirectoryTree } from '../directory-tree.js';
import { ErrorCode, StrataError } from '../errors.js';
import { compareNames, layerPathJoin, layerPathParent, normalizeLayerPath } from '../tree.js';
import type { EntryStat, TreeReader } from '../tree.js';
import { isAbsent, listUpperDir, upperIoError } from './upper-dir.js';
import { dirMarks, redirectTarget } from './redirect-format.js';
import { isWhiteoutEntry } from './whiteout-format.js';

/** One upper directory of a stack, as the union reads it. */
export interface UnionLayer {
  /** Absolute path of the layer's upper directory (its root is the layer's '/'). */
  readonly dir: string;
  /** May the directory change while this tree is in use (a writable layer, perhaps mounted)? */
  readonly writable: boolean;
}

/** Where the union finds a path: its real path, and whether the stack's top layer holds it. */
export interface UnionLocation {
  readonly fsPath: string;
  readonly inTop: boolean;
}

interface LayerRef {
  readonly dir: string;
  readonly reader: DirectoryTree;
}

/**
 * The top-most layer holding a name, and whether it is a directory there.
 * `dir`: the path, in that layer, of the directory holding the name (the
 * union's own path but under a redirected directory, see redirect-format.ts).
 */
interface Holder {
  readonly layer: LayerRef;
  readonly isDir: boolean;
  readonly dir: string;
}

/** One directory of a union: every visible name and its holder. Never changed once built. */
interface DirIndex {
  readonly children: ReadonlyMap<string, Holder>;
  /** The lower stack's index this one merged (undefined: nothing below is visible here). */
  readonly lower: DirIndex | undefined;
  names?: string[];
}

/** A cached DirIndex and what it was built from, to tell when it is stale. */
interface CacheEntry {
  readonly index: DirIndex;
  readonly parent: DirIndex | undefined;
  readonly lower: DirIndex | undefined;
  /** The path in the stack below whose directory `lower` is (defined exactly where lower is). */
  readonly belowPath: string | undefined;
  /** The top layer's copy of the directory ('' where the top holds none). */
  readonly fsPath: string;
  /** The top layer's copy of the directory when read (writable tops only). */
  readonly stamp: string | undefined;
  readonly racy: boolean;
}

/** A directory changed within this window (ns) of being read may change again unseen (coarse ctime ticks). */
const RACY_NS = 2_000_000_000n;
/** Cached directories per tree before the cache is dropped and rebuilt on demand. */
const MAX_CACHED_DIRS = 50_000;

/**
 * The union of a stack of upper directories with overlayfs' rules: the top-most
 * entry of a name wins; a whiteout (char 0/0) hides the name below; a
 * directory merges with the same directory of the stack below unless it is
 * opaque or the stack below holds a non-directory there.
 *
 * A tree is its top layer over the tree of the stack below (`below`), and
 * shares that tree. Lookups do not grow with depth: each directory of the union
 * is a `DirIndex` (name → holding layer), cached per tree and built from the
 * top layer's own listing over the index the tree below already has for the
 * same directory — or, where the top layer does not hold the directory, is
 * that index itself. So merging a directory costs one readdir of one layer
 * (and a copy of the names), a lookup one hash probe per path component plus
 * one lstat of the layer that holds the name: the same through 200 layers as
 * through 1. The cost of the first lookup in a new stack is that of its top
 * layer's directories only, as long as the trees below are cached.
 *
 * Writable tops may change behind the cache (through a kernel or FUSE mount):
 * each of their cached directories keeps a stamp (inode, ctime, mode) of the
 * top's copy, re-checked with one lstat on use; any change to a directory's
 * entries or xattrs changes its ctime, and a new directory in the top changes
 * its parent's. A stamp younger than 2 s is not trusted (timestamps can be
 * coarser than the writes), so a directory being written is re-merged until
 * it settles. Read-only layers do not change while a tree exists (drivers
 * drop a layer's tree after applyDiff).
 *
 * A directory of the top layer carrying a redirect (redirect-format.ts)
 * merges with the stack below at the redirect's path, and so does everything
 * below it (each index knows its `belowPath`): a directory renamed from a
 * lower layer shows its whole lower content under the new name.
 *
 * Every method accepts any layer path (see normalizeLayerPath).
 */
export class UnionTree implements TreeReader {
  readonly #top: LayerRef;
  readonly #writable: boolean;
  readonly #below: UnionTree | null;
  readonly #cache = new Map<string, CacheEntry>();
  /**
   * Counts `update` calls. A merge that awaited while one came may hold a
   * listing read before that change: it answers its own lookup but is not
   * kept (without stamps, nothing would ever drop it: a removed name would
   * stay in the index, so rmdir saw ENOTEMPTY and a lookup found a whiteout).
   */
  #updates = 0;
  /** Can any layer of the stack change? */
  readonly mutable: boolean;

  constructor(top: UnionLayer, below: UnionTree | null) {
    this.#top = { dir: top.dir, reader: new DirectoryTree(top.dir) };
    this.#writable = top.writable;
    this.#below = below;
    this.mutable = top.writable || (below?.mutable ?? false);
  }

  /** The tree of a whole stack, `layers` top first (at least one). */
  static of(layers: readonly UnionLayer[]): UnionTree {
    if (layers.length === 0) throw new StrataError(ErrorCode.EIO, 'a union needs at least one layer');
    return layers.reduceRight<UnionTree | null>((below, layer) => new UnionTree(layer, below), null)!;
  }

  /**
   * For the one process that writes this tree's top layer and keeps the cache
   * right itself (a FUSE mount, whose top is given as not writable, so no
   * stamp is checked): records that the top layer now holds path (`isDir`
   * says whether as a directory), or that the union no longer shows it
   * (`null`: removed or whited out). Patches the parent's merged directory
   * where the top layer's listing made it (a directory held only below is
   * dropped from the cache instead) and forgets path's own, so it and, by the
   * parent check, everything below it merge afresh on the next lookup.
   */
  update(path: string, entry: { readonly isDir: boolean } | null): void {
    const p = normalizeLayerPath(path);
    if (p === '/') return;
    this.#updates++;
    const dir = layerPathParent(p);
    const parent = this.#cache.get(dir);
    if (parent !== undefined && parent.index === parent.lower) this.#cache.delete(dir);
    else if (parent !== undefined) {
      const children = parent.index.children as Map<string, Holder>;
      if (entry === null) children.delete(baseName(p));
      else children.set(baseName(p), { layer: this.#top, isDir: entry.isDir, dir });
      parent.index.names = undefined;
    }
    this.#cache.delete(p);
  }

  /** Where path is, or undefined where the union has nothing there. */
  async locate(path: string): Promise<UnionLocation | undefined> {
    const p = normalizeLayerPath(path);
    const holder = await this.#holder(p);
    return holder && { fsPath: p === '/' ? holder.layer.dir : holder.layer.dir + layerPathOf(holder, p), inTop: holder.layer === this.#top };
  }

  /**
   * The path in the stack below (a path of `below`'s union) that the union's
   * directory at path continues: its own path, or where a redirect on it or
   * on a parent leads. Undefined where path is no directory, or merges
   * nothing below (new, opaque, over a non-directory, or the stack below
   * holds no directory there).
   */
  async belowPathOf(path: string): Promise<string | undefined> {
    return (await this.#entry(normalizeLayerPath(path)))?.belowPath;
  }

  /**
   * Does the stack below hold a node at the place the union's path continues
   * (what a deletion of path must hide with a whiteout)? False where path's
   * parent is no directory or merges nothing below.
   */
  async belowHas(path: string): Promise<boolean> {
    const p = normalizeLayerPath(path);
    if (p === '/') return false;
    return (await this.#entry(layerPathParent(p)))?.lower?.children.has(baseName(p)) ?? false;
  }

  /**
   * Where the stack below holds the directory that the top layer's directory
   * at path merges with (its real path): undefined where path is not a
   * directory of the top layer, or the top's copy does not merge (opaque, new,
   * or over a non-directory). That lower copy is what overlayfs calls the
   * directory's origin; its identity survives a copy-up of the directory.
   */
  async mergedBelow(path: string): Promise<string | undefined> {
    const p = normalizeLayerPath(path);
    if ((await this.#holder(p))?.layer !== this.#top) return undefined;
    const belowPath = (await this.#entry(p))?.belowPath;
    return belowPath === undefined ? undefined : (await this.#below?.locate(belowPath))?.fsPath;
  }

  async stat(path: string): Promise<EntryStat | undefined> {
    const p = normalizeLayerPath(path);
    const holder = await this.#holder(p);
    if (holder === undefined) return undefined;
    const st = await holder.layer.reader.stat(layerPathOf(holder, p));
    // A whiteout here means a writable layer changed between merge and lstat: the name is gone.
    return st === undefined || isWhiteoutEntry(st) ? undefined : st;
  }

  async readdir(path: string): Promise<string[]> {
    const p = normalizeLayerPath(path);
    const index = await this.#index(p);
    if (index === undefined) throw new StrataError(ErrorCode.ENOTFOUND, `${p}: no such directory`);
    index.names ??= [...index.children.keys()].sort(compareNames);
    return [...index.names];
  }

  /**
   * Where the directory holding path is not merged yet and the top layer holds
   * path as a file, that file is the union's (the top layer wins, whatever lies
   * below): it is read without merging any directory of the stack below (a
   * tar-split replay reads every file of a layer this way).
   */
  async read(path: string): Promise<Readable> {
    const p = normalizeLayerPath(path);
    if (p !== '/' && !this.#cache.has(layerPathParent(p)) && (await this.#top.reader.stat(p))?.type === 'file') {
      return this.#top.reader.read(p);
    }
    const holder = await this.#existing(p);
    return holder.layer.reader.read(layerPathOf(holder, p));
  }

  async xattrs(path: string): Promise<Record<string, Buffer>> {
    const p = normalizeLayerPath(path);
    const holder = await this.#existing(p);
    return holder.layer.reader.xattrs(layerPathOf(holder, p));
  }

  async #holder(p: string): Promise<Holder | undefined> {
    if (p === '/') return { layer: this.#top, isDir: true, dir: '/' };
    return (await this.#index(layerPathParent(p)))?.children.get(baseName(p));
  }

  async #existing(p: string): Promise<Holder> {
    const holder = await this.#holder(p);
    if (holder === undefined) throw new StrataError(ErrorCode.ENOTFOUND, `${p}: no such entry`);
    return holder;
  }

  /** The merged directory at p, or undefined where p is not a directory of the union. */
  async #index(p: string): Promise<DirIndex | undefined> {
    return (await this.#entry(p))?.index;
  }

  /** #index's cache entry. */
  async #entry(p: string): Promise<CacheEntry | undefined> {
    let parent: CacheEntry | undefined;
    let holder: Holder | undefined;
    if (p !== '/') {
      parent = await this.#entry(layerPathParent(p));
      holder = parent?.index.children.get(baseName(p));
      if (holder?.isDir !== true) return undefined;
    }
    const cached = this.#cache.get(p);
    if (cached !== undefined && cached.parent === parent?.index && (await this.#fresh(cached))) return cached;
    const updates = this.#updates;
    const entry = holder === undefined || holder.layer === this.#top ? await this.#merge(p, parent) : await this.#fromBelow(p, parent!);
    if (entry === undefined) return undefined;
    if (updates !== this.#updates) return entry; // may predate a change made meanwhile: not kept
    if (this.#cache.size >= MAX_CACHED_DIRS) this.#cache.clear();
    this.#cache.set(p, entry);
    return entry;
  }

  async #fresh(entry: CacheEntry): Promise<boolean> {
    if (entry.racy) return false;
    if (entry.stamp !== undefined && (await stampOf(entry.fsPath)).stamp !== entry.stamp) return false;
    if (this.#below?.mutable === true && entry.belowPath !== undefined && (await this.#below.#index(entry.belowPath)) !== entry.lower) return false;
    return true;
  }

  /** p is held below the top layer only (its parent's `belowPath` is defined): the stack below's index is this one. */
  async #fromBelow(p: string, parent: CacheEntry): Promise<CacheEntry | undefined> {
    const belowPath = parent.belowPath === undefined ? undefined : layerPathJoin(parent.belowPath, baseName(p));
    const index = this.#below === null || belowPath === undefined ? undefined : await this.#below.#index(belowPath);
    return index && { index, parent: parent.index, lower: index, belowPath, fsPath: '', stamp: undefined, racy: false };
  }

  /** p is the root or a directory of the top layer: its listing over the merged index below (at its redirect's path, where it has one). */
  async #merge(p: string, parent: CacheEntry | undefined): Promise<CacheEntry> {
    const fsPath = p === '/' ? this.#top.dir : this.#top.dir + p;
    const { stamp, racy } = this.#writable ? await stampOf(fsPath) : { stamp: undefined, racy: false };
    let belowPath: string | undefined;
    if (this.#below === null) belowPath = undefined;
    else if (p === '/') belowPath = '/'; // like the kernel, marks on the layer root are not read
    else {
      const marks = dirMarks(fsPath);
      const parentBelow = parent?.belowPath;
      if (marks.opaque) belowPath = undefined;
      else if (marks.redirect !== undefined) belowPath = redirectTarget(marks.redirect, parentBelow);
      else belowPath = parentBelow === undefined ? undefined : layerPathJoin(parentBelow, baseName(p));
    }
    const lower = belowPath === undefined ? undefined : await this.#below!.#index(belowPath);
    if (lower === undefined) belowPath = undefined;
    const children = new Map(lower?.children);
    for (const { name, kind } of await listUpperDir(fsPath, p)) {
      if (kind === 'whiteout') children.delete(name);
      else children.set(name, { layer: this.#top, isDir: kind === 'directory', dir: p });
    }
    return { index: { children, lower }, parent: parent?.index, lower, belowPath, fsPath, stamp, racy };
  }
}

/** The path of the union's path p in the layer that holds it (`holder`): p itself unless a redirect leads elsewhere (no new string then). */
function layerPathOf(holder: Holder, p: string): string {
  if (p === '/') return '/';
  const cut = p.lastIndexOf('/');
  const { dir } = holder;
  if (dir === '/' ? cut === 0 : cut === dir.length && p.startsWith(dir)) return p;
  return `${dir === '/' ? '' : dir}/${p.slice(cut + 1)}`;
}

async function stampOf(fsPath: string): Promise<{ stamp: string; racy: boolean }> {
  try {
    const st = await lstat(fsPath, { bigint: true });
    const racy = BigInt(Date.now()) * 1_000_000n - st.ctimeNs < RACY_NS;
    return { stamp: `${st.ino}:${st.ctimeNs}:${st.mode}`, racy };
  } catch (err) {
    if (isAbsent(err)) return { stamp: 'absent', racy: false };
    throw upperIoError(fsPath, err);
  }
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
