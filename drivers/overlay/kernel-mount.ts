import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ErrorCode, StrataError } from '../../core/index.js';
import { sys } from '../../core/kit.js';

const run = promisify(execFile);

/** One kernel overlayfs mount, as `mount -t overlay` is asked for it. */
export interface OverlayMountSpec {
  /** Directory `mount` runs in; `lowers` are relative to it (short names keep the options short). */
  readonly cwd: string;
  /** Lower directories, top first, relative to cwd; at least one (two without an upper). */
  readonly lowers: readonly string[];
  /** Upper and work directories (absolute) for a read-write mount; both or neither. */
  readonly upper?: string;
  readonly work?: string;
  /** Absolute mount point. */
  readonly target: string;
  /** Unprivileged mounts keep overlay xattrs under user.* (`userxattr`). */
  readonly userxattr: boolean;
  /**
   * `volatile`: the mount never syncs its upper filesystem, not even at
   * unmount (which otherwise costs a syncfs of the whole filesystem). Only for
   * throw-away mounts: the kernel then refuses to reuse the work dir.
   */
  readonly volatile?: boolean;
}

/** The kernel copies mount options into one page; the option string and its NUL must fit. */
export const MAX_MOUNT_OPTIONS = 4095;

/**
 * The option string for spec. Features that would write state strata's diff
 * cannot read are off: `redirect_dir=off` (renaming a lower directory answers
 * EXDEV, so `mv` copies), `metacopy=off` (every copied-up file holds its data),
 * `index=off`. Fails with EDRIVERUNAVAILABLE where the options exceed a page.
 */
export function overlayOptions(spec: OverlayMountSpec): string {
  const parts = [`lowerdir=${spec.lowers.join(':')}`];
  if (spec.upper !== undefined && spec.work !== undefined) parts.push(`upperdir=${spec.upper}`, `workdir=${spec.work}`);
  parts.push('redirect_dir=off', 'metacopy=off', 'index=off');
  if (spec.userxattr) parts.push('userxattr');
  if (spec.volatile === true) parts.push('volatile');
  const options = parts.join(',');
  if (Buffer.byteLength(options) > MAX_MOUNT_OPTIONS) {
    throw new StrataError(
      ErrorCode.EDRIVERUNAVAILABLE,
      `overlay mount of ${spec.lowers.length} lower layers needs ${Buffer.byteLength(options)} bytes of options; the kernel takes ${MAX_MOUNT_OPTIONS}`,
    );
  }
  return options;
}

/**
 * Mounts an overlay per spec (the mount(2) call itself: no mount(8) process).
 * Fails with EDRIVERUNAVAILABLE carrying the error and, where the kernel log
 * is readable, the kernel's own reason (the call only says EINVAL).
 */
export async function mountOverlay(spec: OverlayMountSpec): Promise<void> {
  const options = overlayOptions(spec);
  const since = await uptimeSeconds();
  try {
    sys.mountIn(spec.cwd, 'overlay', spec.target, 'overlay', options);
  } catch (err) {
    const said = (err as Error).message;
    const kernel = await kernelReason(since);
    throw new StrataError(
      ErrorCode.EDRIVERUNAVAILABLE,
      `kernel overlay mount on ${spec.target} failed: ${said}${kernel === undefined ? '' : ` (kernel: ${kernel})`}`,
      { cause: err },
    );
  }
}

async function uptimeSeconds(): Promise<number | undefined> {
  const text = await readFile('/proc/uptime', 'utf8').catch(() => undefined);
  return text === undefined ? undefined : Number(text.split(' ')[0]);
}

/** The last overlayfs line the kernel logged since `since` (seconds of uptime), if dmesg may be read. */
async function kernelReason(since: number | undefined): Promise<string | undefined> {
  if (since === undefined) return undefined;
  const log = await run('dmesg', []).then((r) => r.stdout, () => '');
  let found: string | undefined;
  for (const line of log.split('\n')) {
    const m = /^\[\s*([0-9.]+)\]\s+(overlayfs: .*)$/.exec(line);
    if (m !== null && Number(m[1]) >= since - 1) found = m[2];
  }
  return found;
}
