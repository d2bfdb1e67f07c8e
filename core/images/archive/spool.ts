import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openLayerStream } from '../../archive/decompress.js';

/** A temporary copy of an archive; `remove()` deletes it (idempotent). */
export interface Spooled {
  readonly path: string;
  remove(): Promise<void>;
}

/**
 * Copies `input` (stdin, or a compressed archive) to a new file under
 * `tmpDir`, decompressing gzip or zstd on the way (detected by magic, as
 * `docker load` accepts a gzipped save). Streaming: memory stays bounded.
 * On failure nothing is left behind and the error (EBADARCHIVE for a corrupt
 * compressed stream, the input's own otherwise) is rethrown.
 */
export async function spool(input: Readable, tmpDir: string): Promise<Spooled> {
  const dir = await mkdtemp(join(tmpDir, 'archive-'));
  const path = join(dir, 'archive.tar');
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(await openLayerStream(input), createWriteStream(path, { flags: 'wx' }));
    return { path, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Whether the file at `path` starts with the gzip or zstd magic. */
export async function isCompressed(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    return bytesRead === 4 && head.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
  } finally {
    await handle.close();
  }
}
