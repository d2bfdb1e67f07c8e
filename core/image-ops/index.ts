/** Image operations over a store: import, load, save, pull, push, inspect, disk usage. */
export * from './import-image.js';
export * from './inspect.js';
export * from './disk-usage.js';
export * from './load-images.js';
export * from './save-images.js';
export * from './pull-image.js';
export * from './push-image.js';
