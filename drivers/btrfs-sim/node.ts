import { createHash } from 'node:crypto';
import type { EntryStat, EntryType } from '../../core/index.js';

/**
 * The immutable, content-addressed tree nodes of btrfs-sim. Every path of a
 * layer's tree is one node; a node's id is the sha256 of its canonical encoding
 * (`encodeNode`), so equal subtrees have equal ids wherever they occur and a
 * subtree shared by two layers is recognised by comparing one id.
 *
 * Directory nodes list their children as (name, node id) pairs in byte order.
 * File nodes hold their content either inline (small files, like btrfs inline
 * extents) or as an ordered list of extent ids (see extent-store.ts).
 * Hard links: the files of one link group carry the same `group` (an opaque
 * string) and `nlink`; a file outside any group has neither.
 */
/** An extent reference: [sha256 hex of the bytes, byte count]. */
export type ExtentRef = readonly [string, number];

export interface NodeMeta {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** Extended attributes, values base64; sorted by name; absent when none. */
  readonly xattrs?: Readonly<Record<string, string>>;
}

export interface DirNode extends NodeMeta {
  readonly type: 'directory';
  /** [name, node id], sorted by byte order of name. */
  readonly children: readonly (readonly [string, string])[];
}

export interface FileNode extends NodeMeta {
  readonly type: 'file';
  /** Bytes of content. */
  readonly size: number;
  /** [extent id, bytes] in file order; empty when the content is inline or empty. */
  readonly extents: readonly ExtentRef[];
  /** Content of small files, base64. */
  readonly inline?: string;
  readonly group?: string;
  readonly nlink?: number;
}

export interface LinkNode extends NodeMeta {
  readonly type: 'symlink';
  readonly target: string;
}

export interface DeviceNode extends NodeMeta {
  readonly type: 'char' | 'block';
  readonly major: number;
  readonly minor: number;
}

export interface SpecialNode extends NodeMeta {
  readonly type: 'fifo' | 'socket';
}

export type TreeNode = DirNode | FileNode | LinkNode | DeviceNode | SpecialNode;

/** Canonical bytes of a node: fixed key order, so equal nodes encode equally. */
export function encodeNode(node: TreeNode): Buffer {
  const base: Record<string, unknown> = { type: node.type, mode: node.mode, uid: node.uid, gid: node.gid, mtimeMs: node.mtimeMs };
  if (node.xattrs && Object.keys(node.xattrs).length > 0) base.xattrs = sortedRecord(node.xattrs);
  switch (node.type) {
    case 'directory':
      base.children = node.children;
      break;
    case 'file':
      base.size = node.size;
      base.extents = node.extents;
      if (node.inline !== undefined) base.inline = node.inline;
      if (node.group !== undefined) {
        base.group = node.group;
        base.nlink = node.nlink ?? 1;
      }
      break;
    case 'symlink':
      base.target = node.target;
      break;
    case 'char':
    case 'block':
      base.major = node.major;
      base.minor = node.minor;
      break;
    default:
      break;
  }
  return Buffer.from(JSON.stringify(base));
}

export function decodeNode(body: Buffer): TreeNode {
  return JSON.parse(body.toString('utf8')) as TreeNode;
}

export function hashOf(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

function sortedRecord(rec: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(rec).sort()) out[k] = rec[k]!;
  return out;
}

/** Node ids a node points at (children of a directory). */
export function childIdsOf(node: TreeNode): string[] {
  return node.type === 'directory' ? node.children.map((c) => c[1]) : [];
}

/** Extents a node holds (with repetition, one reference each). */
export function extentsOf(node: TreeNode): readonly ExtentRef[] {
  return node.type === 'file' ? node.extents : [];
}

/** Binary search of a directory's child by name; the node id or undefined. */
export function childOf(dir: DirNode, name: string): string | undefined {
  const key = Buffer.from(name);
  let lo = 0;
  let hi = dir.children.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = Buffer.compare(Buffer.from(dir.children[mid]![0]), key);
    if (c === 0) return dir.children[mid]![1];
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** Xattrs as Buffers (the TreeReader form). */
export function xattrBuffers(meta: NodeMeta): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(meta.xattrs ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

/** Xattrs in node form (base64, sorted); undefined when empty. */
export function xattrStrings(xattrs: Readonly<Record<string, Buffer>> | undefined): Record<string, string> | undefined {
  if (!xattrs) return undefined;
  const names = Object.keys(xattrs).sort();
  if (names.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const k of names) out[k] = Buffer.from(xattrs[k]!).toString('base64');
  return out;
}

/**
 * The EntryStat a process would see for `node` at `path`. `ino` is the link group
 * for hard-linked files and the path otherwise, so it is unique within one tree.
 */
export function statOf(node: TreeNode, path: string): EntryStat {
  const common = { type: node.type as EntryType, mode: node.mode, uid: node.uid, gid: node.gid, mtimeMs: node.mtimeMs };
  switch (node.type) {
    case 'file':
      return { ...common, size: node.size, nlink: node.nlink ?? 1, ino: node.group !== undefined ? `g:${node.group}` : `p:${path}` };
    case 'symlink':
      return { ...common, size: 0, nlink: 1, ino: `p:${path}`, linkTarget: node.target };
    case 'char':
    case 'block':
      return { ...common, size: 0, nlink: 1, ino: `p:${path}`, rdev: { major: node.major, minor: node.minor } };
    default:
      return { ...common, size: 0, nlink: node.type === 'directory' ? 2 : 1, ino: `p:${path}` };
  }
}
