import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Change, MountOptions } from '../driver.js';
import { ErrorCode, StrataError } from '../errors.js';
import { randomId, type Digest } from '../ids.js';
import { commitLayer, finishCommit, type CommitOptions } from './layer-commit.js';
import { driverParentOf, resolveLayer, toInfo, type LayerContext } from './layer-context.js';
import { importLayer, type ImportOptions } from './layer-import.js';
import type { CheckResult, DiskUsage, LayerInfo } from './layer-info.js';
import { checkLayers, layerDiskUsage } from './layer-report.js';
import { recoverLayers } from './layer-recovery.js';
import { LayerRows, type LayerRow } from './layer-rows.js';
import type { StoreRoot } from './store-root.js';
import type { DriverRuntime } from '../runtime/driver-runtime.js';
import type { Lease } from './leases.js';
import { replayTarSplit } from './tar-split-replay.js';

export type { ImportOptions } from './layer-import.js';
export type { CommitOptions } from './layer-commit.js';

export interface CreateLayerOptions {
  readonly parent?: string;
  readonly writable: boolean;
  /** Holds the new layer's reference (recorded in the transaction that makes it visible). */
  readonly lease?: Lease;
}

/**
 * The layer store of one root: layer rows (layer-rows.ts) in the root's
 * database, content through the root's driver, tar-split records under
 * `<root>/layers/`. A peer of the other stores over one StoreRoot.
 *
 * Visibility: a layer is listed and resolvable only once ready — after the driver
 * created it and (for imports) applyDiff returned with its content synced and the
 * record file was synced. Whatever a crash leaves half-made is removed by `recover`.
 *
 * References: each import (or creation) holds one reference, returned to its
 * caller; other stores hold layers with `retain` and give them back with
 * `release`, which deletes a layer at its last reference. Ids may be given as
 * the full id, `sha256:<id>` or a unique prefix of 12+ hex digits.
 *
 * Concurrency: mutating methods take the store lock for their whole duration,
 * across processes; the `…Locked` variants are for callers already holding it
 * (other stores composing an operation). Lookups (`list`, `get`, `diff`,
 * `changes`) take none.
 */
export class LayerStore {
  readonly #ctx: LayerContext;

  constructor(root: StoreRoot, dir: string) {
    this.#ctx = { root, rows: new LayerRows(root.db), dir };
  }

