import { ErrorCode, StrataError } from '../errors.js';

/** Tar's block size in bytes; headers are one block, content is padded to whole blocks. */
export const BLOCK = 512;

/**
 * The few fields of a raw tar header block the tar-split recorder needs:
 * where the entry's content ends and which path it lands on. The full
 * validation (checksums, types, safety) is the extractor's job.
 */
export interface RawHeader {
  /** The name as stored in this block (ustar prefix joined); PAX / GNU long names override it. */
  readonly name: string;
  /** Bytes of content that follow the header (before padding). */
  readonly size: number;
  /** The type flag character ('\0' for old regular files). */
  readonly typeflag: string;
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function cString(block: Buffer, start: number, end: number): string {
  const nul = block.indexOf(0, start);
  return block.toString('utf8', start, nul === -1 || nul > end ? end : nul);
}

/** A numeric header field: octal text, or base-256 when the high bit of its first byte is set. */
function numeric(block: Buffer, start: number, length: number): number {
  if ((block[start]! & 0x80) !== 0) {
    let value = block[start]! & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  const text = cString(block, start, start + length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new StrataError(ErrorCode.EBADARCHIVE, `tar header: bad numeric field ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

/** Parses one non-zero header block. Fails with EBADARCHIVE on an unreadable size. */
export function parseRawHeader(block: Buffer): RawHeader {
  let name = cString(block, 0, 100);
  const magic = block.toString('latin1', 257, 263);
  if (magic === 'ustar\0') {
    const prefix = cString(block, 345, 500);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return { name, size: numeric(block, 124, 12), typeflag: String.fromCharCode(block[156]!) };
}

/** Does the type flag carry metadata for the next entry (PAX, GNU long name/link)? */
export function isMetaType(typeflag: string): boolean {
  return typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K';
}

/** Regular-file type flags: content that ends up as a file in the layer. */
export function isFileType(typeflag: string): boolean {
  return typeflag === '0' || typeflag === '\0' || typeflag === '7';
}

/** Records of a PAX extended header ("<len> <key>=<value>\n"...). Malformed records are skipped. */
export function parsePax(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.toString('latin1', pos, space), 10);
    if (!Number.isSafeInteger(len) || len <= 0 || pos + len > data.length) break;
    const record = data.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return records;
}

/** Bytes of padding after `size` bytes of content. */
export function paddingOf(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}
