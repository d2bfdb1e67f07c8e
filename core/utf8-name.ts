import { readdirSync, readlinkSync } from 'node:fs';
import { readdir, readlink } from 'node:fs/promises';
import { ErrorCode, StrataError } from './errors.js';

/**
 * # Names are UTF-8 text
 *
 * strata handles names (tar entry names, link targets, names in a layer's
 * directories) as JavaScript strings, and Node converts a string to the bytes
 * of a file name as UTF-8. A name whose bytes are not valid UTF-8 would come
 * back from Node with U+FFFD in place of the bad bytes: another name, silently.
 * So such a name is refused wherever it enters — a tar entry (EBADARCHIVE) or a
 * directory listing (EUNSUPPORTED) — with one line naming it, bad bytes shown
 * as `\xff`. Valid UTF-8, a real U+FFFD included, passes unchanged.
 */

const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of name bytes, or undefined where they are not valid UTF-8. */
export function decodeUtf8Name(bytes: Uint8Array): string | undefined {
  try {
    return STRICT.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * name bytes quoted for a one-line message, as JSON.stringify quotes a string,
 * except that every byte outside a valid UTF-8 sequence is shown as `\xNN`:
 * `a\xffb` → `"a\xffb"`.
 */
export function quoteNameBytes(bytes: Uint8Array): string {
  let out = '';
  let run = 0; // start of the current run of valid sequences
  let i = 0;
  const flush = (end: number): void => {
    if (end > run) out += JSON.stringify(Buffer.from(bytes.subarray(run, end)).toString('utf8')).slice(1, -1);
  };
  while (i < bytes.length) {
    const n = sequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    flush(i);
    out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
    run = ++i;
  }
  flush(i);
  return `"${out}"`;
}

/** Length of the valid UTF-8 sequence starting at bytes[i] (RFC 3629: no overlongs, surrogates or values above U+10FFFF), or 0. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < bytes.length && bytes[i + k]! >= lo && bytes[i + k]! <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    const [lo, hi] = b === 0xe0 ? [0xa0, 0xbf] : b === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const [lo, hi] = b === 0xf0 ? [0x90, 0xbf] : b === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * Checks the names (or dirents) Node listed for directory `fsDir` (shown as `shownDir` in
 * the message, e.g. its layer path): where any holds U+FFFD, lists the
 * directory again as bytes and fails with EUNSUPPORTED naming the first name
 * that is not valid UTF-8. Costs one scan of the names where none holds U+FFFD
 * (the common case), one more readdir otherwise. Fails with what readdir fails
 * with on that second listing.
 */
export async function assertUtf8Listing(names: readonly (string | { readonly name: string })[], fsDir: string, shownDir: string): Promise<void> {
  if (holdsReplacement(names)) refuseBadName(await readdir(fsDir, { encoding: 'buffer' }), shownDir);
}

/** `assertUtf8Listing` with a synchronous second listing (for tight synchronous walks). */
export function assertUtf8ListingSync(names: readonly (string | { readonly name: string })[], fsDir: string, shownDir: string): void {
  if (holdsReplacement(names)) refuseBadName(readdirSync(fsDir, { encoding: 'buffer' }), shownDir);
}

function holdsReplacement(names: readonly (string | { readonly name: string })[]): boolean {
  return names.some((n) => (typeof n === 'string' ? n : n.name).includes('\uFFFD'));
}

/** Fails with EUNSUPPORTED naming the first of `raws` (names of directory `shownDir`) that is not valid UTF-8. */
function refuseBadName(raws: readonly Buffer[], shownDir: string): void {
  for (const raw of raws) {
    if (decodeUtf8Name(raw) !== undefined) continue;
    const shown = quoteNameBytes(Buffer.concat([Buffer.from(shownDir === '/' ? '/' : `${shownDir}/`), raw]));
    throw new StrataError(ErrorCode.EUNSUPPORTED, `name ${shown} is not valid UTF-8: strata keeps names as UTF-8 text (rename it)`);
  }
}

/**
 * The target of symlink `fsPath` as text. Fails with EUNSUPPORTED naming the
 * link (`shownPath`) where the target is not valid UTF-8, and with what
 * readlink fails with.
 */
export async function readlinkUtf8(fsPath: string, shownPath: string): Promise<string> {
  return linkText(await readlink(fsPath, { encoding: 'buffer' }), shownPath);
}

/** `readlinkUtf8`, synchronous. */
export function readlinkUtf8Sync(fsPath: string, shownPath: string): string {
  return linkText(readlinkSync(fsPath, { encoding: 'buffer' }), shownPath);
}

function linkText(raw: Buffer, shownPath: string): string {
  const text = decodeUtf8Name(raw);
  if (text !== undefined) return text;
  throw new StrataError(
    ErrorCode.EUNSUPPORTED,
    `symlink ${JSON.stringify(shownPath)}: its target ${quoteNameBytes(raw)} is not valid UTF-8: strata keeps link targets as UTF-8 text`,
  );
}
