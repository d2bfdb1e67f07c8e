/**
 * The store root and its stores: layer metadata in SQLite, content through a
 * storage driver, byte-exact diffs of imported layers (tar-split), crash
 * recovery, a store lock.
 */
export { Store, type StoreOptions } from './store.js';
export { StoreRoot, type StoreRootOptions } from './store-root.js';
export { StoreDatabase } from './store-database.js';
export { LayerStore, type ImportOptions, type CreateLayerOptions, type CommitOptions } from './layer-store.js';
export type { LayerInfo, CheckResult, DiskUsage, UsageFigures } from './layer-info.js';
export { DEFAULT_LOCK_TIMEOUT_MS } from './store-lock.js';
export { migrateRoot, type MigrateOptions, type MigrationReport } from './migrate.js';
export { ImageStore, type ImageRecord, type LayerBlob, type NewImage, type RemovalEvent, type RemoveOptions } from './image-store.js';
export { Lease } from './leases.js';
export { ContentStore, type BlobInfo } from '../content/content-store.js';
export { ContainerStore, type ContainerRecord, type ContainerState } from './container-store.js';
