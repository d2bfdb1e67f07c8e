import type { Readable } from 'node:stream';
import { ErrorCode, StrataError, type TreeReader, layerPathJoin } from '../../core/index.js';
import { type LayerTarHeader, MAX_DEPTH, OPAQUE_MARKER, WHITEOUT_PREFIX, readLayerTar } from '../../core/kit.js';
import type { ExtentStore } from './extent-store.js';
import { type NodeMeta, xattrStrings } from './node.js';
import { type LeafNode, WorkDir, type WorkTree } from './work-tree.js';

/** aufs' own entries (`.wh..wh.plnk`, `.wh..wh.aufs`): skipped, as core's extractor does. */
const AUFS_META_PREFIX = WHITEOUT_PREFIX + WHITEOUT_PREFIX;

/**
 * Applies an uncompressed OCI layer tar to `tree` (opened on the parent's root),
 * with the semantics of core's directory extractor: `.wh.x` removes x from the
 * union; `.wh..wh..opq` removes everything below its directory that this tar
 * did not write (created, or passed through as a parent); later duplicates win
 * (a directory over a directory keeps its children, anything else replaces);
 * missing parents are created with the metadata `lower` has for them (0755,
 * 0:0, the entry's mtime where lower has no directory there); a hardlink shares
 * its target's node, both marked as one link group with the count of links this
 * tar made. Files stream into `extents` (ids of files it creates go to `created`).
 * Returns the bytes of regular-file content written. Nothing is committed here.
 *
 * Fails with EUNSAFEARCHIVE naming the entry when a parent is a symlink or any
 * non-directory, a ".wh." name is used as a directory, a whiteout names "", "."
 * or "..", a hardlink resolves through a symlink or names a directory or the
 * root, the root entry is not a directory, an entry is deeper than MAX_DEPTH
 * components; with EBADARCHIVE for a hardlink whose target is absent; and with
 * what readLayerTar (reserved `*.overlay.*` xattrs, names that are not UTF-8)
 * and the extent store fail with. Device nodes are accepted: here they are
 * only metadata (materialising one for a mount needs root, as mknod does).
 */
export async function applyLayerTar(tree: WorkTree, lower: TreeReader, extents: ExtentStore, tar: Readable, created: Set<string>): Promise<number> {
  const session = new ApplySession(tree, lower);
  let size = 0;
  for await (const { header, body } of readLayerTar(tar)) {
    if (header.type === 'file' && !isWhiteout(header.name)) {
      const stored = await extents.write(body, created);
      size += stored.size;
      const node: LeafNode = { type: 'file', ...metaOf(header), size: stored.size, extents: stored.extents };
      await session.place(header, stored.inline === undefined ? node : { ...node, inline: stored.inline });
    } else {
      body.resume();
      await session.apply(header);
    }
  }
  return size;
}

function isWhiteout(name: string): boolean {
  return name.slice(name.lastIndexOf('/') + 1).startsWith(WHITEOUT_PREFIX);
}

function metaOf(header: LayerTarHeader): NodeMeta {
  const xattrs = xattrStrings(header.xattrs);
  const meta = { mode: header.mode & 0o7777, uid: header.uid, gid: header.gid, mtimeMs: header.mtime.getTime() };
  return xattrs ? { ...meta, xattrs } : meta;
}

function unsafe(name: string, reason: string): StrataError {
  return new StrataError(ErrorCode.EUNSAFEARCHIVE, `entry ${JSON.stringify(name)}: ${reason}`);
}

function bad(name: string, reason: string): StrataError {
  return new StrataError(ErrorCode.EBADARCHIVE, `entry ${JSON.stringify(name)}: ${reason}`);
}

/** The state of one tar's application: the tree, what this tar wrote, the link groups it made. */
class ApplySession {
  readonly #tree: WorkTree;
  readonly #lower: TreeReader;
  readonly #written = new Set<string>();
  /** Link group → layer paths of its members placed by this tar. */
  readonly #groups = new Map<string, Set<string>>();

  constructor(tree: WorkTree, lower: TreeReader) {
    this.#tree = tree;
    this.#lower = lower;
  }

  /** Every entry but regular files. */
  async apply(header: LayerTarHeader): Promise<void> {
    const parts = header.name === '.' ? [] : header.name.split('/');
    const base = parts.at(-1);
    if (base !== undefined && base.startsWith(WHITEOUT_PREFIX)) {
      if (base !== OPAQUE_MARKER && base.startsWith(AUFS_META_PREFIX)) return; // aufs bookkeeping (.wh..wh.plnk ...), not a whiteout
      return this.#whiteout(header.name, parts);
    }
    if (parts.length === 0) {
      if (header.type !== 'directory') throw unsafe(header.name, `cannot turn the layer root into a ${header.type}`);
      this.#tree.root.meta = metaOf(header);
      return;
    }
    switch (header.type) {
      case 'directory':
        return this.#placeDir(header, parts);
      case 'hardlink':
        return this.#link(header, parts);
      case 'symlink':
        // Linux symlinks are always 0777, whatever the tar says.
        return this.place(header, { type: 'symlink', ...metaOf(header), mode: 0o777, target: header.linkName ?? '' });
      case 'char':
      case 'block':
        return this.place(header, { type: header.type, ...metaOf(header), major: header.devmajor ?? 0, minor: header.devminor ?? 0 });
      case 'fifo':
      case 'socket':
        return this.place(header, { type: header.type, ...metaOf(header) });
      default:
        throw bad(header.name, `unsupported type ${header.type}`);
    }
  }

