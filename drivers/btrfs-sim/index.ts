export { BtrfsSimDriver } from './btrfs-sim-driver.js';
export { default as btrfsSimModule } from './module.js';
export { EXTENT_SIZE, INLINE_MAX } from './extent-store.js';
