import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, StrataError } from '../errors.js';
import { chainIdOf, idOf, type Digest } from '../ids.js';
import { driverParentOf, resolveLayer, type LayerContext } from './layer-context.js';
import { parentChainOf } from './layer-import.js';
import type { LayerRow } from './layer-rows.js';
import { TarStats } from './tar-stats.js';

/** root_state key naming the driver layer whose commit the database recorded and the driver may not have made yet. */
export const COMMITTING_KEY = 'committing';

export interface CommitOptions {
  /** Runs inside the transaction that renames the layer (other stores repoint their references to `id`). */
  readonly inTransaction?: (id: string) => void;
}

/**
 * A writable layer becomes read-only under its content id (its chainID)
 * without copying: its diff is hashed once (diffID), the row takes the chainID
 * as id, and the driver seals the layer in place (`StorageDriver.commit`). If
 * a layer with that chainID exists already, it gains the reference and this
 * layer's content is dropped. The caller holds the store lock.
 * Fails with ENOLAYER/EAMBIGUOUS, EINVALID (not writable), ELAYERBUSY (mounted),
 * ELAYERHASCHILDREN.
 */
export async function commitLayer(ctx: LayerContext, ref: string, options: CommitOptions = {}): Promise<LayerRow> {
  const { rows, root } = ctx;
  const row = resolveLayer(ctx, ref);
  if (row.writable !== 1) throw new StrataError(ErrorCode.EINVALID, `layer ${row.id} is read-only already`);
  const mounts = await root.driver.mountCount(row.driver_id);
  if (mounts > 0) throw new StrataError(ErrorCode.ELAYERBUSY, `layer ${row.id} is mounted (${mounts} reference(s)); unmount it first`);
  if (rows.childCount(row.id) > 0) throw new StrataError(ErrorCode.ELAYERHASCHILDREN, `layer ${row.id} has child layers; a layer with children cannot be committed`);

  const hash = createHash('sha256');
  const stats = new TarStats();
  const tee = new PassThrough();
  tee.on('data', (chunk: Buffer) => hash.update(chunk));
  await pipeline(await root.driver.diff(row.driver_id, driverParentOf(ctx, row)), tee, stats);
  const diffId: Digest = `sha256:${hash.digest('hex')}`;
  const parent = row.parent === null ? null : rows.find(row.parent)!;
  const chainId = chainIdOf(parentChainOf(parent), diffId);
  const id = idOf(chainId);

  const existing = rows.find(id);
  if (existing !== undefined && existing.state === 'ready') {
    root.db.transaction(() => {
      rows.setRefCount(existing.id, existing.ref_count + row.ref_count);
      rows.setState(row.id, 'removing');
      options.inTransaction?.(id);
    });
    if (await root.driver.exists(row.driver_id)) await root.driver.inner.remove(row.driver_id);
    rows.delete(row.id);
    return rows.find(id)!;
  }
  root.db.transaction(() => {
    root.db.setState(COMMITTING_KEY, row.driver_id);
    rows.commitRow(row.id, { id, diff_id: diffId, chain_id: chainId, tar_size: stats.bytes, content_size: stats.fileBytes });
    options.inTransaction?.(id);
  });
  await root.driver.commit(row.driver_id);
  root.db.setState(COMMITTING_KEY, undefined);
  return rows.find(id)!;
}

/** At open: seals the driver layer of a commit that a crash cut short after the database recorded it. */
export async function finishCommit(ctx: LayerContext): Promise<void> {
  const driverId = ctx.root.db.state(COMMITTING_KEY);
  if (driverId === undefined) return;
  if (await ctx.root.driver.exists(driverId)) await ctx.root.driver.inner.commit(driverId);
  ctx.root.db.setState(COMMITTING_KEY, undefined);
}
