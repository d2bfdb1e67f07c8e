/**
 * ADD's archive rule (Docker 20.10): a local source is extracted when, after undoing a
 * gzip, bzip2 or xz compression recognised by its first bytes (never by its name), it
 * starts with a valid tar header; anything else — a gzip of a text, an empty tar — is
 * copied as is. URLs are never extracted.
 *
 * bzip2 and xz are undone by the system's `bzip2 -dc` and `xz -dc` (Node has no codec).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ErrorCode, StrataError } from '../../errors.js';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'none';

/** The compression `head` (a file's first bytes, at least 6) starts with. */
export function compressionOf(head: Uint8Array): Compression {
  const starts = (bytes: number[]): boolean => bytes.every((b, i) => head[i] === b);
  if (starts([0x1f, 0x8b, 0x08])) return 'gzip';
  if (starts([0x42, 0x5a, 0x68])) return 'bzip2';
  if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  return 'none';
}

/** The file's bytes with its compression undone (streamed). Errors surface on the stream. */
export function openDecompressed(path: string, compression: Compression): Readable {
  if (compression === 'none') return createReadStream(path);
  if (compression === 'gzip') {
    const gunzip = createGunzip();
    const file = createReadStream(path);
    file.on('error', (err) => gunzip.destroy(err));
    return file.pipe(gunzip);
  }
  const child = spawn(compression === 'xz' ? 'xz' : 'bzip2', ['-dc', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  // A child's stdout (a socket) read by the tar extractor yields nothing: hand it over through a PassThrough.
  const out = new PassThrough();
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code !== 0) out.destroy(new StrataError(ErrorCode.EBADARCHIVE, `${compression} -dc ${path}: ${stderr.trim() || `exit ${code}`}`));
    else out.end();
  });
  out.on('close', () => { if (child.exitCode === null) child.kill(); });
  return out;
}

/** Whether a 512-byte block is a tar header Go's archive/tar accepts (checksum and sane type). */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < 512) return false;
  if (block.subarray(0, 512).every((b) => b === 0)) return false;
  const field = Buffer.from(block.subarray(148, 156)).toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  const stored = parseInt(field, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** Whether ADD extracts the local file at `path` (see above). */
export async function isAddArchive(path: string): Promise<{ archive: boolean; compression: Compression }> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(6);
  try { await fh.read(head, 0, 6, 0); } finally { await fh.close(); }
  const compression = compressionOf(head);
  const stream = openDecompressed(path, compression);
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= 512) break;
    }
  } catch {
    return { archive: false, compression };
  } finally {
    stream.destroy();
  }
  return { archive: isTarHeader(Buffer.concat(chunks)), compression };
}
