import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * Reads byte ranges, in ascending order, from a stream consumed once from its
 * start, and hashes every byte it passes: after `rest()` the sha256 of the
 * whole stream is known, so a caller can check that what it read again is
 * what it read the first time. Memory: one chunk of the stream.
 */
export class StreamCursor {
  readonly #chunks: AsyncIterator<Buffer>;
  readonly #hash = createHash('sha256');
  /** Stream offset of the first byte of `#pending`. */
  #pos = 0;
  #pending: Buffer = Buffer.alloc(0);
  #ended = false;

  constructor(stream: Readable) {
    this.#chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /**
   * The bytes [start, end) in pieces of at most `piece` bytes. `start` must not
   * be before the end of the previous range. Resolves short when the stream
   * ends first (the caller's digest check then fails).
   */
  async *range(start: number, end: number, piece: number): AsyncGenerator<Buffer> {
    let at = start;
    while (at < end) {
      if (!(await this.#fill(at))) return;
      const from = at - this.#pos;
      const take = Math.min(end - at, this.#pending.length - from, piece);
      yield this.#pending.subarray(from, from + take);
      at += take;
    }
  }

  /** Reads to the end; the `sha256:` digest of every byte of the stream. */
  async rest(): Promise<string> {
    while (await this.#next());
    await this.#chunks.return?.();
    return `sha256:${this.#hash.digest('hex')}`;
  }

  /** Ensures `#pending` holds the byte at `at`; false at the end of the stream. */
  async #fill(at: number): Promise<boolean> {
    while (at >= this.#pos + this.#pending.length) {
      if (!(await this.#next())) return false;
    }
    return true;
  }

  async #next(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#chunks.next();
    if (next.done === true) {
      this.#ended = true;
      return false;
    }
    this.#pos += this.#pending.length;
    this.#pending = next.value;
    this.#hash.update(next.value);
    return true;
  }
}
