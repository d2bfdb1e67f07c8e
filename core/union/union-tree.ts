import { lstat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DirectoryTree } from '../directory-tree.js';
import { ErrorCode, StrataError } from '../errors.js';
import { compareNames, layerPathParent, normalizeLayerPath } from '../tree.js';
import type { EntryStat, TreeReader } from '../tree.js';
import { isAbsent, listUpperDir, lstatIfPresent, upperIoError } from './upper-dir.js';
import { isOpaqueDir, isWhiteoutEntry } from './whiteout-format.js';

/** One upper directory of a stack, as the union reads it. */
export interface UnionLayer {
  /** Absolute path of the layer's upper directory (its root is the layer's '/'). */
  readonly dir: string;
  /** May the directory change while this tree is in use (a writable layer, perhaps mounted)? */
  readonly writable: boolean;
}

/** Where the union finds a path: which layer (index into the stack, 0 = top) and its real path. */
export interface UnionLocation {
  readonly layer: number;
  readonly fsPath: string;
}

/** The entry of a name in a merged directory: the top-most layer that holds it. */
interface Holder {
  readonly layer: number;
  readonly dir: boolean;
}

/**
 * One directory of the union, merged once over every layer that contributes to
 * it. `children` maps each name any contributor lists to its top-most holder,
 * or to null when the top-most entry is a whiteout (the name is hidden).
 */
interface DirIndex {
  /** The parent's index this one was built under (undefined for '/'): rebuilt when that changes. */
  readonly parent: DirIndex | undefined;
  /** Layers whose copy of the directory is merged, top first; stops below an opaque one. */
  readonly contributors: readonly number[];
  readonly children: ReadonlyMap<string, Holder | null>;
  /** Writable layers' [layer, stamp] of this directory when it was read; see `#fresh`. */
  readonly stamps: ReadonlyArray<readonly [number, string]>;
  /** A stamp was too recent to trust: rebuild on every use until it settles. */
  readonly racy: boolean;
  names?: string[];
}

/** A directory changed within this window (ns) of being read may change again unseen (coarse ctime ticks). */
const RACY_NS = 2_000_000_000n;
/** Cached directories per tree before the cache is dropped and rebuilt on demand. */
const MAX_CACHED_DIRS = 100_000;

/**
 * The union of a stack of upper directories (top first), read in user space
 * with overlayfs' rules: the top-most entry of a name wins; a whiteout
 * (char 0/0) hides the name in every layer below; a directory merges with the
 * directories of the same path below it until one of them is opaque or a layer
 * holds a non-directory there.
 *
 * Cost does not grow with depth: each directory of the union is merged once
 * (one readdir per layer that holds it) into a `DirIndex` — name → top-most
 * holding layer — and cached per tree. A lookup then walks the path's
 * directories through the cache (hash look-ups, one per path component) and
 * lstats the one layer that holds the name: a stat through 200 layers costs one
 * lstat, as through 1, once its directory has been merged.
 *
 * Writable layers may change behind the cache (through a kernel or FUSE
 * mount). For those only, each cached directory keeps a stamp (inode and
 * ctime) of the writable layer's copy of it, re-checked with one lstat on each
 * use; any change to that directory's entries or xattrs changes its ctime.
 * A stamp younger than 2 s is not trusted (timestamps can be coarser than the
 * writes), so a directory being written is re-merged until it settles.
 * Read-only layers never change while a tree exists (the driver drops the tree
 * after applyDiff).
 *
 * Every method accepts any layer path (see normalizeLayerPath).
 */
export class UnionTree implements TreeReader {
  readonly #layers: readonly UnionLayer[];
  readonly #trees: readonly DirectoryTree[];
  readonly #cache = new Map<string, DirIndex>();

  /** `layers`: top first; at least one. */
  constructor(layers: readonly UnionLayer[]) {
    if (layers.length === 0) throw new StrataError(ErrorCode.EIO, 'a union needs at least one layer');
    this.#layers = layers;
    this.#trees = layers.map((l) => new DirectoryTree(l.dir));
  }

  /** Number of layers in the stack. */
  get depth(): number {
    return this.#layers.length;
  }

  /** Forgets every merged directory (after a layer of the stack changed outside a mount). */
  invalidate(): void {
    this.#cache.clear();
  }

