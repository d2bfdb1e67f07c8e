import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { changesOf } from '../diff/changes.js';
import { writeDirectoryLayerTar } from '../diff/layer-tar.js';
import { naiveChanges, naiveDiff } from '../diff/naive.js';
import type { Change, CreateOptions, DriverCapabilities, LayerUsage, MountOptions, ProbeResult, StorageDriver } from '../driver.js';
import { ErrorCode, StrataError } from '../errors.js';
import { MountCounts } from '../mount-counts.js';
import type { TreeReader } from '../tree.js';
import { diskUsage } from '../disk-usage.js';
import { UpperLayerHome } from './layer-home.js';
import type { UpperLayerHomeOptions } from './layer-home.js';
import { compareUpper } from './native-diff.js';
import { extractUpper } from './upper-whiteouts.js';
import { opaqueXattrFor } from './whiteout-format.js';

/**
 * The part of a storage driver that every upper-directory driver (overlay,
 * fuse) shares: layers kept by `UpperLayerHome`, user-space lookups through
 * `UnionTree`, `applyDiff` into the upper directory, the native diff and
 * changes over the layer's own parent (`compareUpper`: the upper directory
 * only, byte-for-byte core's naive result) and core's naive ones over any
 * other parent. Mount reference counts live in
 * `<home>/counts` (`MountCounts`).
 *
 * A subclass supplies the name, capabilities, probe and how a union is
 * mounted, seen and ended (`mountHooks`); `mount` and `unmount` count
 * references around those hooks. Its `init` calls `clearStaleMounts` after
 * any recovery of its own.
 */
export abstract class UpperLayerDriver implements StorageDriver {
  abstract readonly name: string;
  abstract readonly capabilities: DriverCapabilities;
  protected readonly home: UpperLayerHome;
  protected readonly counts: MountCounts;
  protected readonly privileged = process.getuid?.() === 0;
  /** The xattr this driver writes on opaque directories (trusted.* as root, user.* otherwise). */
  protected readonly opaqueXattr: string;

  protected constructor(home: string, options: UpperLayerHomeOptions) {
    this.home = new UpperLayerHome(home, options);
    this.counts = new MountCounts(join(home, 'counts'));
    this.opaqueXattr = opaqueXattrFor(this.privileged);
  }

  abstract probe(): Promise<ProbeResult>;
  /** How this driver's unions are mounted at layers/<id>/merged. */
  protected abstract readonly mountHooks: MountHooks;

  /** Creates the home layout, removes half-made layers and count temp files; subclasses then clear stale mounts. */
  async init(): Promise<void> {
    await this.home.init();
    await this.counts.removeTemp();
  }

  async close(): Promise<void> {}

  /**
   * For a subclass's `init`: makes the durable counts agree with what is
   * really mounted after a crash or reboot. A layer live at its mount point
   * with no count is released (`detach`); a count with nothing live, or of a
   * layer that is gone, drops to 0.
   */
  protected async clearStaleMounts(): Promise<void> {
    const mounts = this.mountHooks;
    const counted = new Map(await this.counts.entries());
    for (const id of await this.home.ids()) {
      const merged = this.home.paths(id).merged;
      const live = await mounts.isLive(id, merged);
      if (live && !counted.has(id)) await mounts.detach(id, merged);
      if (!live && counted.has(id)) await this.counts.set(id, 0);
      counted.delete(id);
    }
    for (const id of counted.keys()) await this.counts.set(id, 0);
  }

  /**
   * Attaches id's union at its mount point when no reference is held or nothing
   * is live there, then counts one more and returns the mount point. Fails with
   * ENOLAYER, and as the hooks' `attach` does (EDRIVERUNAVAILABLE).
   */
  async mount(id: string, options: MountOptions = {}): Promise<string> {
    await this.home.info(id);
    const merged = this.home.paths(id).merged;
    const count = await this.counts.get(id);
    if (count === 0 || !(await this.mountHooks.isLive(id, merged))) await this.mountHooks.attach(id, merged, options);
    await this.counts.set(id, count + 1);
    return merged;
  }

