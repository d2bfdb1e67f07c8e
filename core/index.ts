/**
 * `strata`: the contract a storage driver implements, and what it needs to
 * speak it — errors, trees, ids, the module helper that registers a driver.
 * Loads neither SQLite nor strata's native addon: a plugin that imports only
 * the contract stays light. Helpers for writing drivers are in `strata/kit`
 * (core/kit.ts); the engine (stores, configuration, registry) in
 * `strata/engine` (core/engine.ts).
 */
import 'reflect-metadata';

export * from './errors.js';
export * from './tree.js';
export * from './driver.js';
export * from './driver-module.js';
export * from './ids.js';
