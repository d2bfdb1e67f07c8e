import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type TreeReader, layerPathJoin } from '../../core/index.js';
import { isOpaqueDir, isWhiteoutEntry, sys } from '../../core/kit.js';
import type { ExtentStore } from './extent-store.js';
import { EntryImporter, type UnchangedContent } from './materialize.js';
import type { NodeMeta } from './node.js';
import type { NodeStore } from './node-store.js';
import type { SimTree } from './sim-tree.js';
import { type Slot, WorkDir, WorkTree } from './work-tree.js';

const REDIRECT = 'trusted.overlay.redirect';

/**
 * Folds a kernel overlay's upper directory back onto the tree the mount's
 * lower was materialised from (`base`), as overlayfs itself merges them
 * (Documentation/filesystems/overlayfs.rst): a character device 0/0 deletes
 * the name below it; a directory marked opaque hides everything `base` has
 * there; a directory with `trusted.overlay.redirect` merges with the `base`
 * directory it was renamed from (a relative redirect names a sibling in the
 * parent's lower directory, an absolute one a path from the root); any other
 * directory merges with `base`'s directory of the same path, with the upper's
 * metadata; every other entry replaces what `base` had.
 *
 * Cost: the entries of the upper directory (what processes changed) and the
 * bytes of the files `unchanged` does not vouch for, plus one lookup in `base`
 * per upper directory; never the unchanged rest of the tree, which stays
 * shared by node id. `upper` is read through a DirectoryTree (`reader`), whose
 * path `upperDir` is, for the overlay xattrs it hides.
 * Hard links made in the upper become link groups with names unique to this
 * fold-back, so they never join a group `base` has.
 */
export async function foldUpper(
  nodes: NodeStore,
  extents: ExtentStore,
  base: SimTree,
  reader: TreeReader,
  upperDir: string,
  created: Set<string>,
  unchanged?: UnchangedContent,
): Promise<WorkTree> {
  const suffix = randomBytes(6).toString('hex');
  const importer = new EntryImporter(reader, extents, created, unchanged, (path) => `${path}#${suffix}`);
  const lowerDir = (lowerPath: string | null): readonly (readonly [string, string])[] => {
    if (lowerPath === null) return [];
    const found = base.lookup(lowerPath);
    return found?.node.type === 'directory' ? found.node.children : [];
  };
  const dirOf = async (path: string, lowerPath: string | null, meta: NodeMeta): Promise<WorkDir> => {
    const dir = new WorkDir(meta, new Map(lowerDir(lowerPath).map(([name, id]) => [name, { kind: 'stored', id } as Slot])));
    for (const name of await reader.readdir(path)) {
      const child = layerPathJoin(path, name);
      const st = (await reader.stat(child))!;
      if (isWhiteoutEntry(st)) {
        dir.children.delete(name);
        continue;
      }
      if (st.type !== 'directory') {
        dir.children.set(name, { kind: 'leaf', node: await importer.leafOf(child, st) });
        continue;
      }
      const { type: _type, ...childMeta } = await importer.metaOf(child);
      const childLower = lowerOf(join(upperDir, child), lowerPath, name);
      dir.children.set(name, { kind: 'dir', dir: await dirOf(child, childLower, childMeta) });
    }
    return dir;
  };
  const { type: _type, ...rootMeta } = await importer.metaOf('/');
  const tree = new WorkTree(nodes, rootMeta);
  for (const [name, slot] of (await dirOf('/', '/', rootMeta)).children) tree.root.children.set(name, slot);
  return tree;
}

/** The base path the upper directory at hostPath merges with; null when it merges with none (opaque, or its parent merges with none). */
function lowerOf(hostPath: string, parentLower: string | null, name: string): string | null {
  if (isOpaqueDir(hostPath)) return null;
  const redirect = sys.lgetxattr(hostPath, REDIRECT)?.toString('utf8');
  if (redirect === undefined || redirect.length === 0) return parentLower === null ? null : layerPathJoin(parentLower, name);
  if (redirect.startsWith('/')) return redirect;
  return parentLower === null ? null : layerPathJoin(parentLower, redirect);
}
