import type { Change, ChangeKind } from '../driver.js';
import { compareNames, layerPathJoin } from '../tree.js';
import type { TreeReader } from '../tree.js';
import type { DiffEntry, DiffKind } from './diff-entry.js';

const KIND: Record<Exclude<DiffKind, 'opaque'>, ChangeKind> = { add: 'A', modify: 'C', delete: 'D' };

/**
 * The `docker diff`-style list of a canonical diff sequence, sorted by path in
 * byte order (as moby sorts it): add → 'A' (also where a node of another type
 * replaced a lower one), modify → 'C', delete → 'D'. An opaque directory `d`
 * becomes one 'D' per child name of `d` in `lower` (by the opaque rule none of
 * them is left in upper); nothing is listed below those children.
 * Fails with what `lower.readdir` fails with.
 */
export async function changesOf(entries: AsyncIterable<DiffEntry>, lower: TreeReader | null): Promise<Change[]> {
  const changes: Change[] = [];
  for await (const entry of entries) {
    if (entry.kind !== 'opaque') {
      changes.push({ kind: KIND[entry.kind], path: entry.path });
    } else if (lower !== null) {
      for (const name of await lower.readdir(entry.path)) changes.push({ kind: 'D', path: layerPathJoin(entry.path, name) });
    }
  }
  return changes.sort((a, b) => compareNames(a.path, b.path));
}
