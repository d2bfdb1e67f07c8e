import { sys } from '../sys/index.js';
import type { ScanAheadHandle, ScanAheadResult } from '../sys/index.js';
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
 * either way). Memory: at most AHEAD entries are held.
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
  return handle === null ? undefined : { handle, xattrs, lower };
}

/**
 * The scan of directory `layerDir` ('/' or '/a/b'; real path `fsDir`) as
 * lstatDir gives it, null where it is absent; undefined where the read-ahead
 * does not hold it. Fails as lstatDir does, with EIO.
 */
export function takeScan(ahead: ReadAhead, layerDir: string, fsDir: string): ScanAheadResult | null | undefined {
  try {
    return sys.scanAheadTake(ahead.handle, layerDir.slice(1));
  } catch (err) {
    throw upperIoError(fsDir, err);
  }
}

export function stopReadAhead(ahead: ReadAhead | undefined): void {
  if (ahead !== undefined) sys.scanAheadStop(ahead.handle);
}
