import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RECORD_SUFFIX, TMP_PREFIX, type LayerContext } from './layer-context.js';

/**
 * Finishes what a crash left of layer operations (run at open, under the
 * store lock, after the driver's init): layers whose rows are not ready are
 * removed from the driver and the database, stray record files deleted,
 * cached mount counts refreshed from the driver.
 */
export async function recoverLayers(ctx: LayerContext): Promise<void> {
  const { rows, root } = ctx;
  for (const row of rows.unfinishedLayers()) {
    if (await root.driver.exists(row.driver_id)) await root.driver.inner.remove(row.driver_id);
    rows.delete(row.id);
  }
  const kept = rows.tarSplitNames();
  for (const name of await readdir(ctx.dir)) {
    if (name.startsWith(TMP_PREFIX) || (name.endsWith(RECORD_SUFFIX) && !kept.has(name))) {
      await rm(join(ctx.dir, name), { force: true });
    }
  }
  for (const row of rows.readyLayers()) {
    const mounts = await root.driver.mountCount(row.driver_id);
    if (mounts !== row.mount_count) rows.setMountCount(row.id, mounts);
  }
}
