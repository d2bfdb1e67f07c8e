import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import type { Digest } from '../ids.js';
import { decodeTarSplit } from './tar-split-format.js';
import type { TarSplitRecord } from './tar-split-format.js';

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

/** How many files are opened ahead of the one being copied (their opens overlap; each holds at most one read buffer). */
const OPEN_AHEAD = 8;
/** How many records (headers, padding: a few hundred bytes each) may wait behind the one being copied. */
const RECORDS_AHEAD = 64;

type Ahead = TarSplitRecord | { readonly kind: 'file'; readonly path: string; readonly size: number; readonly opened: Promise<Readable> };

/**
 * The records of a tar-split record stream, each file's content already being
 * opened: up to OPEN_AHEAD files (and RECORDS_AHEAD records) ahead of the
 * consumer, so that the opens' round trips overlap instead of adding up.
 * Streams opened but not consumed are destroyed when the consumer stops.
 */
async function* openedAhead(records: AsyncIterable<TarSplitRecord>, readFile: (path: string) => Promise<Readable>): AsyncGenerator<Ahead> {
  const queue: Ahead[] = [];
  let files = 0;
  const it = records[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      while (!done && files < OPEN_AHEAD && queue.length < RECORDS_AHEAD) {
        const next = await it.next();
        if (next.done === true) {
          done = true;
          break;
        }
        const record = next.value;
        if (record.kind === 'raw') {
          queue.push(record);
          if (files === 0) break; // nothing to overlap with: hand it on
          continue;
        }
        const opened = readFile(record.path);
        opened.catch(() => undefined); // awaited in order below; a failure is reported there
        queue.push({ ...record, opened });
        files++;
      }
      const head = queue.shift();
      if (head === undefined) return;
      if (head.kind === 'file') files--;
      yield head;
    }
  } finally {
    for (const left of queue) if ('opened' in left) void left.opened.then((stream) => stream.destroy(), () => undefined);
    await it.return?.();
  }
}

async function* replay(options: ReplayOptions): AsyncGenerator<Buffer> {
  const { layer } = options;
  const hash = createHash('sha256');
  const gunzip = createReadStream(options.recordPath).pipe(createGunzip());
  try {
    for await (const record of openedAhead(decodeTarSplit(gunzip, `layer ${layer}`), options.readFile)) {
      if (record.kind === 'raw') {
        hash.update(record.data);
        yield record.data;
        continue;
      }
      let content: Readable;
      try {
        content = await ('opened' in record ? record.opened : options.readFile(record.path));
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
