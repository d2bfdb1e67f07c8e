/**
 * Copies one source entry (a file, a link, or a directory's contents) from a host
 * directory into a mounted root file system with COPY/ADD's rules (copy-rules.ts):
 *
 * - modes through `copiedMode(mode, origin)` (setuid/setgid dropped for the build
 *   context), or `chmod` when `--chmod` is given;
 * - owners: `owner` when given (`--chown`), else the source's for an image or an
 *   archive, 0:0 for the build context;
 * - links are copied as links, never followed; a file written onto an existing link
 *   at the destination writes through it, except for archive entries (replaced);
 * - an existing destination directory keeps its mode and owner, except for archive
 *   entries (rewritten); mtimes are the source's (directories' set after their contents).
 *
 * Sockets and devices are skipped.
 */
import { constants, lstatSync, type Stats } from 'node:fs';
import { chmod, chown, copyFile, lchown, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { copiedMode, type SourceOrigin } from '../copy-rules.js';
import type { ContextFilter } from '../context/dockerignore.js';
import { mapLimit } from '../map-limit.js';
import { hostPath, hostPathNoFollow, mkdirAllIn, type Owner } from './root-write.js';

export interface CopyOptions {
  origin: SourceOrigin;
  /** `--chown`, resolved. */
  owner?: Owner;
  /** `--chmod`, octal bits. */
  chmod?: number;
  /** Only for a context directory: paths (relative to `filterBase`) the .dockerignore excludes are skipped. */
  filter?: ContextFilter;
  /** The context-relative path of the source directory `from` (for the filter). */
  filterRel?: string;
}

function ownerOf(st: Stats, options: CopyOptions): Owner {
  if (options.owner) return options.owner;
  return options.origin === 'context' ? { uid: 0, gid: 0 } : { uid: st.uid, gid: st.gid };
}

function modeOf(st: Stats, options: CopyOptions): number {
  return options.chmod ?? copiedMode(st.mode & 0o7777, options.origin);
}

/** Copies the file or link at host path `from` to `to` (absolute in `root`). */
export async function copyLeaf(from: string, st: Stats, root: string, to: string, options: CopyOptions): Promise<void> {
  const owner = ownerOf(st, options);
  await mkdirAllIn(root, posix.dirname(to), options.owner ?? { uid: 0, gid: 0 });
  if (st.isSymbolicLink()) {
    const host = await hostPathNoFollow(root, to);
    await rm(host, { force: true, recursive: false }).catch(() => undefined);
    await symlink(await readlink(from), host);
    await lchown(host, owner.uid, owner.gid);
    await lutimes(host, st.atime, st.mtime);
    return;
  }
  if (!st.isFile()) return;
  const host = options.origin === 'archive' ? await hostPathNoFollow(root, to) : (await hostPath(root, to)).host;
  const existing = await lstat(host).catch(() => undefined);
  if (existing !== undefined && (existing.isDirectory() || (options.origin === 'archive' && !existing.isFile()))) await rm(host, { recursive: true, force: true });
  await copyFile(from, host);
  await chown(host, owner.uid, owner.gid);
  await chmod(host, modeOf(st, options));
  await utimes(host, st.atime, st.mtime);
}

/**
 * Copies the contents of the host directory `from` into `to` (absolute in `root`),
 * which is created (0755) when missing. Below `to`, a child is reached from its
 * parent's resolved host directory by name; only an existing symlink there is
 * resolved inside the root again (a file written onto it writes through it).
 * Files of one directory are copied 16 at a time.
 */
export async function copyDirectoryContents(from: string, root: string, to: string, options: CopyOptions): Promise<void> {
  const top = await mkdirAllIn(root, to, options.owner ?? { uid: 0, gid: 0 });
  const dirTimes: [string, Stats][] = [];
  // A context or an extracted archive is a plain host directory, its entries just listed:
  // one lstat there costs less than a thread-pool hop. (An image's layer may be a mount
  // this process serves, which must not be touched synchronously.)
  const syncSource = options.origin === 'context' || options.origin === 'archive';
  const walk = async (rel: string, hostDir: string, fresh: FreshDir | undefined): Promise<void> => {
    const names = (await readdir(join(from, rel))).sort();
    const leaves: [string, Stats, string][] = [];
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const filterPath = options.filterRel ? `${options.filterRel}/${childRel}` : childRel;
      const excluded = options.filter?.excludes(filterPath) ?? false;
      const src = join(from, childRel);
      const st = syncSource ? lstatSync(src) : await lstat(src);
      const target = posix.join(to, childRel);
      if (st.isDirectory()) {
        if (excluded && !options.filter!.mayIncludeBelow(filterPath)) continue;
        let host = join(hostDir, name);
        let existing = fresh ? undefined : await lstat(host).catch(() => undefined);
        if (existing?.isSymbolicLink() && options.origin !== 'archive') {
          const r = await hostPath(root, target);
          host = r.host;
          existing = r.exists ? await lstat(host) : undefined;
        }
        if (existing !== undefined && !existing.isDirectory()) {
          await rm(host, { recursive: true, force: true });
          existing = undefined;
        }
        const owner = ownerOf(st, options);
        const mode = modeOf(st, options);
        if (existing === undefined) {
          await mkdir(host);
          await chown(host, owner.uid, owner.gid);
          await chmod(host, mode);
        } else if (options.origin === 'archive') {
          await chown(host, owner.uid, owner.gid);
          await chmod(host, mode);
        }
        await walk(childRel, host, existing === undefined ? { setgid: (mode & 0o2000) !== 0 } : undefined);
        dirTimes.push([host, st]);
      } else if (!excluded) {
        leaves.push([src, st, name]);
      }
    }
    await mapLimit(leaves, 16, ([src, st, name]) => copyLeafInto(src, st, hostDir, name, root, posix.join(to, rel, name), options, fresh));
  };
  await walk('', top, undefined);
  for (const [host, st] of dirTimes) await utimes(host, st.atime, st.mtime);
}

