/**
 * strata core: the public surface drivers, the CLI and third-party code import.
 * Drivers import only this file (see STYLE.md); core imports no driver.
 */
import 'reflect-metadata';

export * from './errors.js';
export * from './tree.js';
export * from './driver.js';
export * from './driver-module.js';
export * from './config.js';
export * from './container.js';
export * from './ids.js';
export * from './sys/index.js';
export * from './archive/index.js';
export * from './store/index.js';
export * from './mount-counts.js';
export * from './bind-mount.js';
export * from './directory-tree.js';
export * from './diff/index.js';
export * from './union/index.js';
export * from './directory-layers.js';
export * from './disk-usage.js';
