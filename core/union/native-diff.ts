import { closeSync, constants, openSync, readSync, readdirSync } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import type { DiffEntry } from '../diff/diff-entry.js';
import { sameMetadata, sameXattrs } from '../diff/same-node.js';
import { entryStatOf, entryTypeOf, userXattrsAt } from '../directory-tree.js';
import { ErrorCode, StrataError } from '../errors.js';
import { compareNames, layerPathJoin } from '../tree.js';
import type { EntryStat } from '../tree.js';
import { assertUtf8ListingSync, readlinkUtf8Sync } from '../utf8-name.js';
import { lookUpLower, lowerHasOtherName, lowerNames, lowerRoot, lstatOrUndefined } from './lower-stack.js';
import type { LowerDir, LowerNode } from './lower-stack.js';
import { expandRedirect, isRedirectedDir, redirectExpansion } from './redirect-expansion.js';
import type { RedirectExpansion } from './redirect-expansion.js';
import { isAbsent, upperIoError } from './upper-dir.js';
import { isOpaqueDir, isWhiteoutStats } from './whiteout-format.js';

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
 * way) and carries its `upperStat`; every 'add' says whether it `replaces` a
 * lower node. The exception: below a directory the layer renamed from a lower
 * layer (a redirect), the entries are its whole subtree in the layer's union,
 * each naming its `source` in whichever layer holds it (redirect-expansion.ts).
 * Cost O(entries of the upper directory, and of redirected subtrees): names
 * the layer does not hold are by construction the parent's, unchanged, and
 * never visited; each
 * path it holds costs one lstat per lower layer at most (lower-stack.ts).
 * A lower directory is read only where the layer removes names in it and holds
 * none of the names it keeps (then the canonical sequence says 'opaque' if it
 * removed them all), and only until one other name is found.
 *
 * Synchronous: every call is a short syscall on local directories, and a walk
 * through the thread pool spent most of its time waiting. Fails with
 * ENOTFOUND where the upper root is not a directory or an entry vanishes while
 * walked, EUNSUPPORTED for a name or link target that is not UTF-8, EIO on
 * any other error.
 */
export function* compareUpper(upperDir: string, lowerLayers: readonly string[], options: CompareUpperOptions = {}): Generator<DiffEntry> {
  if (lstatOrUndefined(upperDir)?.isDirectory() !== true) {
    throw new StrataError(ErrorCode.ENOTFOUND, 'the upper tree has no root directory');
  }
  const hiddenNames = options.hiddenNames === true;
  const redirects = redirectExpansion(upperDir, lowerLayers, { hiddenNames, statOf, same: sameNodeAt });
  yield* children({ hiddenNames, redirects }, '/', upperDir, lowerLayers.length === 0 ? null : lowerRoot(lowerLayers), false);
}

interface Walk {
  readonly hiddenNames: boolean;
  /** Where the layer has lower layers: how a directory it renamed from them (a redirect) is expanded. */
  readonly redirects: RedirectExpansion | null;
}

/** One non-whiteout entry of an upper directory. */
interface Own {
  readonly name: string;
  readonly fsPath: string;
  readonly st: BigIntStats;
}

/**
 * Children of directory `dir` (real path `fsDir`), which the layer holds.
 * `lower` is null where the comparison with lower has stopped (dir is new, or
 * an opaque entry hides lower below it). `cut`: the layer's dir is not merged
 * with lower's (it, or an ancestor, is opaque), so the union lists only the
 * layer's names there.
 */