  /** Drops one reference; the last one detaches. Fails with ENOLAYER. */
  async unmount(id: string): Promise<void> {
    await this.home.info(id);
    const count = await this.counts.get(id);
    if (count === 0) return;
    if (count === 1) await this.mountHooks.detach(id, this.home.paths(id).merged);
    await this.counts.set(id, count - 1);
  }

  async create(id: string, parent: string | null, options: CreateOptions): Promise<void> {
    await this.home.create(id, parent, options.writable);
  }

  async remove(id: string): Promise<void> {
    await this.mountHooks.detach(id, this.home.paths(id).merged);
    await this.home.destroy(id);
  }

  exists(id: string): Promise<boolean> {
    return this.home.exists(id);
  }

  list(): Promise<string[]> {
    return this.home.ids();
  }

  /** Drops the layer's `writable` mark (and its overlayfs work dir): its upper directory is already its content. */
  async commit(id: string): Promise<void> {
    await this.home.seal(id);
  }

  async parent(id: string): Promise<string | null> {
    return (await this.home.info(id)).parent;
  }

  async mountCount(id: string): Promise<number> {
    await this.home.info(id);
    return this.counts.get(id);
  }

  async applyDiff(id: string, parent: string | null, tar: Readable): Promise<number> {
    const info = await this.home.info(id);
    if (parent !== info.parent) {
      throw new StrataError(ErrorCode.EUNSUPPORTED, `layer ${id} was created on ${info.parent ?? 'nothing'}, not ${parent ?? 'nothing'}`);
    }
    const lower = parent === null ? null : await this.home.tree(parent);
    const result = await this.home.filling(id, (diffDir) => extractUpper(diffDir, tar, lower, this.opaqueXattr));
    return result.size;
  }

  async diff(id: string, parent: string | null): Promise<Readable> {
    const own = await this.#ownDiff(id, parent);
    if (own !== undefined) return writeDirectoryLayerTar(compareUpper(own.upperDir, own.lowerDirs), own.upperDir);
    return naiveDiff(parent === null ? null : await this.home.tree(parent), await this.home.tree(id));
  }

  async changes(id: string, parent: string | null): Promise<Change[]> {
    const own = await this.#ownDiff(id, parent);
    // the native entries say what changesOf would ask lower ('replaces', 'hidden')
    if (own !== undefined) return changesOf(compareUpper(own.upperDir, own.lowerDirs, { hiddenNames: true }), null);
    return naiveChanges(parent === null ? null : await this.home.tree(parent), await this.home.tree(id));
  }

  reader(id: string): Promise<TreeReader> {
    return this.home.tree(id);
  }

  async usage(id: string): Promise<LayerUsage> {
    await this.home.info(id);
    return diskUsage(this.home.paths(id).diff);
  }

  /**
   * Where parent is id's own: id's upper directory and its parent's stack (the
   * layers' upper directories, top first), for the native diff; undefined for
   * any other parent. Fails with ENOLAYER.
   */
  async #ownDiff(id: string, parent: string | null): Promise<{ upperDir: string; lowerDirs: string[] } | undefined> {
    const info = await this.home.info(id);
    if (parent !== info.parent) return undefined;
    const lowerDirs = parent === null ? [] : (await this.home.chain(parent)).map((l) => this.home.paths(l.id).diff);
    return { upperDir: this.home.paths(id).diff, lowerDirs };
  }
}

/** How a subclass's mounts are made, seen and ended, for the counted helpers of UpperLayerDriver. */
export interface MountHooks {
  /** Is id's union mounted (and answering) at merged now? */
  isLive(id: string, merged: string): Promise<boolean>;
  /** Mounts id's union at merged (`options` as StorageDriver.mount: a hook may ignore them). */
  attach(id: string, merged: string, options: MountOptions): Promise<void>;
  /** Ends whatever is mounted at merged; nothing mounted is a no-op. */
  detach(id: string, merged: string): Promise<void>;
}
