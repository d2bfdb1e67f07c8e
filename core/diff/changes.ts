import type { Change, ChangeKind } from '../driver.js';
import { compareNames, layerPathJoin } from '../tree.js';
import type { TreeReader } from '../tree.js';
import type { DiffEntry } from './diff-entry.js';

/**
 * The `docker diff`-style list of a canonical diff sequence, sorted by path in
 * byte order (as moby sorts it): modify → 'C', delete → 'D', add → 'A' where
 * lower has nothing at the path, and 'C' where it has a node of another type
 * (a type change: file → directory, symlink → file, ...; what moby's
 * `ChangesDirs` reports too). Below a node that replaced one of another type,
 * everything is 'A' (lower has nothing there). An opaque directory `d` becomes
 * one 'D' per child name of `d` in `lower` (by the opaque rule none of them is
 * left in upper); nothing is listed below those children.
 * Costs one `lower.stat` per 'add' that is not below another 'add' and one
 * `lower.readdir` per 'opaque', except where the entries say (`replaces`,
 * `hidden`): then lower is not asked.
 * Fails with what `lower.readdir` and `lower.stat` fail with.
 */
export async function changesOf(entries: AsyncIterable<DiffEntry> | Iterable<DiffEntry>, lower: TreeReader | null): Promise<Change[]> {
  const changes: Change[] = [];
  // The last 'add' whose lower path was looked up: in pre-order, what lies below it is new (lower has no children there).
  let added: string | undefined;
  for await (const entry of entries) {
    if (entry.kind === 'opaque') {
      const hidden = entry.hidden ?? (lower === null ? [] : await lower.readdir(entry.path));
      for (const name of hidden) changes.push({ kind: 'D', path: layerPathJoin(entry.path, name) });
    } else if (entry.kind === 'add') {
      const kind = entry.replaces === undefined ? await addKind(entry.path, lower, added) : entry.replaces ? 'C' : 'A';
      changes.push({ kind, path: entry.path });
      if (added === undefined || !entry.path.startsWith(`${added}/`)) added = entry.path;
    } else {
      changes.push({ kind: KIND[entry.kind], path: entry.path });
    }
  }
  return changes.sort((a, b) => compareNames(a.path, b.path));
}

const KIND: Record<'modify' | 'delete', ChangeKind> = { modify: 'C', delete: 'D' };

/** 'C' where lower holds path (then with another type: an 'add' of a path of the same type is never made), else 'A'. */
async function addKind(path: string, lower: TreeReader | null, added: string | undefined): Promise<ChangeKind> {
  if (lower === null || (added !== undefined && path.startsWith(`${added}/`))) return 'A';
  return (await lower.stat(path)) === undefined ? 'A' : 'C';
}
