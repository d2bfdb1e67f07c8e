import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import type { Digest } from '../ids.js';
import { decodeTarSplit } from './tar-split-format.js';

export interface ReplayOptions {
  /** The gzip-compressed record file. */
  readonly recordPath: string;
  /** Names the layer in errors. */
  readonly layer: string;
  /** What the replayed bytes must hash to. */
  readonly diffId: Digest;
  /** A file's content in the layer's union, by layer path. */
  readFile(path: string): Promise<Readable>;
}

/**
 * The imported tar, byte for byte, from its tar-split record and the layer's
 * files. Streams in bounded memory. The stream fails with ECORRUPT naming the
 * layer when the record is damaged, a file is missing or has another length, or
 * the bytes do not hash to the diffID (checked at the end, before the stream ends).
 */
export function replayTarSplit(options: ReplayOptions): Readable {
  return Readable.from(replay(options), { objectMode: false });
}

async function* replay(options: ReplayOptions): AsyncGenerator<Buffer> {
  const { layer } = options;
  const hash = createHash('sha256');
  const gunzip = createReadStream(options.recordPath).pipe(createGunzip());
  try {
    for await (const record of decodeTarSplit(gunzip, `layer ${layer}`)) {
      if (record.kind === 'raw') {
        hash.update(record.data);
        yield record.data;
        continue;
      }
      let content: Readable;
      try {
        content = await options.readFile(record.path);
      } catch (err) {
        throw new StrataError(ErrorCode.ECORRUPT, `layer ${layer}: file ${record.path} of the imported tar cannot be read back: ${(err as Error).message}`, { cause: err });
      }
      let seen = 0;
      for await (const chunk of content) {
        const bytes = chunk as Buffer;
        seen += bytes.length;
        if (seen > record.size) break;
        hash.update(bytes);
        yield bytes;
      }
      if (seen !== record.size) {
        content.destroy();
        throw new StrataError(ErrorCode.ECORRUPT, `layer ${layer}: file ${record.path} holds ${seen > record.size ? 'more' : seen} bytes, the imported tar had ${record.size}`);
      }
    }
  } catch (err) {
    if (isStrataError(err)) throw err;
    throw new StrataError(ErrorCode.ECORRUPT, `layer ${layer}: tar-split record ${options.recordPath} is unreadable: ${(err as Error).message}`, { cause: err });
  } finally {
    gunzip.destroy();
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (digest !== options.diffId) {
    throw new StrataError(ErrorCode.ECORRUPT, `layer ${layer}: content does not match its diff id (got ${digest}, recorded ${options.diffId})`);
  }
}
