/**
 * The content hash of COPY/ADD sources, bit for bit Docker 20.10's classic builder's (what
 * appears in `COPY file:<hex> in /dest `): a tarsum-v1-like SHA-256 of each entry — its
 * name, mode (with Go's file-type bits), uid, gid, size, type flag, link target, user and
 * group names, device numbers and xattrs, then its content; never its mtime.
 *
 * - A file source: `file:` + the hash of its entry.
 * - A directory source: `dir:` + SHA-256 of the sorted hashes of every entry below it
 *   and itself (directories named with a trailing `/`), joined by `,`.
 * - Several sources: `multi:` + SHA-256 of their `file:…`/`dir:…` strings joined by `,`.
 *
 * A symlink met while walking a directory source is hashed as Docker's context does it:
 * followed inside the context, the hash of what it points to; when that is missing or
 * excluded, the link's own relative path stands in for the hash (a quirk kept on purpose:
 * it is what makes the hashes equal Docker's).
 *
 * A directory that is in the context only because a `!` rule re-includes something below
 * it (Docker's CLI sends no entry for it) contributes its relative path instead of a hash.
 *
 * Build-context entries are hashed as Docker's CLI sends them: uid and gid 0, no user or
 * group names. Entries of an image (COPY --from) carry their owner and the names the
 * daemon's host gives those ids (Docker looks them up), which the caller passes.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { createReadStream, lstatSync, readFileSync } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ContextFilter } from './dockerignore.js';
import type { ContextHashCache } from './hash-cache.js';
import { followInScope, walkContext } from './resolve-sources.js';

export type EntryType = 'file' | 'directory' | 'symlink' | 'character-device' | 'block-device' | 'fifo';

export interface HashedEntry {
  /** Relative path, `/`-separated, no trailing `/` (added for directories here). */
  name: string;
  type: EntryType;
  /** Permission bits with setuid/setgid/sticky (0o7777), without the file type. */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Bytes of a file's content; 0 for every other type. */
  size: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Readonly<Record<string, string>>;
  /** A file's content, streamed. */
  content?: () => AsyncIterable<Uint8Array>;
}

const TYPE: Record<EntryType, [bits: number, flag: string]> = {
  file: [0o100000, '0'], directory: [0o040000, '5'], symlink: [0o120000, '2'],
  'character-device': [0o020000, '3'], 'block-device': [0o060000, '4'], fifo: [0o010000, '6'],
};

/** The entry's hash, lower-case hex. */
export async function entryHash(e: HashedEntry): Promise<string> {
  const h = createHash('sha256');
  const [bits, flag] = TYPE[e.type];
  const fields: [string, string][] = [
    ['name', e.type === 'directory' ? `${e.name}/` : e.name], ['mode', String(bits | (e.mode & 0o7777))],
    ['uid', String(e.uid)], ['gid', String(e.gid)], ['size', String(e.type === 'file' ? e.size : 0)], ['typeflag', flag],
    ['linkname', e.linkname ?? ''], ['uname', e.uname ?? ''], ['gname', e.gname ?? ''],
    ['devmajor', String(e.devmajor ?? 0)], ['devminor', String(e.devminor ?? 0)],
  ];
  for (const key of Object.keys(e.xattrs ?? {}).sort()) fields.push([key, e.xattrs![key]!]);
  for (const [k, v] of fields) h.update(k + v);
  if (e.type === 'file' && e.content) for await (const chunk of e.content()) h.update(chunk);
  return h.digest('hex');
}

/** `dir:` + the hash over the hex hashes of a directory's entries (itself included). */
export function dirSourceHash(entryHashes: readonly string[]): string {
  return 'dir:' + createHash('sha256').update([...entryHashes].sort().join(',')).digest('hex');
}

/** One source's `file:…`/`dir:…` as is; several as `multi:` + the hash of their list. */
export function combineSourceHashes(hashes: readonly string[]): string {
  if (hashes.length === 1) return hashes[0]!;
  return 'multi:' + createHash('sha256').update(hashes.join(',')).digest('hex');
}

/**
 * A file up to this size (bytes) is read at once and synchronously: a context is mostly
 * small files already in the page cache, where each thread-pool hop of an async read
 * costs more than the read itself.
 */
const SMALL_FILE = 256 * 1024;

/** Context entries hashed between two turns of the event loop (the small reads block it). */
const ENTRIES_PER_TURN = 256;

