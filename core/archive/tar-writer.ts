import { Readable } from 'node:stream';
import { ErrorCode, StrataError } from '../errors.js';
import type { LayerTarHeader } from './entry.js';
import { BLOCK, padding, planBytes, planHeader, writePlan } from './tar-header.js';

export { encodeTarHeader } from './tar-header.js';

/**
 * A deterministic POSIX (ustar + PAX) tar writer: the same headers and content
 * give the same bytes, on any machine, at any time. The header encoding, fixed
 * once so that digests stay stable, is tar-header.ts's; the archive ends with
 * two zero blocks (1,024 bytes), no record padding.
 *
 * tar-stream's packer is not used here: it cannot write binary PAX values, and
 * it silently clamps uids and mtimes that do not fit their ustar fields.
 */

/** The two zero blocks that end every archive. */
export const TAR_TRAILER: Buffer = Buffer.alloc(2 * BLOCK);

/** One entry for `writeTar`: a header and, for files, a way to open their content. */
export interface TarWriterEntry {
  readonly header: LayerTarHeader;
  /** Opened only when the entry is written; must yield exactly `header.size` bytes. */
  readonly content?: () => Promise<AsyncIterable<Buffer> | Iterable<Buffer>>;
  /**
   * For small files, in place of `content`: reads the content synchronously
   * into `target` from `offset`, at most `max` bytes (one more than the
   * header's size, so that a file that grew shows), and returns how many it
   * read. Called only when the entry is written; the bytes are the output's
   * own (no copy is made).
   */
  readonly readInto?: (target: Buffer, offset: number, max: number) => number;
}

/** The header blocks of one entry, written straight into `out`. */
function writeHeader(out: Batch, header: LayerTarHeader): void {
  const plan = planHeader(header);
  const bytes = planBytes(plan);
  const at = out.reserve(bytes);
  writePlan(plan, out.buffer, at);
  out.commit(bytes);
}

/**
 * The archive of `entries`, in their order, ending with `TAR_TRAILER`. Content
 * is streamed (memory bounded by one chunk per entry, whatever the sizes).
 * The stream fails with ECORRUPT when a file yields more or fewer bytes than its
 * header's size (it changed while being written), and with any error of
 * `encodeTarHeader`, of `entries` or of a content stream.
 */
export function writeTar(entries: AsyncIterable<TarWriterEntry> | Iterable<TarWriterEntry>): Readable {
  return Readable.from(tarChunks(entries), { objectMode: false });
}

/** Output is gathered into chunks of about this many bytes (headers and small files are far smaller). */
const BATCH = 64 * 1024;

async function* tarChunks(entries: AsyncIterable<TarWriterEntry> | Iterable<TarWriterEntry>): AsyncGenerator<Buffer> {
  const out = new Batch();
  // a synchronous source is read without an await per entry (for await would take a promise round trip each)
  const sync = Symbol.iterator in entries;
  const it = sync ? (entries as Iterable<TarWriterEntry>)[Symbol.iterator]() : (entries as AsyncIterable<TarWriterEntry>)[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      const step = sync ? (it as Iterator<TarWriterEntry>).next() : await (it as AsyncIterator<TarWriterEntry>).next();
      if (step.done === true) {
        ended = true;
        break;
      }
      if (!writeWhole(out, step.value)) yield* streamed(out, step.value);
      if (out.bytes >= BATCH) yield* out.take();
    }
  } finally {
    // as for-of does on an early exit: let the source close (a generator runs its finally blocks)
    if (!ended) await it.return?.();
  }
  out.push(TAR_TRAILER);
  yield* out.take();
}

/**
 * One entry into `out` where nothing needs awaiting (no content, or content
 * read by `readInto`); false, with nothing written, for content that streams.
 */
function writeWhole(out: Batch, entry: TarWriterEntry): boolean {
  const { header } = entry;
  const hasContent = header.type === 'file' && header.size > 0;
  if (hasContent && entry.readInto === undefined) return false;
  writeHeader(out, header);
  if (hasContent) {
    const at = out.reserve(header.size + 1);
    const n = entry.readInto!(out.buffer, at, header.size + 1);
    checkSize(header, n);
    out.commit(n);
    out.push(padding(header.size));
  }
  return true;
}

/** One entry whose content streams into `out`; yields the chunks that fill up on the way. */
async function* streamed(out: Batch, entry: TarWriterEntry): AsyncGenerator<Buffer> {
  const { header } = entry;
  writeHeader(out, header);
  if (!entry.content) {
    throw new StrataError(ErrorCode.ECORRUPT, `${header.name}: no content for ${header.size} bytes`);
  }
  let written = 0;
  for await (const chunk of await entry.content()) {
    written += chunk.length;
    if (written > header.size) checkSize(header, written);
    if (chunk.length >= BATCH) {
      yield* out.take();
      yield chunk;
    } else {
      out.push(chunk);
      if (out.bytes >= BATCH) yield* out.take();
    }
  }
  checkSize(header, written);
  out.push(padding(header.size));
}

/** Fails with ECORRUPT where a file gave `written` bytes, not its header's size (it changed while being written). */
function checkSize(header: LayerTarHeader, written: number): void {
  if (written > header.size) {
    throw new StrataError(ErrorCode.ECORRUPT, `${header.name}: grew beyond ${header.size} bytes while being written`);
  }
  if (written !== header.size) {
    throw new StrataError(ErrorCode.ECORRUPT, `${header.name}: ${written} of ${header.size} bytes, it shrank while being written`);
  }
}

/**
 * Small buffers copied into one output chunk, so the stream moves few large
 * chunks (memory: one chunk of about BATCH bytes, or of one small file's size).
 * A chunk, once taken, is the consumer's: the batch never writes to it again.
 */
class Batch {
  buffer: Buffer = Buffer.allocUnsafe(2 * BATCH);
  bytes = 0;

  push(part: Buffer): void {
    if (part.length === 0) return;
    // TypedArray#set: Buffer#copy checks its arguments in JavaScript first (this runs for every padding and small chunk)
    this.buffer.set(part, this.reserve(part.length));
    this.bytes += part.length;
  }

  /** Room for n more bytes at the returned offset of `buffer` (a larger buffer where needed, the bytes so far carried over). */
  reserve(n: number): number {
    if (this.bytes + n > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * BATCH, this.bytes + n));
      this.buffer.copy(bigger, 0, 0, this.bytes);
      this.buffer = bigger;
    }
    return this.bytes;
  }

  /** n bytes were written at the offset `reserve` gave. */
  commit(n: number): void {
    this.bytes += n;
  }

  /** The gathered bytes as one chunk (none when empty); the batch goes on in a fresh buffer. */
  *take(): Generator<Buffer> {
    if (this.bytes === 0) return;
    const chunk = this.buffer.subarray(0, this.bytes);
    this.buffer = Buffer.allocUnsafe(2 * BATCH);
    this.bytes = 0;
    yield chunk;
  }
}
