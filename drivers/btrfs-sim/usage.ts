import type { LayerUsage } from '../../core/index.js';
import { childIdsOf, encodeNode, extentsOf } from './node.js';
import type { NodeStore } from './node-store.js';

/**
 * Space of the tree `rootId`: `bytes`/`inodes` are what only this tree holds —
 * the nodes reachable from the root through nodes referenced once, and the
 * extents those reference once: exactly what removing the layer would free.
 * `sharedBytes` is the logical size of everything else the tree reaches (shared
 * subtrees counted whole from each node's stored subtree total, so content a
 * shared subtree holds twice counts twice). Cost: the exclusive part of the tree.
 */
export function layerUsage(nodes: NodeStore, rootId: string): LayerUsage {
  let bytes = 0;
  let inodes = 0;
  let sharedBytes = 0;
  const stack = [rootId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    const info = nodes.info(id);
    if (info.refs > 1) {
      sharedBytes += info.tbytes;
      continue;
    }
    const node = nodes.get(id);
    inodes++;
    bytes += encodeNode(node).length;
    stack.push(...childIdsOf(node));
    for (const [extent, size] of extentsOf(node)) {
      if ((nodes.extentInfo(extent)?.refs ?? 0) > 1) sharedBytes += size;
      else bytes += size;
    }
  }
  return { bytes, inodes, sharedBytes };
}
