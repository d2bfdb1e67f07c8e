import { createWriteStream } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { LayerTarHeader } from '../../archive/entry.js';
import { writeTar, type TarWriterEntry } from '../../archive/tar-writer.js';
import { verifyingStream } from './verify-stream.js';

/**
 * The files of an archive to write, in order, independent of where they go:
 * `planTar` turns them into one deterministic tar stream, `writePlanToDirectory`
 * into files. Every file's size is known before its content is opened (a tar
 * header needs it); `open` must yield exactly `size` bytes.
 */
export type PlannedItem =
  | { readonly kind: 'directory'; readonly name: string }
  | { readonly kind: 'file'; readonly name: string; readonly size: number; open(): Promise<Readable> }
  | { readonly kind: 'symlink'; readonly name: string; readonly target: string };

/** A small file whose bytes are at hand. */
export function bytesItem(name: string, bytes: Buffer): PlannedItem {
  return { kind: 'file', name, size: bytes.length, open: async () => Readable.from([bytes]) };
}

/** Fixed metadata, so the same plan gives the same bytes anywhere, any time. */
const EPOCH = new Date(0);

/**
 * The plan as an uncompressed POSIX tar: owner 0:0, mtime 0, directories 0755,
 * files 0644, symlinks 0777. The stream fails with ECORRUPT when a file yields
 * other than its size, and with any error of a content stream.
 */
export function planTar(items: readonly PlannedItem[]): Readable {
  return writeTar(entries(items));
}

async function* entries(items: readonly PlannedItem[]): AsyncGenerator<TarWriterEntry> {
  for (const item of items) {
    const base = { name: item.name, uid: 0, gid: 0, mtime: EPOCH };
    if (item.kind === 'directory') {
      yield { header: { ...base, type: 'directory', mode: 0o755, size: 0 } satisfies LayerTarHeader };
    } else if (item.kind === 'symlink') {
      yield { header: { ...base, type: 'symlink', mode: 0o777, size: 0, linkName: item.target } };
    } else {
      yield { header: { ...base, type: 'file', mode: 0o644, size: item.size }, content: async () => (await item.open()) as AsyncIterable<Buffer> };
    }
  }
}

/** Writes the plan under `dir` (which must exist and be empty); a file that yields other than its size fails (ECORRUPT or EBADARCHIVE). */
export async function writePlanToDirectory(items: readonly PlannedItem[], dir: string): Promise<void> {
  for (const item of items) {
    const path = join(dir, item.name);
    if (item.kind === 'directory') {
      await mkdir(path, { recursive: true });
    } else if (item.kind === 'symlink') {
      await mkdir(dirname(path), { recursive: true });
      await symlink(item.target, path);
    } else {
      await mkdir(dirname(path), { recursive: true });
      await pipeline(verifyingStream(await item.open(), { size: item.size, what: item.name }), createWriteStream(path, { flags: 'wx' }));
    }
  }
}
