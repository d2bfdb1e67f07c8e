import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ErrorCode, StrataError } from '../../errors.js';
import { parsePax } from '../../archive/pax.js';
import { BLOCK, isFileType, isZeroBlock, paddingOf, parseRawHeader, type RawHeader } from '../../store/raw-tar-header.js';

/**
 * A random-access index of a tar archive file (an image archive, not a layer):
 * one pass over its headers, no entry data read, memory proportional to the
 * number of entries (never to their sizes). Entries are then opened by byte
 * range, in any order, any number of times.
 *
 * Names are normalised (`./x`, `/x`, `x/` and `x//y` name the same entry);
 * a later entry of the same name wins, as tar extraction would have it.
 * Symlinks and hard links between entries are followed by `resolve`, strictly
 * inside the archive.
 */

/** Extended headers (PAX, GNU long names) bigger than this are refused. */
const MAX_EXTENDED_HEADER = 1024 * 1024;
/** An archive with more entries than this is refused (an image archive has a few per layer). */
const MAX_ENTRIES = 1_000_000;
/** Symlink hops before a lookup is declared a loop. */
const MAX_HOPS = 40;

export type TarIndexEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarIndexEntry {
  /** Normalised name: no leading `/` or `./`, no trailing `/`, no empty or `.` components. */
  readonly name: string;
  readonly type: TarIndexEntryType;
  /** Byte offset of the entry's data in the archive file. */
  readonly offset: number;
  /** Bytes of data (0 except for files). */
  readonly size: number;
  /** Symlink target as stored, or the (normalised) name a hard link points at. */
  readonly linkName?: string;
}

export class TarIndex {
  readonly #entries: ReadonlyMap<string, TarIndexEntry>;

  private constructor(
    /** The archive file. */
    readonly path: string,
    entries: Map<string, TarIndexEntry>,
    /** Names the archive in messages (`stdin` for a spooled copy). */
    readonly label: string,
  ) {
    this.#entries = entries;
  }

  /**
   * Scans `path`'s headers; messages name the archive `label`. Fails with EBADARCHIVE (naming the file and the
   * entry or offset) when the file is not a tar, a header checksum is wrong, or
   * an entry's data runs past the end of the file (a truncated archive); with
   * EUNSAFEARCHIVE for a name with a `..` component or a NUL byte.
   */
  static async open(path: string, label: string = path): Promise<TarIndex> {
    const handle = await open(path, 'r');
    try {
      return new TarIndex(path, await scan(handle, label), label);
    } finally {
      await handle.close();
    }
  }

  /** Every entry, in archive order of their last occurrence. */
  entries(): IterableIterator<TarIndexEntry> {
    return this.#entries.values();
  }

  /** The entry stored under `name` (normalised first), links not followed. */
  lookup(name: string): TarIndexEntry | undefined {
    const normal = normalise(name);
    return normal === undefined ? undefined : this.#entries.get(normal);
  }

  /**
   * The entry `name` leads to after following symlinks (in any component) and
   * hard links, or undefined when nothing is there. Fails with EUNSAFEARCHIVE
   * naming `name` when a link points outside the archive (absolute, or `..`
   * above its root), or after 40 hops (a loop).
   */
  resolve(name: string): TarIndexEntry | undefined {
    const unsafe = (why: string) => new StrataError(ErrorCode.EUNSAFEARCHIVE, `${this.label}: entry ${JSON.stringify(name)} ${why}`);
    if (name.startsWith('/')) throw unsafe('is an absolute path');
    let pending = name.split('/').filter((p) => p !== '' && p !== '.');
    const done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift()!;
      if (part === '..') {
        if (done.length === 0) throw unsafe('points outside the archive');
        done.pop();
        continue;
      }
      done.push(part);
      let entry = this.#entries.get(done.join('/'));
      while (entry?.type === 'hardlink') {
        if (++hops > MAX_HOPS) throw unsafe('is a link loop');
        entry = this.#entries.get(entry.linkName!);
      }
      if (entry?.type !== 'symlink') continue;
      if (++hops > MAX_HOPS) throw unsafe('is a link loop');
      const target = entry.linkName!;
      if (target.startsWith('/')) throw unsafe(`is a link to ${JSON.stringify(target)}, outside the archive`);
      done.pop();
      pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending];
    }
    if (done.length === 0) return undefined;
    let entry = this.#entries.get(done.join('/'));
    while (entry?.type === 'hardlink') {
      if (++hops > MAX_HOPS) throw unsafe('is a link loop');
      entry = this.#entries.get(entry.linkName!);
    }
    return entry;
  }

  /** The data of a file entry (`entry.size` bytes, read from the archive file as it is now). */
  openEntry(entry: TarIndexEntry): Readable {
    if (entry.size === 0) return Readable.from([]);
    return createReadStream(this.path, { start: entry.offset, end: entry.offset + entry.size - 1 });
  }
}

