import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The Linux system calls Node's fs lacks, from strata's own small N-API addon
 * (core/sys/native/strata_sys.c, built by `npm install` through binding.gyp).
 * Every call acts on the path itself and never follows a final symlink.
 * Failures throw an Error whose `code` is the errno name, as node:fs does.
 */
export interface Sys {
  /** Creates a device node, FIFO or socket; `mode` holds the S_IF* type bits and permissions. */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** The attribute's value, or null where it is absent or the filesystem has no xattrs. */
  lgetxattr(path: string, name: string): Buffer | null;
  lsetxattr(path: string, name: string, value: Buffer): void;
  /** Attribute names; empty where the filesystem has no xattrs. */
  llistxattr(path: string): string[];
  /** Removing an absent attribute is not an error. */
  lremovexattr(path: string, name: string): void;
  /**
   * mount(2) with no flags, with this process's working directory at `cwd`
   * during the call (relative paths in `data` resolve there), then restored.
   */
  mountIn(cwd: string, source: string, target: string, fstype: string, data: string): void;
  /** flags: MNT_DETACH (2) for a lazy unmount. */
  umount2(path: string, flags: number): void;
  /**
   * Flushes the whole filesystem holding `path` (a directory) to disk, in a worker
   * thread: one call makes a freshly written layer durable, instead of an fsync
   * per file and directory.
   */
  syncfs(path: string): Promise<void>;
}

export const MNT_DETACH = 2;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

const require = createRequire(import.meta.url);
/** dist/core/sys/index.js → <package>/build/Release. */
export const sys: Sys = require('../../../build/Release/strata_sys.node') as Sys;

/** strata's container runner process (core/containers/runner/native/strata_nsrun.c), built beside the addon. */
export const NSRUN_PATH = fileURLToPath(new URL('../../../build/Release/strata-nsrun', import.meta.url));