/** The context entry `rel` (lstat `stat`) as Docker's CLI sends it. */
export async function contextEntry(root: string, rel: string, stat: Stats): Promise<HashedEntry> {
  const abs = join(root, rel);
  const type: EntryType = stat.isDirectory() ? 'directory' : stat.isSymbolicLink() ? 'symlink' : stat.isFIFO() ? 'fifo'
    : stat.isCharacterDevice() ? 'character-device' : stat.isBlockDevice() ? 'block-device' : 'file';
  return {
    name: rel, type, mode: stat.mode & 0o7777, uid: 0, gid: 0, size: type === 'file' ? stat.size : 0,
    ...(type === 'symlink' ? { linkname: await readlink(abs) } : {}),
    ...(type === 'file' ? { content: stat.size <= SMALL_FILE ? async function* small() { yield readFileSync(abs); } : () => createReadStream(abs) } : {}),
    ...(type.endsWith('device') ? { devmajor: Math.floor(stat.rdev / 256) & 0xfff, devminor: (stat.rdev & 0xff) | ((stat.rdev >> 12) & 0xfff00) } : {}),
  };
}

/**
 * `file:…` or `dir:…` for the resolved context source `rel` (links already followed).
 * With `cache`, a file whose lstat identity the cache remembers is not read again
 * (hash-cache.ts), and files read are remembered.
 */
export async function hashContextSource(root: string, rel: string, stat: Stats, filter?: ContextFilter, cache?: ContextHashCache): Promise<string> {
  const pass = { start: Date.now(), ...(cache ? { cache } : {}) };
  if (!stat.isDirectory()) return 'file:' + await cachedEntryHash(root, rel, stat, pass);
  const prefix = rel === '' ? '' : `${rel}/`;
  const below = await walkBelow(root, rel, filter);
  const hashes: string[] = [];
  for (const [i, p] of below.entries()) {
    if (i % ENTRIES_PER_TURN === ENTRIES_PER_TURN - 1) await nextTurn();
    hashes.push(await walkedEntryHash(root, p, filter, pass));
  }
  // Directories the context holds only because something below them is re-included
  // were not sent as entries: Docker's hash uses their path instead.
  const present = new Set(below);
  const implicit = new Set<string>();
  for (const p of below) for (let d = posix.dirname(p); d !== '.' && d.startsWith(prefix); d = posix.dirname(d)) if (!present.has(d)) implicit.add(d);
  hashes.push(...implicit);
  if (rel !== '') hashes.push(filter?.excludes(rel) ? rel : await entryHash(await contextEntry(root, rel, stat)));
  return dirSourceHash(hashes);
}

/** One hashing pass: when it began (Date.now()) and the cache it uses. */
interface HashPass {
  start: number;
  cache?: ContextHashCache;
}

/**
 * The context paths below directory `rel` that the filter keeps, as the walk of the whole
 * context finds them. The walk starts at `rel` itself when neither it nor any parent of it
 * is excluded (the whole walk reaches it then, and decides below it the same way).
 */
async function walkBelow(root: string, rel: string, filter: ContextFilter | undefined): Promise<string[]> {
  if (rel === '') return walkContext(root, filter);
  let reached = true;
  for (let d = rel; d !== '.' && reached; d = posix.dirname(d)) reached = !(filter?.excludes(d) ?? false);
  if (reached) return walkContext(root, filter, rel);
  const prefix = `${rel}/`;
  return (await walkContext(root, filter)).filter((p) => p.startsWith(prefix));
}

/** The entry hash of context entry `rel` (lstat `stat`), a file's through the pass's cache. */
async function cachedEntryHash(root: string, rel: string, stat: Stats, pass: HashPass): Promise<string> {
  if (pass.cache === undefined || !stat.isFile()) return entryHash(await contextEntry(root, rel, stat));
  const known = pass.cache.get(rel, stat);
  if (known !== undefined) return known;
  const hash = await entryHash(await contextEntry(root, rel, stat));
  pass.cache.put(rel, stat, hash, pass.start);
  return hash;
}

async function walkedEntryHash(root: string, rel: string, filter: ContextFilter | undefined, pass: HashPass): Promise<string> {
  const stat = lstatSync(join(root, rel));
  if (!stat.isSymbolicLink()) return cachedEntryHash(root, rel, stat, pass);
  const target = await followInScope(root, rel);
  const targetStat = target === '' || filter?.excludes(target) ? undefined : await lstat(join(root, target)).catch(() => undefined);
  return targetStat ? cachedEntryHash(root, target, targetStat, pass) : rel;
}
