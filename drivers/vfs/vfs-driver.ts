import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, rename, rm, writeFile, chown } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { inject, injectable } from 'inversify';
import { DriverContext, ErrorCode, StrataError, capabilities, errnoOf } from '../../core/index.js';
import { DirectoryLayers, DirectoryTree, MountCounts, bindMount, deletingWhiteouts, diskUsage, extractLayer, isMounted, unmountPath } from '../../core/kit.js';
import type { CreateOptions, DriverCapabilities, LayerUsage, ProbeResult, StorageDriver, TreeReader } from '../../core/index.js';
import { copyTree } from './copy-tree.js';

/** What create() records next to a layer's tree. */
interface LayerMeta {
  readonly parent: string | null;
  readonly writable: boolean;
}


/**
 * vfs: every layer is a full copy of its parent's tree (reflink clones where the
 * filesystem offers them), so lookups and mounts are plain directory access and
 * diff is core's naive tree comparison over `reader` (DirectoryLayers).
 *
 * Home layout:
 *
 *     layers/<id>/meta.json   parent and writability
 *     layers/<id>/root/       the layer's whole union
 *     mounts/<id>/            read-only bind mount of root/ while a read-only layer is mounted
 *     counts/<id>             durable mount reference count (MountCounts)
 *     tmp/                    layers being built; renamed into layers/ when complete
 *
 * A writable layer mounts as its root/ itself; a read-only layer mounts as a
 * read-only bind of it, so writes through the mount fail with EROFS. Bind mounts
 * need root: elsewhere mounting a read-only layer fails with EDRIVERUNAVAILABLE
 * (probe says so).
 *
 * Lookups: a read-only layer's directory no longer changes once its
 * `applyDiff` is over (only `applyDiff` and `remove` touch it; its mount is a
 * read-only bind), so its reader is kept per layer and remembers which parent
 * directories it has checked for symlinks (DirectoryTree `immutable`); a
 * writable layer's reader checks every time.
 */
@injectable()
export class VfsDriver extends DirectoryLayers implements StorageDriver {
  readonly name = 'vfs';
  readonly capabilities: DriverCapabilities = capabilities({ mountKind: 'directory', snapshotCost: 'linear' });
  readonly #home: string;
  readonly #counts: MountCounts;
  /** Readers of read-only layers, kept between calls; dropped (and told to forget) when the layer's directory may change. */
  readonly #readers = new Map<string, { readonly tree: DirectoryTree; readonly identity: string }>();
  /** Layers whose applyDiff is running in this process: never cached. */
  readonly #applying = new Set<string>();

  constructor(@inject(DriverContext) context: DriverContext) {
    super();
    this.#home = context.home;
    this.#counts = new MountCounts(join(context.home, 'counts'));
  }

  async probe(): Promise<ProbeResult> {
    if (process.getuid?.() !== 0) {
      return { ok: true, reason: 'not root: owners other than yours are not kept, and read-only layers cannot be mounted (no bind mounts)' };
    }
    return { ok: true };
  }

