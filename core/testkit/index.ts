/**
 * strata's conformance suite, shipped for every driver — built-in or third
 * party (`import { conformanceSuite } from 'strata/testkit'`).
 */
export { conformanceSuite, checks } from './suite.js';
export type { SuiteOptions } from './suite.js';
export type { Check } from './check.js';
export { Harness, layerReader } from './harness.js';
export type { DriverFactory, Route } from './harness.js';
export type { Op } from './ops.js';
export { snapshotDir, snapshotTree } from './snapshot.js';
export type { EntrySummary, Snapshot } from './snapshot.js';
export { registerUnless } from './prerequisite.js';
export type { Missing } from './prerequisite.js';
