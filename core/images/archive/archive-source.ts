import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { ErrorCode, StrataError, errnoOf } from '../../errors.js';
import type { TarIndex } from './tar-index.js';

/**
 * The files of an image archive, wherever they are: entries of a tar archive
 * (through its `TarIndex`) or files under an OCI layout directory. The readers
 * see only this, so one reader serves oci-archive and oci-dir alike.
 */
export interface ArchiveSource {
  /** The archive file or directory, for messages. */
  readonly label: string;
  /**
   * The regular file `name` (a relative path; links followed strictly inside
   * the archive), or undefined when there is none. Fails with EUNSAFEARCHIVE
   * naming `name` when it, or a link on the way, leads outside the archive.
   */
  file(name: string): Promise<SourceFile | undefined>;
}

export interface SourceFile {
  /** Bytes of the file. */
  readonly size: number;
  /** Its content as it is now (a new stream per call). */
  open(): Readable;
}

/**
 * `name` as a path inside an archive: relative, no `..`. Fails with
 * EUNSAFEARCHIVE naming `name` and `where` (the file that named it) otherwise.
 */
export function safeArchivePath(name: unknown, where: string): string {
  if (typeof name !== 'string' || name === '' || name.includes('\0')) {
    throw new StrataError(ErrorCode.EBADARCHIVE, `${where}: ${JSON.stringify(name)} is not a file name`);
  }
  if (name.startsWith('/') || name.split('/').includes('..')) {
    throw new StrataError(ErrorCode.EUNSAFEARCHIVE, `${where}: path ${JSON.stringify(name)} leads outside the archive`);
  }
  return name;
}

/**
 * The whole of a small file (a manifest, a config, index.json), refusing one
 * over `limit` bytes with EBADARCHIVE before reading it, and a missing one with
 * EBADARCHIVE naming `what`.
 */
export async function readSmallFile(source: ArchiveSource, name: string, limit: number, what: string): Promise<Buffer> {
  const file = await source.file(name);
  if (file === undefined) throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: ${what} is missing`);
  if (file.size > limit) {
    throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: ${what} is ${file.size} bytes, over the limit of ${limit}`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of file.open()) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  if (bytes.length !== file.size) {
    throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: ${what} changed while being read`);
  }
  return bytes;
}

/** Parses `bytes` as a JSON object; anything else fails with EBADARCHIVE naming `what`. */
export function parseJsonObject(bytes: Buffer, label: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new StrataError(ErrorCode.EBADARCHIVE, `${label}: ${what} is not JSON (${(err as Error).message})`, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new StrataError(ErrorCode.EBADARCHIVE, `${label}: ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** The entries of a tar archive file; `label` names it in messages (default: the index's). */
export function tarSource(index: TarIndex, label: string = index.label): ArchiveSource {
  return {
    label,
    async file(name) {
      const entry = index.resolve(name);
      if (entry === undefined || entry.type !== 'file') return undefined;
      return { size: entry.size, open: () => index.openEntry(entry) };
    },
  };
}

/** The files under an OCI layout directory; symlinks may not lead out of it. */
export function directorySource(root: string): ArchiveSource {
  let realRoot: Promise<string> | undefined;
  return {
    label: root,
    async file(name) {
      realRoot ??= realpath(root);
      const top = await realRoot;
      let real: string;
      try {
        real = await realpath(join(root, name));
      } catch (err) {
        if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
        throw err;
      }
      if (!real.startsWith(top + sep)) {
        throw new StrataError(ErrorCode.EUNSAFEARCHIVE, `${root}: ${JSON.stringify(name)} leads outside the layout directory`);
      }
      const info = await stat(real);
      if (!info.isFile()) return undefined;
      return { size: info.size, open: () => createReadStream(real) };
    },
  };
}