function* children(walk: Walk, dir: string, fsDir: string, lower: LowerDir | null, cut: boolean): Generator<DiffEntry> {
  const own: Own[] = [];
  const whiteouts: string[] = [];
  for (const name of listUpper(fsDir, dir)) {
    const fsPath = `${fsDir}/${name}`;
    const st = lstatOrUndefined(fsPath);
    if (st === undefined) throw vanished(layerPathJoin(dir, name));
    if (isWhiteoutStats(st)) whiteouts.push(name);
    else own.push({ name, fsPath, st });
  }
  own.sort((a, b) => compareNames(a.name, b.name));

  let below: Array<LowerNode | undefined> = [];
  let deleted: string[] = [];
  if (lower !== null) {
    cut ||= dir !== '/' && isOpaqueDir(fsDir);
    below = own.map((o) => lookUpLower(lower!, o.name));
    const holdsLowerName = below.some((n) => n !== undefined);
    let gone: string[];
    if (cut) {
      const kept = new Set(own.map((o) => o.name));
      gone = holdsLowerName ? lowerNames(lower, dir).filter((n) => !kept.has(n)) : [];
    } else gone = whiteouts.filter((name) => lookUpLower(lower!, name) !== undefined);
    // Opaque: lower's dir has names and the union keeps none of them.
    const opaque = !holdsLowerName && (cut ? lowerHasOtherName(lower, NO_NAMES) : gone.length > 0 && !lowerHasOtherName(lower, new Set(gone)));
    if (opaque) {
      yield walk.hiddenNames ? { kind: 'opaque', path: dir, hidden: lowerNames(lower, dir).sort(compareNames) } : { kind: 'opaque', path: dir };
      lower = null;
    } else {
      deleted = gone.sort(compareNames);
    }
  }

  let j = 0;
  for (let i = 0; i < own.length; i++) {
    const o = own[i]!;
    while (j < deleted.length && compareNames(deleted[j]!, o.name) < 0) yield { kind: 'delete', path: layerPathJoin(dir, deleted[j++]!) };
    yield* node(walk, layerPathJoin(dir, o.name), o, lower === null ? null : below[i], cut);
  }
  while (j < deleted.length) yield { kind: 'delete', path: layerPathJoin(dir, deleted[j++]!) };
}

const NO_NAMES: ReadonlySet<string> = new Set();

/** One entry the layer holds; `lower`: lower's node there (undefined: none; null: not compared). */
function* node(walk: Walk, path: string, o: Own, lower: LowerNode | undefined | null, cut: boolean): Generator<DiffEntry> {
  if (walk.redirects !== null && o.st.isDirectory() && isRedirectedDir(o.fsPath)) return yield* expandRedirect(walk.redirects, path, lower);
  const upperStat = statOf(o.fsPath, o.st, path);
  if (lower == null || entryTypeOf(lower.stat) !== upperStat.type) {
    yield { kind: 'add', path, upperStat, replaces: lower != null };
    if (upperStat.type === 'directory') yield* children(walk, path, o.fsPath, null, true);
    return;
  }
  if (!sameNodeAt(path, lower, o.fsPath, upperStat)) yield { kind: 'modify', path, upperStat };
  if (upperStat.type === 'directory') yield* children(walk, path, o.fsPath, lower.dir ?? null, cut);
}

/** The 'modify' rule of DiffEntry (same-node.ts) between lower's node and the layer's entry at fsPath, of the same type. */
function sameNodeAt(path: string, lower: LowerNode, fsPath: string, upperStat: EntryStat): boolean {
  if (!sameMetadata(statOf(lower.fsPath, lower.stat, path), upperStat)) return false;
  if (!sameXattrs(xattrsOf(lower.fsPath), xattrsOf(fsPath))) return false;
  if (upperStat.type !== 'file' || upperStat.size === 0) return true;
  return sameFileContent(lower.fsPath, fsPath);
}

function statOf(fsPath: string, st: BigIntStats, path: string): EntryStat {
  return entryStatOf(st, st.isSymbolicLink() ? readlinkUtf8Sync(fsPath, path) : undefined);
}

function xattrsOf(fsPath: string): Record<string, Buffer> {
  try {
    return userXattrsAt(fsPath);
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

/** Names in one upper directory ([] where it is absent: a writable layer may remove it). */
function listUpper(fsDir: string, dir: string): string[] {
  try {
    const names = readdirSync(fsDir);
    assertUtf8ListingSync(names, fsDir, dir);
    return names;
  } catch (err) {
    if (err instanceof StrataError) throw err;
    if (isAbsent(err)) return [];
    throw upperIoError(fsDir, err);
  }
}

function vanished(path: string): StrataError {
  return new StrataError(ErrorCode.ENOTFOUND, `${path} vanished from the upper tree while it was compared`);
}
