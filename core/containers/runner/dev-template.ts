import { chmod, mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { S_IFCHR, sys } from '../../sys/index.js';

/** The character devices of a container's /dev: name, major, minor (all mode 0666, as Docker's). */
const DEVICES: readonly [string, number, number][] = [
  ['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0],
];
/** The symlinks of a container's /dev (runc's set). */
const LINKS: readonly [string, string][] = [
  ['ptmx', 'pts/ptmx'], ['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2'],
];

/**
 * Makes `containerDir/dev` — the devices and symlinks of a container's /dev
 * (its pts and shm mountpoints are made by the mounts) — for the built-in runner to copy (one
 * `cp -a`) into the tmpfs it mounts as the container's /dev: cheaper than a
 * bind mount per device. Replaces what an earlier run left there.
 */
export async function makeDevTemplate(containerDir: string): Promise<string> {
  const dir = join(containerDir, 'dev');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const [name, major, minor] of DEVICES) {
    sys.mknod(join(dir, name), S_IFCHR | 0o666, major, minor);
    await chmod(join(dir, name), 0o666);
  }
  for (const [name, target] of LINKS) await symlink(target, join(dir, name));
  return dir;
}
