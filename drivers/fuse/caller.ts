import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The process making a FUSE call, as the kernel told libfuse (fuse_get_context()). */
export interface Caller {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  /** The caller's umask (libfuse 2.8+); the kernel already applied it to create/mkdir/mknod modes. */
  readonly umask: number;
}

type ContextFn = () => readonly [number, number, number, number] | undefined;

/**
 * fuse-native's binding's `fuse_native_context`, added by
 * scripts/patch-fuse-native.mjs; null where fuse-native was not rebuilt with
 * it (then files are owned by the mount process, as before).
 */
function loadContextFn(): ContextFn | null {
  try {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('fuse-native/package.json'));
    const load = createRequire(join(dir, 'index.js'))('node-gyp-build') as (d: string) => { fuse_native_context?: ContextFn };
    return load(dir).fuse_native_context ?? null;
  } catch {
    return null;
  }
}

const contextFn = loadContextFn();

/** Does this fuse-native tell handlers who calls? */
export const callerKnown = contextFn !== null;

/**
 * The caller of the FUSE call being dispatched. Valid only synchronously
 * inside a handler, before its first await (the binding records it per
 * call on the handler thread and exposes it while that call's JavaScript
 * handler runs); undefined elsewhere or where the binding lacks it.
 */
export function currentCaller(): Caller | undefined {
  const ctx = contextFn?.();
  if (ctx === undefined) return undefined;
  const [uid, gid, pid, umask] = ctx;
  return { uid, gid, pid, umask };
}
