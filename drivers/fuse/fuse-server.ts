import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type FuseNative from 'fuse-native';
import type { FuseOps, FuseOptions } from 'fuse-native';
import { MNT_DETACH, sys } from '../../core/sys/index.js';
import { fuseOps } from './fuse-ops.js';
import { noteLine } from './mount-log.js';
import { extraLibfuseOptions, fastPaths, mountOptions } from './mount-options.js';
import { loadStrataBinding } from './native-binding.js';
import type { UnionFs } from './union-fs.js';

// Required, not imported: Node's ESM loader parses each CommonJS module of fuse-native for its
// exports first, which took twice as long as the require at every mount process's start.
const Fuse = createRequire(import.meta.url)('fuse-native') as typeof FuseNative;
const binding = loadStrataBinding();

/**
 * fuse-native with the libfuse options it has no setting for appended, and
 * the patched binding's fast paths (`fastPaths`) asked for: their bits go in
 * the slot after the opcodes of the `implemented` array, which a binding
 * without them ignores.
 */
class StrataFuse extends Fuse {
  readonly #extra: readonly string[];
  readonly #fastPaths: number;

  constructor(mnt: string, ops: FuseOps, opts: FuseOptions, extra: readonly string[], fast: number) {
    super(mnt, ops, opts);
    this.#extra = extra;
    this.#fastPaths = fast;
  }

  protected override _fuseOptions(): string {
    const base = super._fuseOptions();
    return base === '' ? `-o${this.#extra.join(',')}` : `${base},${this.#extra.join(',')}`;
  }

  protected override _getImplementedArray(): Uint32Array {
    const implemented = super._getImplementedArray();
    const withFlags = new Uint32Array(implemented.length + 1);
    withFlags.set(implemented);
    withFlags[implemented.length] = this.#fastPaths;
    return withFlags;
  }

  /** Forgets the directory listings the binding keeps (call after any namespace change). */
  clearListings(): void {
    if (this._thread !== null) binding?.fuse_native_readdir_cache_clear?.(this._thread);
  }
}

/** Reports a handler's unexpected failure (a bug, not an errno answer) on stderr. */
export function logFault(op: string, path: string, err: unknown): void {
  process.stderr.write(`strata fuse: ${op} ${path}: ${(err as Error)?.stack ?? String(err)}\n`);
}

/** Notes a step of the mount's life on stderr (the mount's log; see mount-log.ts). */
function note(text: string): void {
  process.stderr.write(noteLine(text));
}

/**
 * Mounts union on target through fuse-native and serves it from this
 * process until SIGTERM or SIGINT, which unmount (lazily if busy) and exit
 * the process with status 0. Resolves once mounted; fails with the mount's
 * error. Signal handlers go in before mounting: the mount shows in
 * mountinfo before fuse-native's callback runs, and a signal then must still
 * unmount. This process must never touch the mount synchronously. Its life
 * (mounted, signals, exit status) is noted on stderr.
 */
export async function serveUnion(union: UnionFs, target: string, privileged: boolean, options: ServeOptions = {}): Promise<void> {
  const fuse = new StrataFuse(
    target,
    fuseOps(union, logFault),
    mountOptions(union.writable, privileged),
    extraLibfuseOptions(union.writable),
    binding?.fuse_native_readdir_cache_clear === undefined ? 0 : fastPaths(union.writable),
  );
  union.whenChanged(() => fuse.clearListings());
  // fuse-native's handles do not hold the event loop open: this timer does, until the mount ends.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let mounted = false;
  let stopping = false;
  let asked: NodeJS.Signals = 'SIGTERM';
  const stop = (signal: NodeJS.Signals) => {
    note(`${signal}: ${mounted ? 'unmounting' : 'will unmount once mounted'}`);
    if (stopping || !mounted) {
      stopping = true; // a signal while mounting: stop once mounted
      asked = signal;
      return;
    }
    stopping = true;
    clearInterval(keepAlive);
    fuse.unmount((err) => {
      if (err) {
        note(`unmount failed (${err.message.trim()}): lazy unmount`);
        try {
          sys.umount2(target, MNT_DETACH);
        } catch {
          // nothing mounted any more
        }
      }
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('exit', (code) => note(`exit status ${code}`));
  process.on('uncaughtException', (err) => logFault('uncaught', '', err));
  process.on('unhandledRejection', (err) => logFault('unhandled', '', err));
  try {
    await new Promise<void>((resolve, reject) => fuse.mount((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    clearInterval(keepAlive);
    throw err;
  }
  mounted = true;
  note(`serving ${target}`);
  if (stopping) {
    stopping = false;
    stop(asked);
  }
  if (options.exitWhenUnmounted) {
    const watch = setInterval(() => {
      void mountedAt(target).then((still) => {
        if (still) return;
        note('unmounted from outside: exiting');
        clearInterval(watch);
        clearInterval(keepAlive);
        process.exit(0);
      });
    }, UNMOUNT_POLL_MS);
  }
}

export interface ServeOptions {
  /**
   * Exit (status 0) once target is no longer mounted: someone else unmounted
   * it (umount, fusermount -u), as a mount_program's daemon must. Polled once
   * a second from /proc/self/mountinfo.
   */
  readonly exitWhenUnmounted?: boolean;
}

const UNMOUNT_POLL_MS = 1000;

/** Is a filesystem mounted at target (as mountinfo escapes it)? */
async function mountedAt(target: string): Promise<boolean> {
  const escaped = target.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  return info.split('\n').some((line) => line.split(' ')[4] === escaped);
}
