import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { inject, injectable } from 'inversify';
import { DriverContext, ErrorCode, StrataError, UpperLayerDriver, capabilities } from '../../core/index.js';
import type { DriverCapabilities, ProbeResult } from '../../core/index.js';
import { MountSupervisor } from './mount-supervisor.js';

/**
 * fuse: the overlay driver's on-disk layers (core's `UpperLayerDriver`: upper
 * directories in overlayfs' whiteout format, user-space lookups, native
 * diff), mounted by strata's own union filesystem in TypeScript on
 * fuse-native (libfuse 2) — where kernel overlayfs is not allowed.
 *
 * - `mount(id)` starts one detached process per mounted layer
 *   (mount-process.ts) serving layers/<id>/merged, and returns once the mount
 *   answers; counts (`MountCounts`) and the process's pid (`MountSupervisor`)
 *   are on disk, so `strata layer mount` leaves a working mount behind and a
 *   later `strata layer umount` ends it (SIGTERM: the process unmounts and exits).
 * - A writable layer mounts read-write (copy-up, whiteouts, opaque dirs,
 *   renames of lower directories by copying); a read-only one mounts `ro`.
 * - `init` clears stale mounts: a mount whose process died (ENOTCONN) is
 *   lazily unmounted and its count dropped.
 * - fuse-native loads only in the mount process and in `probe`.
 */
@injectable()
export class FuseDriver extends UpperLayerDriver {
  readonly name = 'fuse';
  readonly capabilities: DriverCapabilities = capabilities({
    nativeDiff: true,
    mountKind: 'fuse',
    snapshotCost: 'constant',
    renameDirectories: true,
  });
  readonly #mounts: MountSupervisor;

  constructor(@inject(DriverContext) context: DriverContext) {
    super(context.home, { workDirs: true });
    this.#mounts = new MountSupervisor(context.home, join(context.home, 'mounts'));
  }

  async probe(): Promise<ProbeResult> {
    try {
      await access('/dev/fuse', constants.R_OK | constants.W_OK);
    } catch {
      return { ok: false, reason: '/dev/fuse is missing or not accessible (load the fuse module; in a container, pass --device /dev/fuse)' };
    }
    try {
      await import('fuse-native');
    } catch (err) {
      return { ok: false, reason: `fuse-native (libfuse 2) does not load: ${(err as Error).message}` };
    }
    return { ok: true };
  }

  override async init(): Promise<void> {
    await super.init();
    const counted = new Map(await this.counts.entries());
    for (const id of await this.home.ids()) {
      const merged = this.home.paths(id).merged;
      await this.#mounts.clearStale(id, merged);
      const serving = await this.#mounts.serving(id, merged);
      if (serving && !counted.has(id)) await this.#mounts.stop(id, merged);
      if (!serving && counted.has(id)) await this.counts.set(id, 0);
      counted.delete(id);
    }
    for (const id of counted.keys()) await this.counts.set(id, 0); // counts of layers that are gone
  }

  /** Fails with ENOLAYER, EDRIVERUNAVAILABLE (no /dev/fuse, or the mount process's reason). */
  async mount(id: string): Promise<string> {
    await this.home.info(id);
    const target = this.home.paths(id).merged;
    const count = await this.counts.get(id);
    if (count === 0 || !(await this.#mounts.serving(id, target))) {
      const probe = await this.probe();
      if (!probe.ok) throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `cannot mount layer ${id}: ${probe.reason}`);
      await this.#mounts.clearStale(id, target);
      await this.#mounts.start(id, target);
    }
    await this.counts.set(id, count + 1);
    return target;
  }

  async unmount(id: string): Promise<void> {
    await this.home.info(id);
    const count = await this.counts.get(id);
    if (count === 0) return;
    if (count === 1) await this.#mounts.stop(id, this.home.paths(id).merged);
    await this.counts.set(id, count - 1);
  }

  protected async releaseMount(id: string): Promise<void> {
    await this.#mounts.stop(id, this.home.paths(id).merged);
  }
}
