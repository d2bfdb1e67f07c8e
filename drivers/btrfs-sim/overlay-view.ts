import { readFile } from 'node:fs/promises';
import { ErrorCode, StrataError } from '../../core/index.js';
import { sys } from '../../core/kit.js';

/**
 * The kernel overlayfs mount that makes a writable btrfs-sim layer visible
 * without copying its tree: `lower` is the materialised tree the layer started
 * from (shared, never written), `upper` collects what processes change.
 *
 * Options: `redirect_dir=on` (renaming a lower directory records a redirect
 * instead of answering EXDEV, so directories rename as on any filesystem; the
 * fold-back reads the redirect), `metacopy=off` (every copied-up file holds its
 * data), `index=off` (no inode index to keep consistent with the lower).
 */
export interface OverlayView {
  readonly lower: string;
  readonly upper: string;
  readonly work: string;
  readonly target: string;
}

/** Mounts through mount(2) itself (the addon), as the overlay driver does. Fails with EDRIVERUNAVAILABLE carrying the error. */
export async function mountOverlayView(view: OverlayView): Promise<void> {
  const options = `lowerdir=${view.lower},upperdir=${view.upper},workdir=${view.work},redirect_dir=on,metacopy=off,index=off`;
  try {
    sys.mountIn('/', 'overlay', view.target, 'overlay', options);
  } catch (err) {
    throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `btrfs-sim: kernel overlay mount on ${view.target} failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Can writable mounts use a kernel overlay here: overlay in /proc/filesystems
 * and root (CAP_SYS_ADMIN)? Where not, mounts fall back to materialising the
 * whole tree and reading it back (the slow path, O(tree)).
 */
export async function overlayAvailable(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  const filesystems = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  return /\toverlay$/m.test(filesystems);
}
