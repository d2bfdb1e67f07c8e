import { mkdir, open, symlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoOf } from '../../errors.js';
import { resolveInRoot } from './root-path.js';

/** What Docker's init layer holds (moby's `initlayer.Setup`): mountpoints the runtime needs, so that they never show in the container's own layer. */
const INIT_ENTRIES: readonly [path: string, kind: 'dir' | 'file' | 'link', target?: string][] = [
  ['/dev/pts', 'dir'], ['/dev/shm', 'dir'], ['/proc', 'dir'], ['/sys', 'dir'],
  ['/.dockerenv', 'file'], ['/etc/resolv.conf', 'file'], ['/etc/hosts', 'file'], ['/etc/hostname', 'file'],
  ['/dev/console', 'file'], ['/etc/mtab', 'link', '/proc/mounts'],
];

/**
 * Fills an init layer as Docker does: `root` is the mounted union of the image
 * plus an empty writable layer; every entry of Docker's init layer that the
 * image lacks is created there (directories 0755, empty files 0755 as moby
 * makes them, /etc/mtab → /proc/mounts), resolving paths inside `root`. A
 * container layer created on that layer then never shows the runner's
 * /etc/hosts, /etc/hostname, /etc/resolv.conf stubs in `diff` or `commit`.
 * (`-v` mountpoints and a missing working directory do land in the container's
 * layer, as in Docker: `docker diff` lists them as added.)
 */
export async function writeInitLayer(root: string): Promise<void> {
  for (const [path, kind, target] of INIT_ENTRIES) {
    const resolved = await resolveInRoot(root, path);
    if (resolved.exists) continue;
    if (kind === 'dir') {
      await mkdir(resolved.host, { recursive: true, mode: 0o755 });
      continue;
    }
    await mkdir(dirname(resolved.host), { recursive: true, mode: 0o755 });
    try {
      if (kind === 'link') await symlink(target as string, resolved.host);
      else await (await open(resolved.host, 'wx', 0o755)).close();
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
    }
  }
}
