/**
 * Data sizes and repeat counts. The full plan is sized so that every scenario
 * for four drivers and the peers finishes in under 20 minutes on a 2-core VM;
 * the quick plan runs in seconds and only proves the machinery works.
 * Entry counts are of a generated base tree (see data/base-tree.ts).
 */
export interface BenchPlan {
  readonly mode: 'quick' | 'full';
  /** Timed samples per measurement (medians are reported). */
  readonly repeats: number;
  /** Samples for the costly measurements (apply, commit, and snapshot). */
  readonly heavyRepeats: number;
  /** Wall time after which a measurement stops taking samples (it keeps at least one). */
  readonly budgetMs: number;
  /**
   * Largest base (entries) measured for costs that grow with the whole tree: a
   * naive diff (reads both trees) and a linear-cost snapshot (copies the
   * parent). Larger cases get a row saying so: at 100,000 entries one vfs
   * sample takes about a minute, which alone would break the 20-minute budget.
   */
  readonly linearMaxBase: number;
  readonly diff: { readonly bases: readonly number[]; readonly changes: readonly number[] };
  /** Apply the base tarball of each size, and a change set of `changes` over the first base. */
  readonly apply: { readonly bases: readonly number[]; readonly changes: number };
  readonly lookups: {
    readonly base: number;
    readonly depths: readonly number[];
    /** Changes in each layer above the base. */
    readonly layerChanges: number;
    readonly repeats: number;
    readonly hits: number;
    readonly misses: number;
    readonly dirs: number;
    readonly reads: number;
    /** Size of the large file of the bottom layer read sequentially, in MiB. */
    readonly largeMiB: number;
  };
  readonly snapshot: { readonly bases: readonly number[] };
  readonly disk: { readonly base: number; readonly children: number; readonly childChanges: number };
  readonly commit: { readonly base: number; readonly changes: number };
  /** A writable layer of `changes` changes over `base` made read-only (strata's commit vs diff + apply). */
  readonly layerCommit: { readonly base: number; readonly changes: number };
}

export const FULL_PLAN: BenchPlan = {
  mode: 'full',
  repeats: 5,
  heavyRepeats: 3,
  budgetMs: 15000,
  linearMaxBase: 20000,
  diff: { bases: [1000, 20000, 100000], changes: [10, 200, 5000] },
  apply: { bases: [20000], changes: 200 },
  lookups: { base: 1000, depths: [1, 8, 32, 64, 128], layerChanges: 10, repeats: 5, hits: 200, misses: 200, dirs: 50, reads: 100, largeMiB: 64 },
  snapshot: { bases: [100, 10000, 100000] },
  disk: { base: 20000, children: 10, childChanges: 20 },
  commit: { base: 20000, changes: 200 },
  layerCommit: { base: 20000, changes: 5000 },
};

export const QUICK_PLAN: BenchPlan = {
  mode: 'quick',
  repeats: 2,
  heavyRepeats: 2,
  budgetMs: Number.POSITIVE_INFINITY,
  linearMaxBase: Number.POSITIVE_INFINITY,
  diff: { bases: [100], changes: [10, 30] },
  apply: { bases: [100], changes: 10 },
  lookups: { base: 100, depths: [1, 3], layerChanges: 3, repeats: 2, hits: 10, misses: 10, dirs: 3, reads: 5, largeMiB: 1 },
  snapshot: { bases: [100] },
  disk: { base: 100, children: 2, childChanges: 5 },
  commit: { base: 100, changes: 10 },
  layerCommit: { base: 100, changes: 10 },
};
