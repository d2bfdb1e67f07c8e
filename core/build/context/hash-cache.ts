/**
 * A persistent shortcut for hashing build-context files (source-hash.ts), as BuildKit's
 * contenthash keeps one: the entry hash of a context file, remembered with the file's
 * lstat identity (device, inode, size, mode, mtime, ctime). A later build whose lstat of
 * that path shows the same identity takes the remembered hash instead of reading the
 * file again. The cache only spares the read: the hash, and so every cache key, is still
 * the content's (a file touched to a new mtime with the same content hashes the same,
 * once read again; a chmod changes ctime and mode, so it is read again and its mode
 * counts, as in Docker).
 *
 * Invariant: a remembered hash is that of the content the file had while its ctime was
 * the remembered one. ctime cannot be set by users and changes on every write, chmod,
 * chown or rename; the one gap is a write that lands in the same clock tick as the read
 * (racy, as git calls it). So a hash is remembered only for a file whose ctime is older
 * than the moment its hashing pass began by more than a tick of the file system's clock:
 * any later write has a later ctime. That margin is RACY_MS where timestamps have
 * sub-second parts (the kernel's coarse clock ticks every few ms), COARSE_RACY_MS where
 * they are whole seconds (FAT keeps two). Like git's, the rule trusts the local clock: a
 * network file system whose server's clock lags the client's is not covered.
 *
 * One JSON file per context directory (by its real path) in the store root's
 * CONTEXT_HASH_DIR, written whole (temporary file + rename) after a build hashed
 * something new; a missing, unreadable or foreign file is an empty cache. Concurrent builds of the same
 * context may overwrite each other's file: either one is correct. `builder prune`
 * removes the files (clearContextHashCaches).
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomId } from '../../ids.js';

/** The store directory (under its root) holding the contexts' cache files. */
export const CONTEXT_HASH_DIR = 'build-context-hashes';

/** A file changed less than this long (ms) before a hashing pass began is not remembered… */
export const RACY_MS = 100;
/** …or this long, where its timestamps are whole seconds. */
export const COARSE_RACY_MS = 2000;

/** Entries kept per context beyond those a build used (the rest are dropped when saving). */
const MAX_UNUSED_ENTRIES = 100_000;

const FORMAT = 1;

/** [dev, ino, size, mode, mtimeMs, ctimeMs, entry hash (hex)]. */
type Entry = [number, number, number, number, number, number, string];

interface CacheFile {
  format: number;
  entries: Record<string, Entry>;
}

export class ContextHashCache {
  readonly #file: string;
  readonly #old: Map<string, Entry>;
  readonly #racyMs: number | undefined;
  readonly #used = new Map<string, Entry>();
  #dirty = false;

  private constructor(file: string, old: Map<string, Entry>, racyMs: number | undefined) {
    this.#file = file;
    this.#old = old;
    this.#racyMs = racyMs;
  }

  /**
   * The cache of `contextDir` kept in `cacheDir` (empty where none was saved or it is
   * unreadable). `racyMs` (tests only) replaces RACY_MS and COARSE_RACY_MS.
   */
  static async open(cacheDir: string, contextDir: string, options: { racyMs?: number } = {}): Promise<ContextHashCache> {
    const real = await realpath(contextDir).catch(() => contextDir);
    const file = join(cacheDir, `context-${createHash('sha256').update(real).digest('hex').slice(0, 32)}.json`);
    const old = new Map<string, Entry>();
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as CacheFile;
      if (parsed.format === FORMAT && parsed.entries !== null && typeof parsed.entries === 'object') {
        for (const [rel, entry] of Object.entries(parsed.entries)) if (Array.isArray(entry) && entry.length === 7) old.set(rel, entry);
      }
    } catch {
      // no cache yet, or not one we can read: start empty
    }
    return new ContextHashCache(file, old, options.racyMs);
  }

  /** The remembered entry hash of context file `rel` when `st` (its lstat now) is the identity it was remembered with. */
  get(rel: string, st: Stats): string | undefined {
    const entry = this.#used.get(rel) ?? this.#old.get(rel);
    if (entry === undefined || !sameIdentity(entry, st)) return undefined;
    this.#used.set(rel, entry);
    return entry[6];
  }

  /**
   * Remembers `hash` for `rel` read with lstat `st`, unless the file changed within
   * RACY_MS (COARSE_RACY_MS) before `passStartMs` (Date.now() when the hashing pass
   * began) or later.
   */
  put(rel: string, st: Stats, hash: string, passStartMs: number): void {
    const coarse = st.ctimeMs % 1000 === 0 && st.mtimeMs % 1000 === 0;
    const settled = passStartMs - (this.#racyMs ?? (coarse ? COARSE_RACY_MS : RACY_MS));
    if (!(st.ctimeMs < settled && st.mtimeMs < settled)) return;
    this.#used.set(rel, [st.dev, st.ino, st.size, st.mode, st.mtimeMs, st.ctimeMs, hash]);
    this.#dirty = true;
  }

  /** Writes the cache when something new was remembered. Failures are ignored: the cache is only a shortcut. */
  async save(): Promise<void> {
    if (!this.#dirty) return;
    const entries: Record<string, Entry> = {};
    let unused = 0;
    for (const [rel, entry] of this.#old) if (!this.#used.has(rel) && unused++ < MAX_UNUSED_ENTRIES) entries[rel] = entry;
    for (const [rel, entry] of this.#used) entries[rel] = entry;
    const tmp = `${this.#file}.${randomId().slice(0, 12)}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify({ format: FORMAT, entries } satisfies CacheFile), { mode: 0o600 });
      await rename(tmp, this.#file);
      this.#dirty = false;
    } catch {
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}

function sameIdentity(e: Entry, st: Stats): boolean {
  return e[0] === st.dev && e[1] === st.ino && e[2] === st.size && e[3] === st.mode && e[4] === st.mtimeMs && e[5] === st.ctimeMs;
}

/** Forgets every context's remembered hashes (`builder prune`); `storeRoot` is the store's root directory. */
export async function clearContextHashCaches(storeRoot: string): Promise<void> {
  await rm(join(storeRoot, CONTEXT_HASH_DIR), { recursive: true, force: true });
}
