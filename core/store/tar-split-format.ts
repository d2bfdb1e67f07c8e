import type { Readable } from 'node:stream';
import { ErrorCode, StrataError } from '../errors.js';

/**
 * The tar-split record format (stored gzip-compressed). After a magic line,
 * a sequence of records:
 *
 *     'R' u32be length, bytes        tar bytes kept verbatim (headers, PAX and
 *                                    long-name blocks, padding, inline content,
 *                                    the end-of-archive blocks and anything after)
 *     'F' u32be length, utf-8 path,  a regular file's content, `size` bytes, read
 *         u64be size                 back from the layer at that layer path
 *     'E'                            the end; a record file without it is truncated
 *
 * Replaying the records in order gives back the imported tar byte for byte.
 */
export const MAGIC = Buffer.from('strata-tar-split 1\n');

/** Largest 'R' record written; readers refuse larger ones as corrupt. */
export const MAX_RAW_RECORD = 1 << 20;

export type TarSplitRecord =
  | { readonly kind: 'raw'; readonly data: Buffer }
  | { readonly kind: 'file'; readonly path: string; readonly size: number };

export function encodeRaw(data: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write('R', 0, 'latin1');
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

export function encodeFile(path: string, size: number): Buffer {
  const name = Buffer.from(path, 'utf8');
  const out = Buffer.alloc(1 + 4 + name.length + 8);
  out.write('F', 0, 'latin1');
  out.writeUInt32BE(name.length, 1);
  name.copy(out, 5);
  out.writeBigUInt64BE(BigInt(size), 5 + name.length);
  return out;
}

export const END_RECORD = Buffer.from('E', 'latin1');

/** Reads exact byte counts from a stream of chunks, holding at most one chunk plus the request. */
class ExactReader {
  readonly #chunks: AsyncIterator<Buffer>;
  #buffer: Buffer = Buffer.alloc(0);

  constructor(stream: Readable) {
    this.#chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** n bytes, or null at a clean end of stream (no byte read). Throws when the stream ends inside. */
  async read(n: number): Promise<Buffer | null> {
    while (this.#buffer.length < n) {
      const next = await this.#chunks.next();
      if (next.done) {
        if (this.#buffer.length === 0) return null;
        throw new Error('truncated record');
      }
      this.#buffer = this.#buffer.length === 0 ? next.value : Buffer.concat([this.#buffer, next.value]);
    }
    const out = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }
}

/**
 * The records of an (already decompressed) tar-split stream. `what` names the
 * layer in errors. Fails with ECORRUPT when the stream is not a complete record file.
 */
export async function* decodeTarSplit(stream: Readable, what: string): AsyncGenerator<TarSplitRecord> {
  const corrupt = (why: string, cause?: unknown) =>
    new StrataError(ErrorCode.ECORRUPT, `${what}: tar-split record is corrupt: ${why}`, { cause });
  const reader = new ExactReader(stream);
  const need = async (n: number): Promise<Buffer> => {
    let got: Buffer | null;
    try {
      got = await reader.read(n);
    } catch (err) {
      throw corrupt((err as Error).message, err);
    }
    if (got === null) throw corrupt('it ends without an end record');
    return got;
  };
  if (!(await need(MAGIC.length)).equals(MAGIC)) throw corrupt('bad magic');
  for (;;) {
    const kind = (await need(1)).toString('latin1');
    if (kind === 'E') return;
    const length = (await need(4)).readUInt32BE(0);
    if (kind === 'R') {
      if (length > MAX_RAW_RECORD) throw corrupt(`raw record of ${length} bytes`);
      yield { kind: 'raw', data: Buffer.from(await need(length)) };
    } else if (kind === 'F') {
      if (length > 65536) throw corrupt(`path of ${length} bytes`);
      const path = (await need(length)).toString('utf8');
      const size = Number((await need(8)).readBigUInt64BE(0));
      if (!Number.isSafeInteger(size)) throw corrupt(`file size ${size}`);
      yield { kind: 'file', path, size };
    } else {
      throw corrupt(`unknown record kind ${JSON.stringify(kind)}`);
    }
  }
}
