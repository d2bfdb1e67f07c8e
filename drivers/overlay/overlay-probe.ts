import { lstat, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootId, rememberedProbe, unmountPath } from '../../core/kit.js';
import { mountOverlay } from './kernel-mount.js';

/** Can kernel overlayfs mounts be made in a home? `reason` says why not. */
export interface KernelOverlaySupport {
  readonly mountable: boolean;
  readonly reason?: string;
}

/**
 * Tries what a mount needs, cheapest first: overlay in /proc/filesystems,
 * privileges (CAP_SYS_ADMIN: root), then a real read-write test mount in
 * `dir` (on the home's filesystem, so upper/work support is tested too) that
 * deletes a lower file and checks the kernel wrote a whiteout strata reads —
 * or, where a test mount passed earlier in this boot, that record (see
 * testMount). The test mount is volatile: its unmount does not sync the whole
 * filesystem (a busy disk made that cost up to a second). Never throws; leaves
 * nothing mounted.
 */
export async function probeKernelOverlay(dir: string): Promise<KernelOverlaySupport> {
  const filesystems = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  if (!/\toverlay$/m.test(filesystems)) {
    return { mountable: false, reason: 'the kernel has no overlay filesystem (not in /proc/filesystems; try `modprobe overlay`)' };
  }
  if (process.getuid?.() !== 0) {
    return { mountable: false, reason: 'kernel overlay mounts need root (CAP_SYS_ADMIN); lookups, diff and apply work without' };
  }
  const reason = await rememberedProbe(`${dir}.ok`, await bootId(), () => testMount(dir));
  return reason === undefined ? { mountable: true } : { mountable: false, reason };
}

/**
 * The test mount itself. A pass is remembered in `<dir>.ok` with the boot id
 * (rememberedProbe): until the next boot the kernel and the home's filesystem
 * stay what they were, so later commands skip the mount. Answers why the
 * mount cannot be used, or undefined when it can.
 */
async function testMount(dir: string): Promise<string | undefined> {
  const merged = join(dir, 'merged');
  try {
    await clearProbe(dir);
    for (const sub of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'lower', 'f'), 'probe');
    await mountOverlay({ cwd: dir, lowers: ['lower'], upper: join(dir, 'upper'), work: join(dir, 'work'), target: merged, userxattr: false, volatile: true });
    await unlink(join(merged, 'f'));
    await unmountPath(merged);
    const whiteout = await lstat(join(dir, 'upper', 'f'));
    if (!whiteout.isCharacterDevice() || whiteout.rdev !== 0) {
      return `overlayfs on ${dir} records deletions in a form strata does not read (no char 0/0 whiteout)`;
    }
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await clearProbe(dir).catch(() => undefined);
  }
}

/** Removes a probe directory, unmounting first what a crash mid-probe left mounted. */
export async function clearProbe(dir: string): Promise<void> {
  if (!(await lstat(dir).then(() => true, () => false))) return;
  const merged = join(dir, 'merged');
  await unmountPath(merged);
  await rm(dir, { recursive: true, force: true });
}
