import type { Readable } from 'node:stream';
import { ErrorCode, StrataError } from './errors.js';

/**
 * What a path is, in a layer's union or in a plain directory. These are the
 * seven file types a layer tarball can carry (hardlinks are files sharing `ino`).
 */
export type EntryType = 'file' | 'directory' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** One path's metadata as a process reading the union would see it. */
export interface EntryStat {
  readonly type: EntryType;
  /** Permission bits including setuid, setgid and sticky: `mode & 0o7777`. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content for files; 0 for every other type. */
  readonly size: number;
  /** Modification time, milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** Hard-link count as stored; 1 where the backing store has no links. */
  readonly nlink: number;
  /**
   * Identity of the file's content within one tree: two paths with the same
   * `ino` in the same layer are hard links of one file. Opaque: compare only.
   */
  readonly ino: string;
  /** The symlink's target, verbatim; only for `symlink`. */
  readonly linkTarget?: string;
  /** Device numbers; only for `char` and `block`. */
  readonly rdev?: { readonly major: number; readonly minor: number };
}

/**
 * Read-only access to one tree: a layer's union (through a driver's lookups)
 * or a plain directory. Paths are layer paths (see `normalizeLayerPath`).
 * The naive diff and the conformance suite are written against this.
 */
export interface TreeReader {
  /** undefined where nothing exists at path (including whited-out paths). */
  stat(path: string): Promise<EntryStat | undefined>;
  /** Names in the directory, sorted by byte order; fails with ENOTFOUND. */
  readdir(path: string): Promise<string[]>;
  /** The file's content; fails with ENOTFOUND. */
  read(path: string): Promise<Readable>;
  /**
   * Extended attributes a user set (user.*, security.*, trusted.* other than a
   * driver's own bookkeeping such as trusted.overlay.*). Empty where none.
   */
  xattrs(path: string): Promise<Record<string, Buffer>>;
}

/**
 * Bookkeeping attributes of union filesystems (overlayfs' trusted.overlay.*, or
 * user.overlay.* with `userxattr`): never user-visible, never copied between layers.
 */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}

/**
 * A layer path: absolute, '/'-separated, no '.', '..' or empty components,
 * no trailing slash; the root is '/'. Fails with ENOTFOUND for a path that
 * climbs above the root, so no lookup can leave its layer.
 */
export function normalizeLayerPath(input: string): string {
  const parts: string[] = [];
  for (const part of input.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      throw new StrataError(ErrorCode.ENOTFOUND, `path ${JSON.stringify(input)} leaves the layer`);
    }
    parts.push(part);
  }
  return '/' + parts.join('/');
}

/** Components of a normalized layer path; [] for the root. */
export function layerPathParts(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

/** The parent of a normalized layer path ('/' for top-level names and the root). */
export function layerPathParent(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Joins a normalized directory path and one name. */
export function layerPathJoin(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Byte-order comparison of strings, the order every listing and tar uses. */
export function compareNames(a: string, b: string): number {
  // Below U+D800 a UTF-16 unit is a whole code point, and UTF-8 keeps code point
  // order: the first differing unit decides, unless a surrogate (or a unit above) is involved.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a), Buffer.from(b));
  }
  return a.length - b.length;
}
