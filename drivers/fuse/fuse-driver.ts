import { access, constants, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inject, injectable } from 'inversify';
import { DriverContext, ErrorCode, StrataError, capabilities } from '../../core/index.js';
import { UpperLayerDriver, bootId, rememberedProbe } from '../../core/kit.js';
import { importModule } from '../../core/runtime/import-module.js';
import type { DriverCapabilities, ProbeResult } from '../../core/index.js';
import type { MountHooks } from '../../core/kit.js';
import { MountSupervisor } from './mount-supervisor.js';
import { fuseNativeDir } from './native-binding.js';

/**
 * What a passed load of fuse-native depends on: the boot, and the binding's
 * files (a reinstall changes their times). Undefined (always load) where
 * fuse-native cannot even be found.
 */
async function bindingKey(): Promise<string | undefined> {
  const boot = await bootId();
  if (boot === undefined) return undefined;
  try {
    const dir = fuseNativeDir();
    const files = [join(dir, 'package.json'), join(dir, 'build', 'Release', 'fuse.node')];
    const times = await Promise.all(files.map(async (f) => `${f} ${(await stat(f)).mtimeMs}\n`));
    return `${boot}\n${times.join('')}`;
  } catch {
    return undefined;
  }
}

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
  /** A mount is live while its process serves it; attach starts one, detach ends it. */
  protected readonly mountHooks: MountHooks = {
    isLive: (id, merged) => this.#mounts.serving(id, merged),
    attach: async (id, merged) => {
      const probe = await this.probe();
      if (!probe.ok) throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `cannot mount layer ${id}: ${probe.reason}`);
      await this.#mounts.clearStale(id, merged);
      await this.#mounts.start(id, merged);
    },
    detach: (id, merged) => this.#mounts.stop(id, merged),
  };

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
    const reason = await rememberedProbe(join(this.home.root, 'probe.ok'), await bindingKey(), () =>
      importModule('fuse-native').then(() => undefined, (err: unknown) => (err as Error).message),
    );
    return reason === undefined ? { ok: true } : { ok: false, reason: `fuse-native (libfuse 2) does not load: ${reason}` };
  }

  override async init(): Promise<void> {
    await super.init();
    // Mounts whose process died first (ENOTCONN): then counts agree with what is served.
    for (const id of await this.home.ids()) await this.#mounts.clearStale(id, this.home.paths(id).merged);
    await this.clearStaleMounts();
  }
}