  /** Finishes what a crash left half-done; the caller holds the lock, after the driver's init. */
  async recover(): Promise<void> {
    await finishCommit(this.#ctx);
    await recoverLayers(this.#ctx);
  }

  /** The name of the store's driver. */
  get driverName(): string {
    return this.#ctx.root.driver.name;
  }

  /** The store's root directory. */
  get root(): string {
    return this.#ctx.root.path;
  }

  /** Every ready layer, oldest first. */
  list(): LayerInfo[] {
    return this.#ctx.rows.readyLayers().map(toInfo);
  }

  /** A layer by reference. Fails with ENOLAYER, EAMBIGUOUS. */
  get(ref: string): LayerInfo {
    return toInfo(resolveLayer(this.#ctx, ref));
  }

  /** The layer whose chainID is chainId, if it is ready. */
  byChainId(chainId: Digest): LayerInfo | undefined {
    const row = this.#ctx.rows.find(chainId.slice('sha256:'.length));
    return row !== undefined && row.state === 'ready' ? toInfo(row) : undefined;
  }

  /**
   * Imports an OCI layer tarball (plain or gzip, detected by magic) on
   * `options.parent`; its id is its chainID. The caller holds the returned
   * reference. Fails with ENOLAYER/EAMBIGUOUS (parent), EBADARCHIVE,
   * EUNSAFEARCHIVE, ELOCKED; on any failure no layer is left behind.
   */
  importLayer(input: Readable, options: ImportOptions = {}): Promise<LayerInfo> {
    return this.#ctx.root.lock.run('import', async () => toInfo(await importLayer(this.#ctx, input, options)));
  }

  /** importLayer for a caller holding the store lock. */
  async importLayerLocked(input: Readable, options: ImportOptions = {}): Promise<LayerInfo> {
    return toInfo(await importLayer(this.#ctx, input, options));
  }

  /** An empty layer with a random id. Fails with ENOLAYER/EAMBIGUOUS (parent), ELOCKED. */
  createLayer(options: CreateLayerOptions): Promise<LayerInfo> {
    return this.#ctx.root.lock.run('create', () => this.createLayerLocked(options));
  }

  async createLayerLocked(options: CreateLayerOptions): Promise<LayerInfo> {
    const { rows, root } = this.#ctx;
    const parent = options.parent === undefined ? null : resolveLayer(this.#ctx, options.parent);
    const id = randomId();
    rows.insertCreating({ id, parent: parent?.id ?? null, writable: options.writable ? 1 : 0, driver: root.driver.name });
    try {
      await root.driver.create(id, parent?.driver_id ?? null, { writable: options.writable });
    } catch (err) {
      rows.delete(id);
      throw err;
    }
    root.db.transaction(() => {
      rows.setState(id, 'ready');
      options.lease?.addLayer(id);
    });
    return toInfo(rows.find(id)!);
  }

  /**
   * A writable layer becomes a read-only layer under its chainID, without
   * copying its content (see layer-commit.ts). Returns the committed layer
   * (an existing one with the same content gains the reference instead).
   * Fails with ENOLAYER, EAMBIGUOUS, EINVALID (read-only), ELAYERBUSY, ELAYERHASCHILDREN.
   */
  commit(ref: string, options: CommitOptions = {}): Promise<LayerInfo> {
    return this.#ctx.root.lock.run('commit', () => this.commitLocked(ref, options));
  }

  async commitLocked(ref: string, options: CommitOptions = {}): Promise<LayerInfo> {
    return toInfo(await commitLayer(this.#ctx, ref, options));
  }

  /**
   * The layer's OCI tarball. A layer with a tar-split record gives back the
   * imported (uncompressed) bytes exactly, verified against its diffID as it
   * streams (the stream fails with ECORRUPT naming the layer); other layers give
   * the driver's diff against their parent. Fails with ENOLAYER, EAMBIGUOUS.
   */
  async diff(ref: string): Promise<Readable> {
    return this.diffThrough(ref, this.#ctx.root.driver);
  }

  /** `diff`, with the content read from `driver` (another driver holding the same layers: migration). */
  async diffThrough(ref: string, driver: DriverRuntime): Promise<Readable> {
    const row = resolveLayer(this.#ctx, ref);
    if (row.tar_split !== null && row.diff_id !== null) {
      const reader = await driver.reader(row.driver_id);
      return replayTarSplit({
        recordPath: join(this.#ctx.dir, row.tar_split),
        layer: row.id,
        diffId: row.diff_id as Digest,
        readFile: (path) => reader.read(path),
      });
    }
    return driver.diff(row.driver_id, driverParentOf(this.#ctx, row));
  }

  /**
   * The layer's changes over `base`, one of its ancestors (null: its whole
   * union), as an OCI layer tarball from the driver (native where it can, else
   * the naive comparison). Fails with ENOLAYER, EAMBIGUOUS.
   */
  async diffOver(ref: string, base: string | null): Promise<Readable> {
    const row = resolveLayer(this.#ctx, ref);
    return this.#ctx.root.driver.diff(row.driver_id, base === null ? null : resolveLayer(this.#ctx, base).driver_id);
  }

  /** The layer's whole union as an OCI layer tarball (no whiteouts: `docker export`). Fails with ENOLAYER, EAMBIGUOUS. */
  exportTar(ref: string): Promise<Readable> {
    return this.diffOver(ref, null);
  }

  /** Added / Modified / Deleted paths of the layer over its parent (or over `base`, an ancestor). Fails with ENOLAYER, EAMBIGUOUS. */
  async changes(ref: string, base?: string): Promise<Change[]> {
    const row = resolveLayer(this.#ctx, ref);
    const over = base === undefined ? driverParentOf(this.#ctx, row) : resolveLayer(this.#ctx, base).driver_id;
    return this.#ctx.root.driver.changes(row.driver_id, over);
  }

  /** Mounts the layer's union and returns its path (reference-counted by the driver; `options` as StorageDriver.mount). */
  mount(ref: string, options?: MountOptions): Promise<string> {
    return this.#ctx.root.lock.run('mount', () => this.mountLocked(ref, options));
  }

  async mountLocked(ref: string, options?: MountOptions): Promise<string> {
    const row = resolveLayer(this.#ctx, ref);
    const path = await this.#ctx.root.driver.mount(row.driver_id, options);
    const count = await this.#ctx.root.driver.mountCount(row.driver_id);
    this.#ctx.root.db.relaxed(() => this.#ctx.rows.setMountCount(row.id, count));
    return path;
  }

  /** Drops one mount reference. */
  unmount(ref: string): Promise<void> {
    return this.#ctx.root.lock.run('unmount', () => this.unmountLocked(ref));
  }

  async unmountLocked(ref: string): Promise<void> {
    const row = resolveLayer(this.#ctx, ref);
    await this.#ctx.root.driver.unmount(row.driver_id);
    const count = await this.#ctx.root.driver.mountCount(row.driver_id);
    this.#ctx.root.db.relaxed(() => this.#ctx.rows.setMountCount(row.id, count));
  }

  /** One more reference to a ready layer (inside the caller's transaction, if any). Fails with ENOLAYER. */
  retain(id: string): void {
    const row = this.#ctx.rows.find(id);
    if (row === undefined || row.state !== 'ready') throw new StrataError(ErrorCode.ENOLAYER, `no layer ${id}`);
    this.#ctx.rows.setRefCount(id, row.ref_count + 1);
  }

  /**
   * Gives back one reference that is not the last (inside the caller's
   * transaction): for a holder handing over to another that holds the layer
   * too. Fails with ENOLAYER, and with ECORRUPT where it would be the last.
   */
  unreference(id: string): void {
    const row = this.#ctx.rows.find(id);
    if (row === undefined || row.state !== 'ready') throw new StrataError(ErrorCode.ENOLAYER, `no layer ${id}`);
    if (row.ref_count < 2) throw new StrataError(ErrorCode.ECORRUPT, `layer ${id}: its last reference cannot be handed over`);
    this.#ctx.rows.setRefCount(id, row.ref_count - 1);
  }

  /**
   * Drops one reference; at the last one deletes the layer from the driver and
   * the database. Fails with ELAYERHASCHILDREN while layers are built on it,
   * ELAYERBUSY while it is mounted (then nothing changes), ENOLAYER, EAMBIGUOUS.
   */
  remove(ref: string): Promise<void> {
    return this.#ctx.root.lock.run('remove', () => this.releaseLocked(ref));
  }

  /** remove for a caller holding the store lock. */
  async releaseLocked(ref: string): Promise<void> {
    const { rows, root } = this.#ctx;
    const row = resolveLayer(this.#ctx, ref);
    if (row.ref_count > 1) {
      rows.setRefCount(row.id, row.ref_count - 1);
      return;
    }
    const children = rows.childCount(row.id);
    if (children > 0) {
      throw new StrataError(ErrorCode.ELAYERHASCHILDREN, `layer ${row.id} has ${children} child layer(s); remove them first`);
    }
    const mounts = await root.driver.mountCount(row.driver_id);
    if (mounts > 0) {
      throw new StrataError(ErrorCode.ELAYERBUSY, `layer ${row.id} is mounted (${mounts} reference(s)); unmount it first`);
    }
    rows.setState(row.id, 'removing');
    try {
      await root.driver.remove(row.driver_id);
    } catch (err) {
      if (await root.driver.exists(row.driver_id)) rows.setState(row.id, 'ready');
      throw err;
    }
    if (row.tar_split !== null) await rm(join(this.#ctx.dir, row.tar_split), { force: true });
    // Need not wait for the disk: a 'removing' row that a power cut brings back is finished by recovery.
    root.db.relaxed(() => rows.delete(row.id));
  }

  /** Disk each ready layer holds: the driver's usage plus its tar-split record; and the totals. */
  diskUsage(): Promise<DiskUsage> {
    return layerDiskUsage(this.#ctx);
  }

  /** Verifies every ready layer against its diffID (see layer-report.ts). */
  check(): Promise<CheckResult[]> {
    return checkLayers(this.#ctx, (id) => this.diff(id));
  }

  /** The row of a full layer id, whatever its state (one indexed lookup), for stores of the same root. */
  row(id: string): LayerRow | undefined {
    return this.#ctx.rows.find(id);
  }

  /** Raw rows, for stores of the same root (migration). */
  rows(): readonly LayerRow[] {
    return this.#ctx.rows.readyLayers();
  }
}
