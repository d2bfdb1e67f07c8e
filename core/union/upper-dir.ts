import { lstat, readdir } from 'node:fs/promises';
import { ErrorCode, StrataError, errnoOf } from '../errors.js';
import { assertUtf8Listing } from '../utf8-name.js';
import { isWhiteoutStats } from './whiteout-format.js';

/** What one name in an upper directory is, as the union reads it. */
export type UpperKind = 'whiteout' | 'directory' | 'other';

export interface UpperDirEntry {
  readonly name: string;
  readonly kind: UpperKind;
}

/**
 * The entries of one directory of one upper layer, in readdir order, whiteouts
 * (char 0/0) told apart from real entries; [] where the directory is absent
 * (a writable layer may remove it at any time). Only character devices are
 * lstat'ed. Fails with EUNSUPPORTED naming a name that is not valid UTF-8
 * (`layerPath`: the directory's layer path, for that message; see
 * core/utf8-name.ts), and with EIO on any other error.
 */
export async function listUpperDir(fsPath: string, layerPath: string): Promise<UpperDirEntry[]> {
  let dirents;
  try {
    dirents = await readdir(fsPath, { withFileTypes: true });
    await assertUtf8Listing(dirents, fsPath, layerPath);
  } catch (err) {
    if (err instanceof StrataError) throw err;
    if (isAbsent(err)) return [];
    throw upperIoError(fsPath, err);
  }
  const out: UpperDirEntry[] = [];
  for (const d of dirents) {
    let kind: UpperKind = d.isDirectory() ? 'directory' : 'other';
    if (d.isCharacterDevice()) {
      const st = await lstatIfPresent(`${fsPath}/${d.name}`);
      if (st === undefined) continue;
      if (isWhiteoutStats(st)) kind = 'whiteout';
    }
    out.push({ name: d.name, kind });
  }
  return out;
}

/** lstat, or undefined where the path (or a parent) is absent. Fails with EIO. */
export async function lstatIfPresent(fsPath: string) {
  try {
    return await lstat(fsPath);
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw upperIoError(fsPath, err);
  }
}

export function isAbsent(err: unknown): boolean {
  const code = errnoOf(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function upperIoError(fsPath: string, err: unknown): StrataError {
  return new StrataError(ErrorCode.EIO, `${fsPath}: ${(err as Error).message}`, { cause: err });
}
