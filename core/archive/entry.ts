import type { EntryType } from '../tree.js';

/**
 * One entry of an OCI layer tarball after validation: what the tar reader yields,
 * what the tar writer takes. Names are layer paths without the leading '/'
 * ("etc/passwd"; the root is "."), as OCI layers store them.
 */
export interface LayerTarHeader {
  /** Layer path relative to the root, no leading '/', no '..'; directories without trailing '/'. */
  readonly name: string;
  /** 'hardlink' entries name another entry of the same layer in `linkName`. */
  readonly type: EntryType | 'hardlink';
  /** Permission bits including setuid/setgid/sticky (0o7777). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content that follow the header; 0 except for files. */
  readonly size: number;
  /** Modification time; the writer stores whole seconds (sub-second in PAX only when non-zero). */
  readonly mtime: Date;
  /** Symlink target (verbatim) or hardlink target (a layer path as in `name`). */
  readonly linkName?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
  readonly uname?: string;
  readonly gname?: string;
  /** Extended attributes, from/to `SCHILY.xattr.<name>` PAX records. */
  readonly xattrs?: Readonly<Record<string, Buffer>>;
}

/** OCI whiteout conventions. */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
