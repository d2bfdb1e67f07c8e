import { lstat, mkdir, open, readdir, readFile, rm, rmdir, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { normalizeEntryName } from '../archive/entry-name.js';
import { readLayerTar } from '../archive/tar-reader.js';
import { writeTar, type TarWriterEntry } from '../archive/tar-writer.js';
import { errnoOf } from '../errors.js';
import { resolveInRoot } from './runner/root-path.js';

/** Mountpoints every run needs; made for the run and taken away after it, so the container's layer never shows them. */
const RUNTIME_ENTRIES: readonly [path: string, file: boolean][] = [
  ['/proc', false], ['/sys', false], ['/dev', false],
  ['/etc/hosts', true], ['/etc/hostname', true], ['/etc/resolv.conf', true],
];

/** The record's name in the container's directory. */
export const STUBS = 'stubs.json';

/**
 * What a run placed, paths relative to the root file system (so a later mount
 * of the same layer elsewhere finds them): the stubs, and each parent
 * directory's times before the first stub went in and its mtime after the
 * last (absent until every stub is placed).
 */
export interface StubRecord {
  readonly entries: { readonly path: string; readonly file: boolean }[];
  readonly parents: { readonly path: string; readonly atimeMs: number; readonly mtimeMs: number; afterMs?: number }[];
}

/**
 * Makes the runtime's mountpoints (/proc, /sys, /dev, the /etc files the
 * runner binds) that the root file system lacks — as Docker's init layer holds
 * them — and records them in `recordFile` *before* making them, so that a
 * strata killed at any point leaves a record `removeRecordedStubs` can undo.
 * Docker keeps them in a separate init layer; strata commits the container's
 * layer in place, so it must not hold them.
 */
export async function placeStubs(rootfs: string, recordFile: string): Promise<void> {
  const record: StubRecord = { entries: [], parents: [] };
  for (const [path, file] of RUNTIME_ENTRIES) {
    const resolved = await resolveInRoot(rootfs, path);
    if (resolved.exists) continue;
    const parent = dirname(resolved.host);
    const rel = relative(rootfs, parent);
    if (!record.parents.some((p) => p.path === rel)) {
      const before = await stat(parent).catch(() => undefined);
      if (before === undefined) continue; // a missing parent (no /etc): the runner makes it, and it stays, as in Docker's layer
      record.parents.push({ path: rel, atimeMs: before.atimeMs, mtimeMs: before.mtimeMs });
    }
    record.entries.push({ path: relative(rootfs, resolved.host), file });
  }
  if (record.entries.length === 0) return;
  await writeFile(recordFile, JSON.stringify(record));
  for (const entry of record.entries) {
    const host = join(rootfs, entry.path);
    if (entry.file) await (await open(host, 'wx', 0o644)).close();
    else await mkdir(host, { mode: 0o755 });
  }
  for (const parent of record.parents) parent.afterMs = (await stat(join(rootfs, parent.path))).mtimeMs;
  await writeFile(recordFile, JSON.stringify(record));
}

/**
 * Undoes `placeStubs` from its record (no record: nothing to do), then deletes
 * the record. A stub the run filled (a file with content, a directory with
 * entries) stays. A parent gets its times back when nothing but the stubs
 * changed it: its mtime is still the one recorded after placing (or the run
 * never started).
 */
export async function removeRecordedStubs(rootfs: string, recordFile: string): Promise<void> {
  const record = await readStubRecord(recordFile);
  if (record === undefined) return;
  const untouched = new Set<string>();
  for (const parent of record.parents) {
    const now = (await stat(join(rootfs, parent.path)).catch(() => undefined))?.mtimeMs;
    // Within 2 ms: a driver may keep times at ms (btrfs-sim across a remount).
    if (now !== undefined && (parent.afterMs === undefined || Math.abs(now - parent.afterMs) < 2)) untouched.add(parent.path);
  }
  for (const entry of [...record.entries].reverse()) {
    const host = join(rootfs, entry.path);
    const st = await lstat(host).catch(() => undefined);
    if (st === undefined) continue;
    if (entry.file ? !st.isFile() || st.size !== 0 : !st.isDirectory() || (await readdir(host)).length > 0) {
      untouched.delete(relative(rootfs, dirname(host)));
      continue;
    }
    if (entry.file) await rm(host);
    else await rmdir(host);
  }
  for (const parent of record.parents) {
    if (untouched.has(parent.path)) await utimes(join(rootfs, parent.path), parent.atimeMs / 1000, parent.mtimeMs / 1000);
  }
  await rm(recordFile, { force: true });
}

/** The record `placeStubs` wrote, or undefined where there is none (no run placed stubs, or they are removed). */
export async function readStubRecord(recordFile: string): Promise<StubRecord | undefined> {
  try {
    return JSON.parse(await readFile(recordFile, 'utf8')) as StubRecord;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * A layer tarball without the stubs of `record` that are still stubs (an
 * empty file, an empty directory): the diff of a running container, as
 * Docker's commit leaves its init layer's mountpoints out. Entries are
 * re-encoded (the bytes change, not the content).
 */
export function withoutStubs(tar: Readable, record: StubRecord | undefined): Readable {
  if (record === undefined || record.entries.length === 0) return tar;
  const stubs = new Map(record.entries.map((e) => [normalizeEntryName(e.path), e.file]));
  async function* kept(): AsyncGenerator<TarWriterEntry> {
    for await (const { header, body } of readLayerTar(tar)) {
      const file = stubs.get(header.name);
      const stub = file === true ? header.type === 'file' && header.size === 0 : file === false && header.type === 'directory';
      if (stub) continue; // readLayerTar drains the (empty) body
      yield { header, content: async () => body };
    }
  }
  return writeTar(kept());
}
