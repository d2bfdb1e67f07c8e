import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { ErrorCode, StrataError, errnoOf, isStrataError } from '../errors.js';

/** Compressions recognised by their leading bytes; gzip and zstd are supported. */
const MAGIC: ReadonlyArray<{ readonly name: 'gzip' | 'zstd' | 'xz' | 'bzip2'; readonly bytes: readonly number[] }> = [
  { name: 'gzip', bytes: [0x1f, 0x8b] },
  { name: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'bzip2', bytes: [0x42, 0x5a, 0x68] },
];
/** Bytes `compressionOf` needs to tell every format apart. */
export const HEAD_BYTES = 6;
/**
 * Size of the chunks gunzip hands on, in bytes. Node's default (16 KiB) makes
 * a 40 MiB layer 2,560 chunks, each passed through every stage of the import
 * (hashes, tar-split, tar parser, one write each); 256 KiB makes it 160.
 */
export const INFLATE_CHUNK = 256 * 1024;

/**
 * The uncompressed bytes of a layer: gunzipped when `input` starts with the gzip
 * magic (1f 8b), zstd-decompressed when it starts with the zstd magic
 * (28 b5 2f fd; through the pure-JS `fzstd`, as Node 20's zlib has no zstd),
 * `input` unchanged otherwise. Detection is by content, never by file name.
 * Streaming: memory stays bounded whatever the layer's size (zstd keeps one
 * window, at most the frame's window size).
 *
 * Fails (the promise, or later the returned stream) with EBADARCHIVE for xz and
 * bzip2 layers ("... layers are not supported") and for a corrupt or truncated
 * gzip or zstd stream. Errors of `input` itself pass through unchanged.
 */
export async function openLayerStream(input: Readable): Promise<Readable> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < HEAD_BYTES) {
    const next = await chunks.next();
    if (next.done === true) {
      done = true;
      break;
    }
    const chunk = toBuffer(next.value);
    head.push(chunk);
    length += chunk.length;
  }
  const first = Buffer.concat(head);
  const format = compressionOf(first);
  if (format !== undefined && format !== 'gzip' && format !== 'zstd') {
    await chunks.return?.();
    throw new StrataError(ErrorCode.EBADARCHIVE, `${format} layers are not supported (only gzip, zstd or uncompressed tar)`);
  }
  const raw = Readable.from(rejoin(first, done ? undefined : chunks), { objectMode: false });
  if (format === undefined) return raw;
  const inflate = pipeline(raw, format === 'gzip' ? createGunzip({ chunkSize: INFLATE_CHUNK }) : zstdDecompressor(), () => undefined);
  return Readable.from(corruptIsBadArchive(inflate), { objectMode: false });
}

/**
 * The compression `head` (the first 6 bytes or more of a stream) announces by
 * its magic: 'gzip', 'zstd', 'xz' or 'bzip2'; undefined for anything else
 * (a plain tar among others).
 */
export function compressionOf(head: Buffer): 'gzip' | 'zstd' | 'xz' | 'bzip2' | undefined {
  return MAGIC.find((m) => m.bytes.every((b, i) => head[i] === b))?.name;
}

/** A Transform that zstd-decompresses; a corrupt or truncated stream fails with EBADARCHIVE. */
export function zstdDecompressor(): Transform {
  const bad = (err: unknown) =>
    new StrataError(ErrorCode.EBADARCHIVE, `corrupt zstd stream: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        decompress.push(chunk);
        callback();
      } catch (err) {
        callback(bad(err));
      }
    },
    flush(callback) {
      try {
        decompress.push(new Uint8Array(0), true);
        callback();
      } catch (err) {
        callback(bad(err));
      }
    },
  });
  const decompress = new Decompress((data) => {
    if (data.length > 0) transform.push(Buffer.from(data));
  });
  return transform;
}

async function* rejoin(first: Buffer, rest: AsyncIterator<Buffer | string> | undefined): AsyncGenerator<Buffer> {
  if (first.length > 0) yield first;
  if (rest === undefined) return;
  for (;;) {
    const next = await rest.next();
    if (next.done === true) return;
    yield toBuffer(next.value);
  }
}

async function* corruptIsBadArchive(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* source;
  } catch (err) {
    if (!isStrataError(err) && errnoOf(err)?.startsWith('Z_') === true) {
      throw new StrataError(ErrorCode.EBADARCHIVE, `corrupt gzip stream: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}
