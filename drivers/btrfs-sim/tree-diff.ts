import { compareNames, layerPathJoin } from '../../core/index.js';
import { type DiffEntry } from '../../core/kit.js';
import type { DirNode, FileNode, TreeNode } from './node.js';
import type { NodeStore } from './node-store.js';

/**
 * The native diff, like `btrfs send`: compares two stored trees and skips every
 * subtree both share by pointer (the same node id), so its cost grows with the
 * number of changed paths (times their directories' widths), not with the size
 * of the trees. It yields exactly the canonical sequence core's `compareTrees`
 * yields for the same two trees (see core/diff/diff-entry.ts), so
 * `writeLayerTar` gives the same bytes. `lowerRoot` null: every node is an 'add'.
 * Fails with ECORRUPT when a node is missing from the store.
 */
export async function* compareStoredTrees(nodes: NodeStore, lowerRoot: string | null, upperRoot: string): AsyncGenerator<DiffEntry> {
  if (lowerRoot === upperRoot) return;
  const upper = nodes.get(upperRoot) as DirNode;
  const lower = lowerRoot === null ? null : (nodes.get(lowerRoot) as DirNode);
  yield* children(nodes, '/', lower, upper);
}

function* children(nodes: NodeStore, dir: string, lower: DirNode | null, upper: DirNode): Generator<DiffEntry> {
  const ups = upper.children;
  let lows = lower?.children ?? [];
  if (lows.length > 0) {
    const names = new Set(ups.map((c) => c[0]));
    if (lows.every((c) => !names.has(c[0]))) {
      yield { kind: 'opaque', path: dir };
      lows = [];
    }
  }
  let i = 0;
  let j = 0;
  while (i < ups.length || j < lows.length) {
    const order = j >= lows.length ? -1 : i >= ups.length ? 1 : compareNames(ups[i]![0], lows[j]![0]);
    if (order > 0) {
      yield { kind: 'delete', path: layerPathJoin(dir, lows[j++]![0]) };
      continue;
    }
    const [name, upperId] = ups[i++]!;
    const lowerId = order === 0 ? lows[j++]![1] : null;
    yield* node(nodes, layerPathJoin(dir, name), lowerId, upperId);
  }
}

function* node(nodes: NodeStore, path: string, lowerId: string | null, upperId: string): Generator<DiffEntry> {
  if (lowerId === upperId) return;
  const upper = nodes.get(upperId);
  const lower = lowerId === null ? undefined : nodes.get(lowerId);
  if (lower === undefined || lower.type !== upper.type) {
    yield { kind: 'add', path };
    if (upper.type === 'directory') yield* children(nodes, path, null, upper);
    return;
  }
  if (!sameNode(lower, upper)) yield { kind: 'modify', path };
  if (upper.type === 'directory') yield* children(nodes, path, lower as DirNode, upper);
}

/** The 'modify' rule on two nodes of one type: metadata (mtime in whole seconds), xattrs, content. */
export function sameNode(a: TreeNode, b: TreeNode): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (Math.floor(a.mtimeMs / 1000) !== Math.floor(b.mtimeMs / 1000)) return false;
  if (!sameXattrs(a.xattrs, b.xattrs)) return false;
  switch (a.type) {
    case 'file':
      return sameContent(a, b as FileNode);
    case 'symlink':
      return a.target === (b as typeof a).target;
    case 'char':
    case 'block':
      return a.major === (b as typeof a).major && a.minor === (b as typeof a).minor;
    default:
      return true;
  }
}

/** Content is stored deterministically (fixed extent cuts, inline below a fixed size), so equal content has equal references. */
function sameContent(a: FileNode, b: FileNode): boolean {
  if (a.size !== b.size || a.inline !== b.inline || a.extents.length !== b.extents.length) return false;
  return a.extents.every((e, k) => e[0] === b.extents[k]![0]);
}

function sameXattrs(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => b?.[k] === a?.[k]);
}
