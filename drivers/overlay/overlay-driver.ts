import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { inject, injectable } from 'inversify';
import { DriverContext, ErrorCode, StrataError, capabilities } from '../../core/index.js';
import { UpperLayerDriver, isMounted, unmountPath } from '../../core/kit.js';
import type { DriverCapabilities, ProbeResult } from '../../core/index.js';
import type { MountHooks } from '../../core/kit.js';
import { mountOverlay } from './kernel-mount.js';
import type { OverlayMountSpec } from './kernel-mount.js';
import { clearProbe, probeKernelOverlay } from './overlay-probe.js';
import type { KernelOverlaySupport } from './overlay-probe.js';

/** The kernel stacks at most this many lower layers (OVL_MAX_STACK). */
const KERNEL_MAX_LOWERS = 500;

/**
 * overlay: each layer keeps only its own changes, an upper directory in
 * overlayfs' own format (whiteouts are char 0/0 devices, opaque directories
 * carry `trusted.overlay.opaque`, or `user.overlay.opaque` when not root), laid
 * out by core's `UpperLayerHome` (layers/<id>/{diff,work,merged}, l/<short>);
 * everything but mounting is core's `UpperLayerDriver`, shared with fuse.
 *
 * - Lookups are user-space unions (`UnionTree`): each merged directory is
 *   cached per stack, so a lookup costs about the same through 200 layers as
 *   through 1; writable layers are re-checked by directory ctime.
 * - `mount` makes a kernel overlayfs mount at layers/<id>/merged, from inside
 *   l/ with relative short lower names (500 lowers fit the one-page option
 *   limit). A writable layer mounts read-write with its diff as upperdir; a
 *   read-only one mounts only lowerdirs (its own diff on top), so writes fail
 *   with EROFS. Counts are durable (`MountCounts`) across processes.
 * - `diff`/`changes` over the layer's own parent read only its upper directory
 *   (`compareUpper`) and give byte-for-byte core's naive result; over any other
 *   parent they are core's naive diff.
 * - Where kernel overlay cannot mount (no module, not root), `probe` says so
 *   in `reason` while staying ok, and only `mount` fails (EDRIVERUNAVAILABLE).
 */
@injectable()
export class OverlayDriver extends UpperLayerDriver {
  readonly name = 'overlay';
  readonly capabilities: DriverCapabilities = capabilities({
    nativeDiff: true,
    mountKind: 'kernel',
    snapshotCost: 'constant',
    // redirect_dir=off: renaming a lower directory through a mount answers EXDEV.
    renameDirectories: false,
    maxDepth: KERNEL_MAX_LOWERS,
  });
  #support: Promise<KernelOverlaySupport> | undefined;
  /** Kernel overlayfs mounts at layers/<id>/merged, for the counted mount helpers. */
  protected readonly mountHooks: MountHooks = {
    isLive: (_id, merged) => isMounted(merged),
    attach: async (id, _merged, options) => {
      const support = await this.#kernelSupport();
      if (!support.mountable) throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `cannot mount layer ${id}: ${support.reason}`);
      const spec = await this.#mountSpec(id);
      await mountOverlay(options.volatile === true && spec.upper !== undefined ? { ...spec, volatile: true } : spec);
    },
    detach: async (id, merged) => {
      if (!(await unmountPath(merged))) return;
      // A volatile mount leaves the kernel's mark in its work dir, and the kernel then refuses to mount
      // the layer again. This unmount was clean (nothing was lost), so the mark can go.
      await rm(join(this.home.paths(id).work, 'work', 'incompat', 'volatile'), { recursive: true, force: true });
    },
  };

  constructor(@inject(DriverContext) context: DriverContext) {
    super(context.home, { workDirs: true });
  }

  async probe(): Promise<ProbeResult> {
    const support = await this.#kernelSupport();
    return support.mountable ? { ok: true } : { ok: true, reason: `mount unavailable: ${support.reason}` };
  }

  /** Also clears stale mounts: mounted with no count (unmounted), counted but not mounted (count dropped). */
  override async init(): Promise<void> {
    await clearProbe(this.#probeDir());
    await super.init();
    await this.clearStaleMounts();
  }

  /**
   * A writable layer: its parents as lowers (or the empty dir for a base), its
   * diff as upper. A read-only layer: its own diff as the top lower, and the
   * empty dir under a lone layer (overlayfs wants two lowers without an upper).
   */
  async #mountSpec(id: string): Promise<OverlayMountSpec> {
    const [own, ...below] = await this.home.chain(id);
    const paths = this.home.paths(id);
    const empty = join('..', 'empty');
    const common = { cwd: this.home.linkDir, target: paths.merged, userxattr: !this.privileged };
    if (own!.writable) {
      return { ...common, lowers: below.length === 0 ? [empty] : below.map((l) => l.link), upper: paths.diff, work: paths.work };
    }
    const lowers = [own!, ...below].map((l) => l.link);
    return { ...common, lowers: lowers.length === 1 ? [...lowers, empty] : lowers };
  }

  #kernelSupport(): Promise<KernelOverlaySupport> {
    this.#support ??= probeKernelOverlay(this.#probeDir());
    return this.#support;
  }

  #probeDir(): string {
    return join(this.home.root, 'probe');
  }
}
