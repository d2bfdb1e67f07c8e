import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import tar, { type Header } from 'tar-stream';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import { isOverlayXattr, type EntryType } from '../tree.js';
import { decodeUtf8Name, quoteNameBytes } from '../utf8-name.js';
import type { LayerTarHeader } from './entry.js';
import { normalizeEntryName } from './entry-name.js';
import { parsePax, type PaxRecords } from './pax.js';

/** One entry of a layer tarball: its validated header and its content. */
export interface LayerTarEntry {
  readonly header: LayerTarHeader;
  /**
   * The entry's content (`header.size` bytes; empty for all but files). The
   * consumer reads it, or leaves it, before asking for the next entry; whatever
   * is left unread is drained by the reader when the next entry is requested.
   * Fails with EBADARCHIVE naming the entry when the data is truncated.
   */
  readonly body: Readable;
}

const TYPES: Readonly<Record<string, EntryType | 'hardlink'>> = {
  file: 'file',
  'contiguous-file': 'file',
  link: 'hardlink',
  symlink: 'symlink',
  'character-device': 'char',
  'block-device': 'block',
  directory: 'directory',
  fifo: 'fifo',
};

type TarSource = AsyncIterable<Buffer> & { readonly header: Header };

/**
 * tar-stream 3.x reads `filenameEncoding` (its own typings omit it): latin1
 * keeps every byte of ustar and GNU long names, one char per byte, for
 * toLayerHeader to decode as UTF-8 itself.
 */
const EXTRACT_OPTIONS = { filenameEncoding: 'latin1' } as Parameters<typeof tar.extract>[0];

/**
 * tar-stream's extractor, with the hook strata uses to see PAX blocks
 * byte-exact: private members, verified with tar-stream 3.2.2 (package.json
 * pins that exact version; test/archive/tar-stream-pin.test.ts fails when
 * another is installed and exercises every long-header path through the hook).
 */
interface ExtractInternals {
  _header: { type: string | null } | null;
  _decodeLongHeader(block: Buffer): void;
  _final(callback: (err?: Error | null) => void): void;
  _stream: unknown;
  _longHeader: boolean;
  _missing: number;
  _buffer: { buffered: number };
}

/**
 * Lets the input end where Go's archive/tar (so umoci and Docker) lets it:
 * right after an entry's data, without that entry's padding or the
 * end-of-archive blocks (umoci 0.4's `insert` writes layers so). Data cut short
 * inside an entry or a header is still "Unexpected end of data".
 */
function endAfterData(internals: ExtractInternals): void {
  const final = internals._final.bind(internals);
  internals._final = (callback) => {
    const inPadding = internals._stream === null && !internals._longHeader && internals._buffer.buffered === 0 && internals._missing > 0 && internals._missing < 512;
    if (inPadding) internals._missing = 0;
    final(callback);
  };
}

/**
 * Reads an uncompressed tar (POSIX ustar, PAX, GNU long names) and yields each
 * entry with a normalized, validated header (see `LayerTarHeader`): names made
 * relative, mode masked to 0o7777, PAX uid/gid/mtime applied, `SCHILY.xattr.*`
 * records in `xattrs` as raw bytes. Memory stays bounded: only the current
 * entry's data is in flight.
 *
 * Fails with EUNSAFEARCHIVE for a name (or hardlink target) with a ".."
 * component or a NUL byte, and for an xattr reserved for union bookkeeping
 * (`trusted.overlay.*`, `user.overlay.*`); with EBADARCHIVE naming the entry
 * for a name or link target that is not valid UTF-8 (see core/utf8-name.ts);
 * and with EBADARCHIVE, naming the last good entry, for a truncated, corrupt
 * or unsupported archive.
 */
export async function* readLayerTar(input: Readable): AsyncGenerator<LayerTarEntry> {
  const extract = tar.extract(EXTRACT_OPTIONS);
  let rawPax: Buffer | undefined;
  let globalPax: PaxRecords | undefined;
  const internals = extract as unknown as ExtractInternals;
  if (typeof internals._decodeLongHeader !== 'function') {
    throw new StrataError(ErrorCode.EIO, 'the installed tar-stream has no _decodeLongHeader: strata needs tar-stream 3.2.2');
  }
  endAfterData(internals);
  const decodeLongHeader = internals._decodeLongHeader.bind(extract);
  internals._decodeLongHeader = (block: Buffer): void => {
    if (internals._header?.type === 'pax-header') rawPax = Buffer.from(block);
    if (internals._header?.type === 'pax-global-header') globalPax = parsePax(block);
    decodeLongHeader(block);
  };
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract as unknown as NodeJS.WritableStream);

  let last: string | undefined;
  const iterator = extract[Symbol.asyncIterator]() as AsyncIterator<TarSource>;
  try {
    for (;;) {
      let next: IteratorResult<TarSource>;
      try {
        next = await iterator.next();
      } catch (err) {
        throw badArchive(last, err);
      }
      if (next.done === true) return;
      const entry = next.value;
      const hasPax = (entry.header as { pax?: unknown }).pax != null;
      const pax = hasPax && rawPax !== undefined ? parsePax(rawPax) : undefined;
      if (hasPax && pax === undefined) throw badArchive(last, new Error('malformed PAX header'));
      rawPax = undefined;
      const header = toLayerHeader(entry.header, pax, hasPax ? globalPax : undefined, last);
      const body = namedBody(entry, header.name);
      yield { header, body };
      if (!body.readableEnded) {
        body.resume();
        await finished(body);
      }
      last = header.name;
    }
  } finally {
    input.unpipe(extract as unknown as NodeJS.WritableStream);
    await iterator.return?.();
    if (!input.readableEnded) input.destroy();
  }
}

