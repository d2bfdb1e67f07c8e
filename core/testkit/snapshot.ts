import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, constants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { splitRdev } from '../directory-tree.js';
import { sys } from '../sys/index.js';
import { compareNames, isOverlayXattr, layerPathJoin } from '../tree.js';
import type { EntryStat, EntryType, TreeReader } from '../tree.js';

/**
 * What the suite compares of one path: type, mode, owner, size, content hash,
 * symlink target, device numbers, file mtime at second precision, xattrs (hex)
 * and, for files with several names, the first name of their hardlink group.
 * Directory mtimes are not compared (adding a child changes them).
 */
export interface EntrySummary {
  readonly type: EntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly sha256?: string;
  readonly linkTarget?: string;
  readonly rdev?: string;
  readonly mtime?: number;
  readonly xattrs: Record<string, string>;
  readonly hardlinkOf?: string;
}

/** A whole tree, by layer path ('/' included). */
export type Snapshot = Record<string, EntrySummary>;

function summarize(st: EntryStat, sha256: string | undefined, xattrs: Record<string, Buffer>): EntrySummary & { ino: string } {
  const hex: Record<string, string> = {};
  for (const name of Object.keys(xattrs).filter((name) => !isOverlayXattr(name)).sort()) hex[name] = xattrs[name]!.toString('hex');
  return {
    type: st.type,
    mode: st.type === 'symlink' ? 0o777 : st.mode,
    uid: st.uid,
    gid: st.gid,
    size: st.type === 'file' ? st.size : 0,
    ...(sha256 === undefined ? {} : { sha256 }),
    ...(st.linkTarget === undefined ? {} : { linkTarget: st.linkTarget }),
    ...(st.rdev === undefined ? {} : { rdev: `${st.rdev.major}:${st.rdev.minor}` }),
    ...(st.type === 'file' ? { mtime: Math.floor(st.mtimeMs / 1000) } : {}),
    xattrs: hex,
    ino: st.ino,
  };
}

/** Drops inode identities, naming each file's hardlink group by its first path instead. */
function finish(entries: Array<[string, EntrySummary & { ino: string }]>): Snapshot {
  const groups = new Map<string, string[]>();
  for (const [path, e] of entries) if (e.type === 'file') groups.set(e.ino, [...(groups.get(e.ino) ?? []), path]);
  const out: Snapshot = {};
  for (const [path, { ino, ...e }] of entries) {
    const group = e.type === 'file' ? groups.get(ino)! : [];
    out[path] = group.length > 1 ? { ...e, hardlinkOf: group.sort(compareNames)[0]! } : e;
  }
  return out;
}

/**
 * Snapshot of a plain directory (the oracle, or a mount) with synchronous
 * calls: run it in a worker thread when dir may be served by this process.
 */
export function snapshotDir(dir: string): Snapshot {
  const entries: Array<[string, EntrySummary & { ino: string }]> = [];
  const visit = (path: string, fsPath: string): void => {
    const st = lstatSync(fsPath, { bigint: true });
    const stat = entryStatOf(st, st.isSymbolicLink() ? readlinkSync(fsPath) : undefined);
    const xattrs: Record<string, Buffer> = {};
    for (const name of sys.llistxattr(fsPath)) {
      const value = sys.lgetxattr(fsPath, name);
      if (value !== null) xattrs[name] = value;
    }
    entries.push([path, summarize(stat, stat.type === 'file' ? hashFileSync(fsPath) : undefined, xattrs)]);
    if (stat.type === 'directory') {
      for (const name of readdirSync(fsPath).sort(compareNames)) visit(layerPathJoin(path, name), join(fsPath, name));
    }
  };
  visit('/', dir);
  return finish(entries);
}

/** Snapshot of any tree through its lookups (a driver's union, see `layerReader`). */
export async function snapshotTree(tree: TreeReader): Promise<Snapshot> {
  const entries: Array<[string, EntrySummary & { ino: string }]> = [];
  const visit = async (path: string): Promise<void> => {
    const stat = await tree.stat(path);
    if (stat === undefined) throw new Error(`${path} is listed by readdir but stat finds nothing`);
    const sha = stat.type === 'file' ? await hashStream(await tree.read(path)) : undefined;
    entries.push([path, summarize(stat, sha, await tree.xattrs(path))]);
    if (stat.type === 'directory') for (const name of await tree.readdir(path)) await visit(layerPathJoin(path, name));
  };
  await visit('/');
  return finish(entries);
}

export async function hashStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function hashFileSync(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

function entryStatOf(st: BigIntStats, linkTarget: string | undefined): EntryStat {
  const type: EntryType = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink'
    : st.isCharacterDevice() ? 'char' : st.isBlockDevice() ? 'block' : st.isFIFO() ? 'fifo' : 'socket';
  return {
    type,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    mtimeMs: Number(st.mtimeNs / 1000000n),
    nlink: Number(st.nlink),
    ino: `${st.dev}:${st.ino}`,
    ...(linkTarget === undefined ? {} : { linkTarget }),
    ...(type === 'char' || type === 'block' ? { rdev: splitRdev(st.rdev) } : {}),
  };
}
