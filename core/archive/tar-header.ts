import { ErrorCode, StrataError } from '../errors.js';
import { compareNames } from '../tree.js';
import type { LayerTarHeader } from './entry.js';

/**
 * The header blocks of strata's deterministic POSIX (ustar + PAX) tar writer
 * (tar-writer.ts): the same header gives the same bytes, on any machine, at
 * any time. Written straight into the writer's output (`planHeader`,
 * `writePlan`) or as one buffer (`encodeTarHeader`).
 *
 * The encoding, fixed once so that digests stay stable:
 * - names: `header.name` as given, directories with one trailing '/'; a name
 *   or link target over 100 bytes goes into a PAX `path` / `linkpath` record
 *   (no ustar prefix split) and its ustar field holds the first 100 bytes;
 * - numbers: octal, NUL-terminated; a uid or gid over 0o7777777, a size over
 *   0o77777777777 or an mtime outside 0..0o77777777777 seconds goes into a PAX
 *   record and its ustar field is 0;
 * - mtime: whole seconds, rounded down, never sub-second (as moby does, so that
 *   a copy with other nanoseconds gives the same diffID);
 * - uname/gname as given (empty when absent), devmajor/devminor 0 unless given;
 * - xattrs: one `SCHILY.xattr.<name>` record each, names in byte order, values
 *   raw bytes (binary values such as security.capability survive);
 * - PAX records in the order path, linkpath, size, uid, gid, mtime, xattrs; the
 *   extended header is named `PaxHeaders/<base name>` (first 100 bytes), mode
 *   0644, owner 0:0, with the entry's ustar mtime.
 */

export const BLOCK = 512;
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;
/** One zero block; padding is a view of it. */
const ZEROS = Buffer.alloc(BLOCK);

const TYPEFLAG: Record<LayerTarHeader['type'], string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  directory: '5',
  fifo: '6',
  socket: '',
};

/**
 * The header blocks of one entry: an optional PAX extended header with its
 * records, then the ustar header. Fails with EUNSUPPORTED for a socket (a tar
 * cannot carry one) and EBADARCHIVE for a negative or fractional number.
 */
export function encodeTarHeader(header: LayerTarHeader): Buffer {
  const plan = planHeader(header);
  const block = Buffer.allocUnsafe(planBytes(plan));
  writePlan(plan, block, 0);
  return block;
}

/** One entry's header blocks, decided: its ustar fields and, where it needs them, its PAX records and their extended header. */
export interface HeaderPlan {
  readonly ustar: UstarFields;
  /** The PAX records: text where every value is text (no xattrs), else bytes. */
  readonly records?: string | Buffer;
  readonly recordBytes: number;
  readonly paxHeader?: UstarFields;
}

/** Checks the header (the failures of `encodeTarHeader`) and decides its blocks. */
export function planHeader(header: LayerTarHeader): HeaderPlan {
  const plain = plainUstar(header);
  if (plain !== undefined) return { ustar: plain, recordBytes: 0 };
  const name = nameOf(header);
  const linkName = header.linkName ?? '';
  const size = header.type === 'file' ? header.size : 0;
  const mtime = Math.floor(header.mtime.getTime() / 1000);
  const mtimeFits = mtime >= 0 && mtime <= MAX_OCTAL_11;

  // records in the order path, linkpath, size, uid, gid, mtime, xattrs
  let text = '';
  if (!fitsName(name)) text += textRecord('path', name);
  if (!fitsName(linkName)) text += textRecord('linkpath', linkName);
  if (size > MAX_OCTAL_11) text += textRecord('size', String(size));
  if (header.uid > MAX_OCTAL_7) text += textRecord('uid', String(header.uid));
  if (header.gid > MAX_OCTAL_7) text += textRecord('gid', String(header.gid));
  if (!mtimeFits) text += textRecord('mtime', String(mtime));
  let records: string | Buffer = text;
  const xattrs = header.xattrs ?? {};
  if (hasKeys(xattrs)) {
    const keys = Object.keys(xattrs).sort(compareNames);
    records = Buffer.concat([Buffer.from(text), ...keys.map((key) => paxRecord(`SCHILY.xattr.${key}`, xattrs[key]!))]);
  }
  const recordBytes = typeof records === 'string' ? Buffer.byteLength(records) : records.length;

  const ustarMtime = mtimeFits ? mtime : 0;
  const ustar: UstarFields = {
    name,
    mode: header.mode & 0o7777,
    uid: header.uid > MAX_OCTAL_7 ? 0 : header.uid,
    gid: header.gid > MAX_OCTAL_7 ? 0 : header.gid,
    size: size > MAX_OCTAL_11 ? 0 : size,
    mtime: ustarMtime,
    typeflag: TYPEFLAG[header.type],
    linkName,
    uname: header.uname ?? '',
    gname: header.gname ?? '',
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
  };
  if (recordBytes === 0) return { ustar, recordBytes };
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
  const paxHeader: UstarFields = {
    name: `PaxHeaders/${trimmed.slice(trimmed.lastIndexOf('/') + 1)}`,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: recordBytes,
    mtime: ustarMtime,
    typeflag: 'x',
    linkName: '',
    uname: '',
    gname: '',
    devmajor: 0,
    devminor: 0,
  };
  return { ustar, records, recordBytes, paxHeader };
}

