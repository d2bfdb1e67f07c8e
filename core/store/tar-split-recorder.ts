import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ErrorCode, StrataError } from '../errors.js';
import { normalizeLayerPath } from '../tree.js';
import { BLOCK, isFileType, isMetaType, isZeroBlock, paddingOf, parsePax, parseRawHeader } from './raw-tar-header.js';
import { RecordFileWriter, writeWithBackpressure } from './record-file.js';
import { ShadowTracker } from './shadow-tracker.js';
import { StreamCursor } from './stream-cursor.js';
import { MAX_RAW_RECORD, decodeTarSplit, encodeFile, encodeRaw } from './tar-split-format.js';

/** Largest PAX / GNU long-name block accepted, in bytes. */
const MAX_META = 1 << 20;
/** Raw bytes gathered before a record is written. */
const RAW_FLUSH = 64 * 1024;

type State = 'header' | 'content' | 'padding' | 'trailer';

/**
 * Where `finish` finds the bytes of shadowed files: a spool file the recorder
 * writes every file's content to as it passes (any input), or the same tar
 * read again from its start (an input that can be reopened, such as a
 * downloaded blob: nothing is written twice). `reread` gives the uncompressed
 * tar; it is only called when the tar has shadowed files, and what it gives
 * must hash to the digest `finish` is given (checked, else ECORRUPT).
 */
export type ShadowSource = { readonly spool: string } | { readonly reread: () => Promise<Readable> };

type ContentKind = 'file' | 'meta' | 'raw';

/**
 * Records the tar-split of a layer tar while it streams past (see
 * tar-split-format.ts): every block verbatim except regular-file content, for
 * which only the layer path and length are kept — `diff` reads those bytes back
 * from the layer.
 *
 * Duplicates: a later entry can replace a file of the same tar (later wins), so
 * the earlier content is not in the layer. That is known only after the later
 * entry, when the earlier bytes have passed, so every file's content is also
 * appended to a temporary *spool* file on disk (never held in memory). At
 * `finish`, shadowed files (ShadowTracker) get their bytes copied from the spool
 * into the record inline; then the spool is deleted. Memory stays bounded by
 * one tar block, 64 KiB of pending raw bytes, one PAX block (≤ 1 MiB) and a few
 * numbers per file entry. The cost, with a spool: the file bytes are written
 * once more, to a short-lived spool file; with a reread source: none, unless
 * the tar has shadowed files (then it is read once more).
 *
 * Fails with EBADARCHIVE on an unreadable header or a tar that ends inside a
 * file's content.
 */
export class TarSplitRecorder {
  readonly #out: RecordFileWriter;
  readonly #source: ShadowSource;
  /** Open while the spool is written (a spool source only). */
  readonly #spool: WriteStream | undefined;
  readonly #tracker = new ShadowTracker();
  /** Offset of each file record's content (in the spool, or in the tar for a reread source), by ordinal. */
  readonly #offsets: number[] = [];
  readonly #sizes: number[] = [];
  /** Bytes written to the spool. */
  #spoolOffset = 0;
  /** Bytes of the tar before the current `write` chunk. */
  #tarOffset = 0;
  /** Tar offset just past the last header block (where its content starts). */
  #contentAt = 0;

  #state: State = 'header';
  readonly #block = Buffer.alloc(BLOCK);
  #blockFill = 0;
  #remaining = 0;
  #padding = 0;
  #kind: ContentKind = 'raw';
  #metaType = '';
  #meta: Buffer[] = [];
  #pendingPath: string | undefined;
  #pendingSize: number | undefined;
  #raw: Buffer[] = [];
  #rawLength = 0;

  private constructor(out: RecordFileWriter, source: ShadowSource) {
    this.#out = out;
    this.#source = source;
    this.#spool = 'spool' in source ? createWriteStream(source.spool, { flags: 'wx', mode: 0o600 }) : undefined;
  }

  /** Starts a record at recordPath (created, must not exist) taking shadowed bytes from `source`. */
  static async create(recordPath: string, source: ShadowSource): Promise<TarSplitRecorder> {
    return new TarSplitRecorder(await RecordFileWriter.create(recordPath), source);
  }

