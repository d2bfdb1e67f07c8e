import type { Readable } from 'node:stream';
import { type EntryStat, ErrorCode, StrataError, type TreeReader, layerPathParts, normalizeLayerPath } from '../../core/index.js';
import type { ExtentStore } from './extent-store.js';
import { type TreeNode, childOf, statOf, xattrBuffers } from './node.js';
import type { NodeStore } from './node-store.js';

/**
 * One layer's tree, read-only, as a TreeReader. Every lookup walks from the
 * root node one component at a time (a binary search per directory), so its
 * cost grows with the path's depth and never with the depth of the layer stack.
 */
export class SimTree implements TreeReader {
  readonly nodes: NodeStore;
  readonly extents: ExtentStore;
  /** Id of the root node. */
  readonly root: string;

  constructor(nodes: NodeStore, extents: ExtentStore, root: string) {
    this.nodes = nodes;
    this.extents = extents;
    this.root = root;
  }

  /** The node at path; undefined where nothing is (or a component is not a directory). */
  lookup(path: string): { id: string; node: TreeNode } | undefined {
    let id = this.root;
    let node = this.nodes.get(id);
    for (const name of layerPathParts(normalizeLayerPath(path))) {
      if (node.type !== 'directory') return undefined;
      const child = childOf(node, name);
      if (child === undefined) return undefined;
      id = child;
      node = this.nodes.get(id);
    }
    return { id, node };
  }

  async stat(path: string): Promise<EntryStat | undefined> {
    const found = this.lookup(path);
    return found && statOf(found.node, normalizeLayerPath(path));
  }

  async readdir(path: string): Promise<string[]> {
    const found = this.lookup(path);
    if (found?.node.type !== 'directory') throw new StrataError(ErrorCode.ENOTFOUND, `no directory ${path}`);
    return found.node.children.map((c) => c[0]);
  }

  async read(path: string): Promise<Readable> {
    const found = this.lookup(path);
    if (found?.node.type !== 'file') throw new StrataError(ErrorCode.ENOTFOUND, `no file ${path}`);
    return this.extents.read(found.node);
  }

  async xattrs(path: string): Promise<Record<string, Buffer>> {
    const found = this.lookup(path);
    if (!found) throw new StrataError(ErrorCode.ENOTFOUND, `no ${path}`);
    return xattrBuffers(found.node);
  }
}
