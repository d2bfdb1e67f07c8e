/**
 * The layer of one file-system build step: a writable layer on the parent image's top
 * layer, mounted for `work`, then committed in place under its chainID (no diff+apply
 * copy) — or given back when its diff is empty. Everything is held by a lease (leases.ts)
 * that also holds one reference to each of the parent's layers, so the caller registers
 * the step's image with it (`images.register`) or abandons it; a crash (even `kill -9`
 * during `work`) leaves the lease to the next open, which unmounts and gives it all back.
 *
 * The store lock is taken to create and mount, and again to unmount and commit, never
 * while `work` runs.
 */
import type { Lease } from '../../store/leases.js';
import type { ImageRecord } from '../../store/image-rows.js';
import type { Store } from '../../store/store.js';

export interface StepLayerResult {
  lease: Lease;
  /** The new layer's diffID, or undefined when the step changed nothing (no layer). */
  diffId: string | undefined;
}

/**
 * `work` returns true when it knows it wrote something (a COPY of a file): the layer is then
 * committed without first listing its changes.
 */
export async function withStepLayer(store: Store, parent: ImageRecord | undefined, work: (rootfs: string) => Promise<boolean | void>): Promise<StepLayerResult> {
  const { images, layers, root } = store;
  const lease = images.beginLease();
  try {
    const { id, rootfs } = await root.lock.run('build', async () => {
      root.db.transaction(() => {
        for (const layer of parent?.layers ?? []) {
          layers.retain(layer);
          lease.addLayer(layer);
        }
      });
      const writable = await layers.createLayerLocked({ writable: true, lease, ...(parent?.layers.length ? { parent: parent.layers.at(-1)! } : {}) });
      return { id: writable.id, rootfs: await layers.mountLocked(writable.id) };
    });
    let wrote = false;
    try {
      wrote = (await work(rootfs)) === true;
    } finally {
      await root.lock.run('build', () => layers.unmountLocked(id));
    }
    const diffId = await root.lock.run('build', async () => {
      if (!wrote && (await layers.changes(id)).length === 0) {
        root.db.transaction(() => lease.replaceLayer(id, undefined));
        await layers.releaseLocked(id);
        return undefined;
      }
      const committed = await layers.commitLocked(id, { inTransaction: (chainId) => lease.replaceLayer(id, chainId) });
      return committed.diffId!;
    });
    return { lease, diffId };
  } catch (err) {
    await root.lock.run('build', () => images.abandon(lease)).catch(() => undefined);
    throw err;
  }
}
