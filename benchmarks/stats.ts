/**
 * Summary statistics of benchmark samples. Benchmarks report medians (disk
 * writeback makes single runs vary by up to 1.7×), with min and max beside them.
 */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median of the samples (mean of the two middle ones for an even count); NaN when empty. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    n: samples.length,
    median: median(samples),
    min: samples.length === 0 ? Number.NaN : Math.min(...samples),
    max: samples.length === 0 ? Number.NaN : Math.max(...samples),
  };
}

/** Milliseconds since an arbitrary origin, sub-microsecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Wall time of one call of fn, in milliseconds. */
export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}

/**
 * Runs fn `repeats` times (after `warmup` unrecorded runs) and returns each
 * run's milliseconds. Stops early, with at least one sample, once the runs
 * (warm-up included) have taken `budgetMs`: a slow case gets fewer samples
 * rather than stretching the whole benchmark (the report shows n).
 */
export async function sampleMs(repeats: number, fn: (i: number) => Promise<unknown>, warmup = 0, budgetMs = Number.POSITIVE_INFINITY): Promise<number[]> {
  const start = nowMs();
  for (let i = 0; i < warmup && nowMs() - start < budgetMs; i++) await fn(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < repeats && (out.length === 0 || nowMs() - start < budgetMs); i++) out.push(await timeMs(() => fn(i)));
  return out;
}

/**
 * Every case once untimed (warm-up: page cache, code caches, a store's first
 * open), then `repeats` rounds in which each case runs once, in order:
 * interleaved, so that a change in the machine's load touches all cases
 * alike. The summary of each case's milliseconds.
 */
export async function sampleInterleaved(cases: Readonly<Record<string, () => Promise<unknown>>>, repeats: number): Promise<Record<string, Summary>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const c of Object.values(cases)) await c();
  for (let i = 0; i < repeats; i++) {
    for (const [name, c] of Object.entries(cases)) samples[name]!.push(await timeMs(c));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
}

/**
 * `repeats` samples of `timed`, each on a fresh target that `setup` makes and
 * `teardown` removes (neither is timed; teardown runs even when timed throws).
 * Stops early like `sampleMs` once `budgetMs` of wall time has passed.
 */
export async function sampleFresh<T>(
  repeats: number,
  setup: (i: number) => Promise<T>,
  timed: (target: T) => Promise<unknown>,
  teardown: (target: T) => Promise<unknown>,
  budgetMs = Number.POSITIVE_INFINITY,
): Promise<number[]> {
  const start = nowMs();
  const out: number[] = [];
  for (let i = 0; i < repeats && (out.length === 0 || nowMs() - start < budgetMs); i++) {
    const target = await setup(i);
    try {
      out.push(await timeMs(() => timed(target)));
    } finally {
      await teardown(target);
    }
  }
  return out;
}
