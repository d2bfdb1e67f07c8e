/**
 * Where COPY/ADD put a source and with which mode — Docker 20.10's classic builder's rules,
 * as observed in test/build/corpus (setuid-bits, dir-modes, symlinks, add-tar-dirs):
 *
 * - A file source goes to `dest/<its name>` when `dest` ends with `/` or is an existing
 *   directory, else to `dest` itself (an existing symlink there is written through, as a
 *   file write through it would be). A directory source's *contents* go into `dest`.
 * - A destination directory that COPY creates is 0755 and, with --chown, owned as the
 *   files; an existing one keeps its mode and owner (a copied directory's own mode is not
 *   copied); directories below keep their source modes.
 * - setuid/setgid bits are dropped from build-context files and kept for `COPY --from`
 *   and for the entries of a tar that ADD extracts. ADD's tar entries also rewrite modes
 *   and owners of existing directories, replace symlinks, and ignore --chown.
 * - `ADD <url>` files are 0600 (url-source.ts).
 */
import { posix } from 'node:path';

export type SourceOrigin = 'context' | 'stage' | 'archive';

/** Where a file source named `name` lands for destination `dest` (absolute). */
export function fileDestination(dest: string, name: string, destIsDirectory: boolean): string {
  return dest.endsWith('/') || destIsDirectory ? posix.join(dest, posix.basename(name)) : dest;
}

/** The mode a copied entry gets (permission and special bits, 0o7777). */
export function copiedMode(mode: number, origin: SourceOrigin): number {
  return origin === 'context' ? mode & 0o1777 : mode & 0o7777;
}

/** The mode of a destination directory COPY/ADD has to create. */
export const CREATED_DIRECTORY_MODE = 0o755;
