import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { naiveChanges, naiveDiff } from '../diff/naive.js';
import { driverContext } from '../driver.js';
import type { Change, CreateOptions, DriverCapabilities, DriverContext, LayerUsage, MountOptions, ProbeResult, StorageDriver } from '../driver.js';
import { ErrorCode, StrataError } from '../errors.js';
import type { EntryStat, TreeReader } from '../tree.js';

/** Storage keys: what every driver may assume of an id (see driver.ts). */
const LAYER_ID = /^[a-z0-9]{1,128}$/;
/** Core's corner of a driver's home. */
export const RUNTIME_DIR = '.strata-runtime';

type Phase = 'new' | 'ready' | 'closed';

/**
 * The one way core reaches a storage driver (as Kysely's RuntimeDriver wraps a
 * dialect's driver): enforces once, for every driver, what the contract
 * promises — `init` exactly once and before anything but `probe`, nothing after
 * `close`, the id rule (EINVALID), ENOLAYER / ELAYEREXISTS / ELAYERBUSY /
 * ELAYERHASCHILDREN checked before the driver is called — keeps the half-made
 * marker of `applyDiff` (a crash inside it leaves a marker; `init` removes such
 * layers through the driver), empties the driver's scratch directory before
 * `init`, and supplies core's naive diff and changes where the driver has none.
 *
 * It adds lookups by id (`stat`, `readdir`, `read`, `xattrs`) over `reader`
 * for callers that look up one path.
 *
 * Markers live in `<home>/.strata-runtime/applying/<id>`.
 */
export class DriverRuntime {
  readonly #driver: StorageDriver;
  readonly #markers: string;
  readonly #tmp: string;
  #phase: Phase = 'new';
  #initialising: Promise<void> | undefined;

  /** `home` is the driver's `DriverContext.home`; its `tmp` is `<home>/tmp`. */
  constructor(driver: StorageDriver, home: string) {
    this.#driver = driver;
    this.#markers = join(home, RUNTIME_DIR, 'applying');
    this.#tmp = join(home, 'tmp');
  }

  get name(): string {
    return this.#driver.name;
  }

  get capabilities(): DriverCapabilities {
    return this.#driver.capabilities;
  }

  /** The wrapped driver, for tests of a driver's own internals. */
  get inner(): StorageDriver {
    return this.#driver;
  }

  probe(): Promise<ProbeResult> {
    return this.#driver.probe().catch((err: unknown) => ({ ok: false, reason: (err as Error).message }));
  }

