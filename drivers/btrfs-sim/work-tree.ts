import { type EntryType, compareNames } from '../../core/index.js';
import type { DirNode, NodeMeta, TreeNode } from './node.js';
import type { NodeStore } from './node-store.js';

/** A non-directory node. */
export type LeafNode = Exclude<TreeNode, DirNode>;

/** One entry of a directory being changed: a stored subtree, a directory opened for change, or a new leaf. */
export type Slot =
  | { readonly kind: 'stored'; readonly id: string }
  | { readonly kind: 'dir'; readonly dir: WorkDir }
  | { readonly kind: 'leaf'; readonly node: LeafNode };

/** A directory opened for change: its metadata and entries, all in memory. */
export class WorkDir {
  meta: NodeMeta;
  readonly children: Map<string, Slot>;

  constructor(meta: NodeMeta, children: Map<string, Slot> = new Map()) {
    this.meta = meta;
    this.children = children;
  }
}

/**
 * A copy-on-write change of one tree (path copying). Starting from a stored
 * root, only the directories on the paths being changed are opened into memory;
 * every other subtree stays a pointer to its stored node. `commit` stores the
 * opened directories bottom-up — an unchanged one encodes to its old id and is
 * reused — so a change costs O(changed paths × their depth), not O(tree).
 * Memory: the opened directories' entry lists and the new leaves' metadata.
 */
export class WorkTree {
  readonly #nodes: NodeStore;
  readonly root: WorkDir;

  /** Opens the stored tree `rootId`, or an empty tree with root metadata `meta`. */
  constructor(nodes: NodeStore, root: string | NodeMeta) {
    this.#nodes = nodes;
    this.root = typeof root === 'string' ? this.#open(root)! : new WorkDir(root);
  }

  #open(id: string): WorkDir | undefined {
    const node = this.#nodes.get(id);
    if (node.type !== 'directory') return undefined;
    const { children, type: _type, ...meta } = node;
    return new WorkDir(meta, new Map(children.map(([name, child]) => [name, { kind: 'stored', id: child } as Slot])));
  }

  /** The node a slot stands for (an opened directory is reported with no children). */
  nodeOf(slot: Slot): TreeNode {
    switch (slot.kind) {
      case 'stored':
        return this.#nodes.get(slot.id);
      case 'leaf':
        return slot.node;
      default:
        return { type: 'directory', ...slot.dir.meta, children: [] };
    }
  }

  typeOf(slot: Slot): EntryType {
    return slot.kind === 'dir' ? 'directory' : this.nodeOf(slot).type;
  }

  /** Opens the directory `name` of `dir` for change; undefined when it is absent or not a directory. */
  openDir(dir: WorkDir, name: string): WorkDir | undefined {
    const slot = dir.children.get(name);
    if (!slot) return undefined;
    if (slot.kind === 'dir') return slot.dir;
    if (slot.kind === 'leaf') return undefined;
    const opened = this.#open(slot.id);
    if (opened) dir.children.set(name, { kind: 'dir', dir: opened });
    return opened;
  }

  /**
   * Stores every opened directory and new leaf and returns the new root's id.
   * Must run inside a transaction; the caller then takes the root reference.
   */
  commit(): string {
    return this.#commitDir(this.root);
  }

  #commitDir(dir: WorkDir): string {
    const names = [...dir.children.keys()].sort(compareNames);
    const children = names.map((name) => {
      const slot = dir.children.get(name)!;
      const id = slot.kind === 'stored' ? slot.id : slot.kind === 'dir' ? this.#commitDir(slot.dir) : this.#nodes.put(slot.node);
      return [name, id] as const;
    });
    return this.#nodes.put({ type: 'directory', ...dir.meta, children });
  }
}
