/**
 * One FUSE mount, as its own small process:
 *
 *     node dist/drivers/fuse/mount-process.js <home> <id> <mountpoint>
 *
 * Mounts the union of layer id (of the upper-layer home at <home>) on
 * <mountpoint> through fuse-native and serves it until SIGTERM or SIGINT,
 * then unmounts and exits 0. The driver (fuse-driver.ts) starts it detached
 * and waits until the mount shows in /proc/self/mountinfo, so the mount
 * outlives the command that made it. A process must never touch its own FUSE
 * mount synchronously; this one never touches it at all.
 * Exit status 1 with a line on stderr where mounting fails.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Fuse from 'fuse-native';
import type { FuseOps, FuseOptions } from 'fuse-native';
import { MNT_DETACH, UpperLayerHome, opaqueXattrFor, sys } from '../../core/kit.js';
import { fuseOps } from './fuse-ops.js';
import { extraLibfuseOptions, mountOptions } from './mount-options.js';
import { UnionFs } from './union-fs.js';

/** fuse-native with the libfuse options it has no setting for appended. */
class StrataFuse extends Fuse {
  readonly #extra: readonly string[];

  constructor(mnt: string, ops: FuseOps, opts: FuseOptions, extra: readonly string[]) {
    super(mnt, ops, opts);
    this.#extra = extra;
  }

  protected override _fuseOptions(): string {
    const base = super._fuseOptions();
    return base === '' ? `-o${this.#extra.join(',')}` : `${base},${this.#extra.join(',')}`;
  }
}

function logFault(op: string, path: string, err: unknown): void {
  process.stderr.write(`strata fuse: ${op} ${path}: ${(err as Error)?.stack ?? String(err)}\n`);
}

async function main(): Promise<void> {
  const [home, id, target] = process.argv.slice(2);
  if (home === undefined || id === undefined || target === undefined) throw new Error('usage: mount-process <home> <id> <mountpoint>');
  process.umask(0); // the kernel applied the caller's umask to every mode already
  const privileged = process.getuid?.() === 0;
  const layers = new UpperLayerHome(home, { workDirs: true });
  const chain = await layers.chain(id);
  const writable = chain[0]!.writable;
  const workDir = layers.paths(id).work;
  if (writable) {
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(workDir)) await rm(join(workDir, name), { recursive: true, force: true });
  }
  const union = new UnionFs({
    layers: chain.map((l) => layers.paths(l.id).diff),
    writable,
    workDir,
    opaqueXattr: opaqueXattrFor(privileged),
    privileged,
  });
  const fuse = new StrataFuse(target, fuseOps(union, logFault), mountOptions(writable, privileged), extraLibfuseOptions(writable));
  // fuse-native's handles do not hold the event loop open: this timer does, until the mount ends.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let mounted = false;
  let stopping = false;
  const stop = () => {
    if (stopping || !mounted) {
      stopping = true; // a signal while mounting: stop once mounted
      return;
    }
    stopping = true;
    clearInterval(keepAlive);
    fuse.unmount((err) => {
      if (err) {
        try {
          sys.umount2(target, MNT_DETACH);
        } catch {
          // nothing mounted any more
        }
      }
      process.exit(0);
    });
  };
  // Before mounting: the mount shows in mountinfo (and the driver returns) before fuse.mount's callback runs.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('uncaughtException', (err) => logFault('uncaught', '', err));
  process.on('unhandledRejection', (err) => logFault('unhandled', '', err));
  await new Promise<void>((resolve, reject) => fuse.mount((err) => (err ? reject(err) : resolve())));
  mounted = true;
  if (stopping) {
    stopping = false;
    stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`strata fuse: cannot mount: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