/**
 * `global`: the PAX global header's records, which tar-stream merges under an
 * entry's own PAX header (and only then).
 */
function toLayerHeader(raw: Header, pax: PaxRecords | undefined, global: PaxRecords | undefined, last: string | undefined): LayerTarHeader {
  const what = textOf(paxOr(pax?.path, global?.path, raw.name), 'name', undefined, last);
  const type = raw.type == null ? undefined : TYPES[raw.type];
  if (type === undefined) {
    throw new StrataError(
      ErrorCode.EBADARCHIVE,
      `entry ${JSON.stringify(what)}: unsupported tar entry type ${JSON.stringify(raw.type ?? 'unknown')}${after(last)}`,
    );
  }
  const name = normalizeEntryName(what, what);
  const linkBytes = paxOr(pax?.linkpath, global?.linkpath, raw.linkname ?? '');
  let linkName: string | undefined;
  if (type === 'hardlink') linkName = normalizeEntryName(textOf(linkBytes, 'hardlink target', what, last), what);
  if (type === 'symlink') {
    const target = textOf(linkBytes, 'symlink target', what, last);
    linkName = target;
    if (target.includes('\0') || target === '') {
      throw new StrataError(ErrorCode.EUNSAFEARCHIVE, `entry ${JSON.stringify(what)}: invalid symlink target`);
    }
  }
  const device = type === 'char' || type === 'block';
  const xattrs = pax !== undefined && Object.keys(pax.xattrs).length > 0 ? pax.xattrs : undefined;
  for (const xattr of Object.keys(xattrs ?? {})) {
    if (isOverlayXattr(xattr)) {
      throw new StrataError(ErrorCode.EUNSAFEARCHIVE, `entry ${JSON.stringify(what)}: xattr ${xattr} is reserved for the storage driver`);
    }
  }
  return {
    name,
    type,
    mode: raw.mode & 0o7777,
    uid: pax?.uid ?? raw.uid,
    gid: pax?.gid ?? raw.gid,
    size: type === 'file' ? raw.size : 0,
    mtime: pax?.mtimeMs !== undefined ? new Date(pax.mtimeMs) : raw.mtime,
    ...(linkName !== undefined ? { linkName } : {}),
    ...(device ? { devmajor: raw.devmajor, devminor: raw.devminor } : {}),
    ...(raw.uname ? { uname: raw.uname } : {}),
    ...(raw.gname ? { gname: raw.gname } : {}),
    ...(xattrs !== undefined ? { xattrs } : {}),
  };
}

/**
 * The entry's data as a Node stream, forwarded chunk by chunk with
 * backpressure (lighter than an async generator per entry); an error of the
 * data becomes EBADARCHIVE naming the entry.
 */
function namedBody(source: TarSource, name: string): Readable {
  const entry = source as unknown as NodeJS.ReadableStream & { destroy(err?: Error): void };
  let failure: Error | undefined;
  const body = new Readable({
    read() {
      if (failure !== undefined) this.destroy(failure);
      else entry.resume();
    },
    destroy(err, callback) {
      entry.removeListener('data', onData);
      entry.destroy(); // as an abandoned async iteration of the entry would
      callback(err);
    },
  });
  const onData = (chunk: Buffer): void => {
    if (!body.push(chunk)) entry.pause();
  };
  entry.on('data', onData);
  entry.once('end', () => body.push(null));
  entry.once('error', (err: unknown) => {
    failure = isStrataError(err)
      ? err
      : new StrataError(ErrorCode.EBADARCHIVE, `entry ${JSON.stringify(name)}: truncated or corrupt data (${messageOf(err)})`, { cause: err });
    // surfaces now to a listener or a flowing consumer, else when the body is next read
    if (body.listenerCount('error') > 0 || body.readableFlowing === true) body.destroy(failure);
  });
  return body;
}

/** As tar-stream picks a name: the PAX record (the entry's own over the global one) unless empty, else the header's field (latin1: its bytes). */
function paxOr(own: Buffer | undefined, global: Buffer | undefined, field: string): Buffer {
  const record = own ?? global;
  return record !== undefined && record.length > 0 ? record : Buffer.from(field, 'latin1');
}

/**
 * The text of a name or link target: its bytes as UTF-8. Fails with
 * EBADARCHIVE naming the entry (bad bytes shown as `\xff`) where they are not
 * valid UTF-8: strata keeps names as text, and Node would write another name
 * (see core/utf8-name.ts). `entry`: the entry's name where `bytes` is its link target.
 */
function textOf(bytes: Buffer, what: string, entry: string | undefined, last: string | undefined): string {
  const text = decodeUtf8Name(bytes);
  if (text !== undefined) return text;
  const subject = entry === undefined ? `entry ${quoteNameBytes(bytes)}: name` : `entry ${JSON.stringify(entry)}: ${what} ${quoteNameBytes(bytes)}`;
  throw new StrataError(ErrorCode.EBADARCHIVE, `${subject} is not valid UTF-8; strata keeps names as UTF-8 text${after(last)}`);
}

function badArchive(last: string | undefined, err: unknown): StrataError {
  if (isStrataError(err)) return err;
  const where = last === undefined ? 'at the first entry' : `after entry ${JSON.stringify(last)}`;
  return new StrataError(ErrorCode.EBADARCHIVE, `bad tar archive ${where}: ${messageOf(err)}`, { cause: err });
}

function after(last: string | undefined): string {
  return last === undefined ? '' : ` (after entry ${JSON.stringify(last)})`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
