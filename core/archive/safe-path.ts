import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, StrataError, errnoOf } from '../errors.js';

/** Deepest entry accepted, in path components. Deeper entries fail with EUNSAFEARCHIVE. */
export const MAX_DEPTH = 1024;
/** Linux PATH_MAX, bytes including the terminating NUL: no host path of an entry may reach it. */
export const PATH_MAX = 4096;
/** Linux NAME_MAX: the longest single component, in bytes. */
export const NAME_MAX = 255;

/**
 * The host path of entry components below `dir`, after checking the limits:
 * fails with EUNSAFEARCHIVE (naming the entry `what`) beyond MAX_DEPTH
 * components or when the host path would reach PATH_MAX bytes, and with
 * EBADARCHIVE for a component longer than NAME_MAX bytes.
 * `parts` come from a normalized entry name (no "", "." or ".." components).
 */
export function hostPathOf(dir: string, parts: readonly string[], what: string): string {
  if (parts.length > MAX_DEPTH) {
    throw unsafe(what, `deeper than ${MAX_DEPTH} components`);
  }
  for (const part of parts) {
    if (Buffer.byteLength(part) > NAME_MAX) {
      throw new StrataError(ErrorCode.EBADARCHIVE, `entry ${JSON.stringify(what)}: a name component is longer than ${NAME_MAX} bytes`);
    }
  }
  const host = join(dir, ...parts);
  if (Buffer.byteLength(host) >= PATH_MAX) {
    throw unsafe(what, `path longer than PATH_MAX (${PATH_MAX} bytes) once extracted`);
  }
  return host;
}

/** lstat that answers undefined where nothing exists (ENOENT). Never follows a final symlink. */
export async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** What a non-directory is, for messages: "a symlink", "a regular file", ... */
export function kindOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symlink';
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a directory';
  return 'a special file';
}

/** The EUNSAFEARCHIVE error for entry `what`, one line. */
export function unsafe(what: string, reason: string): StrataError {
  return new StrataError(ErrorCode.EUNSAFEARCHIVE, `entry ${JSON.stringify(what)}: ${reason}`);
}
