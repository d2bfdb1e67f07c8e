import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import type { ContainerModule } from 'inversify';
import { openLayerStream } from '../archive/decompress.js';
import type { StrataConfig } from '../config.js';
import { buildContainer, resolveDriver } from '../container.js';
import type { Change, StorageDriver } from '../driver.js';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import { chainIdOf, digestOf, idOf, randomId, resolvePrefix, type Digest } from '../ids.js';
import { DigestTap, ImportSink } from './import-taps.js';
import type { CheckResult, DiskUsage, LayerInfo } from './layer-info.js';
import { MetadataDb, type LayerRow } from './metadata-db.js';
import { syncPath } from './record-file.js';
import { StoreLock } from './store-lock.js';
import { TarSplitRecorder } from './tar-split-recorder.js';
import { replayTarSplit } from './tar-split-replay.js';

export interface LayerStoreOptions {
  readonly config: StrataConfig;
  /** The built-in driver modules (drivers/index.ts); plugins come from the config. */
  readonly driverModules: readonly ContainerModule[];
  /** How long a mutating operation waits for another process's store lock (ms). Default 300 000. */
  readonly lockTimeoutMs?: number;
}

export interface ImportOptions {
  /** The layer to apply the tar on (id or unique prefix); none: a base layer. */
  readonly parent?: string;
  /** Called as input is read, with the bytes read so far (compressed, as given). */
  readonly onProgress?: (bytes: number) => void;
}

export interface CreateLayerOptions {
  readonly parent?: string;
  readonly writable: boolean;
}

const TMP_PREFIX = '.tmp-';
const RECORD_SUFFIX = '.tar-split.gz';

/**
 * The layer store of one root: layer metadata (metadata-db.ts), content through
 * the configured driver, tar-split records under `<root>/layers/`.
 *
 * Layout: `<root>/strata.db` metadata, `<root>/lock.db` the store lock,
 * `<root>/layers/<id>.tar-split.gz` records, `<root>/drivers/<name>/` the driver's home.
 *
 * Visibility: a layer is listed and resolvable only once ready — after the driver
 * created it and (for imports) applyDiff returned with its content synced and the
 * record file was synced. Whatever a crash leaves half-made is removed at `open`.
 *
 * Concurrency: mutating operations hold the store lock (store-lock.ts) for their
 * whole duration, across processes; lookups (`list`, `get`, `diff`, `changes`)
 * take none.
 */
export class LayerStore {
  readonly #root: string;
  readonly #layersDir: string;
  readonly #db: MetadataDb;
  readonly #lock: StoreLock;
  readonly #driver: StorageDriver;
  #closed = false;

  private constructor(root: string, db: MetadataDb, lock: StoreLock, driver: StorageDriver) {
    this.#root = root;
    this.#layersDir = join(root, 'layers');
    this.#db = db;
    this.#lock = lock;
    this.#driver = driver;
  }

