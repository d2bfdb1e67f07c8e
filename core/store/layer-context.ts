import { ErrorCode, StrataError } from '../errors.js';
import { resolvePrefix } from '../ids.js';
import type { LayerInfo } from './layer-info.js';
import type { LayerRow, LayerRows } from './layer-rows.js';
import type { StoreRoot } from './store-root.js';

/** Prefix of temporary files in `<root>/layers/`; recovery deletes them. */
export const TMP_PREFIX = '.tmp-';
/** Suffix of tar-split record files in `<root>/layers/`. */
export const RECORD_SUFFIX = '.tar-split.gz';

const FULL_ID = /^[0-9a-f]{64}$/;

/** What the layer store's parts share: the root, the layer rows, the records folder. */
export interface LayerContext {
  readonly root: StoreRoot;
  readonly rows: LayerRows;
  /** `<root>/layers`: tar-split records. */
  readonly dir: string;
}

/** A ready layer by full id, "sha256:" form or unique prefix of 12+ hex digits. Fails with ENOLAYER, EAMBIGUOUS. */
export function resolveLayer(ctx: LayerContext, ref: string): LayerRow {
  // A full id (the stores' own references) is one indexed lookup, not a scan of every row.
  const bare = ref.startsWith('sha256:') ? ref.slice('sha256:'.length) : ref;
  if (FULL_ID.test(bare)) {
    const row = ctx.rows.find(bare);
    if (row?.state === 'ready') return row;
  }
  const rows = ctx.rows.readyLayers();
  const id = resolvePrefix(ref, rows.map((r) => r.id));
  return rows.find((r) => r.id === id)!;
}

/** The driver id of row's parent layer (null for a base layer). */
export function driverParentOf(ctx: LayerContext, row: LayerRow): string | null {
  return row.parent === null ? null : ctx.rows.find(row.parent)!.driver_id;
}

/** A row that must be ready; fails with ECORRUPT naming its state otherwise. */
export function mustBeReady(row: LayerRow): void {
  if (row.state !== 'ready') {
    throw new StrataError(ErrorCode.ECORRUPT, `layer ${row.id} is in state ${row.state}; reopen the store to recover`);
  }
}

export function toInfo(row: LayerRow): LayerInfo {
  return {
    id: row.id,
    ...(row.diff_id === null ? {} : { diffId: row.diff_id as LayerInfo['diffId'] & string }),
    ...(row.chain_id === null ? {} : { chainId: row.chain_id as LayerInfo['chainId'] & string }),
    ...(row.compressed_digest === null ? {} : { compressedDigest: row.compressed_digest as LayerInfo['compressedDigest'] & string }),
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
