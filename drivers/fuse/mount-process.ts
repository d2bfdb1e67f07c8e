/**
 * One FUSE mount, as its own small process:
 *
 *     node dist/drivers/fuse/mount-process.js <home> <id> <mountpoint>
 *
 * Mounts the union of layer id (of the upper-layer home at <home>) on
 * <mountpoint> through fuse-native and serves it until SIGTERM or SIGINT,
 * then unmounts and exits 0. The driver (fuse-driver.ts) starts it detached
 * and waits for its word on the readiness pipe (fd 3 when STRATA_READY_FD
 * says so) or its exit, so the mount outlives the command that made it. A process must never touch its own FUSE
 * mount synchronously; this one never touches it at all.
 * Exit status 1 with a line on stderr where mounting fails.
 */
import { closeSync, writeSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UpperLayerHome } from '../../core/union/layer-home.js';
import { opaqueXattrFor } from '../../core/union/whiteout-format.js';
import { serveUnion } from './fuse-server.js';
import { UnionFs } from './union-fs.js';

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
    redirectDirs: true, // strata's own layers: their diffs expand redirects
  });
  await serveUnion(union, target, privileged);
  tellReady();
}

/**
 * Tells the supervisor the mount is up: one byte on the pipe it passed as fd 3
 * (STRATA_READY_FD), then the pipe is closed. A supervisor gone meanwhile is no
 * error: the mount serves on.
 */
function tellReady(): void {
  const fd = Number(process.env.STRATA_READY_FD);
  if (!Number.isInteger(fd) || fd < 3) return;
  try {
    writeSync(fd, '1');
  } catch {
    // the supervisor exited; nobody waits
  }
  try {
    closeSync(fd);
  } catch {
    // closed already
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`strata fuse: cannot mount: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