  /** Puts a leaf node at the entry's path, replacing whatever was there. */
  async place(header: LayerTarHeader, node: LeafNode): Promise<void> {
    const parts = header.name.split('/');
    const dir = await this.#parentFor(header, parts);
    const path = '/' + header.name;
    dir.children.set(parts.at(-1)!, { kind: 'leaf', node });
    this.#written.add(path);
  }

  async #placeDir(header: LayerTarHeader, parts: string[]): Promise<void> {
    const dir = await this.#parentFor(header, parts);
    const name = parts.at(-1)!;
    const existing = this.#tree.openDir(dir, name);
    if (existing) existing.meta = metaOf(header);
    else dir.children.set(name, { kind: 'dir', dir: new WorkDir(metaOf(header)) });
    this.#written.add('/' + header.name);
  }

  /**
   * The directory that will hold the entry, opened for change; missing parents
   * are made (with lower's metadata) and recorded as written.
   */
  async #parentFor(header: LayerTarHeader, parts: readonly string[]): Promise<WorkDir> {
    if (parts.length > MAX_DEPTH) throw unsafe(header.name, `deeper than ${MAX_DEPTH} components`);
    if (parts.slice(0, -1).some((part) => part.startsWith(WHITEOUT_PREFIX))) throw unsafe(header.name, 'a whiteout name is used as a directory');
    let dir = this.#tree.root;
    let path = '/';
    for (const name of parts.slice(0, -1)) {
      path = layerPathJoin(path, name);
      const slot = dir.children.get(name);
      if (slot === undefined) {
        const made = new WorkDir(await this.#lowerDirMeta(path, header));
        dir.children.set(name, { kind: 'dir', dir: made });
        dir = made;
      } else {
        const opened = this.#tree.openDir(dir, name);
        if (!opened) throw unsafe(header.name, `parent ${path} is a ${this.#tree.typeOf(slot)}, not a directory`);
        dir = opened;
      }
      this.#written.add(path);
    }
    return dir;
  }

  async #lowerDirMeta(path: string, header: LayerTarHeader): Promise<NodeMeta> {
    const st = await this.#lower.stat(path);
    if (st?.type === 'directory') {
      const xattrs = xattrStrings(await this.#lower.xattrs(path));
      const meta = { mode: st.mode, uid: st.uid, gid: st.gid, mtimeMs: st.mtimeMs };
      return xattrs ? { ...meta, xattrs } : meta;
    }
    return { mode: 0o755, uid: 0, gid: 0, mtimeMs: header.mtime.getTime() };
  }

  /** The existing directory at parts (opened), or undefined where it is absent or not a directory. */
  #existingDir(what: string, parts: readonly string[]): WorkDir | undefined {
    let dir = this.#tree.root;
    for (const name of parts) {
      const slot = dir.children.get(name);
      if (slot === undefined) return undefined;
      const opened = this.#tree.openDir(dir, name);
      if (!opened) {
        if (this.#tree.typeOf(slot) === 'symlink') throw unsafe(what, `resolves through the symlink ${name}`);
        return undefined;
      }
      dir = opened;
    }
    return dir;
  }

  #whiteout(what: string, parts: readonly string[]): void {
    const base = parts.at(-1)!;
    const dirParts = parts.slice(0, -1);
    const dirPath = '/' + dirParts.join('/');
    if (base === OPAQUE_MARKER) {
      const dir = this.#existingDir(what, dirParts);
      if (dir) this.#removeUnwritten(dir, dirPath);
      return;
    }
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') throw unsafe(what, 'whiteout of an invalid name');
    this.#existingDir(what, dirParts)?.children.delete(name);
  }

  #removeUnwritten(dir: WorkDir, dirPath: string): void {
    for (const name of [...dir.children.keys()]) {
      const path = layerPathJoin(dirPath, name);
      if (!this.#written.has(path)) {
        dir.children.delete(name);
        continue;
      }
      const opened = this.#tree.openDir(dir, name);
      if (opened) this.#removeUnwritten(opened, path);
    }
  }

  async #link(header: LayerTarHeader, parts: string[]): Promise<void> {
    const targetName = header.linkName ?? '';
    const targetParts = targetName === '.' || targetName === '' ? [] : targetName.split('/');
    if (targetParts.length === 0) throw unsafe(header.name, 'hardlink to the layer root');
    if (targetName === header.name) return;
    const targetDir = this.#existingDir(header.name, targetParts.slice(0, -1));
    const slot = targetDir?.children.get(targetParts.at(-1)!);
    if (!targetDir || !slot) throw bad(header.name, `hardlink target ${targetName} does not exist`);
    const node = this.#tree.nodeOf(slot);
    if (node.type === 'directory') throw unsafe(header.name, `hardlink to a directory (${targetName})`);
    if (node.type !== 'file') return this.place(header, node);
    const group = node.group ?? '/' + targetName;
    const members = this.#groups.get(group) ?? new Set(['/' + targetName]);
    const path = '/' + header.name;
    members.add(path);
    this.#groups.set(group, members);
    const linked: LeafNode = { ...node, group, nlink: Math.max(node.nlink ?? 1, members.size) };
    await this.place(header, linked);
    for (const member of members) {
      const memberParts = member.slice(1).split('/');
      const dir = this.#existingDir(header.name, memberParts.slice(0, -1));
      const current = dir?.children.get(memberParts.at(-1)!);
      const currentNode = current && this.#tree.nodeOf(current);
      if (currentNode?.type === 'file' && (currentNode.group ?? '/' + targetName) === group) {
        dir!.children.set(memberParts.at(-1)!, { kind: 'leaf', node: linked });
      }
    }
  }
}
