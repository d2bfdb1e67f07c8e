import { Writable } from 'node:stream';
import { BLOCK, isZeroBlock, parseRawHeader } from './raw-tar-header.js';

/**
 * Counts a tar as it passes: total bytes and the bytes of regular-file
 * content (type '0' or '\0'; hard links carry none). For tars strata writes
 * itself (diffs), whose sizes are in the ustar or base-256 size field.
 */
export class TarStats extends Writable {
  bytes = 0;
  fileBytes = 0;
  readonly #block = Buffer.alloc(BLOCK);
  #fill = 0;
  /** Bytes of content and padding still to skip before the next header. */
  #skip = 0;
  #ended = false;

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (err?: Error | null) => void): void {
    try {
      this.#take(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  #take(chunk: Buffer): void {
    this.bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length && !this.#ended) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - pos);
        this.#skip -= n;
        pos += n;
        continue;
      }
      const n = Math.min(BLOCK - this.#fill, chunk.length - pos);
      chunk.copy(this.#block, this.#fill, pos, pos + n);
      this.#fill += n;
      pos += n;
      if (this.#fill < BLOCK) continue;
      this.#fill = 0;
      if (isZeroBlock(this.#block)) {
        this.#ended = true;
        continue;
      }
      const header = parseRawHeader(this.#block);
      if (header.typeflag === '0' || header.typeflag === '\0') this.fileBytes += header.size;
      this.#skip = Math.ceil(header.size / BLOCK) * BLOCK;
    }
  }
}
