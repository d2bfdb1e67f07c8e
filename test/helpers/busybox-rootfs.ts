import { copyFile, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's busybox-static lives; tests that need it skip when it is absent. */
export const BUSYBOX = '/bin/busybox';

/**
 * Makes a minimal root file system in a new directory under `parent` (default:
 * the system temp dir) and returns its path: /bin/busybox (a static copy) with one
 * absolute symlink per applet in /bin, /etc/passwd and /etc/group naming root (0),
 * nobody (65534, group nogroup) and user (1000, group user, also in group
 * `staff` 50), and empty /tmp (1777), /root, /home/user (owned by 1000), /proc,
 * /dev, /sys. It has no /etc/hosts, /etc/hostname or /etc/resolv.conf, so a
 * runner that writes them into the root file system is caught by the tests.
 */
export async function makeBusyboxRootfs(parent: string = tmpdir()): Promise<string> {
  const root = await mkdtemp(join(parent, 'strata-rootfs-'));
  for (const dir of ['bin', 'etc', 'tmp', 'root', 'home/user', 'proc', 'dev', 'sys', 'var']) {
    await mkdir(join(root, dir), { recursive: true });
  }
  await copyFile(BUSYBOX, join(root, 'bin/busybox'));
  execFileSync('chmod', ['755', root]);
  execFileSync('chmod', ['1777', join(root, 'tmp')]);
  execFileSync('chown', ['1000:1000', join(root, 'home/user')]);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((name) => name !== '' && name !== 'busybox');
  await Promise.all(applets.map((name) => symlink('/bin/busybox', join(root, 'bin', name))));
  await writeFile(
    join(root, 'etc/passwd'),
    ['root:x:0:0:root:/root:/bin/sh', 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false', 'user:x:1000:1000:A user:/home/user:/bin/sh', ''].join('\n'),
  );
  await writeFile(join(root, 'etc/group'), ['root:x:0:', 'staff:x:50:user', 'user:x:1000:', 'nogroup:x:65534:', ''].join('\n'));
  return root;
}