/** The bytes a plan's blocks take. */
export function planBytes(plan: HeaderPlan): number {
  return plan.paxHeader === undefined ? BLOCK : 2 * BLOCK + plan.recordBytes + padding(plan.recordBytes).length;
}

/** A plan's blocks into target from `at` (planBytes of room): extended header, records, their padding, ustar header. */
export function writePlan(plan: HeaderPlan, target: Buffer, at: number): void {
  if (plan.paxHeader !== undefined) {
    writeUstar(target, at, plan.paxHeader);
    at += BLOCK;
    if (typeof plan.records === 'string') target.write(plan.records, at, 'utf8');
    else plan.records!.copy(target, at);
    at += plan.recordBytes;
    const pad = padding(plan.recordBytes);
    target.set(pad, at);
    at += pad.length;
  }
  writeUstar(target, at, plan.ustar);
}

/** The entry's name as the header holds it: a directory's with one trailing '/'. */
function nameOf(header: LayerTarHeader): string {
  return header.type === 'directory' && !header.name.endsWith('/') ? `${header.name}/` : header.name;
}

/**
 * Checks the header (the failures of `encodeTarHeader`); its ustar fields
 * where the entry needs no PAX record (the common case: short names, no
 * xattrs, numbers that fit), else undefined.
 */
function plainUstar(header: LayerTarHeader): UstarFields | undefined {
  const typeflag = TYPEFLAG[header.type];
  if (typeflag === '') {
    throw new StrataError(ErrorCode.EUNSUPPORTED, `${header.name}: a tar cannot carry a socket`);
  }
  const size = header.type === 'file' ? header.size : 0;
  checkCount(header, 'uid', header.uid);
  checkCount(header, 'gid', header.gid);
  checkCount(header, 'size', size);
  const name = nameOf(header);
  const linkName = header.linkName ?? '';
  const mtime = Math.floor(header.mtime.getTime() / 1000);
  if (!fitsName(name) || !fitsName(linkName) || size > MAX_OCTAL_11 || header.uid > MAX_OCTAL_7 || header.gid > MAX_OCTAL_7) return undefined;
  if (!(mtime >= 0 && mtime <= MAX_OCTAL_11) || hasKeys(header.xattrs)) return undefined;
  return {
    name,
    mode: header.mode & 0o7777,
    uid: header.uid,
    gid: header.gid,
    size,
    mtime,
    typeflag,
    linkName,
    uname: header.uname ?? '',
    gname: header.gname ?? '',
    devmajor: header.devmajor ?? 0,
    devminor: header.devminor ?? 0,
  };
}

function checkCount(header: LayerTarHeader, what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StrataError(ErrorCode.EBADARCHIVE, `${header.name}: ${what} ${value} is not a non-negative integer`);
  }
}

/** At most 100 bytes of UTF-8 (a string of at most 33 UTF-16 units always fits). */
function fitsName(s: string): boolean {
  return s.length <= 33 || (s.length <= 100 && Buffer.byteLength(s) <= 100);
}

function hasKeys(o: Readonly<Record<string, unknown>> | undefined): boolean {
  for (const _ in o) return true;
  return false;
}

