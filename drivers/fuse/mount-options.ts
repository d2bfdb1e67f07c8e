import type { FuseOptions } from 'fuse-native';

/**
 * How a mount lets the kernel cache, by what can change under it:
 *
 * - a read-only layer's union never changes while mounted (its layers are
 *   immutable once applied): file pages are kept across opens (the kernel
 *   sends no opens at all, see fuseOps; `kernel_cache` says the same to
 *   libfuse) and attributes and directory entries are trusted for an hour,
 *   so warm reads and stats never reach this process;
 * - a writable layer changes only through this mount, and the kernel sees
 *   those changes itself (it updates its own attributes on write, unlink,
 *   rename): entries and attributes are trusted for one second, and file
 *   pages are kept across opens while the file's mtime and size stay
 *   (`auto_cache`: libfuse compares them on open; a copy-up keeps both, so
 *   it keeps the pages too), which keeps the mount right even when the
 *   driver edits a layer beside it.
 *
 * Both: directory listings are kept too (`fastPaths`); misses are cached too (`extraLibfuseOptions`); `allow_other` + `default_permissions` (as root) so any process can
 * use the mount and the kernel checks modes; libfuse's `use_ino` so st_ino is
 * the number getattr answers (see InodeNumbers); `ro` where read-only, so
 * the kernel itself answers EROFS. fuse-native's per-call timeout is off
 * (it costs a timer per call): every handler answers (fuseOps turns any
 * failure into an errno), and a copy-up of a large file or tree may take long.
 */
export function mountOptions(writable: boolean, privileged: boolean): FuseOptions {
  const shared: FuseOptions = {
    fsname: 'strata',
    subtype: 'strata',
    allowOther: privileged,
    defaultPermissions: true,
    timeout: false,
  };
  return writable
    ? { ...shared, autoCache: true, attrTimeout: 1, entryTimeout: 1 }
    : { ...shared, kernelCache: true, attrTimeout: 3600, entryTimeout: 3600 };
}

/**
 * libfuse options fuse-native has no setting for. `negative_timeout`: a name
 * found missing stays missing in the kernel's cache (an hour read-only; one
 * second writable, where the kernel drops the entry itself when a name is
 * created through the mount), so repeated misses — $PATH searches, build
 * tools probing for files — never reach this process. `hard_remove`
 * (writable): a file removed while open leaves its directory at once, as in
 * kernel overlayfs (libfuse otherwise renames it to `.fuse_hidden…` until it
 * is closed, so `rm -rf` of its directory fails with ENOTEMPTY); it stays
 * usable through its handle (see UNNAMED_OK in fuse-ops.ts).
 */
export function extraLibfuseOptions(writable: boolean): string[] {
  return writable ? ['use_ino', 'negative_timeout=1', 'hard_remove'] : ['use_ino', 'ro', 'negative_timeout=3600'];
}

/** Bits of the binding's fast paths (scripts/fuse-native-fast-paths.c): calls answered in C, never reaching JavaScript. */
export const FastPath = {
  /** read is pread(2) on the file handle, which every open/create answers as the backing file's descriptor. */
  preadHandle: 1,
  /**
   * readdir answers the names it last answered for the path, until the mount
   * clears them (`fuse_native_readdir_cache_clear`) after a namespace change:
   * as overlayfs keeps a merged directory's entries.
   */
  readdirCache: 2,
  /**
   * The kernel sends no opendir nor releasedir and keeps directory listings
   * in its page cache: a warm readdir never leaves it. It drops a listing
   * when the directory changes through the mount or shows a new mtime.
   * Needs a handler table without opendir, releasedir and fsyncdir.
   */
  kernelDirs: 4,
} as const;

/**
 * The fast paths a mount asks the binding for. Both kinds keep listings, in
 * the kernel and in the binding (a writable mount clears the binding's after
 * every change it makes, and the kernel sees every change, made through the
 * mount; nothing else changes its layers while it is mounted). Only a
 * writable mount has descriptors as handles: a read-only one answers no
 * opens (see fuseOps), so its reads come with handle 0 and go to
 * JavaScript, which the kernel's page cache spares after the first.
 */
export function fastPaths(writable: boolean): number {
  const listings = FastPath.readdirCache | FastPath.kernelDirs;
  return writable ? FastPath.preadHandle | listings : listings;
}
