import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { inject, injectable } from 'inversify';
import {
  DriverContext,
  ErrorCode,
  MountCounts,
  StrataError,
  UpperLayerHome,
  capabilities,
  changesOf,
  compareUpper,
  diskUsage,
  extractUpper,
  isMounted,
  naiveChanges,
  naiveDiff,
  opaqueXattrFor,
  unmountPath,
  writeLayerTar,
} from '../../core/index.js';
import type {
  Change,
  CreateOptions,
  DriverCapabilities,
  EntryStat,
  LayerUsage,
  ProbeResult,
  StorageDriver,
  TreeReader,
} from '../../core/index.js';
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
 * out by core's `UpperLayerHome` (layers/<id>/{diff,work,merged}, l/<short>).
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
export class OverlayDriver implements StorageDriver {
  readonly name = 'overlay';
  readonly capabilities: DriverCapabilities = capabilities({
    nativeDiff: true,
    mountKind: 'kernel',
    snapshotCost: 'constant',
    // redirect_dir=off: renaming a lower directory through a mount answers EXDEV.
    renameDirectories: false,
    maxDepth: KERNEL_MAX_LOWERS,
  });
  readonly #home: UpperLayerHome;
  readonly #counts: MountCounts;
  readonly #privileged = process.getuid?.() === 0;
  readonly #opaqueXattr: string;
  #support: Promise<KernelOverlaySupport> | undefined;

  constructor(@inject(DriverContext) context: DriverContext) {
    this.#home = new UpperLayerHome(context.home, { workDirs: true });
    this.#counts = new MountCounts(join(context.home, 'counts'));
    this.#opaqueXattr = opaqueXattrFor(this.#privileged);
  }

  async probe(): Promise<ProbeResult> {
    const support = await this.#kernelSupport();
    return support.mountable ? { ok: true } : { ok: true, reason: `mount unavailable: ${support.reason}` };
  }

  async init(): Promise<void> {
    await clearProbe(this.#probeDir());
    await this.#home.init();
    await this.#counts.removeTemp();
    const counted = new Map(await this.#counts.entries());
    for (const id of await this.#home.ids()) {
      const merged = this.#home.paths(id).merged;
      const mounted = await isMounted(merged);
      if (mounted && !counted.has(id)) await unmountPath(merged);
      if (!mounted && counted.has(id)) await this.#counts.set(id, 0);
      counted.delete(id);
    }
    for (const id of counted.keys()) await this.#counts.set(id, 0); // counts of layers that are gone
  }

  async close(): Promise<void> {}

  async create(id: string, parent: string | null, options: CreateOptions): Promise<void> {
    await this.#home.create(id, parent, options.writable);
  }

  async remove(id: string): Promise<void> {
    await this.#home.info(id);
    if ((await this.#counts.get(id)) > 0) throw new StrataError(ErrorCode.ELAYERBUSY, `layer ${id} is mounted; unmount it first`);
    const child = await this.#home.childOf(id);
    if (child !== undefined) throw new StrataError(ErrorCode.ELAYERHASCHILDREN, `layer ${id} has child layer ${child}; remove it first`);
    await unmountPath(this.#home.paths(id).merged);
    await this.#home.destroy(id);
  }

  exists(id: string): Promise<boolean> {
    return this.#home.exists(id);
  }

  async parent(id: string): Promise<string | null> {
    return (await this.#home.info(id)).parent;
  }

  async mount(id: string): Promise<string> {
    await this.#home.info(id);
    const target = this.#home.paths(id).merged;
    const count = await this.#counts.get(id);
    if (count === 0 || !(await isMounted(target))) {
      const support = await this.#kernelSupport();
      if (!support.mountable) throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `cannot mount layer ${id}: ${support.reason}`);
      await mountOverlay(await this.#mountSpec(id));
    }
    await this.#counts.set(id, count + 1);
    return target;
  }

  async unmount(id: string): Promise<void> {
    await this.#home.info(id);
    const count = await this.#counts.get(id);
    if (count === 0) return;
    if (count === 1) await unmountPath(this.#home.paths(id).merged);
    await this.#counts.set(id, count - 1);
  }

  async mountCount(id: string): Promise<number> {
    await this.#home.info(id);
    return this.#counts.get(id);
  }

  async applyDiff(id: string, parent: string | null, tar: Readable): Promise<number> {
    const info = await this.#home.info(id);
    if (parent !== info.parent) {
      throw new StrataError(ErrorCode.EUNSUPPORTED, `layer ${id} was created on ${info.parent ?? 'nothing'}, not ${parent ?? 'nothing'}`);
    }
    const lower = parent === null ? null : await this.#home.tree(parent);
    const result = await this.#home.filling(id, (diffDir) => extractUpper(diffDir, tar, lower, this.#opaqueXattr));
    return result.size;
  }

  async diff(id: string, parent: string | null): Promise<Readable> {
    const { lower, upper, entries } = await this.#compare(id, parent);
    return entries === undefined ? naiveDiff(lower, upper) : writeLayerTar(entries, upper);
  }

  async changes(id: string, parent: string | null): Promise<Change[]> {
    const { lower, upper, entries } = await this.#compare(id, parent);
    return entries === undefined ? naiveChanges(lower, upper) : changesOf(entries, lower);
  }

  async stat(id: string, path: string): Promise<EntryStat | undefined> {
    return (await this.#home.tree(id)).stat(path);
  }

  async readdir(id: string, path: string): Promise<string[]> {
    return (await this.#home.tree(id)).readdir(path);
  }

  async read(id: string, path: string): Promise<Readable> {
    return (await this.#home.tree(id)).read(path);
  }

  async xattrs(id: string, path: string): Promise<Record<string, Buffer>> {
    return (await this.#home.tree(id)).xattrs(path);
  }

  async usage(id: string): Promise<LayerUsage> {
    await this.#home.info(id);
    return diskUsage(this.#home.paths(id).diff);
  }

  /** Trees for a diff of id over parent, and the native entries where parent is id's own. */
  async #compare(id: string, parent: string | null) {
    const info = await this.#home.info(id);
    const upper = await this.#home.tree(id);
    const lower: TreeReader | null = parent === null ? null : await this.#home.tree(parent);
    const entries = parent === info.parent ? compareUpper(this.#home.paths(id).diff, lower, upper) : undefined;
    return { lower, upper, entries };
  }

  /**
   * A writable layer: its parents as lowers (or the empty dir for a base), its
   * diff as upper. A read-only layer: its own diff as the top lower, and the
   * empty dir under a lone layer (overlayfs wants two lowers without an upper).
   */
  async #mountSpec(id: string): Promise<OverlayMountSpec> {
    const [own, ...below] = await this.#home.chain(id);
    const paths = this.#home.paths(id);
    const empty = join('..', 'empty');
    const common = { cwd: this.#home.linkDir, target: paths.merged, userxattr: !this.#privileged };
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
    return join(this.#home.root, 'probe');
  }
}