  async init(): Promise<void> {
    for (const dir of ['layers', 'mounts', 'tmp']) await mkdir(join(this.#home, dir), { recursive: true, mode: 0o700 });
    await this.#counts.removeTemp();
    for (const [id] of await this.#counts.entries()) {
      const meta = await this.#metaOrUndefined(id);
      const live = meta !== undefined && (meta.writable || (await isMounted(this.#mountPath(id))));
      if (!live) await this.#counts.set(id, 0);
    }
  }

  async close(): Promise<void> {}

  async create(id: string, parent: string | null, options: CreateOptions): Promise<void> {
    const temp = await this.#tempDir(id);
    try {
      await this.#buildRoot(parent, join(temp, 'root'));
      const meta: LayerMeta = { parent, writable: options.writable };
      await writeFile(join(temp, 'meta.json'), JSON.stringify(meta));
      await rename(temp, this.#layerDir(id));
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      if (errnoOf(err) === 'ENOTEMPTY' || errnoOf(err) === 'EEXIST') {
        throw new StrataError(ErrorCode.ELAYEREXISTS, `layer ${id} exists already`, { cause: err });
      }
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    this.#dropReader(id);
    await this.#destroy(id);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.#metaOrUndefined(id)) !== undefined;
  }

  list(): Promise<string[]> {
    return readdir(join(this.#home, 'layers'));
  }

  /** Rewrites meta.json (atomically) with writable false; the tree stays where it is. */
  async commit(id: string): Promise<void> {
    const meta = await this.#meta(id);
    if (!meta.writable) return;
    const next = join(this.#layerDir(id), 'meta.json.new');
    await writeFile(next, JSON.stringify({ ...meta, writable: false } satisfies LayerMeta), { flush: true });
    await rename(next, join(this.#layerDir(id), 'meta.json'));
  }

  async parent(id: string): Promise<string | null> {
    return (await this.#meta(id)).parent;
  }

  async mount(id: string): Promise<string> {
    const meta = await this.#meta(id);
    const count = await this.#counts.get(id);
    if (meta.writable) {
      await this.#counts.set(id, count + 1);
      return this.#rootOf(id);
    }
    const path = this.#mountPath(id);
    if (count === 0 || !(await isMounted(path))) await bindMount(this.#rootOf(id), path, true);
    await this.#counts.set(id, count + 1);
    return path;
  }

  async unmount(id: string): Promise<void> {
    const meta = await this.#meta(id);
    const count = await this.#counts.get(id);
    if (count === 0) return;
    if (count === 1 && !meta.writable) {
      await unmountPath(this.#mountPath(id));
      await rm(this.#mountPath(id), { recursive: false, force: true }).catch(() => undefined);
    }
    await this.#counts.set(id, count - 1);
  }

  async mountCount(id: string): Promise<number> {
    await this.#meta(id);
    return this.#counts.get(id);
  }

  async applyDiff(id: string, _parent: string | null, tar: Readable): Promise<number> {
    const meta = await this.#meta(id);
    this.#applying.add(id);
    this.#dropReader(id);
    try {
      // The layer's root already holds the parent's tree: no `lower` needed.
      return (await extractLayer(this.#rootOf(id), tar, { whiteouts: deletingWhiteouts })).size;
    } catch (err) {
      await this.#resetRoot(id, meta.parent);
      throw err;
    } finally {
      this.#applying.delete(id);
      this.#dropReader(id);
    }
  }

  /** See StorageDriver.reader; a read-only layer's reader is kept and remembers its checks. */
  override async reader(id: string): Promise<TreeReader> {
    const kept = this.#readers.get(id);
    if (kept !== undefined) {
      // Another process may have removed the layer and made a new one under the same id.
      if ((await this.#identity(id)) === kept.identity) return kept.tree;
      this.#dropReader(id);
    }
    const identity = await this.#identity(id);
    const meta = await this.#meta(id);
    if (meta.writable || this.#applying.has(id) || identity === undefined) return new DirectoryTree(this.#rootOf(id));
    const tree = new DirectoryTree(this.#rootOf(id), { immutable: true });
    // applyDiff may have started while meta.json was read
    if (!this.#applying.has(id)) this.#readers.set(id, { tree, identity });
    else tree.forget();
    return tree;
  }

  /** Which incarnation of layer id this is: meta.json's inode and birth time (a re-made layer has a new meta.json). */
  async #identity(id: string): Promise<string | undefined> {
    try {
      const st = await lstat(join(this.#layerDir(id), 'meta.json'), { bigint: true });
      return `${st.ino}:${st.birthtimeNs}`;
    } catch {
      return undefined;
    }
  }

  #dropReader(id: string): void {
    this.#readers.get(id)?.tree.forget();
    this.#readers.delete(id);
  }

  async usage(id: string): Promise<LayerUsage> {
    await this.#meta(id);
    return diskUsage(this.#rootOf(id));
  }

  /** A fresh root at `target`: a copy of parent's, or an empty 0755 root owned 0:0 (where we may chown). */
  async #buildRoot(parent: string | null, target: string): Promise<void> {
    if (parent !== null) return copyTree(this.#rootOf(parent), target);
    await mkdir(target, { mode: 0o755 });
    if (process.getuid?.() === 0) await chown(target, 0, 0);
  }

  /** After a failed applyDiff: the root goes back to the parent's copy, so none of the tar is visible. */
  async #resetRoot(id: string, parent: string | null): Promise<void> {
    const temp = await this.#tempDir(id);
    await this.#buildRoot(parent, join(temp, 'root'));
    await rename(this.#rootOf(id), join(temp, 'old'));
    await rename(join(temp, 'root'), this.#rootOf(id));
    await rm(temp, { recursive: true, force: true });
  }

  /** Removes the layer atomically (rename out of layers/, then delete), its mount point and count. */
  async #destroy(id: string): Promise<void> {
    await unmountPath(this.#mountPath(id));
    await rm(this.#mountPath(id), { recursive: true, force: true });
    const temp = await this.#tempDir(id);
    await rename(this.#layerDir(id), join(temp, 'layer'));
    await this.#counts.set(id, 0);
    await rm(temp, { recursive: true, force: true });
  }

  protected async layerRoot(id: string): Promise<string> {
    await this.#meta(id);
    return this.#rootOf(id);
  }

  async #meta(id: string): Promise<LayerMeta> {
    const meta = await this.#metaOrUndefined(id);
    if (meta === undefined) throw new StrataError(ErrorCode.ENOLAYER, `no layer ${id}`);
    return meta;
  }

  async #metaOrUndefined(id: string): Promise<LayerMeta | undefined> {
    try {
      return JSON.parse(await readFile(join(this.#layerDir(id), 'meta.json'), 'utf8')) as LayerMeta;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
      throw new StrataError(ErrorCode.ECORRUPT, `layer ${id}: unreadable meta.json`, { cause: err });
    }
  }

  async #tempDir(id: string): Promise<string> {
    const dir = join(this.#home, 'tmp', `${id}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { mode: 0o700 });
    return dir;
  }

  #layerDir(id: string): string {
    return join(this.#home, 'layers', id);
  }

  #rootOf(id: string): string {
    return join(this.#layerDir(id), 'root');
  }

  #mountPath(id: string): string {
    return join(this.#home, 'mounts', id);
  }
}
