import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { openLayerStream } from '../archive/decompress.js';
import { isStrataError } from '../errors.js';
import { chainIdOf, digestOf, idOf, randomId, type Digest } from '../ids.js';
import { DigestTap, ImportSink } from './import-taps.js';
import { RECORD_SUFFIX, TMP_PREFIX, mustBeReady, resolveLayer, type LayerContext } from './layer-context.js';
import type { LayerRow } from './layer-rows.js';
import type { Lease } from './leases.js';
import { syncPath } from './record-file.js';
import { TarSplitRecorder } from './tar-split-recorder.js';

export interface ImportOptions {
  /** The layer to apply the tar on (id or unique prefix); none: a base layer. */
  readonly parent?: string;
  /** Called as input is read, with the bytes read so far (compressed, as given). */
  readonly onProgress?: (bytes: number) => void;
  /** Holds the returned reference (recorded in the transaction that takes it), so a crash gives it back. */
  readonly lease?: Lease;
  /**
   * Opens the same input again from its start (a file): the tar-split then
   * takes shadowed files' bytes from a second read, only when the tar has any,
   * instead of spooling every file's bytes to disk as they pass.
   */
  readonly reopen?: () => Readable;
  /**
   * The sha256 of the input as given, which the caller verified as the bytes
   * arrived (a blob hashed while it downloaded): the import does not hash the
   * input again, and records it as the compressed digest of a gzip input.
   */
  readonly inputDigest?: Digest;
}

/**
 * The import pipeline (caller holds the store lock): the tar (plain or gzip,
 * detected by magic) is hashed, recorded as tar-split and applied by the driver
 * into a layer made under a temporary id; once complete it becomes visible
 * under its chainID — or, when that layer exists already, that one gains a
 * reference and the copy is dropped. Returns the ready row. On any failure no
 * layer is left behind. Fails with ENOLAYER/EAMBIGUOUS (parent), EBADARCHIVE,
 * EUNSAFEARCHIVE.
 */
export async function importLayer(ctx: LayerContext, input: Readable, options: ImportOptions): Promise<LayerRow> {
  const { rows, root } = ctx;
  const parent = options.parent === undefined ? null : resolveLayer(ctx, options.parent);
  const tempId = randomId();
  rows.insertCreating({ id: tempId, parent: parent?.id ?? null, writable: 0, driver: root.driver.name });
  const recordPath = join(ctx.dir, `${TMP_PREFIX}${tempId}${RECORD_SUFFIX}`);
  let recorder: TarSplitRecorder | undefined;
  try {
    await root.driver.create(tempId, parent?.driver_id ?? null, { writable: false });
    const { reopen } = options;
    const shadows = reopen === undefined ? { spool: join(ctx.dir, `${TMP_PREFIX}${tempId}.spool`) } : { reread: () => openLayerStream(reopen()) };
    recorder = await TarSplitRecorder.create(recordPath, shadows);
    const fed = await feed(ctx, input, tempId, parent?.driver_id ?? null, recorder, options);
    await recorder.finish(fed.diffId);
    const chainId = chainIdOf(parentChainOf(parent), fed.diffId);
    const id = idOf(chainId);
    const existing = rows.find(id);
    if (existing !== undefined) {
      mustBeReady(existing);
      rows.setState(tempId, 'removing');
      await recorder.abort();
      await discardLayer(ctx, tempId);
      root.db.transaction(() => {
        rows.setRefCount(existing.id, rows.find(existing.id)!.ref_count + 1);
        options.lease?.addLayer(existing.id);
      });
      return rows.find(existing.id)!;
    }
    const recordName = `${id}${RECORD_SUFFIX}`;
    await rename(recordPath, join(ctx.dir, recordName));
    await syncPath(ctx.dir);
    root.db.transaction(() => {
      rows.promote(tempId, {
        id,
        diff_id: fed.diffId,
        chain_id: chainId,
        compressed_digest: fed.compressedDigest,
        tar_size: fed.tarSize,
        content_size: fed.contentSize,
        tar_split: recordName,
      });
      options.lease?.addLayer(id);
    });
    return rows.find(id)!;
  } catch (err) {
    await recorder?.abort();
    await discardLayer(ctx, tempId);
    throw err;
  }
}

/** The chainID a child of parent builds on: its own, or (a created, not content-addressed parent) its id as a digest. */
export function parentChainOf(parent: LayerRow | null): Digest | null {
  return parent === null ? null : ((parent.chain_id as Digest | null) ?? digestOf(parent.id));
}

/** Removes a layer that never became visible, from the driver and the database. */
export async function discardLayer(ctx: LayerContext, tempId: string): Promise<void> {
  if (await ctx.root.driver.exists(tempId)) await ctx.root.driver.inner.remove(tempId);
  ctx.rows.delete(tempId);
}

/** Streams input through the taps into driver.applyDiff; resolves once both ends are done. */
async function feed(ctx: LayerContext, input: Readable, driverId: string, parentDriverId: string | null, recorder: TarSplitRecorder, options: ImportOptions) {
  const tap = new DigestTap(options.onProgress, options.inputDigest);
  const sink = new ImportSink(recorder);
  const applied = ctx.root.driver.applyDiff(driverId, parentDriverId, sink.driverInput);
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