/** Who owns the files this process creates (outside setgid directories). */
const SELF = { uid: process.geteuid?.() ?? -1, gid: process.getegid?.() ?? -1 };

/** A destination directory this copy created: nothing else is in it. */
interface FreshDir {
  /** Its setgid bit (new entries then take its group). */
  setgid: boolean;
}

/**
 * copyLeaf for a child of a resolved host directory (a symlink at the destination takes
 * the slow path). In a fresh directory nothing is there to replace, and a file this
 * process creates is its own (euid, egid), with copyFile's mode (the source's): chown and
 * chmod are then made only where they change something.
 */
async function copyLeafInto(from: string, st: Stats, hostDir: string, name: string, root: string, to: string, options: CopyOptions, fresh: FreshDir | undefined): Promise<void> {
  const host = join(hostDir, name);
  const existing = fresh ? undefined : await lstat(host).catch(() => undefined);
  if (existing !== undefined && (existing.isSymbolicLink() || existing.isDirectory())) return copyLeaf(from, st, root, to, options);
  const owner = ownerOf(st, options);
  if (st.isSymbolicLink()) {
    if (existing !== undefined) await rm(host, { force: true });
    await symlink(await readlink(from), host);
    await lchown(host, owner.uid, owner.gid);
    await lutimes(host, st.atime, st.mtime);
    return;
  }
  if (!st.isFile()) return;
  if (existing !== undefined && !existing.isFile()) await rm(host, { force: true });
  const mode = modeOf(st, options);
  const ownedAlready = fresh !== undefined && !fresh.setgid && owner.uid === SELF.uid && owner.gid === SELF.gid;
  await copyFile(from, host, fresh ? constants.COPYFILE_EXCL : 0);
  // chown clears setuid/setgid: the mode is set after it.
  if (!ownedAlready) await chown(host, owner.uid, owner.gid);
  if (mode !== (st.mode & 0o7777) || (!ownedAlready && (mode & 0o6000) !== 0)) await chmod(host, mode);
  await utimes(host, st.atime, st.mtime);
}
