import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from '../archive/entry.js';
import type { LayerTarHeader } from '../archive/entry.js';
import { writeTar } from '../archive/tar-writer.js';
import type { TarWriterEntry } from '../archive/tar-writer.js';
import { userXattrsAt } from '../directory-tree.js';
import { ErrorCode, StrataError, errnoOf } from '../errors.js';
import { AT_FDCWD, sys } from '../sys/index.js';
import { layerPathJoin, layerPathParent } from '../tree.js';
import type { EntryStat, TreeReader } from '../tree.js';
import type { DiffEntry } from './diff-entry.js';
import { LOOKAHEAD, prefetch } from './prefetch.js';

/**
 * The OCI layer tarball of a canonical diff sequence, read from `upper`: one tar
 * entry per DiffEntry, in the sequence's order. Same sequence and same upper
 * tree → same bytes (the encoding is fixed in core/archive/tar-header.ts).
 *
 * - add/modify: the node's metadata from `upper.stat`, xattrs as PAX records,
 *   names without the leading '/' (directories with a trailing '/'); a socket
 *   is left out (a tar cannot carry it).
 * - hard links: among the files this tar carries, the first (in tar order) of
 *   those sharing an `ino` is a regular file, each later one a 'hardlink'
 *   entry (size 0, no xattrs) naming it.
 * - delete `/d/x` → `d/.wh.x`; opaque `/d` → `d/.wh..wh..opq` (the root's:
 *   `.wh..wh..opq`). Whiteouts are empty regular files with fixed metadata:
 *   mode 0, uid 0, gid 0, mtime 0 (the epoch), so they never vary.
 *
 * Content streams from `upper.read`, one file at a time (bounded memory).
 * The stream fails with ENOTFOUND when an entry's path is absent from upper,
 * ECORRUPT when a file changes size while being read, and with what upper's
 * lookups fail with.
 */
export function writeLayerTar(entries: AsyncIterable<DiffEntry>, upper: TreeReader): Readable {
  return writeTar(layerTarEntries(entries, upper, true));
}

/**
 * `writeLayerTar` for a sequence whose 'add'/'modify' entries are all real
 * entries of directory `dir` (no symlink on the way) or at their `source`
 * (a node a redirect reaches in a lower layer), and carry their
 * `upperStat` — a native diff of a layer kept as a directory. Same sequence
 * and same nodes → the same bytes as `writeLayerTar`. Metadata and xattrs are
 * read synchronously; a file's `upperContent`, where the entry carries it, is
 * its content; other files under 64 KiB are read in one native call when written
 * (relative to the open `dir`), larger ones in 1 MiB synchronous reads as the
 * stream wants them (memory: one chunk). Fails as writeLayerTar does
 * (ENOTFOUND where an entry vanished).
 */
export function writeDirectoryLayerTar(entries: Iterable<DiffEntry>, dir: string): Readable {
  return writeTar(directoryTarEntries(entries, dir));
}

function* directoryTarEntries(entries: Iterable<DiffEntry>, dir: string): Generator<TarWriterEntry> {
  const firstPathOfIno = new Map<string, string>();
  // small files are opened relative to the open root (no walk of dir's own path for each)
  const root = openRoot(dir);
  try {
    for (const entry of entries) {
      const deletion = deletionEntry(entry);
      if (deletion !== undefined) {
        yield deletion;
        continue;
      }
      const { path, upperStat: st } = entry;
      if (st === undefined) throw new StrataError(ErrorCode.EIO, `${path}: a directory diff entry without its stat`);
      if (st.type === 'socket') continue;
      const fsPath = entry.source ?? dir + path;
      let xattrs: Record<string, Buffer>;
      try {
        xattrs = entry.upperXattrs ?? userXattrsAt(fsPath);
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') throw vanished(path);
        throw new StrataError(ErrorCode.EIO, `${path}: ${(err as Error).message}`, { cause: err });
      }
      const node = tarEntryOf(path, st, xattrs, firstPathOfIno, () => Promise.resolve(fileChunks(fsPath, path)));
      const small = node.content !== undefined && st.size < READ_AHEAD_MAX;
      // A node a redirect reaches lives outside dir: read by its own (absolute) path.
      const relative = root >= 0 && entry.source === undefined;
      const at = relative ? root : AT_FDCWD;
      const where = relative ? path.slice(1) : fsPath;
      const content = entry.upperContent;
      if (!small) yield node;
      else if (content !== undefined) yield { header: node.header, readInto: (target, offset, max) => copyInto(content, target, offset, max) };
      else yield { header: node.header, readInto: (target, offset, max) => readInto(at, where, path, target, offset, max) };
    }
  } finally {
    if (root >= 0) closeSync(root);
  }
}

