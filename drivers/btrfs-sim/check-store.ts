import type Database from 'better-sqlite3';
import type { ExtentStore } from './extent-store.js';
import { childIdsOf, decodeNode, extentsOf } from './node.js';

/**
 * A full consistency check (an fsck) of a btrfs-sim store: recomputes every
 * node's and extent's reference count from the layer roots, upper bases and
 * directory entries and compares it with the stored one, and compares the extent files on
 * disk with the extent rows. Returns one line per problem; [] for a sound store.
 * An unreferenced node or extent, a dangling reference and an orphan extent
 * file are all problems. Cost: the whole store.
 */
export async function checkStore(db: Database.Database, extents: ExtentStore): Promise<string[]> {
  const problems: string[] = [];
  const expected = new Map<string, number>();
  const expectedExtents = new Map<string, number>();
  const bump = (map: Map<string, number>, id: string): void => {
    map.set(id, (map.get(id) ?? 0) + 1);
  };
  for (const { root, upper_base } of db.prepare<[], { root: string; upper_base: string | null }>('SELECT root, upper_base FROM layers').all()) {
    bump(expected, root);
    if (upper_base !== null) bump(expected, upper_base);
  }
  const stored = new Map<string, number>();
  for (const row of db.prepare<[], { id: string; refs: number; body: Buffer }>('SELECT id, refs, body FROM nodes').iterate()) {
    stored.set(row.id, row.refs);
    const node = decodeNode(row.body);
    for (const child of childIdsOf(node)) bump(expected, child);
    for (const [extent] of extentsOf(node)) bump(expectedExtents, extent);
  }
  for (const [id, refs] of stored) {
    const want = expected.get(id) ?? 0;
    if (want === 0) problems.push(`node ${id} is unreferenced (refs ${refs})`);
    else if (want !== refs) problems.push(`node ${id} has refs ${refs}, expected ${want}`);
  }
  for (const id of expected.keys()) if (!stored.has(id)) problems.push(`node ${id} is referenced but missing`);
  const extentRows = new Map(db.prepare<[], { id: string; refs: number }>('SELECT id, refs FROM extents').all().map((r) => [r.id, r.refs]));
  for (const [id, refs] of extentRows) {
    const want = expectedExtents.get(id) ?? 0;
    if (want === 0) problems.push(`extent ${id} is unreferenced (refs ${refs})`);
    else if (want !== refs) problems.push(`extent ${id} has refs ${refs}, expected ${want}`);
  }
  for (const id of expectedExtents.keys()) if (!extentRows.has(id)) problems.push(`extent ${id} is referenced but missing`);
  const files = new Set(await extents.list());
  for (const id of files) if (!extentRows.has(id)) problems.push(`extent file ${id} has no row`);
  for (const id of extentRows.keys()) if (!files.has(id)) problems.push(`extent ${id} has no file`);
  return problems;
}
