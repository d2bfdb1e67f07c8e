import { chmod, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { ExecutionContext } from 'ava';
import { canMount } from '../driver.js';
import type { StorageDriver } from '../driver.js';
import { DriverRuntime } from '../runtime/driver-runtime.js';
import { MNT_DETACH, sys } from '../sys/index.js';
import type { TreeReader } from '../tree.js';
import { OffThread } from './off-thread.js';
import { applyOps, removedPaths } from './ops.js';
import type { Op, SysCalls } from './ops.js';
import { snapshotDir, snapshotTree } from './snapshot.js';
import type { Snapshot } from './snapshot.js';
import { stepTar } from './step-tar.js';

/**
 * Makes the driver under test; `home` is a fresh, existing, empty directory. A
 * plain driver is wrapped in core's runtime; a runtime (as `DriverRegistry.open`
 * gives) is used as it is.
 */
export type DriverFactory = (home: string) => Promise<StorageDriver | DriverRuntime> | StorageDriver | DriverRuntime;

/** The factory's driver for home, in its runtime. */
export async function runtimeFrom(factory: DriverFactory, home: string): Promise<DriverRuntime> {
  const made = await factory(home);
  return made instanceof DriverRuntime ? made : new DriverRuntime(made, home);
}

/** How a step reaches the layer: a tarball through applyDiff, edits through a writable mount, or both (two sibling layers). */
export type Route = 'tar' | 'mount' | 'both';

/** One layer of a `chain`: its ops, through both routes unless one is named. */
export type ChainStep = readonly Op[] | { readonly ops: readonly Op[]; readonly route: Route };

/** The oracle's calls may block: it is a plain directory nobody serves. */
const inline: SysCalls = {
  async lsetxattr(path, name, value) {
    sys.lsetxattr(path, name, value);
  },
  async mknod(path, mode, major, minor) {
    sys.mknod(path, mode, major, minor);
  },
};

/** Every step's files get a distinct mtime (seconds) so that content changes are never hidden by equal times. */
const EPOCH = 1_600_000_000;

/**
 * One check's world: a fresh driver in a fresh home, the oracle directory the
 * same steps are applied to, and the layers made so far with the oracle's
 * snapshot each must equal.
 */
export class Harness {
  /** The driver under test, reached as core reaches every driver: through its runtime. */
  readonly driver: DriverRuntime;
  /** Can layers be mounted here (capability and, probed, the system)? */
  readonly mounts: boolean;
  readonly #work: string;
  readonly #oracle: string;
  readonly #factory: DriverFactory;
  readonly #others: DriverRuntime[] = [];
  readonly #off = new OffThread();
  readonly #expected = new Map<string, Snapshot>();
  readonly #made: string[] = [];
  #current: Snapshot;
  #steps = 0;
  #last: string[] = [];

  private constructor(factory: DriverFactory, driver: DriverRuntime, work: string, oracle: string, current: Snapshot, mounts: boolean) {
    this.#factory = factory;
    this.driver = driver;
    this.#work = work;
    this.#oracle = oracle;
    this.#current = current;
    this.mounts = mounts;
  }

  static async open(factory: DriverFactory, mounts: boolean): Promise<Harness> {
    const work = await mkdtemp(join(tmpdir(), 'strata-conformance-'));
    const home = join(work, 'home');
    const oracle = join(work, 'oracle');
    await mkdir(home, { mode: 0o700 });
    await mkdir(oracle);
    await chmod(oracle, 0o755);
    const driver = await runtimeFrom(factory, home);
    await driver.init();
    return new Harness(factory, driver, work, oracle, snapshotDir(oracle), mounts && canMount(driver.capabilities));
  }

  /** The layers the last `step` made (two for route 'both'), tar-made first. */
  get lastLayers(): readonly string[] {
    return this.#last;
  }

  /** The oracle's tree now. */
  get oracle(): Snapshot {
    return this.#current;
  }

  /** A new layer id, unique within the check. */
  newId(): string {
    return `l${String(this.#made.length).padStart(4, '0')}${Math.random().toString(36).slice(2, 8)}`;
  }

  /** Creates a layer and remembers it for cleanup. */
  async create(parent: string | null, writable: boolean): Promise<string> {
    const id = this.newId();
    await this.driver.create(id, parent, { writable });
    this.#made.push(id);
    return id;
  }

  /**
   * Applies ops to the oracle and makes a layer on parent holding them (by
   * `route`), checks it against the oracle, and returns the layer that carries
   * the chain on (the tar one for 'both'). A tar route also checks that
   * applyDiff reports the tar's file bytes. Routes through a mount fall back to
   * 'tar' where layers cannot be mounted.
   */
  async step(t: ExecutionContext, parent: string | null, ops: readonly Op[], route: Route = 'both'): Promise<string> {
    const time = EPOCH + ++this.#steps;
    const before = this.#current;
    await applyOps(this.#oracle, ops, time, inline);
    const after = snapshotDir(this.#oracle);
    this.#current = after;
    const effective: Route = this.mounts ? route : 'tar';
    this.#last = [];
    if (effective !== 'mount') {
      const id = await this.create(parent, false);
      const tar = stepTar(this.#oracle, before, after, removedPaths(ops));
      const size = await this.driver.applyDiff(id, parent, tar.stream);
      t.is(size, tar.fileBytes, `applyDiff of step ${this.#steps} returns the bytes of its files`);
      await this.expect(t, id, after);
      this.#last.push(id);
    }
    if (effective !== 'tar') {
      const id = await this.create(parent, true);
      const path = await this.driver.mount(id);
      try {
        await applyOps(path, ops, time, this.#off);
      } finally {
        await this.driver.unmount(id);
      }
      await this.expect(t, id, after);
      this.#last.push(id);
    }
    return this.#last[0]!;
  }

  /**
   * Runs steps as a stack, each on the layer the previous one made, then checks
   * every layer of it again: children never change their parents.
   */
  async chain(t: ExecutionContext, steps: readonly ChainStep[]): Promise<string[]> {
    const layers: string[] = [];
    for (const step of steps) {
      const { ops, route } = 'ops' in step ? step : { ops: step, route: 'both' as const };
      layers.push(await this.step(t, layers.at(-1) ?? null, ops, route));
    }
    for (const id of layers) await this.verify(t, id);
    return layers;
  }

  /** Records what id's union must be and checks it now. */
  async expect(t: ExecutionContext, id: string, snapshot: Snapshot): Promise<void> {
    this.#expected.set(id, snapshot);
    await this.verify(t, id);
  }

  /** id's union, through lookups and (where it has one) its mount, equals what was recorded for it. */
  async verify(t: ExecutionContext, id: string): Promise<void> {
    const expected = this.#expected.get(id);
    if (expected === undefined) throw new Error(`nothing recorded for layer ${id}`);
    t.deepEqual(await this.lookupSnapshot(id), expected, `layer ${id} through lookups`);
    if (this.mounts) t.deepEqual(await this.mountedSnapshot(id), expected, `layer ${id} through its mount`);
  }

  /** Snapshot of id's union through the driver's lookups. */
  lookupSnapshot(id: string): Promise<Snapshot> {
    return snapshotTree(layerReader(this.driver, id));
  }

  /** Snapshot of id's union through its mount (mounted and unmounted here). */
  async mountedSnapshot(id: string): Promise<Snapshot> {
    const path = await this.driver.mount(id);
    try {
      return await this.#off.snapshot(path);
    } finally {
      await this.driver.unmount(id);
    }
  }

  /** Every file or directory named `name` anywhere in this check's folder (the home included): where a hostile tar may have written. */
  async pathsNamed(name: string): Promise<string[]> {
    const all = await readdir(this.#work, { recursive: true });
    return all.filter((p) => p === name || p.endsWith(`/${name}`));
  }

  /** A second driver on the same home, as another process of the same store would have (init called). */
  async reopen(): Promise<DriverRuntime> {
    const home = join(this.#work, 'home');
    const other = await runtimeFrom(this.#factory, home);
    this.#others.push(other);
    await other.init();
    return other;
  }

  /** Unmounts what is still mounted, closes the driver, removes every file of the check. */
  async close(): Promise<void> {
    try {
      for (const id of this.#made) {
        if (!(await this.driver.exists(id))) continue;
        for (let n = await this.driver.mountCount(id); n > 0; n--) await this.driver.unmount(id);
      }
      for (const other of this.#others) await other.close();
      await this.driver.close();
    } finally {
      await this.#off.close();
      await detachMountsBelow(this.#work);
      await rm(this.#work, { recursive: true, force: true });
    }
  }
}

/** A driver's union of one layer as a TreeReader. */
export function layerReader(driver: DriverRuntime, id: string): TreeReader {
  return {
    stat: (path) => driver.stat(id, path),
    readdir: (path) => driver.readdir(id, path),
    read: (path): Promise<Readable> => driver.read(id, path),
    xattrs: (path) => driver.xattrs(id, path),
  };
}

/** Lazily unmounts whatever a misbehaving driver left mounted below dir, so removing dir never goes through a mount. */
async function detachMountsBelow(dir: string): Promise<void> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const points = info.split('\n').map((line) => line.split(' ')[4] ?? '').filter((p) => p.startsWith(`${dir}/`));
  for (const point of points.reverse()) {
    try {
      sys.umount2(point, MNT_DETACH);
    } catch {
      // already gone, or not ours to unmount: rm below reports what remains
    }
  }
}
