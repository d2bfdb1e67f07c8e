/** Image operations over a store: import, load, save, inspect, disk usage. */
export * from './import-image.js';
export * from './inspect.js';
export * from './disk-usage.js';
export * from './load-images.js';
export * from './save-images.js';
