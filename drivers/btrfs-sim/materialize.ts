import { chmodSync, createWriteStream, lchownSync, linkSync, lutimesSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type EntryStat, type TreeReader, layerPathJoin } from '../../core/index.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, sys } from '../../core/kit.js';
import type { ExtentStore } from './extent-store.js';
import { type FileNode, type NodeMeta, type TreeNode, xattrStrings } from './node.js';
import type { NodeStore } from './node-store.js';
import { type LeafNode, type Slot, WorkDir, WorkTree } from './work-tree.js';

const S_IFSOCK = 0o140000;

/** Entries written between two yields to the event loop (see materialize). */
const BATCH = 64;

/**
 * Writes the stored tree `rootId` into the existing empty directory `target`
 * as real files: modes, owners, mtimes, xattrs, symlinks, device nodes, and
 * hard-link groups as hard links. Directories get their metadata after their
 * children. Needs root for owners and device nodes. Fails with the errno of the
 * first filesystem call that fails.
 *
 * Entries are written with synchronous calls (a few µs each on a local
 * filesystem, against tens through the thread pool), yielding to the event
 * loop every BATCH entries; content held in extents streams asynchronously.
 * `target` must be in the driver's home, never on a FUSE mount this process serves.
 */
export async function materialize(nodes: NodeStore, extents: ExtentStore, rootId: string, target: string): Promise<void> {
  const linked = new Map<string, string>();
  let sinceYield = 0;
  const write = async (id: string, host: string, isRoot: boolean): Promise<void> => {
    if (++sinceYield >= BATCH) {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const node = nodes.get(id);
    switch (node.type) {
      case 'directory':
        if (!isRoot) mkdirSync(host, { mode: 0o700 });
        for (const [name, child] of node.children) await write(child, join(host, name), false);
        break;
      case 'file': {
        const first = node.group === undefined ? undefined : linked.get(node.group);
        if (first !== undefined) {
          linkSync(first, host);
          return;
        }
        if (node.group !== undefined) linked.set(node.group, host);
        if (node.extents.length === 0) writeFileSync(host, node.inline === undefined ? '' : Buffer.from(node.inline, 'base64'), { flag: 'wx', mode: 0o600 });
        else await pipeline(extents.read(node), createWriteStream(host, { flags: 'wx', mode: 0o600 }));
        break;
      }
      case 'symlink':
        symlinkSync(node.target, host);
        break;
      case 'char':
      case 'block':
        sys.mknod(host, (node.type === 'char' ? S_IFCHR : S_IFBLK) | node.mode, node.major, node.minor);
        break;
      default:
        sys.mknod(host, (node.type === 'fifo' ? S_IFIFO : S_IFSOCK) | node.mode, 0, 0);
        break;
    }
    applyMetaSync(host, node);
  };
  await write(rootId, target, true);
}

/** Gives the file at host the metadata of node: owner, mode, xattrs, mtime (needs root for other owners). */
export function applyMetaSync(host: string, node: TreeNode): void {
  lchownSync(host, node.uid, node.gid);
  // chmod after chown: chown clears setuid/setgid. Symlinks have no mode of their own.
  if (node.type !== 'symlink') chmodSync(host, node.mode);
  for (const [name, value] of Object.entries(node.xattrs ?? {})) sys.lsetxattr(host, name, Buffer.from(value, 'base64'));
  const mtime = new Date(node.mtimeMs);
  lutimesSync(host, mtime, mtime);
}

/** The stored content a file at path of the given size certainly still holds, if known (see clean-check.ts). */
export type UnchangedContent = (path: string, size: number) => Promise<FileNode | undefined>;

/**
 * Turns entries of a plain directory tree (read through a DirectoryTree) into
 * WorkTree slots, storing file content as extents (ids of extent files it
 * creates go to `created`). Files sharing an `ino` with nlink > 1 become one
 * link group, named by `groupName` of the first path met. Cost per file: every
 * byte, unless `unchanged` vouches for it. Fails with what `reader` fails with.
 */
export class EntryImporter {
  readonly #groups = new Map<string, string>();

  constructor(
    readonly reader: TreeReader,
    readonly extents: ExtentStore,
    readonly created: Set<string>,
    readonly unchanged?: UnchangedContent,
    readonly groupName: (path: string) => string = (path) => path,
  ) {}

  /** The type and metadata (mode, owner, mtime, visible xattrs) of path. */
  async metaOf(path: string): Promise<NodeMeta & { type: TreeNode['type'] }> {
    return this.#meta(path, (await this.reader.stat(path))!);
  }

  async #meta(path: string, st: EntryStat): Promise<NodeMeta & { type: TreeNode['type'] }> {
    const xattrs = xattrStrings(await this.reader.xattrs(path));
    const meta = { type: st.type, mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs };
    return xattrs ? { ...meta, xattrs } : meta;
  }

  /** The leaf node for the non-directory at path, whose stat is `st`. */
  async leafOf(path: string, st: EntryStat): Promise<LeafNode> {
    const { type, ...meta } = await this.#meta(path, st);
    switch (type) {
      case 'file': {
        const kept = await this.unchanged?.(path, st.size);
        const stored = kept ?? (await this.extents.write(await this.reader.read(path), this.created));
        let node: LeafNode = { type, ...meta, size: stored.size, extents: stored.extents };
        if (stored.inline !== undefined) node = { ...node, inline: stored.inline };
        if (st.nlink > 1) {
          const group = this.#groups.get(st.ino) ?? this.groupName(path);
          this.#groups.set(st.ino, group);
          node = { ...node, group, nlink: st.nlink };
        }
        return node;
      }
      case 'symlink':
        return { type, ...meta, target: st.linkTarget ?? '' };
      case 'char':
      case 'block':
        return { type, ...meta, major: st.rdev?.major ?? 0, minor: st.rdev?.minor ?? 0 };
      case 'directory':
        throw new Error(`btrfs-sim: ${path} is a directory`);
      default:
        return { type, ...meta };
    }
  }
}

/**
 * Reads a whole tree (the materialised directory of a mount, through
 * DirectoryTree) into a new WorkTree (see EntryImporter). Cost: every node,
 * and every byte of the files `unchanged` does not vouch for.
 * Fails with what `reader` fails with.
 */
export async function importTree(nodes: NodeStore, extents: ExtentStore, reader: TreeReader, created: Set<string>, unchanged?: UnchangedContent): Promise<WorkTree> {
  const importer = new EntryImporter(reader, extents, created, unchanged);
  const slotOf = async (path: string): Promise<Slot> => {
    const st = (await reader.stat(path))!;
    if (st.type !== 'directory') return { kind: 'leaf', node: await importer.leafOf(path, st) };
    const { type: _type, ...meta } = await importer.metaOf(path);
    return { kind: 'dir', dir: await dirOf(path, meta) };
  };
  const dirOf = async (path: string, meta: NodeMeta): Promise<WorkDir> => {
    const dir = new WorkDir(meta);
    for (const name of await reader.readdir(path)) dir.children.set(name, await slotOf(layerPathJoin(path, name)));
    return dir;
  };
  const { type: _type, ...rootMeta } = await importer.metaOf('/');
  const tree = new WorkTree(nodes, rootMeta);
  for (const [name, slot] of (await dirOf('/', rootMeta)).children) tree.root.children.set(name, slot);
  return tree;
}
