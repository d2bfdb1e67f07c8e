import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HEAD_BYTES, compressionOf, openLayerStream } from '../../archive/decompress.js';
import { ErrorCode, StrataError } from '../../errors.js';

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

/**
 * Whether the file at `path` is compressed (gzip or zstd: it must be spooled
 * to be read at random). Fails with EBADARCHIVE for xz and bzip2, which
 * strata does not decompress.
 */
export async function isCompressed(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
    const compression = compressionOf(head.subarray(0, bytesRead));
    if (compression === 'xz' || compression === 'bzip2') {
      throw new StrataError(ErrorCode.EBADARCHIVE, `${path}: ${compression}-compressed archives are not supported (only gzip, zstd or plain tar)`);
    }
    return compression !== undefined;
  } finally {
    await handle.close();
  }
}
