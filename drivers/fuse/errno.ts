import { constants } from 'node:os';
import { ErrorCode, errnoOf, isStrataError } from '../../core/errors.js';

const ERRNO = constants.errno as Readonly<Record<string, number>>;

/** An Error carrying an errno name as `code`, as node:fs throws them; handlers throw these to answer that errno. */
export function fsError(code: keyof typeof constants.errno, detail?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(detail === undefined ? code : `${code}: ${detail}`), { code });
}

/**
 * The negative errno a FUSE handler answers for err: the errno of a system
 * error (node:fs, core/sys), ENOENT for ENOTFOUND, EROFS for EREADONLY, EIO
 * for anything else — a bug inside a handler fails that one call, never the mount.
 */
export function negativeErrno(err: unknown): number {
  const code = errnoOf(err);
  if (code !== undefined && ERRNO[code] !== undefined) return -ERRNO[code]!;
  if (isStrataError(err, ErrorCode.ENOTFOUND)) return -ERRNO.ENOENT!;
  if (isStrataError(err, ErrorCode.EREADONLY)) return -ERRNO.EROFS!;
  return -ERRNO.EIO!;
}

/** Is err an expected filesystem answer (an errno), not a bug worth logging? */
export function isErrnoAnswer(err: unknown): boolean {
  const code = errnoOf(err);
  return code !== undefined && ERRNO[code] !== undefined;
}

/**
 * fuse-native hands paths (and symlink targets) to the handlers as strings
 * decoded from UTF-8 with U+FFFD in place of invalid bytes, so a name made
 * through the mount with such bytes (`touch $'\xff'`) arrives as another name.
 * A new name whose last component (or a symlink target) holds U+FFFD is
 * therefore refused with EILSEQ rather than stored under the replaced name
 * (strata keeps names as UTF-8 text, see core/utf8-name.ts). The cost: a real
 * U+FFFD cannot be created through this mount (a tar can still carry one).
 */
export function refuseReplacedBytes(text: string, what: string): void {
  if (text.includes('\uFFFD')) throw fsError('EILSEQ', `${what} arrived with bytes that are not UTF-8`);
}
