import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { END_RECORD, MAGIC } from './tar-split-format.js';

/** Writes data to a stream, waiting for 'drain' when its buffer is full (bounded memory). */
export async function writeWithBackpressure(stream: Writable, data: Buffer): Promise<void> {
  if (!stream.write(data)) await once(stream, 'drain');
}

import { syncPath } from '../sync-path.js';

export { syncPath };

/**
 * A gzip-compressed tar-split record file being written: the magic comes
 * first; `end` adds the end record, closes and fsyncs it.
 */
export class RecordFileWriter {
  readonly #gzip = createGzip();
  readonly #done: Promise<void>;
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
    this.#done = pipeline(this.#gzip, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    this.#done.catch(() => undefined);
  }

  static async create(path: string): Promise<RecordFileWriter> {
    const writer = new RecordFileWriter(path);
    await writer.emit(MAGIC);
    return writer;
  }

  emit(record: Buffer): Promise<void> {
    return writeWithBackpressure(this.#gzip, record);
  }

  async end(): Promise<void> {
    this.#gzip.end(END_RECORD);
    await this.#done;
    await syncPath(this.path);
  }

  /** Abandons the file (the caller unlinks it). */
  async destroy(): Promise<void> {
    this.#gzip.destroy();
    await this.#done.catch(() => undefined);
  }
}
