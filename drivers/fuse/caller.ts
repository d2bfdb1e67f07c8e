import { loadStrataBinding } from './native-binding.js';

/** The process making a FUSE call, as the kernel told libfuse (fuse_get_context()). */
export interface Caller {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
  /** The caller's umask (libfuse 2.8+); the kernel already applied it to create/mkdir/mknod modes. */
  readonly umask: number;
}

/**
 * fuse-native's binding's `fuse_native_context`, added by
 * scripts/patch-fuse-native.mjs; absent where fuse-native was not rebuilt with
 * it (then files are owned by the mount process, as before).
 */
const contextFn = loadStrataBinding()?.fuse_native_context;

/** Does this fuse-native tell handlers who calls? */
export const callerKnown = contextFn !== undefined;

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
