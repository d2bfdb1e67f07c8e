/**
 * The layer store: layer metadata in SQLite, content through a storage driver,
 * byte-exact diffs of imported layers (tar-split), crash recovery, a store lock.
 */
export { LayerStore, type LayerStoreOptions, type ImportOptions, type CreateLayerOptions } from './layer-store.js';
export type { LayerInfo, CheckResult, DiskUsage, UsageFigures } from './layer-info.js';
export { DEFAULT_LOCK_TIMEOUT_MS } from './store-lock.js';
