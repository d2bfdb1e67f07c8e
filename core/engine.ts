/**
 * `strata/engine`: everything — the contract (index.ts), the kit (kit.ts), the
 * configuration, the driver registry and runtime, and the store root with its
 * stores. What the CLI, the benchmarks and embedding applications import.
 */
export * from './index.js';
export * from './kit.js';
export * from './config.js';
export * from './runtime/index.js';
export * from './store/index.js';
