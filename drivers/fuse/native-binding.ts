import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The functions scripts/patch-fuse-native.mjs adds to fuse-native's C
 * binding. Each is absent where fuse-native was not rebuilt with the patch
 * (another version, or no compiler at install): callers fall back to the
 * unpatched behaviour.
 */
export interface StrataBinding {
  /** [uid, gid, pid, umask] of the FUSE call being dispatched; undefined outside a handler. */
  readonly fuse_native_context?: () => readonly [number, number, number, number] | undefined;
  /** Drops the listings a mount (its thread buffer) keeps for readdir (see FastPaths). */
  readonly fuse_native_readdir_cache_clear?: (thread: Buffer) => void;
}

/** The directory fuse-native is installed in (its package.json's). Throws where it is not installed. */
export function fuseNativeDir(): string {
  return dirname(createRequire(import.meta.url).resolve('fuse-native/package.json'));
}

/** fuse-native's loaded binding (the same addon its index.js loads), or null where it does not load. */
export function loadStrataBinding(): StrataBinding | null {
  try {
    const dir = fuseNativeDir();
    const load = createRequire(join(dir, 'index.js'))('node-gyp-build') as (d: string) => StrataBinding;
    return load(dir);
  } catch {
    return null;
  }
}
