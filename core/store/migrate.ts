import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import type { DriverRuntime } from '../runtime/driver-runtime.js';
import { StoreDatabase } from './store-database.js';
import { Store, type StoreOptions } from './store.js';
import { holderOf, setHolder } from './store-root.js';

/** root_state key: the driver an unfinished migration moves the root to. */
const MIGRATING_KEY = 'migrating';

export interface MigrationReport {
  readonly from: string;
  readonly to: string;
  /** Layers copied by this run (a resumed run skips what an earlier one finished). */
  readonly copied: number;
  /** Layers an interrupted earlier run had copied already. */
  readonly resumed: number;
}

export interface MigrateOptions extends StoreOptions {
  /** Called after each layer is copied, with its id. */
  readonly onLayer?: (id: string, done: number, total: number) => void;
}

/**
 * Moves every layer of the root (and so everything that references layers by
 * id: images, containers) from the driver holding it to `target`, keeping every
 * id. Each layer's tarball is streamed from the source driver — the exact
 * imported bytes where a tar-split record exists — verified against its diffID
 * as it streams, and applied by the target driver; its storage key stays the
 * same. Progress is recorded per layer, so after `kill -9` the same call
 * finishes the job (a half-copied layer is dropped and copied again). At the
 * end one transaction makes `target` the holder; then the source driver's home
 * is deleted.
 *
 * Fails with EUNKNOWNDRIVER / EDRIVERUNAVAILABLE (target), ELAYERBUSY (a layer
 * is mounted), ECORRUPT (a layer does not match its diffID: nothing switches),
 * ECONFLICT (another migration to a different driver is unfinished).
 */
export async function migrateRoot(options: MigrateOptions, target: string): Promise<MigrationReport> {
  const { config } = options;
  const peek = StoreDatabase.open(join(config.root, 'strata.db'));
  const holder = holderOf(peek) ?? config.driver;
  const pending = peek.state(MIGRATING_KEY);
  peek.close();
  if (pending !== undefined && pending !== target) {
    throw new StrataError(ErrorCode.ECONFLICT, `an unfinished migration of ${config.root} to ${pending} must finish first: run \`strata system migrate --to ${pending}\``);
  }
  if (holder === target) return { from: holder, to: target, copied: 0, resumed: 0 };

  const store = await Store.open({ ...options, config: { ...config, driver: holder } });
  try {
    const { root } = store;
    const destination = await root.registry.open(target);
    const probe = await destination.probe();
    if (!probe.ok) throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `driver ${target} cannot work here: ${probe.reason ?? 'no reason given'}`);
    return await root.lock.run('migrate', async () => {
      if (root.db.state(MIGRATING_KEY) === undefined) {
        // A fresh migration: whatever the target's home holds is not this root's content.
        await rm(join(config.root, 'drivers', target), { recursive: true, force: true });
        await root.registry.open(target);
        root.db.transaction(() => {
          root.db.sqlite.prepare('DELETE FROM migrated_layers').run();
          root.db.setState(MIGRATING_KEY, target);
        });
      }
      try {
        await destination.init();
        const report = await copyLayers(store, destination, options.onLayer);
        root.db.transaction(() => {
          root.db.sqlite.prepare('UPDATE layers SET driver = ?').run(target);
          root.db.sqlite.prepare('DELETE FROM migrated_layers').run();
          root.db.setState(MIGRATING_KEY, undefined);
          setHolder(root.db, target);
        });
        return { from: holder, to: target, ...report };
      } finally {
        await destination.close();
      }
    });
  } finally {
    await store.close().catch(() => undefined);
    // After the switch the source's home holds nothing of this root's.
    const after = StoreDatabase.open(join(config.root, 'strata.db'));
    const switched = holderOf(after) === target;
    after.close();
    if (switched) await rm(join(config.root, 'drivers', holder), { recursive: true, force: true });
  }
}

/** Copies every ready layer not copied yet, parents first. */
async function copyLayers(store: Store, destination: DriverRuntime, onLayer?: MigrateOptions['onLayer']): Promise<{ copied: number; resumed: number }> {
  const { root, layers } = store;
  const done = new Set((root.db.sqlite.prepare('SELECT driver_id FROM migrated_layers').all() as { driver_id: string }[]).map((r) => r.driver_id));
  const rows = layers.rows();
  const byId = new Map(rows.map((r) => [r.id, r]));
  let copied = 0;
  for (const [i, row] of rows.entries()) {
    if (done.has(row.driver_id)) continue;
    const mounts = await root.driver.mountCount(row.driver_id);
    if (mounts > 0) throw new StrataError(ErrorCode.ELAYERBUSY, `layer ${row.id} is mounted; unmount it before migrating`);
    if (await destination.exists(row.driver_id)) await destination.inner.remove(row.driver_id);
    const parent = row.parent === null ? null : byId.get(row.parent)!.driver_id;
    await destination.create(row.driver_id, parent, { writable: row.writable === 1 });
    try {
      const source = await layers.diff(row.id);
      try {
        await destination.applyDiff(row.driver_id, parent, source);
      } finally {
        source.destroy();
      }
      if (row.diff_id !== null) await verifyCopy(store, destination, row.id, row.diff_id);
    } catch (err) {
      await destination.inner.remove(row.driver_id).catch(() => undefined);
      if (isStrataError(err)) throw new StrataError(err.code, `migrating layer ${row.id}: ${err.message}`, { cause: err });
      throw err;
    }
    root.db.sqlite.prepare('INSERT INTO migrated_layers (driver_id) VALUES (?)').run(row.driver_id);
    copied++;
    onLayer?.(row.id, i + 1, rows.length);
  }
  return { copied, resumed: done.size };
}

/** The copy's tarball, read back through the target driver, hashes to the layer's diffID; else ECORRUPT. */
async function verifyCopy(store: Store, destination: DriverRuntime, id: string, diffId: string): Promise<void> {
  const hash = createHash('sha256');
  for await (const chunk of await store.layers.diffThrough(id, destination)) hash.update(chunk as Buffer);
  const digest = `sha256:${hash.digest('hex')}`;
  if (digest !== diffId) throw new StrataError(ErrorCode.ECORRUPT, `the copy hashes to ${digest}, its diff id is ${diffId}`);
}
