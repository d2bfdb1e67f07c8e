import type { LayerUsage } from '../../core/index.js';
import { childIdsOf, encodeNode, extentsOf } from './node.js';
import type { NodeStore } from './node-store.js';

/**
 * Space of the tree `rootId` (held by one layer's root pointer).
 *
 * `bytes`/`inodes`: what only this tree holds — exactly what removing the layer
 * would free. A node or extent is the tree's own when every one of its
 * references comes from the tree's own nodes (so hard links and repeated
 * content inside one layer stay its own); the root when the layer's pointer is
 * its only reference.
 * `sharedBytes`: the logical size of everything else the tree reaches, each
 * shared subtree counted once from its stored subtree total (content repeated
 * inside a shared subtree counts each time).
 * Cost: the tree's own part and the edge of what it shares, never a shared subtree.
 */
export function layerUsage(nodes: NodeStore, rootId: string): LayerUsage {
  let bytes = 0;
  let inodes = 0;
  const reached = new Map<string, number>();
  const extentReached = new Map<string, { count: number; size: number }>();
  const own: string[] = [];
  const reach = (id: string): void => {
    const count = (reached.get(id) ?? 0) + 1;
    reached.set(id, count);
    if (count === nodes.info(id).refs) own.push(id);
  };
  reach(rootId);
  while (own.length > 0) {
    const id = own.pop()!;
    const node = nodes.get(id);
    inodes++;
    bytes += encodeNode(node).length;
    for (const child of childIdsOf(node)) reach(child);
    for (const [extent, size] of extentsOf(node)) {
      const seen = extentReached.get(extent) ?? { count: 0, size };
      extentReached.set(extent, { count: seen.count + 1, size });
    }
  }
  let sharedBytes = 0;
  for (const [id, count] of reached) {
    const info = nodes.info(id);
    if (count < info.refs) sharedBytes += info.tbytes;
  }
  for (const [extent, { count, size }] of extentReached) {
    if (count === (nodes.extentInfo(extent)?.refs ?? 0)) bytes += size;
    else sharedBytes += size;
  }
  return { bytes, inodes, sharedBytes };
}
