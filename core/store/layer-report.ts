import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckResult, DiskUsage } from './layer-info.js';
import type { LayerContext } from './layer-context.js';
import type { Readable } from 'node:stream';

/** Disk each ready layer holds: the driver's usage plus its tar-split record; and the totals. */
export async function layerDiskUsage(ctx: LayerContext): Promise<DiskUsage> {
  const layers = [];
  for (const row of ctx.rows.readyLayers()) {
    const usage = await ctx.root.driver.usage(row.driver_id);
    const record = row.tar_split === null ? 0 : (await stat(join(ctx.dir, row.tar_split)).catch(() => ({ size: 0 }))).size;
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
 * Verifies every ready layer: its content exists in the driver and, where a
 * diffID is recorded, its diff (`diffOf`) hashes to it. One failure per bad
 * layer (empty when all is well); never throws for a bad layer.
 */
export async function checkLayers(ctx: LayerContext, diffOf: (id: string) => Promise<Readable>): Promise<CheckResult[]> {
  const failures: CheckResult[] = [];
  for (const row of ctx.rows.readyLayers()) {
    if (!(await ctx.root.driver.exists(row.driver_id))) {
      failures.push({ id: row.id, reason: `the driver holds no content for it (driver id ${row.driver_id})` });
      continue;
    }
    if (row.diff_id === null) continue;
    try {
      const hash = createHash('sha256');
      for await (const chunk of await diffOf(row.id)) hash.update(chunk as Buffer);
      const digest = `sha256:${hash.digest('hex')}`;
      if (digest !== row.diff_id) failures.push({ id: row.id, reason: `content hashes to ${digest}, diff id is ${row.diff_id}` });
    } catch (err) {
      failures.push({ id: row.id, reason: (err as Error).message });
    }
  }
  return failures;
}