  /**
   * Opens the store at `config.root` with `config.driver`, creating it if needed,
   * and recovers from any crash: unfinished layers are removed from the driver
   * and the database, stray record files deleted, mount counts refreshed.
   * Fails with EUNKNOWNDRIVER, EDRIVERUNAVAILABLE (with the probe's reason),
   * ECONFIG (the root holds another driver's layers), ELOCKED, ECORRUPT.
   */
  static async open(options: LayerStoreOptions): Promise<LayerStore> {
    const { config } = options;
    const root = config.root;
    await mkdir(join(root, 'layers'), { recursive: true, mode: 0o700 });
    const container = await buildContainer(config, options.driverModules);
    const driver = await resolveDriver(container, config.driver);
    const probe = await driver.probe();
    if (!probe.ok) {
      throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `driver ${config.driver} cannot work here: ${probe.reason ?? 'no reason given'}`);
    }
    const db = MetadataDb.open(join(root, 'strata.db'));
    const lock = new StoreLock(join(root, 'lock.db'), options.lockTimeoutMs);
    const store = new LayerStore(root, db, lock, driver);
    try {
      const others = db.drivers().filter((d) => d !== driver.name);
      if (others.length > 0) {
        throw new StrataError(ErrorCode.ECONFIG, `store ${root} holds layers of driver ${others[0]}; open it with driver ${others[0]}, not ${driver.name}`);
      }
      await lock.run('open', async () => {
        await driver.init();
        await store.#recover();
      });
    } catch (err) {
      await store.#shutdown();
      throw err;
    }
    return store;
  }

  async #recover(): Promise<void> {
    for (const row of this.#db.unfinishedLayers()) {
      if (await this.#driver.exists(row.driver_id)) await this.#driver.remove(row.driver_id);
      this.#db.delete(row.id);
    }
    const kept = this.#db.tarSplitNames();
    for (const name of await readdir(this.#layersDir)) {
      if (name.startsWith(TMP_PREFIX) || (name.endsWith(RECORD_SUFFIX) && !kept.has(name))) {
        await rm(join(this.#layersDir, name), { force: true });
      }
    }
    for (const row of this.#db.readyLayers()) {
      const mounts = await this.#driver.mountCount(row.driver_id);
      if (mounts !== row.mount_count) this.#db.setMountCount(row.id, mounts);
    }
  }

  /** Releases the database, the lock and the driver. Nothing may be called after. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    await this.#lock.close();
    this.#db.close();
    await this.#driver.close();
  }

  /** The name of the store's driver. */
  get driverName(): string {
    return this.#driver.name;
  }

  /** Every ready layer, oldest first. */
  list(): LayerInfo[] {
    return this.#db.readyLayers().map(toInfo);
  }

  /** A layer by full id, "sha256:" form or unique prefix of 12+ hex digits. Fails with ENOLAYER, EAMBIGUOUS. */
  get(ref: string): LayerInfo {
    return toInfo(this.#resolve(ref));
  }

  #resolve(ref: string): LayerRow {
    const rows = this.#db.readyLayers();
    const id = resolvePrefix(ref, rows.map((r) => r.id));
    return rows.find((r) => r.id === id)!;
  }

  #driverParent(row: LayerRow): string | null {
    return row.parent === null ? null : this.#db.find(row.parent)!.driver_id;
  }

  /**
   * Imports an OCI layer tarball (plain or gzip, detected by magic). The layer's
   * id is its chainID hex; if that layer exists already, its reference count
   * goes up and the new content is dropped. On top of a created (not
   * content-addressed) parent, the parent's id stands in for its chainID.
   * Fails with ENOLAYER/EAMBIGUOUS (parent), EBADARCHIVE, EUNSAFEARCHIVE, ELOCKED;
   * on any failure no layer is left behind.
   */
  importLayer(input: Readable, options: ImportOptions = {}): Promise<LayerInfo> {
    return this.#lock.run('import', async () => {
      const parent = options.parent === undefined ? null : this.#resolve(options.parent);
      const tempId = randomId();
      this.#db.insertCreating({ id: tempId, parent: parent?.id ?? null, writable: 0, driver: this.#driver.name });
      const recordPath = join(this.#layersDir, `${TMP_PREFIX}${tempId}${RECORD_SUFFIX}`);
      let recorder: TarSplitRecorder | undefined;
      try {
        await this.#driver.create(tempId, parent?.driver_id ?? null, { writable: false });
        recorder = await TarSplitRecorder.create(recordPath, join(this.#layersDir, `${TMP_PREFIX}${tempId}.spool`));
        const fed = await this.#feed(input, tempId, parent?.driver_id ?? null, recorder, options.onProgress);
        await recorder.finish();
        const parentChain = parent === null ? null : ((parent.chain_id as Digest | null) ?? digestOf(parent.id));
        const chainId = chainIdOf(parentChain, fed.diffId);
        const id = idOf(chainId);
        const existing = this.#db.find(id);
        if (existing !== undefined) return await this.#share(existing, tempId, recorder);
        const recordName = `${id}${RECORD_SUFFIX}`;
        await rename(recordPath, join(this.#layersDir, recordName));
        await syncPath(this.#layersDir);
        this.#db.promote(tempId, {
          id,
          diff_id: fed.diffId,
          chain_id: chainId,
          compressed_digest: fed.compressedDigest,
          tar_size: fed.tarSize,
          content_size: fed.contentSize,
          tar_split: recordName,
        });
        return toInfo(this.#db.find(id)!);
      } catch (err) {
        await recorder?.abort();
        await this.#discard(tempId);
        throw err;
      }
    });
  }

  /** Streams input through the taps into driver.applyDiff; resolves once both ends are done. */
  async #feed(input: Readable, driverId: string, parentDriverId: string | null, recorder: TarSplitRecorder, onProgress?: (bytes: number) => void) {
    const tap = new DigestTap(onProgress);
    const sink = new ImportSink(recorder);
    const applied = this.#driver.applyDiff(driverId, parentDriverId, sink.driverInput);
    applied.then(() => sink.driverFinished(), (err: unknown) => sink.destroy(err as Error));
    const fed = (async () => {
      const raw = pipeline(input, tap, () => undefined);
      await pipelineAsync(await openLayerStream(raw), sink);
    })().catch((err: unknown) => {
      sink.destroy(err as Error);
      throw err;
    });
    const [a, f] = await Promise.allSettled([applied, fed]);
    if (a.status === 'rejected' && isStrataError(a.reason)) throw a.reason;
    if (f.status === 'rejected') throw f.reason;
    if (a.status === 'rejected') throw a.reason;
    return {
      diffId: sink.digest(),
      tarSize: sink.bytes,
      contentSize: a.value,
      compressedDigest: tap.gzipped ? tap.digest() : null,
    };
  }

  /** The imported content exists already as `existing`: count one more reference, drop the copy. */
  async #share(existing: LayerRow, tempId: string, recorder: TarSplitRecorder): Promise<LayerInfo> {
    if (existing.state !== 'ready') {
      throw new StrataError(ErrorCode.ECORRUPT, `layer ${existing.id} is in state ${existing.state}; reopen the store to recover`);
    }
    this.#db.transaction(() => {
      this.#db.setRefCount(existing.id, existing.ref_count + 1);
      this.#db.setState(tempId, 'removing');
    });
    await recorder.abort();
    await this.#discard(tempId);
    return toInfo(this.#db.find(existing.id)!);
  }

  /** Removes a layer that never became visible, from the driver and the database. */
  async #discard(tempId: string): Promise<void> {
    if (await this.#driver.exists(tempId)) await this.#driver.remove(tempId);
    this.#db.delete(tempId);
  }

  /** An empty layer with a random id. Fails with ENOLAYER/EAMBIGUOUS (parent), ELOCKED. */
  createLayer(options: CreateLayerOptions): Promise<LayerInfo> {
    return this.#lock.run('create', async () => {
      const parent = options.parent === undefined ? null : this.#resolve(options.parent);
      const id = randomId();
      this.#db.insertCreating({ id, parent: parent?.id ?? null, writable: options.writable ? 1 : 0, driver: this.#driver.name });
      try {
        await this.#driver.create(id, parent?.driver_id ?? null, { writable: options.writable });
      } catch (err) {
        await this.#discard(id);
        throw err;
      }
      this.#db.setState(id, 'ready');
      return toInfo(this.#db.find(id)!);
    });
  }

  /**
   * The layer's OCI tarball. An imported layer gives back the imported
   * (uncompressed) bytes exactly, verified against its diffID as it streams
   * (the stream fails with ECORRUPT naming the layer); other layers give the
   * driver's diff against their parent. Fails with ENOLAYER, EAMBIGUOUS.
   */
  async diff(ref: string): Promise<Readable> {
    const row = this.#resolve(ref);
    if (row.tar_split !== null && row.diff_id !== null) {
      return replayTarSplit({
        recordPath: join(this.#layersDir, row.tar_split),
        layer: row.id,
        diffId: row.diff_id as Digest,
        readFile: (path) => this.#driver.read(row.driver_id, path),
      });
    }
    return this.#driver.diff(row.driver_id, this.#driverParent(row));
  }

  /** Added / Modified / Deleted paths of the layer over its parent. Fails with ENOLAYER, EAMBIGUOUS. */
  async changes(ref: string): Promise<Change[]> {
    const row = this.#resolve(ref);
    return this.#driver.changes(row.driver_id, this.#driverParent(row));
  }

  /** Mounts the layer's union and returns its path (reference-counted by the driver). */
  mount(ref: string): Promise<string> {
    return this.#lock.run('mount', async () => {
      const row = this.#resolve(ref);
      const path = await this.#driver.mount(row.driver_id);
      this.#db.setMountCount(row.id, await this.#driver.mountCount(row.driver_id));
      return path;
    });
  }

  /** Drops one mount reference. */
  unmount(ref: string): Promise<void> {
    return this.#lock.run('unmount', async () => {
      const row = this.#resolve(ref);
      await this.#driver.unmount(row.driver_id);
      this.#db.setMountCount(row.id, await this.#driver.mountCount(row.driver_id));
    });
  }

  /**
   * Drops one reference; at the last one deletes the layer from the driver and
   * the database. Fails with ELAYERHASCHILDREN while layers are built on it,
   * ELAYERBUSY while it is mounted (then nothing changes), ENOLAYER, EAMBIGUOUS.
   */
  remove(ref: string): Promise<void> {
    return this.#lock.run('remove', async () => {
      const row = this.#resolve(ref);
      if (row.ref_count > 1) {
        this.#db.setRefCount(row.id, row.ref_count - 1);
        return;
      }
      const children = this.#db.childCount(row.id);
      if (children > 0) {
        throw new StrataError(ErrorCode.ELAYERHASCHILDREN, `layer ${row.id} has ${children} child layer(s); remove them first`);
      }
      const mounts = await this.#driver.mountCount(row.driver_id);
      if (mounts > 0) {
        throw new StrataError(ErrorCode.ELAYERBUSY, `layer ${row.id} is mounted (${mounts} reference(s)); unmount it first`);
      }
      this.#db.setState(row.id, 'removing');
      try {
        await this.#driver.remove(row.driver_id);
      } catch (err) {
        if (await this.#driver.exists(row.driver_id)) this.#db.setState(row.id, 'ready');
        throw err;
      }
      if (row.tar_split !== null) await rm(join(this.#layersDir, row.tar_split), { force: true });
      this.#db.delete(row.id);
    });
  }

  /** Disk each ready layer holds: the driver's usage plus its tar-split record; and the totals. */
  async diskUsage(): Promise<DiskUsage> {
    const layers = [];
    for (const row of this.#db.readyLayers()) {
      const usage = await this.#driver.usage(row.driver_id);
      const record = row.tar_split === null ? 0 : (await stat(join(this.#layersDir, row.tar_split)).catch(() => ({ size: 0 }))).size;
      layers.push({
        id: row.id,
        bytes: usage.bytes + record,
        inodes: usage.inodes + (row.tar_split === null ? 0 : 1),
        ...(usage.sharedBytes === undefined ? {} : { sharedBytes: usage.sharedBytes }),
      });
    }
    const total = layers.reduce(
      (sum, l) => ({ bytes: sum.bytes + l.bytes, inodes: sum.inodes + l.inodes, sharedBytes: sum.sharedBytes + (l.sharedBytes ?? 0) }),
      { bytes: 0, inodes: 0, sharedBytes: 0 },
    );
    return { layers, total };
  }

  /**
   * Verifies every ready layer: its content exists in the driver and, for
   * imported layers, its diff hashes to its diffID. Returns one failure per bad
   * layer (empty when all is well); never throws for a bad layer.
   */
  async check(): Promise<CheckResult[]> {
    const failures: CheckResult[] = [];
    for (const row of this.#db.readyLayers()) {
      if (!(await this.#driver.exists(row.driver_id))) {
        failures.push({ id: row.id, reason: `the driver holds no content for it (driver id ${row.driver_id})` });
        continue;
      }
      if (row.diff_id === null) continue;
      try {
        const hash = createHash('sha256');
        for await (const chunk of await this.diff(row.id)) hash.update(chunk as Buffer);
        const digest = `sha256:${hash.digest('hex')}`;
        if (digest !== row.diff_id) failures.push({ id: row.id, reason: `content hashes to ${digest}, diff id is ${row.diff_id}` });
      } catch (err) {
        failures.push({ id: row.id, reason: (err as Error).message });
      }
    }
    return failures;
  }

  /** The store's root directory. */
  get root(): string {
    return this.#root;
  }
}

function toInfo(row: LayerRow): LayerInfo {
  return {
    id: row.id,
    ...(row.diff_id === null ? {} : { diffId: row.diff_id as Digest }),
    ...(row.chain_id === null ? {} : { chainId: row.chain_id as Digest }),
    ...(row.compressed_digest === null ? {} : { compressedDigest: row.compressed_digest as Digest }),
    parent: row.parent,
    size: row.tar_size,
    contentSize: row.content_size,
    writable: row.writable === 1,
    createdAt: row.created_at,
    refCount: row.ref_count,
    mountCount: row.mount_count,
    driver: row.driver,
  };
}
