import { LSTAT_FIELDS, sys } from '../sys/index.js';
import type { ScanAheadBatch, ScanAheadHandle } from '../sys/index.js';
import { compareNames } from '../tree.js';
import { upperIoError } from './upper-dir.js';

/**
 * # An upper tree scanned ahead of its walk
 *
 * The native diff's walk spends about as long in its directory scans (the
 * system calls of `sys.lstatDir`) as in its own JavaScript. `sys.scanAhead`
 * makes those scans on a thread of its own, in the walk's order (depth
 * first, names sorted), so both run at once; the walk takes each scan when
 * it reaches the directory. A scan taken is exactly the one lstatDir would
 * have made, only made earlier: the upper directory of a layer being diffed
 * does not change meanwhile (a diff of a changing tree is no snapshot
 * either way). The walk takes the scans in batches (one native call and one
 * set of arrays for all the directories ready), and drops those of a subtree
 * it skips. Memory: the thread holds at most AHEAD entries (and 8 MiB of
 * small files' content), the walk one batch.
 *
 * With a lower directory (the top layer of the parent's stack), the thread
 * also looks up each directory's names at the same path there: the
 * lookups the walk would make first (lower-stack.ts), made the same way.
 */
export interface ReadAhead {
  readonly handle: ScanAheadHandle;
  /** The attribute names each scan lists (LSTAT_XATTRS_*). */
  readonly xattrs: number;
  /** The lower directory whose names are looked up too, if any. */
  readonly lower: string | undefined;
  /** The scans taken in one batch and not yet handed out. */
  batch: Batch | undefined;
}

/** Per-entry arrays of a scan: its entries are `start` to `start + count - 1`. */
export interface ScanArrays {
  readonly fields: Float64Array;
  readonly inos: ReadonlyArray<string | undefined>;
  readonly xattrs: ReadonlyArray<string | undefined>;
}

/** One directory's scan from the read-ahead: entries `start`.. of the arrays, their names. */
export interface TakenScan {
  readonly names: readonly string[];
  readonly start: number;
  readonly upper: ScanArrays;
  /** The same names looked up under the read-ahead's lower directory, where that was done. */
  readonly lower: ScanArrays | undefined;
  readonly contents: ReadonlyArray<Buffer | undefined> | undefined;
}

interface Batch {
  readonly rels: readonly string[];
  readonly index: Float64Array;
  readonly names: readonly string[];
  readonly upper: ScanArrays;
  readonly lower: ScanArrays;
  readonly contents: ReadonlyArray<Buffer | undefined> | undefined;
  readonly error: Error | undefined;
  /** The next scan to hand out. */
  next: number;
}

/** At most this many entries are scanned ahead of the walk. */
const AHEAD = 4096;

/** The read-ahead of the tree at `root` (and of its names under `lower`), or undefined where it cannot start (the walk then scans for itself). */
export function startReadAhead(root: string, xattrs: number, lower?: string): ReadAhead | undefined {
  let handle: ScanAheadHandle | null;
  try {
    handle = sys.scanAhead(root, xattrs, AHEAD, lower ?? null);
  } catch {
    return undefined;
  }
  return handle === null ? undefined : { handle, xattrs, lower, batch: undefined };
}

/**
 * The scan of directory `layerDir` ('/' or '/a/b'; real path `fsDir`), its
 * names sorted; null where it is absent; undefined where the read-ahead
 * does not hold it (scan it yourself). Scans before it in the walk's order
 * (a subtree the walk skipped) are dropped. Fails as lstatDir does, with EIO.
 */
export function takeScan(ahead: ReadAhead, layerDir: string, fsDir: string): TakenScan | null | undefined {
  const rel = layerDir.slice(1);
  for (;;) {
    let batch = ahead.batch;
    if (batch === undefined || batch.next >= batch.rels.length) {
      const taken = sys.scanAheadTake(ahead.handle);
      if (taken === undefined) return undefined;
      batch = ahead.batch = batchOf(taken);
    }
    const k = batch.next;
    const order = walkOrder(batch.rels[k]!, rel);
    if (order > 0) return undefined; // the scan passed it: made after its parent was listed
    batch.next++;
    if (order < 0) continue;
    const status = batch.index[4 * k + 3];
    if (status === ABSENT) return null;
    if (status === FAILED) throw upperIoError(fsDir, batch.error);
    const start = batch.index[4 * k]!;
    const count = batch.index[4 * k + 1]!;
    return {
      names: batch.names.slice(start, start + count),
      start,
      upper: batch.upper,
      lower: batch.index[4 * k + 2] === 1 ? batch.lower : undefined,
      contents: batch.contents,
    };
  }
}

const ABSENT = 1;
const FAILED = 2;

/** Depth-first order of two directories of the tree ('' for the root, 'a/b'): component by component, names by their bytes, a parent before its children. */
function walkOrder(a: string, b: string): number {
  if (a === b) return 0;
  const x = a === '' ? [] : a.split('/');
  const y = b === '' ? [] : b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = compareNames(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

function batchOf(b: ScanAheadBatch): Batch {
  const total = b.fields.length / LSTAT_FIELDS;
  return {
    rels: b.rels.split('\0'),
    index: b.index,
    names: total === 0 ? [] : b.names.split('\0'),
    upper: { fields: b.fields, inos: total === 0 ? [] : b.inos.split('\0'), xattrs: b.xattrs },
    lower: { fields: b.lowerFields, inos: total === 0 ? [] : b.lowerInos.split('\0'), xattrs: b.lowerXattrs },
    contents: b.contents,
    error: b.error,
    next: 0,
  };
}

export function stopReadAhead(ahead: ReadAhead | undefined): void {
  if (ahead === undefined) return;
  ahead.batch = undefined;
  sys.scanAheadStop(ahead.handle);
}
