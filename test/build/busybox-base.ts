import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian's busybox-static package installs its binary. */
export const BUSYBOX = '/bin/busybox';

/**
 * Writes the busybox base root file system used by the build corpus as a plain tar at
 * `tarPath`: /bin/busybox from busybox-static, one symlink /bin/<applet> → busybox per
 * applet, /etc/passwd (root, app 1000), /etc/group (root, app 1000), /tmp (1777).
 * Every entry has mtime 0 and owner 0:0, so the tar's bytes depend only on the binary.
 * Fails when busybox-static is not installed.
 */
export async function writeBusyboxBaseTar(tarPath: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-busybox-'));
  try {
    await chmod(dir, 0o755);
    await mkdir(join(dir, 'bin'));
    await mkdir(join(dir, 'etc'));
    await mkdir(join(dir, 'tmp'));
    await chmod(join(dir, 'tmp'), 0o1777);
    await copyFile(BUSYBOX, join(dir, 'bin/busybox'));
    await chmod(join(dir, 'bin/busybox'), 0o755);
    const { stdout } = await run(BUSYBOX, ['--list']);
    for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) {
      await symlink('busybox', join(dir, 'bin', applet));
    }
    await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n', { mode: 0o644 });
    await writeFile(join(dir, 'etc/group'), 'root:x:0:\napp:x:1000:\n', { mode: 0o644 });
    for (const p of ['bin', 'etc', 'tmp', 'bin/busybox', 'etc/passwd', 'etc/group', '.']) await utimes(join(dir, p), 0, 0);
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', dir, '-cf', tarPath, '.']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The Dockerfile-level config the corpus gives the base on import (`docker import -c`). */
export const BUSYBOX_BASE_CHANGES = ['CMD ["/bin/sh"]', 'ENV PATH=/bin'];

/** The name the corpus's Dockerfiles use for the base. */
export const BUSYBOX_BASE_NAME = 'strata-busybox:base';
