import { nowMs } from './stats.js';

/** The lookups measured on a stack: paths relative to its root, without a leading '/'. */
export interface LookupOps {
  /** Files in the bottom layer that every layer above leaves alone: the deepest hit. */
  readonly hits: readonly string[];
  /** Names that exist in no layer (negative lookups), in directories that do. */
  readonly misses: readonly string[];
  readonly dirs: readonly string[];
  /** Small files (under 16 KiB) to read whole. */
  readonly reads: readonly string[];
  /** A large file of the bottom layer, read sequentially from start to end (`largeBytes` long). */
  readonly large: string;
  readonly largeBytes: number;
}

export const LOOKUP_KINDS = ['stat-hit', 'stat-miss', 'readdir', 'read', 'read-large'] as const;
export type LookupKind = (typeof LOOKUP_KINDS)[number];

/** The unit of a kind's samples: microseconds per operation, or throughput for the large file. */
export function lookupUnit(kind: LookupKind): 'us' | 'MB/s' {
  return kind === 'read-large' ? 'MB/s' : 'us';
}

/**
 * One way to look things up: a driver's user-space calls, or the file system
 * through a mount. `stat` resolves true when the path exists.
 */
export interface LookupTarget {
  stat(path: string): Promise<boolean> | boolean;
  readdir(path: string): Promise<unknown> | unknown;
  read(path: string): Promise<unknown> | unknown;
  /** Reads path sequentially to its end; resolves the bytes read. */
  readAll(path: string): Promise<number> | number;
}

/**
 * Whole reads of the large file per sample, of which the fastest counts: one
 * read takes only milliseconds, so a single time slice lost to another
 * process on a shared machine would halve it.
 */
const LARGE_READS = 3;

/**
 * Runs each kind of lookup over its whole list, once unrecorded to warm the
 * caches and then `repeats` times, and returns per kind the mean microseconds
 * per operation of each recorded repeat (for `read-large`, MB/s of the fastest of
 * `LARGE_READS` whole reads of the large file, warm like the rest). Fails when a hit
 * is not found or a miss is found: a wrong answer is not a fast one.
 */
export async function runLookups(target: LookupTarget, ops: LookupOps, repeats: number): Promise<Record<LookupKind, number[]>> {
  const out: Record<LookupKind, number[]> = { 'stat-hit': [], 'stat-miss': [], readdir: [], read: [], 'read-large': [] };
  const batch = async (kind: LookupKind, paths: readonly string[], op: (p: string) => Promise<void>): Promise<void> => {
    if (paths.length === 0) return;
    const start = nowMs();
    for (const p of paths) await op(p);
    if (recording) out[kind].push(((nowMs() - start) * 1000) / paths.length);
  };
  let recording = false;
  for (let r = -1; r < repeats; r++) {
    recording = r >= 0;
    await batch('stat-hit', ops.hits, async (p) => {
      if (!(await target.stat(p))) throw new Error(`lookup: ${p} should exist but was not found`);
    });
    await batch('stat-miss', ops.misses, async (p) => {
      if (await target.stat(p)) throw new Error(`lookup: ${p} should not exist but was found`);
    });
    await batch('readdir', ops.dirs, async (p) => {
      await target.readdir(p);
    });
    await batch('read', ops.reads, async (p) => {
      await target.read(p);
    });
    let best = 0;
    for (let i = 0; i < LARGE_READS; i++) {
      const start = nowMs();
      const bytes = await target.readAll(ops.large);
      if (bytes !== ops.largeBytes) throw new Error(`lookup: ${ops.large} read ${bytes} bytes, not ${ops.largeBytes}`);
      best = Math.max(best, bytes / 1e6 / ((nowMs() - start) / 1000));
    }
    if (recording) out['read-large'].push(best);
  }
  return out;
}