  /** Records the next bytes of the uncompressed tar. */
  async write(chunk: Buffer): Promise<void> {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#state === 'trailer') {
        this.#keep(chunk.subarray(pos));
        pos = chunk.length;
      } else if (this.#state === 'header') {
        const take = Math.min(BLOCK - this.#blockFill, chunk.length - pos);
        chunk.copy(this.#block, this.#blockFill, pos, pos + take);
        this.#blockFill += take;
        pos += take;
        if (this.#blockFill === BLOCK) {
          this.#blockFill = 0;
          this.#contentAt = this.#tarOffset + pos;
          await this.#onHeader(Buffer.from(this.#block));
        }
      } else {
        const take = Math.min(this.#remaining, chunk.length - pos);
        const slice = chunk.subarray(pos, pos + take);
        pos += take;
        this.#remaining -= take;
        if (this.#state === 'content' && this.#kind === 'file') {
          if (this.#spool !== undefined) await writeWithBackpressure(this.#spool, slice);
          this.#spoolOffset += take;
        } else {
          this.#keep(slice);
          if (this.#state === 'content' && this.#kind === 'meta') this.#meta.push(Buffer.from(slice));
        }
        if (this.#remaining === 0) await this.#endOfPart();
      }
      if (this.#rawLength >= RAW_FLUSH) await this.#flushRaw();
    }
    this.#tarOffset += chunk.length;
  }

  async #onHeader(block: Buffer): Promise<void> {
    this.#keep(block);
    if (isZeroBlock(block)) {
      this.#state = 'trailer';
      return;
    }
    const header = parseRawHeader(block);
    let size = header.size;
    if (isMetaType(header.typeflag)) {
      if (size > MAX_META) throw new StrataError(ErrorCode.EBADARCHIVE, `tar: a ${header.typeflag} metadata block of ${size} bytes is too large`);
      this.#kind = 'meta';
      this.#metaType = header.typeflag;
    } else {
      const name = this.#pendingPath ?? header.name;
      size = this.#pendingSize ?? size;
      this.#pendingPath = undefined;
      this.#pendingSize = undefined;
      this.#kind = await this.#noteEntry(name, header.typeflag, size);
    }
    this.#remaining = size;
    this.#padding = paddingOf(size);
    this.#state = 'content';
    if (size === 0) await this.#endOfPart();
  }

  /** Tracks the entry for shadowing and writes its file record; returns how its content is kept. */
  async #noteEntry(name: string, typeflag: string, size: number): Promise<ContentKind> {
    let path: string;
    try {
      path = normalizeLayerPath(name);
    } catch {
      return 'raw'; // unsafe name: the extractor refuses it; keep the bytes verbatim meanwhile
    }
    const isDirectory = typeflag === '5' || (isFileType(typeflag) && name.endsWith('/'));
    if (!isFileType(typeflag) || isDirectory || size === 0 || path === '/') {
      this.#tracker.note(path, isDirectory ? 'directory' : 'other');
      return 'raw';
    }
    const ordinal = this.#offsets.length;
    this.#offsets.push(this.#spool !== undefined ? this.#spoolOffset : this.#contentAt);
    this.#sizes.push(size);
    this.#tracker.note(path, 'file', ordinal);
    await this.#flushRaw();
    await this.#out.emit(encodeFile(path, size));
    return 'file';
  }

  async #endOfPart(): Promise<void> {
    if (this.#state === 'content') {
      if (this.#kind === 'meta') this.#applyMeta(Buffer.concat(this.#meta));
      this.#meta = [];
      this.#remaining = this.#padding;
      this.#state = 'padding';
    }
    if (this.#remaining === 0) this.#state = 'header';
  }

  #applyMeta(data: Buffer): void {
    if (this.#metaType === 'x') {
      const pax = parsePax(data);
      const path = pax.get('path');
      const size = pax.get('size');
      if (path !== undefined) this.#pendingPath = path;
      if (size !== undefined && /^\d+$/.test(size)) this.#pendingSize = Number(size);
    } else if (this.#metaType === 'L') {
      const nul = data.indexOf(0);
      this.#pendingPath = data.toString('utf8', 0, nul === -1 ? data.length : nul);
    }
  }

  #keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#raw.push(bytes);
    this.#rawLength += bytes.length;
  }

  async #flushRaw(): Promise<void> {
    if (this.#rawLength === 0) return;
    const all = Buffer.concat(this.#raw, this.#rawLength);
    this.#raw = [];
    this.#rawLength = 0;
    for (let i = 0; i < all.length; i += MAX_RAW_RECORD) {
      await this.#out.emit(encodeRaw(all.subarray(i, i + MAX_RAW_RECORD)));
    }
  }

  /**
   * Completes the record after the last byte of the tar: writes it durably,
   * inlines shadowed files' bytes, deletes the spool. `diffId` is the sha256 of
   * the whole tar (a reread source must give the same bytes again). Fails with
   * EBADARCHIVE when the tar ended inside a file's content, ECORRUPT when a
   * reread gives other bytes.
   */
  async finish(diffId: string): Promise<void> {
    if (this.#state === 'content' && this.#kind === 'file') {
      throw new StrataError(ErrorCode.EBADARCHIVE, 'tar: truncated inside a file entry');
    }
    if (this.#blockFill > 0) this.#keep(Buffer.from(this.#block.subarray(0, this.#blockFill)));
    await this.#flushRaw();
    await this.#out.end();
    const spool = this.#spool;
    if (spool !== undefined) {
      spool.end();
      await new Promise<void>((resolve, reject) => {
        spool.once('close', resolve);
        spool.once('error', reject);
      });
    }
    if (this.#tracker.shadowed.size > 0) await this.#inlineShadowed(diffId);
    await this.#removeSpool();
  }

  /** Rewrites the record with the bytes of every shadowed file inline. */
  async #inlineShadowed(diffId: string): Promise<void> {
    const path = this.#out.path;
    const source = this.#source;
    const again = 'reread' in source ? await source.reread() : undefined;
    const cursor = again === undefined ? undefined : new StreamCursor(again);
    const bytesOf = (start: number, end: number): AsyncIterable<Buffer> =>
      cursor?.range(start, end, MAX_RAW_RECORD) ??
      (createReadStream((source as { spool: string }).spool, { start, end: end - 1, highWaterMark: MAX_RAW_RECORD }) as AsyncIterable<Buffer>);
    const next = await RecordFileWriter.create(`${path}.inline`);
    try {
      let ordinal = 0;
      const records = decodeTarSplit(createReadStream(path).pipe(createGunzip()), 'new layer');
      for await (const record of records) {
        if (record.kind === 'raw') {
          await next.emit(encodeRaw(record.data));
          continue;
        }
        const n = ordinal++;
        if (!this.#tracker.shadowed.has(n)) {
          await next.emit(encodeFile(record.path, record.size));
          continue;
        }
        const start = this.#offsets[n]!;
        const end = start + this.#sizes[n]!;
        if (end > start) {
          for await (const chunk of bytesOf(start, end)) await next.emit(encodeRaw(chunk));
        }
      }
      const reread = await cursor?.rest();
      if (reread !== undefined && reread !== diffId) {
        throw new StrataError(ErrorCode.ECORRUPT, `tar-split: the layer tar read again hashes to ${reread}, not ${diffId}`);
      }
      await next.end();
    } catch (err) {
      await next.destroy();
      await rm(next.path, { force: true });
      throw err;
    } finally {
      again?.destroy();
    }
    await rename(next.path, path);
  }

  /** Abandons the record: closes and deletes the record and spool files. */
  async abort(): Promise<void> {
    await this.#out.destroy();
    this.#spool?.on('error', () => undefined);
    this.#spool?.destroy();
    await rm(this.#out.path, { force: true });
    await rm(`${this.#out.path}.inline`, { force: true });
    await this.#removeSpool();
  }

  async #removeSpool(): Promise<void> {
    if ('spool' in this.#source) await rm(this.#source.spool, { force: true });
  }
}
