import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerModule } from 'inversify';
import type { StrataConfig } from '../config.js';
import { ErrorCode, StrataError } from '../errors.js';
import { DriverRegistry } from '../runtime/driver-registry.js';
import type { DriverRuntime } from '../runtime/driver-runtime.js';
import { StoreDatabase } from './store-database.js';
import { StoreLock } from './store-lock.js';
import { deadOwnersIn, ownedName } from './owned-names.js';

/** `<root>/tmp`: temporary files of the store's processes. */
const TMP = 'tmp';
/** The kind of a process's scratch directory in it (owned-names.ts). */
const SCRATCH_KIND = 'proc';

export interface StoreRootOptions {
  readonly config: StrataConfig;
  /** The built-in driver modules (drivers/index.ts); plugins come from the config. */
  readonly driverModules: readonly ContainerModule[];
  /** How long a mutating operation waits for another process's store lock (ms). Default 300 000. */
  readonly lockTimeoutMs?: number;
}

/** root_state key: the driver that holds the root's content. */
const DRIVER_KEY = 'driver';

/**
 * One store root and what every store of it shares: the metadata database
 * (`strata.db`, migrated on open), the store lock (`lock.db`), the configured
 * driver in its runtime (home `drivers/<name>/`), the driver registry, and the
 * root's folders. The layer, image, container and content stores are peers
 * over one StoreRoot (store.ts assembles them); a change that touches several
 * runs in one `db.transaction`.
 *
 * The root remembers which driver holds its content: opening it with another
 * driver fails (ECONFIG) naming the one that holds it and `strata system
 * migrate`, which moves content between drivers.
 */
export class StoreRoot {
  readonly path: string;
  readonly config: StrataConfig;
  readonly db: StoreDatabase;
  readonly lock: StoreLock;
  readonly driver: DriverRuntime;
  readonly registry: DriverRegistry;
  #closed = false;
  #scratch: Promise<string> | undefined;

  private constructor(config: StrataConfig, db: StoreDatabase, lock: StoreLock, driver: DriverRuntime, registry: DriverRegistry) {
    this.path = config.root;
    this.config = config;
    this.db = db;
    this.lock = lock;
    this.driver = driver;
    this.registry = registry;
  }

  /**
   * Opens the root at `config.root` with `config.driver`, creating it if needed;
   * the driver is probed but not initialised (`Store.open` does that under the
   * lock, with recovery). Fails with EUNKNOWNDRIVER, EDRIVERUNAVAILABLE (with
   * the probe's reason), ECONFIG (the root's content is in another driver), ECORRUPT.
   */
  static async open(options: StoreRootOptions): Promise<StoreRoot> {
    const { config } = options;
    await mkdir(config.root, { recursive: true, mode: 0o700 });
    const registry = await DriverRegistry.load(config, options.driverModules);
    const driver = await registry.open(config.driver);
    const probe = await driver.probe();
    if (!probe.ok) {
      throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `driver ${config.driver} cannot work here: ${probe.reason ?? 'no reason given'}`);
    }
    const db = StoreDatabase.open(join(config.root, 'strata.db'));
    try {
      const holder = holderOf(db);
      if (holder !== undefined && holder !== driver.name) {
        throw new StrataError(
          ErrorCode.ECONFIG,
          `store ${config.root} holds its content in driver ${holder}, not ${driver.name}: use --driver ${holder}, or move it with \`strata system migrate --to ${driver.name}\``,
        );
      }
      if (holder === undefined) db.setState(DRIVER_KEY, driver.name);
    } catch (err) {
      db.close();
      throw err;
    }
    return new StoreRoot(config, db, new StoreLock(join(config.root, 'lock.db'), options.lockTimeoutMs), driver, registry);
  }

  /** `<root>/<name>`, created (mode 0700) if missing. */
  async dir(name: string): Promise<string> {
    const path = join(this.path, name);
    await mkdir(path, { recursive: true, mode: 0o700 });
    return path;
  }

  /**
   * `<root>/tmp`, created on first use: where temporary files go, each
   * process's under names that say whose they are (store/owned-names.ts).
   */
  tmpDir(): Promise<string> {
    return this.dir(TMP);
  }

  /**
   * This process's scratch directory, `<root>/tmp/proc-<pid>-<start time>`
   * (store/owned-names.ts), created on first use: where a command's temporary
   * files go (a push's compressed layer, a load's spool, a RUN step's runner
   * files). Removed at close; a process killed with -9 leaves it, and the next
   * open of the store removes it (sweepScratch).
   */
  async scratch(): Promise<string> {
    this.#scratch ??= (async () => {
      const path = join(await this.tmpDir(), ownedName(SCRATCH_KIND));
      await mkdir(path, { recursive: true, mode: 0o700 });
      return path;
    })();
    return this.#scratch;
  }

  /** Removes the scratch directories of processes that are gone (call under the lock, at open). */
  async sweepScratch(): Promise<void> {
    const tmp = join(this.path, TMP);
    for (const name of await deadOwnersIn(tmp, SCRATCH_KIND)) await rm(join(tmp, name), { recursive: true, force: true });
  }

  /** Releases the lock, the database and the driver, and removes this process's scratch directory. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#scratch !== undefined) await rm(await this.#scratch, { recursive: true, force: true }).catch(() => undefined);
    await this.lock.close();
    this.db.close();
    await this.driver.close();
  }
}

/** The driver holding the root's content: recorded, or (roots made before it was recorded) the layers' own. */
export function holderOf(db: StoreDatabase): string | undefined {
  const recorded = db.state(DRIVER_KEY);
  if (recorded !== undefined) return recorded;
  const row = db.sqlite.prepare('SELECT driver FROM layers LIMIT 1').get() as { driver: string } | undefined;
  return row?.driver;
}

/** Records that `name` now holds the root's content (the end of a migration). */
export function setHolder(db: StoreDatabase, name: string): void {
  db.setState(DRIVER_KEY, name);
}