  /** Idempotent: the driver's init runs once; then layers a crash left half-made are removed. */
  init(): Promise<void> {
    if (this.#phase === 'closed') return Promise.reject(this.#closedError());
    this.#initialising ??= (async () => {
      await rm(this.#tmp, { recursive: true, force: true });
      await mkdir(this.#tmp, { recursive: true, mode: 0o700 });
      await mkdir(this.#markers, { recursive: true, mode: 0o700 });
      await this.#driver.init();
      for (const id of await readdir(this.#markers)) {
        if (LAYER_ID.test(id) && (await this.#driver.exists(id))) await this.#driver.remove(id);
        await rm(join(this.#markers, id), { force: true });
      }
      this.#phase = 'ready';
    })();
    return this.#initialising;
  }

  async close(): Promise<void> {
    if (this.#phase === 'closed') return;
    const wasReady = this.#phase === 'ready';
    this.#phase = 'closed';
    if (wasReady) await this.#driver.close();
  }

  /** Fails with EINVALID (id), ELAYEREXISTS, ENOLAYER (parent). */
  async create(id: string, parent: string | null, options: CreateOptions): Promise<void> {
    this.#ready();
    checkId(id);
    if (await this.#driver.exists(id)) throw new StrataError(ErrorCode.ELAYEREXISTS, `layer ${id} exists already`);
    if (parent !== null) await this.#existing(parent, 'parent layer');
    await this.#driver.create(id, parent, options);
  }

  /** Fails with ENOLAYER, ELAYERBUSY, ELAYERHASCHILDREN; then nothing changed. */
  async remove(id: string): Promise<void> {
    await this.#idle(id);
    await this.#driver.remove(id);
  }

  async exists(id: string): Promise<boolean> {
    this.#ready();
    return LAYER_ID.test(id) && this.#driver.exists(id);
  }

  async list(): Promise<string[]> {
    this.#ready();
    return (await this.#driver.list()).filter((id) => LAYER_ID.test(id)).sort();
  }

  async parent(id: string): Promise<string | null> {
    await this.#existing(id);
    return this.#driver.parent(id);
  }

  /** Every layer whose parent is id. */
  async children(id: string): Promise<string[]> {
    await this.#existing(id);
    const out: string[] = [];
    for (const other of await this.#driver.list()) {
      if (other !== id && (await this.#driver.parent(other)) === id) out.push(other);
    }
    return out;
  }

  async mount(id: string, options?: MountOptions): Promise<string> {
    await this.#existing(id);
    return options === undefined ? this.#driver.mount(id) : this.#driver.mount(id, options);
  }

  async unmount(id: string): Promise<void> {
    await this.#existing(id);
    await this.#driver.unmount(id);
  }

  async mountCount(id: string): Promise<number> {
    await this.#existing(id);
    return this.#driver.mountCount(id);
  }

  /** See StorageDriver.applyDiff; a crash inside leaves a marker and the next `init` removes the layer. */
  async applyDiff(id: string, parent: string | null, tar: Readable): Promise<number> {
    await this.#existing(id);
    const marker = join(this.#markers, id);
    await writeFile(marker, '');
    try {
      return await this.#driver.applyDiff(id, parent, tar);
    } finally {
      await rm(marker, { force: true });
    }
  }

  /** Fails with ENOLAYER, ELAYERBUSY (mounted), ELAYERHASCHILDREN (a layer was built on the writable one). */
  async commit(id: string): Promise<void> {
    await this.#idle(id);
    await this.#driver.commit(id);
  }

  /** The driver's native diff, or core's naive one over `reader`. */
  async diff(id: string, parent: string | null): Promise<Readable> {
    await this.#existing(id);
    if (parent !== null) await this.#existing(parent);
    if (this.#driver.diff !== undefined) return this.#driver.diff(id, parent);
    return naiveDiff(parent === null ? null : await this.#driver.reader(parent), await this.#driver.reader(id));
  }

  async changes(id: string, parent: string | null): Promise<Change[]> {
    await this.#existing(id);
    if (parent !== null) await this.#existing(parent);
    if (this.#driver.changes !== undefined) return this.#driver.changes(id, parent);
    return naiveChanges(parent === null ? null : await this.#driver.reader(parent), await this.#driver.reader(id));
  }

  async reader(id: string): Promise<TreeReader> {
    await this.#existing(id);
    return this.#driver.reader(id);
  }

  async stat(id: string, path: string): Promise<EntryStat | undefined> {
    return (await this.reader(id)).stat(path);
  }

  async readdir(id: string, path: string): Promise<string[]> {
    return (await this.reader(id)).readdir(path);
  }

  async read(id: string, path: string): Promise<Readable> {
    return (await this.reader(id)).read(path);
  }

  async xattrs(id: string, path: string): Promise<Record<string, Buffer>> {
    return (await this.reader(id)).xattrs(path);
  }

  async usage(id: string): Promise<LayerUsage> {
    await this.#existing(id);
    return this.#driver.usage(id);
  }

  /** id exists, is not mounted and has no children. */
  async #idle(id: string): Promise<void> {
    await this.#existing(id);
    const mounts = await this.#driver.mountCount(id);
    if (mounts > 0) throw new StrataError(ErrorCode.ELAYERBUSY, `layer ${id} is mounted (${mounts} reference(s)); unmount it first`);
    const [child] = await this.children(id);
    if (child !== undefined) throw new StrataError(ErrorCode.ELAYERHASCHILDREN, `layer ${id} has child layer ${child}; remove it first`);
  }

  async #existing(id: string, what = 'layer'): Promise<void> {
    this.#ready();
    if (!LAYER_ID.test(id) || !(await this.#driver.exists(id))) throw new StrataError(ErrorCode.ENOLAYER, `no ${what} ${id}`);
  }

  #ready(): void {
    if (this.#phase === 'closed') throw this.#closedError();
    if (this.#phase === 'new') throw new StrataError(ErrorCode.EINVALID, `driver ${this.#driver.name}: init() was not called`);
  }

  #closedError(): StrataError {
    return new StrataError(ErrorCode.EINVALID, `driver ${this.#driver.name} is closed`);
  }
}

function checkId(id: string): void {
  if (!LAYER_ID.test(id)) throw new StrataError(ErrorCode.EINVALID, `invalid layer id ${JSON.stringify(id)}: use 1 to 128 of [a-z0-9]`);
}

/** A driver made for `home` (see `driverContext`) and wrapped; call `init()` next. */
export function wrapDriver(make: (context: DriverContext) => StorageDriver, home: string, options: Readonly<Record<string, unknown>> = {}): DriverRuntime {
  return new DriverRuntime(make(driverContext(home, options)), home);
}