/** `name` normalised as entries are, or undefined when it has a `..` component. */
function normalise(name: string): string | undefined {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  return parts.includes('..') ? undefined : parts.join('/');
}

async function scan(handle: FileHandle, label: string): Promise<Map<string, TarIndexEntry>> {
  const fileSize = (await handle.stat()).size;
  const entries = new Map<string, TarIndexEntry>();
  const block = Buffer.alloc(BLOCK);
  const bad = (why: string) => new StrataError(ErrorCode.EBADARCHIVE, `${label}: ${why}`);
  let at = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: ReturnType<typeof parsePax>;
  let last: string | undefined;
  const where = () => (last === undefined ? 'at the first entry' : `after entry ${JSON.stringify(last)}`);

  for (;;) {
    if (at + BLOCK > fileSize) {
      if (at === fileSize && at > 0) break; // no end-of-archive blocks: accepted, as GNU tar does
      throw bad(`truncated tar header ${where()}`);
    }
    await readFully(handle, block, at);
    if (isZeroBlock(block)) break;
    if (!checksumOk(block)) throw bad(`not a tar archive, or a corrupt header ${where()} (offset ${at})`);
    let raw: RawHeader;
    try {
      raw = parseRawHeader(block);
    } catch (err) {
      throw bad(`${(err as Error).message} ${where()}`);
    }
    const typeflag = raw.typeflag;
    const size = pax?.size ?? raw.size;
    const dataAt = at + BLOCK;
    const next = dataAt + size + paddingOf(size);
    if (dataAt + size > fileSize) {
      throw bad(`truncated: entry ${JSON.stringify(pax?.path?.toString('utf8') ?? longName ?? raw.name)} needs ${size} bytes, the file ends first`);
    }
    if (typeflag === 'x' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_EXTENDED_HEADER) throw bad(`extended header of ${size} bytes ${where()}`);
      const data = Buffer.alloc(size);
      await readFully(handle, data, dataAt);
      if (typeflag === 'x') {
        pax = parsePax(data);
        if (pax === undefined) throw bad(`malformed PAX header ${where()}`);
      } else {
        const text = cString(data, 0, data.length);
        if (typeflag === 'L') longName = text;
        else longLink = text;
      }
      at = next;
      continue;
    }
    if (typeflag === 'g') {
      at = next; // global PAX records: nothing an image archive needs
      continue;
    }
    const rawName = pax?.path?.toString('utf8') ?? longName ?? raw.name;
    const rawLink = pax?.linkpath?.toString('utf8') ?? longLink ?? cString(block, 157, 100);
    pax = undefined;
    longName = longLink = undefined;
    if (rawName.includes('\0') || rawName.split('/').includes('..')) {
      throw new StrataError(ErrorCode.EUNSAFEARCHIVE, `${label}: entry ${JSON.stringify(rawName)} has a ".." component or a NUL byte`);
    }
    const name = normalise(rawName)!;
    const type: TarIndexEntryType = isFileType(typeflag) ? 'file' : (TYPES[typeflag] ?? 'other');
    const entry: TarIndexEntry = {
      name,
      type,
      offset: dataAt,
      size: type === 'file' ? size : 0,
      ...(type === 'symlink' ? { linkName: rawLink } : {}),
      ...(type === 'hardlink' ? { linkName: normalise(rawLink) ?? '\0' } : {}),
    };
    entries.delete(name); // keep archive order of the last occurrence
    if (name !== '') entries.set(name, entry);
    if (entries.size > MAX_ENTRIES) throw bad(`more than ${MAX_ENTRIES} entries`);
    last = name;
    at = next;
  }
  return entries;
}

const TYPES: Readonly<Record<string, TarIndexEntryType>> = {
  '1': 'hardlink',
  '2': 'symlink',
  '5': 'directory',
};

async function readFully(handle: FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new StrataError(ErrorCode.EBADARCHIVE, `unexpected end of file at offset ${position + done}`);
    done += bytesRead;
  }
}

/** The header's checksum field matches its bytes (the field itself counted as spaces). */
function checksumOk(block: Buffer): boolean {
  const text = block.toString('latin1', 148, 156).replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(text)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return parseInt(text, 8) === sum;
}

function cString(buffer: Buffer, at: number, length: number): string {
  const field = buffer.subarray(at, at + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}
