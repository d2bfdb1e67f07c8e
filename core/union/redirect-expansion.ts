import type { DiffEntry } from '../diff/diff-entry.js';
import { compareNames, layerPathJoin } from '../tree.js';
import type { EntryStat } from '../tree.js';
import { readlinkUtf8Sync } from '../utf8-name.js';
import { lookUpLower, lowerNames, lowerRoot } from './lower-stack.js';
import type { LowerDir, LowerNode } from './lower-stack.js';

/**
 * # A redirected directory in a layer's diff
 *
 * OCI layers have no rename: a directory that the layer renamed from a lower
 * layer (an upper directory with a redirect, see redirect-format.ts) holds
 * only the layer's own changes inside it, but the layer's union shows there
 * the whole lower directory it continues. Its diff is what core's tree
 * comparison gives for that subtree: every node of the layer's union there
 * (the redirect target's merged content, the layer's own entries over it,
 * whiteouts, opaque markers and nested or chained redirects honoured),
 * compared with what the parent union has at the same path (usually nothing:
 * all 'add'). The old name's whiteout is an ordinary whiteout of the layer,
 * which the caller's walk emits.
 *
 * Each 'add'/'modify' carries its `source` (the real path of the node, in
 * whichever layer holds it) and `upperStat`. Cost O(nodes of the subtree),
 * one lstat per copy per name; a listing per copy of each directory.
 * Fails as lower-stack.ts does (EIO; EUNSUPPORTED for a name that is not UTF-8).
 */
export interface RedirectExpansion {
  /** The layer's own union: its upper directory over its parent's stack (`lowerRoot([upper, ...lower])`). */
  readonly union: LowerDir;
  /** Give each 'opaque' entry the names it hides (CompareUpperOptions.hiddenNames). */
  readonly hiddenNames: boolean;
  /** The 'modify' rule: is the node at fsPath (stat upperStat) the same as lower's node at path? */
  readonly same: (path: string, lower: LowerNode, fsPath: string, upperStat: EntryStat) => boolean;
}

/** The expansion context of a layer whose upper directory is `upperDir` over `lowerLayers` (top first); null for a base layer (nothing to redirect to). */
export function redirectExpansion(upperDir: string, lowerLayers: readonly string[], rules: Omit<RedirectExpansion, 'union'>): RedirectExpansion | null {
  return lowerLayers.length === 0 ? null : { ...rules, union: lowerRoot([upperDir, ...lowerLayers]) };
}

/**
 * The diff entries of the subtree at `path`, a redirected directory of the
 * layer, against `parentNode`, the parent union's node there (undefined or
 * null: none, or not compared).
 */
export function* expandRedirect(x: RedirectExpansion, path: string, parentNode: LowerNode | undefined | null): Generator<DiffEntry> {
  const node = resolve(x.union, path);
  if (node === undefined) return; // the layer's walk saw it: it vanished since
  yield* compareNode(x, path, parentNode ?? undefined, node);
}

function* compareNode(x: RedirectExpansion, path: string, old: LowerNode | undefined, now: LowerNode): Generator<DiffEntry> {
  // A lower node's stat leaves a symlink's target out.
  const upperStat: EntryStat = now.stat.type === 'symlink' ? { ...now.stat, linkTarget: readlinkUtf8Sync(now.fsPath, path) } : now.stat;
  if (old === undefined || old.stat.type !== upperStat.type) {
    yield { kind: 'add', path, upperStat, replaces: old !== undefined, source: now.fsPath };
    if (now.dir !== undefined) yield* compareChildren(x, path, undefined, now.dir);
    return;
  }
  if (!x.same(path, old, now.fsPath, upperStat)) yield { kind: 'modify', path, upperStat, source: now.fsPath };
  if (now.dir !== undefined) yield* compareChildren(x, path, old.dir, now.dir);
}

/** The canonical children of directory `dir`: its names in both unions merged in order, 'delete' or 'opaque' for names only `old` has. */
function* compareChildren(x: RedirectExpansion, dir: string, old: LowerDir | undefined, now: LowerDir): Generator<DiffEntry> {
  const names = lowerNames(now, dir).sort(compareNames);
  const oldNames = old === undefined ? [] : lowerNames(old, dir).sort(compareNames);
  const shown = new Set(names);
  let deleted = oldNames.filter((n) => !shown.has(n));
  if (oldNames.length > 0 && deleted.length === oldNames.length) {
    yield x.hiddenNames ? { kind: 'opaque', path: dir, hidden: oldNames } : { kind: 'opaque', path: dir };
    old = undefined;
    deleted = [];
  }
  let j = 0;
  for (const name of names) {
    while (j < deleted.length && compareNames(deleted[j]!, name) < 0) yield { kind: 'delete', path: layerPathJoin(dir, deleted[j++]!) };
    const now2 = lookUpLower(now, name);
    if (now2 === undefined) continue; // vanished between listing and lookup
    yield* compareNode(x, layerPathJoin(dir, name), old === undefined ? undefined : lookUpLower(old, name), now2);
  }
  while (j < deleted.length) yield { kind: 'delete', path: layerPathJoin(dir, deleted[j++]!) };
}

/** The union's node at path, from its root. */
function resolve(root: LowerDir, path: string): LowerNode | undefined {
  let node: LowerNode | undefined;
  let dir: LowerDir | undefined = root;
  for (const component of path.split('/')) {
    if (component === '') continue;
    node = dir === undefined ? undefined : lookUpLower(dir, component);
    dir = node?.dir;
    if (node === undefined) return undefined;
  }
  return node;
}
