import { access, mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { run } from '../exec.js';

/** The real union filesystems strata's drivers are compared with. */
export type UnionPeer = 'kernel-overlayfs' | 'fuse-overlayfs';
export const UNION_PEERS: readonly UnionPeer[] = ['kernel-overlayfs', 'fuse-overlayfs'];

/** Why `peer` cannot mount here, or undefined when it can. */
export async function unionPeerUnavailable(peer: UnionPeer): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root to mount';
  if (peer === 'kernel-overlayfs') {
    const fss = await readFile('/proc/filesystems', 'utf8').catch(() => '');
    if (!/\toverlay\n/.test(fss)) {
      await run('modprobe', ['overlay']).catch(() => undefined);
      const again = await readFile('/proc/filesystems', 'utf8').catch(() => '');
      if (!/\toverlay\n/.test(again)) return 'the kernel has no overlay filesystem';
    }
    return undefined;
  }
  const fuse = await fuseMountUnavailable();
  if (fuse !== undefined) return fuse;
  try {
    await run('fuse-overlayfs', ['--version']);
  } catch {
    return 'fuse-overlayfs is not installed (apt-get install --no-install-recommends fuse-overlayfs)';
  }
  return undefined;
}

/** Why a FUSE union cannot mount here (root, /dev/fuse), or undefined when it can. */
export async function fuseMountUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root to mount';
  return access('/dev/fuse').then(() => undefined, () => '/dev/fuse is missing');
}

export interface UnionMountSpec {
  /** Lower directories, top first. Short names in one parent directory keep the options short. */
  readonly lowers: readonly string[];
  /** Upper and work directories for a writable mount; read-only without. */
  readonly upper?: string;
  readonly work?: string;
  readonly target: string;
}

/**
 * Where and with which `-o` options an overlay mount of spec runs. Lowers that share a parent
 * directory are passed by relative name with that directory as the working directory, so a deep
 * stack fits the 4,095-byte mount-option page (see NOTES.md). Makes the target, upper and work
 * directories, and the empty lower a read-only kernel overlay of one lower needs.
 */
export async function overlayMountOptions(peer: UnionPeer, spec: UnionMountSpec): Promise<{ options: string; cwd: string | undefined }> {
  await mkdir(spec.target, { recursive: true });
  const all = [...spec.lowers];
  if (peer === 'kernel-overlayfs' && spec.upper === undefined && all.length === 1) {
    // A read-only kernel overlay needs two lowers: add an empty one below.
    all.push(join(dirname(all[0]!), '.empty-lower'));
    await mkdir(all[1]!, { recursive: true });
  }
  const parents = new Set(all.map((l) => dirname(l)));
  const cwd = parents.size === 1 ? [...parents][0]! : undefined;
  const lowers = all.map((l) => (cwd === undefined ? l : basename(l)));
  const opts = [`lowerdir=${lowers.join(':')}`];
  if (spec.upper !== undefined && spec.work !== undefined) {
    await mkdir(spec.upper, { recursive: true });
    await mkdir(spec.work, { recursive: true });
    opts.push(`upperdir=${spec.upper}`, `workdir=${spec.work}`);
  }
  return { options: opts.join(','), cwd };
}

/** Mounts the union (see overlayMountOptions). Rejects with the tool's stderr. */
export async function mountUnion(peer: UnionPeer, spec: UnionMountSpec): Promise<void> {
  const { options, cwd } = await overlayMountOptions(peer, spec);
  if (peer === 'kernel-overlayfs') {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', options, spec.target], { cwd });
  } else {
    await run('fuse-overlayfs', ['-o', options, spec.target], { cwd });
  }
}

export async function unmountUnion(target: string): Promise<void> {
  await run('umount', [target]);
}