  /** The layer and real path that hold path, or undefined where the union has nothing there. */
  async locate(path: string): Promise<UnionLocation | undefined> {
    const p = normalizeLayerPath(path);
    if (p === '/') return { layer: 0, fsPath: this.#layers[0]!.dir };
    const index = await this.#index(layerPathParent(p));
    const holder = index?.children.get(baseName(p));
    return holder ? { layer: holder.layer, fsPath: this.#layers[holder.layer]!.dir + p } : undefined;
  }

  async stat(path: string): Promise<EntryStat | undefined> {
    const p = normalizeLayerPath(path);
    const at = await this.locate(p);
    if (at === undefined) return undefined;
    const st = await this.#trees[at.layer]!.stat(p);
    // A whiteout here means a writable layer changed between merge and lstat: the name is gone.
    return st === undefined || isWhiteoutEntry(st) ? undefined : st;
  }

  async readdir(path: string): Promise<string[]> {
    const p = normalizeLayerPath(path);
    const index = await this.#index(p);
    if (index === undefined) throw new StrataError(ErrorCode.ENOTFOUND, `${p}: no such directory`);
    index.names ??= [...index.children].filter(([, h]) => h !== null).map(([n]) => n).sort(compareNames);
    return [...index.names];
  }

  async read(path: string): Promise<Readable> {
    const p = normalizeLayerPath(path);
    return this.#trees[(await this.#existing(p)).layer]!.read(p);
  }

  async xattrs(path: string): Promise<Record<string, Buffer>> {
    const p = normalizeLayerPath(path);
    return this.#trees[(await this.#existing(p)).layer]!.xattrs(p);
  }

  async #existing(p: string): Promise<UnionLocation> {
    const at = await this.locate(p);
    if (at === undefined) throw new StrataError(ErrorCode.ENOTFOUND, `${p}: no such entry`);
    return at;
  }

  /** The merged directory at p, or undefined where p is not a directory of the union. */
  async #index(p: string): Promise<DirIndex | undefined> {
    let parent: DirIndex | undefined;
    let holder: Holder | null | undefined;
    if (p !== '/') {
      parent = await this.#index(layerPathParent(p));
      holder = parent?.children.get(baseName(p));
      if (!holder?.dir) return undefined;
    }
    const cached = this.#cache.get(p);
    if (cached !== undefined && cached.parent === parent && (await this.#fresh(cached, p))) return cached;
    const built = await this.#build(p, parent, holder ?? undefined);
    if (this.#cache.size >= MAX_CACHED_DIRS) this.#cache.clear();
    this.#cache.set(p, built);
    return built;
  }

  async #fresh(index: DirIndex, p: string): Promise<boolean> {
    if (index.racy) return false;
    for (const [layer, stamp] of index.stamps) {
      if ((await stampOf(this.#layers[layer]!.dir + p)).stamp !== stamp) return false;
    }
    return true;
  }

  async #build(p: string, parent: DirIndex | undefined, holder: Holder | undefined): Promise<DirIndex> {
    const candidates = parent === undefined ? this.#layers.map((_, i) => i) : parent.contributors.filter((i) => i >= holder!.layer);
    const stamps: Array<readonly [number, string]> = [];
    let racy = false;
    for (const i of candidates) {
      if (!this.#layers[i]!.writable) continue;
      const s = await stampOf(this.#layers[i]!.dir + p);
      stamps.push([i, s.stamp]);
      racy ||= s.racy;
    }
    const contributors: number[] = [];
    for (const i of candidates) {
      const fsPath = this.#layers[i]!.dir + p;
      if (i !== holder?.layer && p !== '/') {
        const st = await lstatIfPresent(fsPath);
        if (st === undefined) continue;
        if (!st.isDirectory()) break; // a whiteout or a non-directory hides everything below
      }
      contributors.push(i);
      if (p !== '/' && isOpaqueDir(fsPath)) break; // like the kernel, never at the root
    }
    const children = new Map<string, Holder | null>();
    for (const i of contributors) {
      const fsPath = this.#layers[i]!.dir + p;
      for (const { name, kind } of await listUpperDir(fsPath)) {
        if (!children.has(name)) children.set(name, kind === 'whiteout' ? null : { layer: i, dir: kind === 'directory' });
      }
    }
    return { parent, contributors, children, stamps, racy };
  }
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
