import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { untar } from '../peers/tar-peer.js';
import { writeUpperDir } from '../peers/upper-dir.js';
import type { LookupOps } from '../lookup-batches.js';
import { type BaseTree, generateBaseTree } from './base-tree.js';
import type { LayerItem } from './layer-items.js';
import { type ChangeSet, generateChangeSet } from './change-set.js';
import { Rng } from './rng.js';
import { writeItemsTar } from './tar-pack.js';

/** A stack for the lookup scenario: a base and the change sets of the layers above it. */
export interface LookupStack {
  readonly base: BaseTree;
  /** The large file the bottom layer holds besides the base's items (ops.large). */
  readonly large: Extract<LayerItem, { kind: 'file' }>;
  /** layers[i] is the layer at depth i + 2 (the base is depth 1). */
  readonly layers: readonly ChangeSet[];
  readonly ops: LookupOps;
}

/**
 * Every data set of a run, generated once on first use and cached in `dir`:
 * tarballs (what drivers and `tar -x` apply) and directories (what the peers
 * mount or archive). Generation is deterministic; only its cost is cached.
 */
export class DataSets {
  readonly dir: string;
  readonly #memo = new Map<string, unknown>();

  constructor(dir: string) {
    this.dir = dir;
  }

  #once<T>(key: string, make: () => T): T {
    if (!this.#memo.has(key)) this.#memo.set(key, make());
    return this.#memo.get(key) as T;
  }

  base(entries: number): BaseTree {
    return this.#once(`base:${entries}`, () => generateBaseTree(entries));
  }

  /** Change set `seed` of `count` changes over the base of `entries`. */
  changes(entries: number, count: number, seed = 1): ChangeSet {
    return this.#once(`changes:${entries}:${count}:${seed}`, () => generateChangeSet(this.base(entries), count, seed));
  }

  baseTar(entries: number): Promise<string> {
    return this.#once(`base-tar:${entries}`, async () => {
      const file = join(this.dir, `base-${entries}.tar`);
      await writeItemsTar(this.base(entries).items, file);
      return file;
    });
  }

  changesTar(entries: number, count: number, seed = 1): Promise<string> {
    return this.#once(`changes-tar:${entries}:${count}:${seed}`, async () => {
      const file = join(this.dir, `changes-${entries}-${count}-${seed}.tar`);
      await writeItemsTar(this.changes(entries, count, seed).items, file);
      return file;
    });
  }

  /** The base as a plain directory (GNU tar -x of its tarball). */
  baseDir(entries: number): Promise<string> {
    return this.#once(`base-dir:${entries}`, async () => {
      const dir = join(this.dir, `base-${entries}.d`);
      await untar(await this.baseTar(entries), dir);
      return dir;
    });
  }

  /** The change set as an overlayfs upper directory (whiteouts as 0/0 devices). */
  changesDir(entries: number, count: number, seed = 1): Promise<string> {
    return this.#once(`changes-dir:${entries}:${count}:${seed}`, async () => {
      const dir = join(this.dir, `changes-${entries}-${count}-${seed}.d`);
      await writeUpperDir(dir, this.changes(entries, count, seed).items);
      return dir;
    });
  }

  /**
   * A stack of `depth` layers over a base of `entries`, each adding
   * `layerChanges` changes, with lookup targets that every layer leaves alone
   * (so a hit is found in the bottom layer: the deepest lookup), and a
   * large file of `largeMiB` MiB at the root of the bottom layer.
   */
  lookupStack(
    entries: number,
    depth: number,
    layerChanges: number,
    sizes: { hits: number; misses: number; dirs: number; reads: number; largeMiB: number },
  ): LookupStack {
    return this.#once(`stack:${entries}:${depth}:${layerChanges}`, () => {
      const base = this.base(entries);
      const rng = new Rng(entries + depth);
      const hits = rng.shuffled([...base.files.keys()]).slice(0, sizes.hits);
      const reads = hits.filter((p) => base.files.get(p)!.size < 16384).slice(0, sizes.reads);
      const dirs = rng.shuffled(base.dirs).slice(0, sizes.dirs);
      const misses = Array.from({ length: sizes.misses }, (_, i) => `${rng.pick(base.dirs)}/missing-${i}`);
      const keep = new Set<string>([...hits, ...dirs]);
      const gone = new Set<string>();
      const layers: ChangeSet[] = [];
      for (let i = 0; i < depth - 1; i++) layers.push(generateChangeSet(base, layerChanges, 1000 + i, { keep, gone }));
      const large = { kind: 'file', path: 'lookup-large.bin', mode: 0o644, size: sizes.largeMiB << 20, seed: 0x1a26e } as const;
      return { base, large, layers, ops: { hits, misses, dirs, reads, large: large.path, largeBytes: large.size } };
    });
  }

  /** Tarball of layer i (0 = the base with the large file) of a lookup stack. */
  stackTar(stack: LookupStack, i: number): Promise<string> {
    return this.#once(`stack-tar:${stack.base.entries}:${i}`, async () => {
      const file = join(this.dir, `stack-${stack.base.entries}-${i}${i === 0 ? `-${stack.large.size}` : ''}.tar`);
      await writeItemsTar(i === 0 ? [...stack.base.items, stack.large] : stack.layers[i - 1]!.items, file);
      return file;
    });
  }

  /** Layer directories of a lookup stack, named 0..depth-1 in one parent (short names for mount options). */
  stackDirs(stack: LookupStack): Promise<string[]> {
    return this.#once(`stack-dirs:${stack.base.entries}`, async () => {
      const root = join(this.dir, `stack-${stack.base.entries}-${stack.large.size}`);
      await mkdir(root, { recursive: true });
      const dirs = [join(root, '0')];
      if ((await stat(dirs[0]!).catch(() => undefined)) === undefined) await untar(await this.stackTar(stack, 0), dirs[0]!);
      for (let i = 0; i < stack.layers.length; i++) {
        const dir = join(root, String(i + 1));
        await writeUpperDir(dir, stack.layers[i]!.items);
        dirs.push(dir);
      }
      return dirs;
    });
  }
}