/** Large files are read in chunks of this many bytes. */
const LARGE_CHUNK = 1024 * 1024;

/**
 * The content of the regular file at fsPath (`path`: its layer path), in
 * chunks of LARGE_CHUNK bytes read synchronously from the page cache as the
 * tar wants them (no thread-pool round trip per chunk); the file closes when
 * the chunks end or the consumer stops. Fails with ENOTFOUND where it is
 * absent, a symlink or not a file, EIO on any other error.
 */
function* fileChunks(fsPath: string, path: string): Generator<Buffer> {
  let fd: number;
  try {
    fd = openSync(fsPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') throw vanished(path);
    throw new StrataError(ErrorCode.EIO, `${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    if (!fstatSync(fd).isFile()) throw new StrataError(ErrorCode.ENOTFOUND, `${path} is not a file`);
    for (let at = 0; ; ) {
      const chunk = Buffer.allocUnsafe(LARGE_CHUNK);
      const n = readSync(fd, chunk, 0, LARGE_CHUNK, at);
      if (n === 0) return;
      at += n;
      yield n === LARGE_CHUNK ? chunk : chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** A descriptor of directory dir, or -1 where it cannot be opened (then files are read by whole path, and fail as they do). */
function openRoot(dir: string): number {
  try {
    return sys.openDirAt(AT_FDCWD, dir);
  } catch {
    return -1;
  }
}

/** Reads the file at `where` (relative to the open directory `at`) into target from `offset`, up to `max` bytes, usually in one read; the bytes read. */
function readInto(at: number, where: string, path: string, target: Buffer, offset: number, max: number): number {
  let n: number;
  try {
    n = sys.readFileAt(at, where, target, offset, max);
  } catch (err) {
    throw new StrataError(ErrorCode.EIO, `${path}: ${(err as Error).message}`, { cause: err });
  }
  if (n < 0) throw vanished(path);
  return n;
}

/** `readInto` of content read already (`DiffEntry.upperContent`): up to `max` of its bytes. */
function copyInto(content: Buffer, target: Buffer, offset: number, max: number): number {
  const n = Math.min(content.length, max);
  target.set(n === content.length ? content : content.subarray(0, n), offset);
  return n;
}

function vanished(path: string): StrataError {
  return new StrataError(ErrorCode.ENOTFOUND, `${path} vanished from the upper tree during the diff`);
}

/**
 * Files under this many bytes are read while they are looked up, LOOKAHEAD at a
 * time (read-ahead memory: at most LOOKAHEAD × READ_AHEAD_MAX, 1 MiB); larger
 * ones stream when written.
 */
const READ_AHEAD_MAX = 64 * 1024;

/**
 * The tar entries of a diff sequence. Shared by `writeLayerTar` and `diffSize`:
 * with `readAhead`, the content of small files is read during the look-ahead;
 * without, no content is read (metadata only).
 */
export async function* layerTarEntries(entries: AsyncIterable<DiffEntry>, upper: TreeReader, readAhead = false): AsyncGenerator<TarWriterEntry> {
  const firstPathOfIno = new Map<string, string>();
  for await (const item of prefetch(entries, (entry) => lookUp(entry, upper, readAhead), LOOKAHEAD)) {
    if ('header' in item) {
      yield item;
    } else if (item.stat.type !== 'socket') {
      yield nodeEntry(item, upper, firstPathOfIno);
    }
  }
}

/** What the tar needs of one upper node, looked up ahead of writing. */
interface UpperNode {
  readonly path: string;
  readonly stat: EntryStat;
  readonly xattrs: Record<string, Buffer>;
  /** The content, read ahead (small files only). */
  readonly body?: readonly Buffer[];
}

async function lookUp(entry: DiffEntry, upper: TreeReader, readAhead: boolean): Promise<TarWriterEntry | UpperNode> {
  const { path } = entry;
  const deletion = deletionEntry(entry);
  if (deletion !== undefined) return deletion;
  const stat = entry.upperStat ?? (await upper.stat(path));
  if (stat === undefined) throw vanished(path);
  if (stat.type === 'socket') return { path, stat, xattrs: {} };
  // a hard-linked file may become a 'hardlink' entry without content: it streams when written
  const early = readAhead && stat.type === 'file' && stat.nlink === 1 && stat.size > 0 && stat.size < READ_AHEAD_MAX;
  const [xattrs, body] = await Promise.all([upper.xattrs(path), early ? readUpTo(upper, path, stat.size + 1) : undefined]);
  return { path, stat, xattrs, body };
}

/**
 * The content of a file, stopping once more than `limit` bytes came (enough for
 * the writer to see that the file grew, and memory stays bounded).
 */
async function readUpTo(upper: TreeReader, path: string, limit: number): Promise<Buffer[]> {
  const stream = await upper.read(path);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= limit) break;
    }
  } finally {
    stream.destroy();
  }
  return chunks;
}

function nodeEntry({ path, stat, xattrs, body }: UpperNode, upper: TreeReader, firstPathOfIno: Map<string, string>): TarWriterEntry {
  return tarEntryOf(path, stat, xattrs, firstPathOfIno, body !== undefined ? () => Promise.resolve(body) : () => upper.read(path));
}

/** The tar entry of a 'delete' or 'opaque' DiffEntry (undefined for others). */
function deletionEntry({ kind, path }: DiffEntry): TarWriterEntry | undefined {
  if (kind === 'delete') {
    const base = path.slice(path.lastIndexOf('/') + 1);
    return { header: whiteout(layerPathParent(path), WHITEOUT_PREFIX + base) };
  }
  if (kind === 'opaque') return { header: whiteout(path, OPAQUE_MARKER) };
  return undefined;
}

/**
 * The tar entry of one node. In tar order: the first carried path of a
 * hard-linked file holds the content (opened by `content` when written),
 * later ones link to it.
 */
function tarEntryOf(
  path: string,
  st: EntryStat,
  xattrs: Record<string, Buffer>,
  firstPathOfIno: Map<string, string>,
  content: NonNullable<TarWriterEntry['content']>,
): TarWriterEntry {
  // literal headers, no spreads: this runs once per entry of the tar
  const name = tarName(path);
  const mtime = new Date(st.mtimeMs);
  if (st.type === 'file' && st.nlink > 1) {
    const first = firstPathOfIno.get(st.ino);
    if (first !== undefined) {
      return { header: { name, mode: st.mode, uid: st.uid, gid: st.gid, mtime, type: 'hardlink', size: 0, linkName: tarName(first) } };
    }
    firstPathOfIno.set(st.ino, path);
  }
  const header: LayerTarHeader = {
    name,
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    mtime,
    type: st.type,
    size: st.type === 'file' ? st.size : 0,
    linkName: st.linkTarget,
    devmajor: st.rdev?.major,
    devminor: st.rdev?.minor,
    xattrs,
  };
  if (st.type !== 'file') return { header };
  return { header, content };
}

/** A layer path as a tar name: no leading '/'. */
function tarName(path: string): string {
  return path.slice(1);
}

function whiteout(dir: string, name: string): LayerTarHeader {
  return { name: tarName(layerPathJoin(dir, name)), type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime: new Date(0) };
}
