/**
 * The PAX extended-header records strata reads itself, byte-exact: tar-stream
 * decodes record values as UTF-8, which would corrupt binary xattr values such
 * as `security.capability`.
 */
export interface PaxRecords {
  /** `SCHILY.xattr.<name>` values, raw bytes. */
  readonly xattrs: Record<string, Buffer>;
  readonly uid?: number;
  readonly gid?: number;
  /** `mtime`, milliseconds since the epoch (sub-second precision kept to the millisecond). */
  readonly mtimeMs?: number;
  /** `path` and `linkpath`, raw bytes (tar-stream would decode them as UTF-8, replacing invalid bytes). */
  readonly path?: Buffer;
  readonly linkpath?: Buffer;
  /** `size` (bytes), which overrides the ustar field. */
  readonly size?: number;
}

const XATTR_PREFIX = 'SCHILY.xattr.';

/**
 * Parses "<length> <key>=<value>\n" records. Returns undefined for a malformed
 * block (the caller fails with EBADARCHIVE).
 */
export function parsePax(block: Buffer): PaxRecords | undefined {
  const xattrs: Record<string, Buffer> = {};
  let uid: number | undefined;
  let gid: number | undefined;
  let mtimeMs: number | undefined;
  let path: Buffer | undefined;
  let linkpath: Buffer | undefined;
  let size: number | undefined;
  let at = 0;
  while (at < block.length) {
    if (block[at] === 0) break; // NUL padding after the last record
    const space = block.indexOf(0x20, at);
    if (space < 0) return undefined;
    const length = Number(block.subarray(at, space).toString('latin1'));
    const end = at + length;
    if (!Number.isSafeInteger(length) || length <= space - at + 1 || end > block.length || block[end - 1] !== 0x0a) {
      return undefined;
    }
    const equals = block.indexOf(0x3d, space + 1);
    if (equals < 0 || equals >= end) return undefined;
    const key = block.subarray(space + 1, equals).toString('utf8');
    const value = block.subarray(equals + 1, end - 1);
    if (key.startsWith(XATTR_PREFIX)) {
      xattrs[key.slice(XATTR_PREFIX.length)] = Buffer.from(value);
    } else if (key === 'uid' || key === 'gid') {
      const id = Number(value.toString('latin1'));
      if (!Number.isSafeInteger(id) || id < 0) return undefined;
      if (key === 'uid') uid = id;
      else gid = id;
    } else if (key === 'path') {
      path = Buffer.from(value);
    } else if (key === 'linkpath') {
      linkpath = Buffer.from(value);
    } else if (key === 'mtime') {
      const seconds = Number(value.toString('latin1'));
      if (!Number.isFinite(seconds)) return undefined;
      mtimeMs = Math.floor(seconds * 1000);
    } else if (key === 'size') {
      size = Number(value.toString('latin1'));
      if (!Number.isSafeInteger(size) || size < 0) return undefined;
    }
    at = end;
  }
  return {
    xattrs,
    uid,
    gid,
    mtimeMs,
    ...(path !== undefined ? { path } : {}),
    ...(linkpath !== undefined ? { linkpath } : {}),
    ...(size !== undefined ? { size } : {}),
  };
}