interface UstarFields {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkName: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

/** The ustar block of `f` into target's BLOCK bytes from `at`. */
function writeUstar(target: Buffer, at: number, f: UstarFields): void {
  // TypedArray#set, not Buffer#fill: fill validates its arguments in JavaScript on every call (this runs once per tar entry)
  target.set(ZEROS, at);
  // the checksum is the sum of the block's bytes, its own field counted as 8 spaces: summed as written
  let sum = MAGIC_SUM + 8 * 0x20;
  sum += putString(target, at, f.name, 100);
  const octals =
    putOctal(target, at + 100, f.mode, 7) +
    putOctal(target, at + 108, f.uid, 7) +
    putOctal(target, at + 116, f.gid, 7) +
    putOctal(target, at + 124, f.size, 11) +
    putOctal(target, at + 136, f.mtime, 11);
  target.set(CHECKSUM_SPACES, at + 148);
  target[at + 156] = f.typeflag.charCodeAt(0);
  sum += target[at + 156]!;
  sum += putString(target, at + 157, f.linkName, 100);
  target.set(MAGIC, at + 257);
  sum += putString(target, at + 265, f.uname, 32);
  sum += putString(target, at + 297, f.gname, 32);
  const devices = putOctal(target, at + 329, f.devmajor, 7) + putOctal(target, at + 337, f.devminor, 7);
  if (octals < 0 || devices < 0) {
    // a number too large for its field ran into the next one: sum what the block holds
    sum = 0;
    for (let i = at; i < at + BLOCK; i++) sum += target[i]!;
  } else sum += octals + devices;
  putOctal(target, at + 148, sum, 6);
  target[at + 155] = 0x20;
}

/** OCTAL_LIMIT[d] = 8 ** d: the least value with more than d octal digits. */
const OCTAL_LIMIT: readonly number[] = Array.from({ length: 12 }, (_, d) => 8 ** d);

/** The checksum field while the sum is made: 8 spaces. */
const CHECKSUM_SPACES = Buffer.alloc(8, 0x20);

/** 'ustar\0' and version '00'. */
const MAGIC = Buffer.from('ustar\u000000', 'latin1');
const MAGIC_SUM = MAGIC.reduce((a, b) => a + b, 0);

/**
 * `digits` octal digits and a NUL at `at`; the caller keeps value within
 * range. The sum of the bytes written, or -1 where value did not fit (its
 * digits then run past the field, as they always did).
 */
function putOctal(block: Buffer, at: number, value: number, digits: number): number {
  if (value >= OCTAL_LIMIT[digits]!) {
    const text = value.toString(8);
    for (let i = 0; i < text.length; i++) block[at + i] = text.charCodeAt(i);
    block[at + text.length] = 0;
    return -1;
  }
  let v = value;
  let sum = 0;
  for (let i = digits - 1; i >= 0; i--) {
    // integer bit operations while v fits 31 bits (sizes beyond 2 GiB take the division)
    const c = 0x30 + (v < 0x80000000 ? v & 7 : v % 8);
    block[at + i] = c;
    sum += c;
    v = v < 0x80000000 ? v >>> 3 : Math.floor(v / 8);
  }
  block[at + digits] = 0;
  return sum;
}

/** The first `max` bytes of s's UTF-8 at `at` (a cut multi-byte character is kept cut: PAX holds the real name); the sum of the bytes written. */
function putString(block: Buffer, at: number, s: string, max: number): number {
  const n = Math.min(s.length, max);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      const bytes = Buffer.from(s);
      const end = Math.min(bytes.length, max);
      bytes.copy(block, at, 0, end);
      sum = 0;
      for (let k = 0; k < end; k++) sum += bytes[k]!;
      return sum;
    }
    block[at + i] = c;
    sum += c;
  }
  return sum;
}

/** One PAX record, "<len> <key>=<value>\n", where len counts its own digits. */
function paxRecord(key: string, value: Buffer): Buffer {
  const len = recordLength(Buffer.byteLength(key) + value.length);
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
}

/** `paxRecord` of a text value, as text. */
function textRecord(key: string, value: string): string {
  return `${recordLength(Buffer.byteLength(key) + Buffer.byteLength(value))} ${key}=${value}\n`;
}

/** A record's length field: its whole length, the field's own digits included, for key and value of `kv` bytes. */
function recordLength(kv: number): number {
  const rest = kv + 3; // ' ', '=', '\n'
  let len = rest + String(rest).length;
  if (String(len).length !== String(rest).length) len = rest + String(len).length;
  return len;
}

/** Zero bytes that fill `size` up to a whole block (a view of a shared zero block: never written to). */
export function padding(size: number): Buffer {
  const rem = size % BLOCK;
  return ZEROS.subarray(0, rem === 0 ? 0 : BLOCK - rem);
}
